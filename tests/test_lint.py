"""`lawful lint`: analyses, output formats (text, JSON contract, SARIF 2.1.0
validated against the official schema, GitHub workflow commands), exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from engine.cli import main
from engine.tools.lint import lint_text

SCHEMA = json.loads(Path("tests/data/sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
MIXED = ["tests/diagnostics/E0202-duplicate-declaration.law", "tests/diagnostics/W0806-shadowed-permit.law",
         "tests/diagnostics/E0002-no-law-files", "tests/diagnostics/W0808-subsumed-rule.law"]


def lint_codes(text: str) -> list[str]:
    return [d.code for d in lint_text(text, "t.law").diagnostics]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- analyses ------------------------------------------------------------------------


def test_shipped_rules_lint_clean():
    for path in ("rules/gdpr", "rules/gdpr_tests", "rules/examples/shop", "rules/examples/health"):
        from engine.tools.lint import lint_path

        assert lint_path(path).diagnostics == [], path


def test_library_findings_are_not_the_users():
    # gdpr's own declarations are unused in this policy, and that is no finding
    assert lint_codes("use gdpr\ncategory c\npurpose p basis contract\npermit p on c\n") == []


def test_star_targets_use_everything():
    assert lint_codes("category a\ncategory b\npurpose p basis contract\npurpose q basis contract\n"
                      "permit * to {DE}\n") == []


def test_regions_used_in_conditions_count():
    text = ("region home = {DE}\ncategory c\npurpose p basis contract\n"
            "permit p on c to {DE, FR} when destination in home\n")
    assert "W0803" not in lint_codes(text)


def test_forbid_with_condition_does_not_shadow():
    text = "category c\npurpose p basis contract\nforbid p when automated\npermit p on c to {DE}\n"
    assert "W0806" not in lint_codes(text)


def test_conditions_decided_by_the_target():
    base = "category c\npurpose m basis consent\npurpose m.e\npurpose b basis contract\n" \
           "table t default 16 {}\npermit b on c to {DE}\n"
    children = "rule kids: forbid m when subject.age < t[subject.country] and not parental consent\n"
    assert "W0810" in lint_codes(base + children + "permit m.e on c to {DE} when basis == consent\n")
    assert "W0811" in lint_codes(base + children + "permit m.e on c to {DE} when destination in {FR}\n")
    # `unless` always true: the rule never applies
    assert "W0810" in lint_codes(base + children + "permit m.e on c to {DE} unless purpose in m\n")
    assert lint_codes(base + children + "permit m on c to {DE} when purpose in m.e\n") == []


def test_suppression_comment():
    text = "category c\npurpose p basis contract\nobligation o  # lawful: ignore[W0805]\npermit p on c to {DE}\n"
    assert lint_codes(text) == []
    above = "category c\npurpose p basis contract\n# lawful: ignore[W0805, W0801]\nobligation o\n" \
            "permit p on c to {DE}\n"
    assert lint_codes(above) == []


def test_gdpr_hints_only_without_use_gdpr():
    text = "category health\npurpose care basis contract\npermit care on health\n"
    assert set(lint_codes(text)) == {"W0901", "W0902"}
    assert lint_codes("use gdpr\n" + text) == []
    explicit = "category health\npurpose care basis contract\npermit care on health to {DE} when explicit consent\n"
    assert lint_codes(explicit) == []


# ---- formats and exit codes -------------------------------------------------------------


def test_text_format_and_exit_codes(capsys):
    code, out, _ = run(capsys, "lint", "rules/examples/shop")
    assert code == 0 and out == "no findings in rules/examples/shop\n"
    code, out, _ = run(capsys, "lint", "tests/diagnostics/W0806-shadowed-permit.law")
    assert code == 1 and "warning[W0806]" in out and "^^^" in out
    code, _, _ = run(capsys, "lint", "tests/diagnostics/W0806-shadowed-permit.law", "--fail-on", "error")
    assert code == 0
    code, _, _ = run(capsys, "lint", "tests/diagnostics/E0201-undefined-name.law", "--fail-on", "error")
    assert code == 1


def test_json_is_the_documented_contract(capsys):
    code, out, _ = run(capsys, "lint", *MIXED, "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert set(data) == {"version", "tool", "policies", "findings", "summary"}
    assert data["version"] == 1 and data["tool"] == "lawful"
    assert [p["compiled"] for p in data["policies"]] == [False, True, False, True]
    assert data["summary"] == {"errors": 2, "warnings": 2}
    for finding in data["findings"]:
        assert set(finding) == {"policy", "code", "severity", "message", "file", "line", "column",
                                "end_line", "end_column", "help", "notes"}
    duplicate = data["findings"][0]
    assert duplicate["code"] == "E0202" and duplicate["line"] == 3 and duplicate["column"] == 9
    assert duplicate["notes"][0]["location"].endswith("E0202-duplicate-declaration.law:2:9")


def test_sarif_validates_against_the_official_schema(capsys):
    code, out, _ = run(capsys, "lint", *MIXED, "--format", "sarif")
    sarif = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    assert code == 1 and sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    assert run_["tool"]["driver"]["name"] == "lawful"
    results = run_["results"]
    assert [r["ruleId"] for r in results] == ["E0202", "W0806", "E0002", "W0808"]
    rules = run_["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    location = results[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "tests/diagnostics/E0202-duplicate-declaration.law",
                                            "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 3 and location["region"]["startColumn"] == 9
    assert results[1]["relatedLocations"][0]["message"]["text"] == "the forbid is here"
    assert "locations" not in results[2]


def test_sarif_of_a_clean_run_validates(capsys):
    code, out, _ = run(capsys, "lint", "rules/examples/shop", "--format", "sarif")
    jsonschema.Draft4Validator(SCHEMA).validate(json.loads(out))
    assert code == 0 and json.loads(out)["runs"][0]["results"] == []


def test_github_workflow_commands(capsys):
    code, out, _ = run(capsys, "lint", "tests/diagnostics/W0806-shadowed-permit.law",
                       "tests/diagnostics/E0201-undefined-name.law", "--format", "github")
    lines = out.splitlines()
    assert code == 1 and len(lines) == 4
    assert lines[0].startswith("::warning file=tests/diagnostics/W0806-shadowed-permit.law,line=4,col=1,"
                               "endLine=4,endColumn=42,title=lawful W0806::this permit can never apply")
    assert "%0Ahelp: " in lines[0]
    assert lines[1].startswith("::error file=tests/diagnostics/E0201-undefined-name.law,line=3,col=8,")


def test_github_escapes_properties_and_data():
    from engine.tools.report import _escape_data, _escape_property

    assert _escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    assert _escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"


def test_missing_path_is_a_usage_error(capsys):
    code, _, err = run(capsys, "lint", "nowhere")
    assert code == 2 and "nowhere: no such file or directory" in err


@pytest.mark.parametrize("bad", [["lint"], ["lint", "rules/gdpr", "--format", "xml"],
                                 ["lint", "rules/gdpr", "--fail-on", "info"]])
def test_bad_arguments_exit_2(capsys, bad):
    assert main(bad) == 2


def test_timings_name_every_stage_in_order_on_stderr(capsys):
    """`lawful lint --timings` reports each loader stage (engine.load.STAGES) and lint,
    on stderr, so that `--format json` on stdout stays a clean report."""
    from engine.load import STAGES

    code, out, err = run(capsys, "lint", "--timings", "--format", "json", "rules/examples/shop")
    assert code == 0 and json.loads(out)["findings"] == []
    line = next(l for l in err.splitlines() if l.startswith("timings rules/examples/shop: "))
    names = [part.split()[0] for part in line.split(": ", 1)[1].split(" · ")]
    assert names == [name for name, _ in STAGES] + ["lint", "total"]


def test_stages_stop_at_check_on_errors(tmp_path):
    """A policy with an error runs read, parse, use and check, then stops with every
    diagnostic; the digest and the compile never run."""
    import engine
    from engine.load import load_policy

    bad = tmp_path / "bad.law"
    bad.write_text("category c\npurpose p basis contract\npermit q on c\n")
    timings: dict[str, float] = {}
    with pytest.raises(engine.PolicyError) as raised:
        load_policy(bad, timings)
    assert list(timings) == ["read", "parse", "use", "check"]
    assert [d.code for d in raised.value.diagnostics] == ["E0201"]
