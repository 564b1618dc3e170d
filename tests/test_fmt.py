"""The formatter: golden files, idempotence and meaning kept (Hypothesis), comments
kept, refusal of unsound output, and the `lawful fmt` command."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import fmt
from engine.cli import main
from engine.source import Source
from engine.syntax import parse_module
from engine.syntax.parser import _lex
from helpers import BASE
from strategies import rules

HERE = Path(__file__).parent / "fmt"
CASES = sorted(HERE.glob("*.law"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden_formatting(case, golden):
    formatted = fmt.format_text(case.read_text(encoding="utf-8"), case.name)
    golden(case.with_suffix(".formatted"), formatted)
    assert fmt.format_text(formatted, case.name) == formatted


def test_comments_stay_in_place():
    formatted = fmt.format_text((HERE / "comments.law").read_text())
    lines = formatted.splitlines()
    assert lines[0] == "# A file-level comment stays at the top."
    assert "purpose billing basis contract  # trailing after a statement" in lines
    assert "  # a comment on its own line inside a rule" in lines
    assert "  when subject.age >= 18  # adults only" in lines
    assert lines[-1] == "# the end"


def test_shipped_rules_are_formatted():
    for path in sorted(Path("rules").rglob("*.law")):
        text = path.read_text(encoding="utf-8")
        assert fmt.format_text(text, str(path)) == text, f"run `lawful fmt {path}`"


# ---- properties ----------------------------------------------------------------------

DECLARATIONS = BASE + """table age default 16 { FR: 15, DE: 16 }
test "t" { event {"purpose": "billing", "categories": ["contact"], "destination": "DE",
                  "subject": {"age": 3, "consents": []}} expect deny by consent_required }
"""
SEPARATORS = [" ", "  ", "\n", "\n  ", "\n\n", "\t"]


def relayout(text: str, seed: int) -> str:
    """The same tokens with random spacing, line breaks and comments."""
    chooser = random.Random(seed)
    pieces = []
    for token in _lex(text):
        if token.type == "COMMENT" or token.type.startswith("__"):
            continue
        pieces.append(token.value)
        separator = chooser.choice(SEPARATORS)
        if "\n" in separator and chooser.random() < 0.3:
            separator = f"  # note {chooser.randint(0, 9)}" + separator
        pieces.append(separator)
    return "".join(pieces) + "\n"


@settings(max_examples=150, deadline=None)
@given(st.lists(rules(), min_size=1, max_size=6), st.integers(0, 10**6))
def test_format_is_idempotent_and_keeps_the_meaning(texts, seed):
    original = relayout(DECLARATIONS + "\n".join(texts), seed)
    once = fmt.format_text(original)  # raises FormatError if the meaning changed
    assert fmt.format_text(once) == once
    before, _ = parse_module(Source("a", original))
    after, _ = parse_module(Source("b", once))
    assert before.statements == after.statements
    assert sorted(c.text.rstrip() for c in before.comments) == sorted(c.text.rstrip() for c in after.comments)


def test_unsound_output_is_refused(monkeypatch, tmp_path, capsys):
    path = tmp_path / "p.law"
    path.write_text("category   c\n")
    monkeypatch.setattr(fmt, "format_module", lambda module: "category d\n")
    with pytest.raises(fmt.FormatError):
        fmt.format_text(path.read_text())
    assert main(["fmt", str(path)]) == 2
    assert path.read_text() == "category   c\n"
    assert "would change its meaning" in capsys.readouterr().err


# ---- the command ------------------------------------------------------------------------


def test_fmt_check_diff_and_write(tmp_path, capsys):
    messy = tmp_path / "a.law"
    messy.write_text("category   c\n")
    clean = tmp_path / "b.law"
    clean.write_text("category c\n")
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    assert capsys.readouterr().out == f"would reformat {messy}\n"
    assert main(["fmt", "--diff", str(messy)]) == 1
    diff = capsys.readouterr().out
    assert f"--- a/{messy}" in diff and "-category   c" in diff and "+category c" in diff
    assert messy.read_text() == "category   c\n"
    assert main(["fmt", str(tmp_path)]) == 0
    assert messy.read_text() == "category c\n"
    assert main(["fmt", "--check", str(tmp_path)]) == 0


def test_fmt_on_broken_text_shows_diagnostics_and_changes_nothing(tmp_path, capsys):
    path = tmp_path / "bad.law"
    path.write_text("category Contact\n")
    assert main(["fmt", str(path)]) == 2
    assert "E0107" in capsys.readouterr().err
    assert path.read_text() == "category Contact\n"


def test_fmt_usage_errors(capsys):
    assert main(["fmt", "nowhere.law"]) == 2
    assert "nowhere.law: no such file or directory" in capsys.readouterr().err
    assert main(["fmt", "--check", "--diff", "rules"]) == 2
