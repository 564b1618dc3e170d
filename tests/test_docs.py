"""The docs stay in step with the code: every `law` block compiles, every keyword
and every diagnostic code is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import engine
from engine.core.diagnostics import CODES
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


def test_every_compile_code_is_in_the_language_reference():
    documented = set(re.findall(r"^\| ([EW]\d{4}) \|", LANGUAGE, flags=re.M))
    assert documented == {c for c in CODES if not c.startswith(("W08", "W09", "W11"))}


def diagnostics_doc() -> str:
    """docs/diagnostics.md, made from the registry, the fixes and the golden examples."""
    from engine.core.diagnostics import FIXES

    examples = {p.stem.split("-")[0]: p for p in sorted(Path("tests/diagnostics").iterdir())
                if p.suffix == ".law" or p.is_dir()}
    parts = ["# Diagnostics", "",
             "Every code `lawful` can report: what it means, a minimal example that triggers it",
             "with the exact output, and how to fix it. Codes are stable and never reused.",
             "`E` codes are errors (the policy does not compile); `W` codes are warnings:",
             "`W0703` from compiling, `W08xx` from `lawful lint`'s analyses, and `W09xx` GDPR",
             "hints that `lawful lint` gives policies that do not `use gdpr`.", "",
             "A warning can be silenced by a comment `# lawful: ignore[CODE]` at the end of its",
             "line or on the line above (several codes: `# lawful: ignore[W0801, W0805]`).", "",
             "This page is generated from `engine/core/diagnostics.py` and `tests/diagnostics/`;",
             "`pytest --update-goldens` rewrites it.", ""]
    parts += ["| code | meaning |", "| --- | --- |"]
    parts += [f"| [{code}](#{code.lower()}) | {CODES[code]} |" for code in sorted(CODES)]
    for code in sorted(CODES):
        example = examples[code]
        parts += ["", f"## {code}", "", CODES[code][0].upper() + CODES[code][1:] + ".", ""]
        if example.is_dir():
            parts += [f"Example: `lawful lint {example}` on a folder with no `.law` file.", ""]
        else:
            text = example.read_text(encoding="utf-8", errors="replace").rstrip("\n")
            parts += [f"Example (`{example}`):", "", "```law", text, "```", ""]
        output = Path(f"{example}.diag" if example.is_dir() else example.with_suffix(".diag")).read_text()
        parts += ["Output:", "", "```", output.rstrip("\n"), "```", "", f"Fix: {FIXES[code]}"]
    return "\n".join(parts) + "\n"


def test_diagnostics_doc_documents_every_code_with_its_golden_example(golden):
    from engine.core.diagnostics import FIXES

    assert set(FIXES) == set(CODES)
    golden(Path("docs/diagnostics.md"), diagnostics_doc())


def test_readme_commands_are_the_ci_commands():
    readme = Path("README.md").read_text(encoding="utf-8")
    ci = Path(".ci/run").read_text(encoding="utf-8")
    main_job = "python3 -m pip install -e '.[test]' && lawful eval rules/examples/shop examples/shop/events/*.json"
    assert "python3 -m venv .venv && . .venv/bin/activate && " + main_job in readme
    assert '"$bare" -m venv .venv' in ci and "source .venv/bin/activate" in ci
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
