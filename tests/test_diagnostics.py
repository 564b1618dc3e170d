"""Golden diagnostics: tests/diagnostics/CODE-what.law → CODE-what.diag.

Each input is named after the code it must produce; together they cover
every registered code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.core.diagnostics import CODES, Diagnostic, render_all
from engine.tools.lint import lint_path

HERE = Path(__file__).parent / "diagnostics"
CASES = sorted(p for p in HERE.iterdir() if p.suffix == ".law" or p.is_dir())


def diagnostics_of(path: Path) -> list[Diagnostic]:
    """What `lawful lint` reports: compile errors, or warnings and lint findings."""
    return lint_path(path.relative_to(Path.cwd())).diagnostics


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden_diagnostics(case: Path, golden):
    found = diagnostics_of(case)
    code = case.stem.split("-")[0]
    assert code in {d.code for d in found}, f"{case.name} should produce {code}"
    golden(case.with_suffix(".diag") if case.is_file() else case.parent / f"{case.name}.diag",
           render_all(found) + "\n")


def test_every_code_has_a_golden_example():
    covered = {p.stem.split("-")[0] for p in CASES}
    assert set(CODES) - covered == set()


def test_every_diagnostic_has_code_severity_message_and_location():
    for case in CASES:
        for diagnostic in diagnostics_of(case):
            data = diagnostic.to_dict()
            assert data["code"] in CODES
            assert data["severity"] in ("error", "warning")
            assert data["message"] and data["message"][0].islower() or data["message"][0] == "`"
            if diagnostic.code != "E0002":
                assert data["file"] and data["line"] >= 1 and data["column"] >= 1


def test_rendering_shows_source_line_and_caret():
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy_text("category contact\npurpose billing basis contract\n"
                                "permit billing on contcat\n", name="shop.law")
    text = raised.value.render()
    assert text.splitlines() == [
        "error[E0201]: undefined category `contcat`",
        " --> shop.law:3:19",
        "  |",
        "3 | permit billing on contcat",
        "  |                   ^^^^^^^",
        "  = help: did you mean `contact`?",
        "",
        "1 error",
    ]


def test_errors_are_collected_and_sorted():
    text = "purpose a\ncategory Bad\npermit b on c\n"
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy_text(text, name="x.law")
    positions = [(d.line, d.column) for d in raised.value.diagnostics]
    assert positions == sorted(positions)
    assert {d.code for d in raised.value.diagnostics} >= {"E0303", "E0107", "E0201"}


def test_colour_rendering_uses_ansi_only_when_asked():
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy_text("purpose a\n", name="x.law")
    assert "\x1b[" not in raised.value.render()
    assert "\x1b[" in raised.value.render(color=True)
