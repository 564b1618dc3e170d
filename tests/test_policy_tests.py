"""`lawful test`: running test blocks, failure reports, JUnit XML, coverage."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import engine
from engine.cli import main
from engine.tools.testing import coverage, run_tests

POLICY = """
category contact
purpose billing basis contract
purpose news basis consent
obligation log "Keep a record"
rule bill: permit billing on contact to {DE} with log
rule no_fr: forbid * to {FR}
rule unused: permit news on contact when subject.age > 200

test "billing in Germany" {
  event {"purpose": "billing", "categories": ["contact"], "destination": "DE"}
  expect allow with log
}
test "billing to France is forbidden" {
  event {"purpose": "billing", "categories": ["contact"], "destination": "FR"}
  expect deny by no_fr
}
test "a wrong expectation" {
  event {"purpose": "billing", "categories": ["contact"], "destination": "FR"}
  expect allow
}
test "the wrong rule" {
  event {"purpose": "news", "categories": ["contact"], "destination": "DE"}
  expect deny by no_fr
}
"""


def write(tmp_path, text=POLICY):
    path = tmp_path / "p.law"
    path.write_text(text)
    return str(path)


def test_results_name_what_failed(tmp_path):
    results = run_tests(engine.load_policy(write(tmp_path)))
    assert [r.passed for r in results] == [True, True, False, False]
    assert results[2].problems == ("expected allow, got deny",)
    assert results[3].problems == ("not denied by: no_fr",)


def test_missing_obligation_fails(tmp_path):
    text = POLICY.replace("expect allow with log", "expect allow with log, audit").replace(
        'obligation log "Keep a record"', 'obligation log "Keep a record"\nobligation audit')
    results = run_tests(engine.load_policy(write(tmp_path, text)))
    assert results[0].problems == ("missing obligations: audit",)


def test_output_shows_event_expected_actual_and_reasons(tmp_path, capsys):
    path = write(tmp_path)
    assert main(["test", path]) == 1
    out = capsys.readouterr().out
    assert f"{path} ..FF" in out
    assert f"FAILED {path}:18:1  a wrong expectation" in out
    failure = out.split("a wrong expectation", 1)[1]
    assert 'event:    {"purpose": "billing", "categories": ["contact"], "destination": "FR"}' in failure
    assert "expected: allow" in failure and "actual:   deny" in failure
    assert "forbidden: forbidden by no_fr  [rule no_fr" in failure
    assert "no-consent: the purpose `news` is based on consent" in out
    assert out.rstrip().splitlines()[-1].startswith("2 passed, 2 failed in ")


def test_all_passing_exits_0(capsys):
    count = sum(len(engine.load_policy(p).tests) for p in ("rules/examples/shop", "rules/gdpr_tests"))
    assert main(["test", "rules/examples/shop", "rules/gdpr_tests"]) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1].startswith(f"{count} passed, 0 failed")


def test_junit_xml(tmp_path, capsys):
    path, report = write(tmp_path), tmp_path / "junit.xml"
    assert main(["test", path, "--junit", str(report)]) == 1
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "4" and root.get("failures") == "2"
    [suite] = root
    assert suite.get("name") == path and suite.get("failures") == "2"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases][:2] == ["billing in Germany", "billing to France is forbidden"]
    assert cases[0].find("failure") is None
    failure = cases[2].find("failure")
    assert failure.get("message") == "expected allow, got deny"
    assert "actual:   deny" in failure.text
    assert cases[2].get("file") == path and cases[2].get("line") == "18"


def test_coverage_names_rules_never_exercised(tmp_path, capsys):
    policy = engine.load_policy(write(tmp_path))
    counts = {c.rule.label: c.applied for c in coverage(policy, run_tests(policy))}
    assert counts == {"bill": 1, "no_fr": 2, "unused": 0}
    assert main(["test", write(tmp_path), "--coverage"]) == 1
    out = capsys.readouterr().out
    assert "2 of 3 rules applied in some test" in out
    assert "✗ unused" in out and "never" in out


def test_policy_that_does_not_compile_exits_2(tmp_path, capsys):
    assert main(["test", write(tmp_path, "permit nothing\n")]) == 2
    assert "E0201" in capsys.readouterr().err


def test_unwritable_junit_is_a_usage_error(tmp_path, capsys):
    assert main(["test", "rules/examples/shop", "--junit", str(tmp_path / "no" / "x.xml")]) == 2
    assert "cannot be written" in capsys.readouterr().err


def test_example_and_library_tests_pass():
    for path in ("rules/examples/shop", "rules/examples/health", "rules/gdpr_tests"):
        results = run_tests(engine.load_policy(path))
        assert results and all(r.passed for r in results), path
