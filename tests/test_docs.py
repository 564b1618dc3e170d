"""The docs stay in step with the code: every `law` block compiles, every keyword
and every diagnostic code is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import engine
from engine.diagnostics import CODES
from engine.syntax.parser import KEYWORDS

LANGUAGE = Path("docs/language.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```law\n(.*?)```", LANGUAGE, flags=re.S)


def test_there_are_examples():
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.splitlines()[0][:40])
def test_every_law_block_compiles(block):
    policy = engine.load_policy_text(block, name="docs.law")
    assert policy.digest.startswith("sha256:")


def test_every_keyword_is_documented():
    missing = [k for k in sorted(KEYWORDS) if not re.search(rf"\b{k}\b", LANGUAGE)]
    assert missing == []


def test_every_diagnostic_code_is_documented():
    documented = set(re.findall(r"^\| ([EW]\d{4}) \|", LANGUAGE, flags=re.M))
    assert documented == set(CODES)


def test_readme_commands_are_the_ci_commands():
    readme = Path("README.md").read_text(encoding="utf-8")
    ci = Path(".ci/run").read_text(encoding="utf-8")
    main_job = "python3 -m pip install -e '.[test]' && lawful eval rules/examples/shop examples/shop/events/*.json"
    assert main_job in readme
    assert "python3 -m pip install --quiet -e '.[test]' && lawful eval rules/examples/shop examples/shop/events/*.json" in ci
    assert "python3 -m pytest" in readme and "python3 -m pytest" in ci


def test_gdpr_doc_examples_compile_and_every_rule_is_documented():
    text = Path("docs/gdpr.md").read_text(encoding="utf-8")
    for block in re.findall(r"```law\n(.*?)```", text, flags=re.S):
        assert engine.load_policy_text(block, name="gdpr-doc.law").digest
    library = engine.load_policy_text("use gdpr\n")
    for rule in library.rules:
        assert f"### `{rule.label}`" in text
    for name in list(library.vocabulary.regions) + list(library.vocabulary.tables):
        assert f"`{name}`" in text


def test_readme_transcript_is_real(capsys):
    from engine.cli import main

    readme = Path("README.md").read_text(encoding="utf-8")
    block = re.search(r"```\n\$ lawful (eval [^\n]+)\n(.*?)```", readme, flags=re.S)
    assert main(block.group(1).split()) == 0
    assert capsys.readouterr().out == block.group(2)
