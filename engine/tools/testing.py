"""Running the `test` blocks of a policy (spec section 8).

`run_tests(policy)` gives one result per test; `lawful test` (and pytest) use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .. import ir
from ..syntax import ast
from ..decide.decision import Decision
from ..decide.policy import Policy
from ..core.resources import library_of

BUILT_IN = ir.RESERVED_LABEL


@dataclass(frozen=True)
class TestResult:
    test: ast.TestDecl
    decision: Decision
    passed: bool
    problems: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.test.name.value

    @property
    def location(self) -> str | None:
        return self.test.span.location if self.test.span else None


def run_test(policy: Policy, test: ast.TestDecl) -> TestResult:
    decision = policy.evaluate(test.event)
    expected = [n.value for n in test.names]
    problems = []
    if decision.effect != test.expect:
        problems.append(f"expected {test.expect}, got {decision.effect}")
    if test.expect == "allow":
        missing = [o for o in expected if o not in decision.obligations]
        if missing:
            problems.append("missing obligations: " + ", ".join(missing))
    else:
        named = {r.rule for r in decision.reasons if r.kind in ("forbidden", "no-consent")}
        missing = [r for r in expected if r not in named]
        if missing:
            problems.append("not denied by: " + ", ".join(missing))
    return TestResult(test, decision, not problems, tuple(problems))


def run_tests(policy: Policy, only_files: set[str] | None = None) -> list[TestResult]:
    """Every test of the policy (or of the given files), in policy order."""
    return [run_test(policy, test) for test in policy.tests
            if only_files is None or (test.span and test.span.file in only_files)]


# ---- reports ---------------------------------------------------------------------------


def expectation(test: ast.TestDecl) -> str:
    names = [n.value for n in test.names]
    if not names:
        return test.expect
    return f"{test.expect} {'with' if test.expect == 'allow' else 'by'} {', '.join(names)}"


def describe_failure(result: TestResult) -> list[str]:
    """What a reader needs to see: the event, what was expected, what happened and why."""
    import json

    decision = result.decision
    lines = [f"event:    {json.dumps(result.test.event, ensure_ascii=False)}",
             f"expected: {expectation(result.test)}",
             f"actual:   {decision.effect}"
             + (f" with {', '.join(decision.obligations)}" if decision.obligations else "")]
    for reason in decision.reasons:
        where = [w for w in (reason.rule and f"rule {reason.rule}", reason.cite, reason.location) if w]
        lines.append(f"  {reason.kind}: {reason.message}" + (f"  [{' · '.join(where)}]" if where else ""))
    lines += [f"why:      {problem}" for problem in result.problems]
    return lines


@dataclass
class RuleCoverage:
    rule: ir.CheckedRule
    applied: int = 0  # tests in which the rule applied (a forbid denied, a permit covered)

    @property
    def library(self) -> bool:
        return library_of(self.rule.location) is not None


def coverage(policy: Policy, results: list[TestResult]) -> list[RuleCoverage]:
    """For every rule, in how many tests it applied."""
    counts = {rule.index: RuleCoverage(rule) for rule in policy.rules}
    for result in results:
        for outcome in policy.explain(result.test.event).outcomes:
            if outcome.applies and (outcome.rule.effect == "forbid" or outcome.categories):
                counts[outcome.rule.index].applied += 1
    return list(counts.values())


def junit_xml(suites: list[tuple[str, list[TestResult], float]]) -> str:
    """JUnit XML, one <testsuite> per policy, as CI systems read it."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="lawful")
    total = failures = 0
    for name, results, seconds in suites:
        suite = ET.SubElement(root, "testsuite", name=name, tests=str(len(results)),
                              failures=str(sum(not r.passed for r in results)), errors="0",
                              skipped="0", time=f"{seconds:.3f}")
        for result in results:
            span = result.test.span
            case = ET.SubElement(suite, "testcase", name=result.name,
                                 classname=(span.file if span else name).removesuffix(".law").replace("/", "."),
                                 file=span.file if span else name, line=str(span.line if span else 0),
                                 time="0.000")
            if not result.passed:
                failure = ET.SubElement(case, "failure", message="; ".join(result.problems),
                                        type="expectation")
                failure.text = "\n".join(describe_failure(result))
        total += len(results)
        failures += sum(not r.passed for r in results)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TestOutcome(_Strict):
    """One test block's result."""

    name: str
    file: str | None
    line: int | None
    passed: bool
    expected: str
    effect: Literal["allow", "deny"]
    problems: list[str]


class PolicyTests(_Strict):
    path: str
    seconds: float
    tests: list[TestOutcome]


class TestSummary(_Strict):
    passed: int
    failed: int
    deselected: int
    seconds: float


class TestReport(_Strict):
    """`lawful test --format json` (version 1; `lawful schema test-report`)."""

    version: Literal[1]
    tool: Literal["lawful"]
    policies: list[PolicyTests]
    summary: TestSummary


def to_json(suites: list[tuple[str, list[TestResult], float]], deselected: int = 0,
            seconds: float = 0.0) -> str:
    """The results as JSON (version 1): one entry a policy, one a test, and a summary."""
    import json

    passed = sum(r.passed for _, results, _ in suites for r in results)
    total = sum(len(results) for _, results, _ in suites)
    return json.dumps({
        "version": 1, "tool": "lawful",
        "policies": [{"path": name, "seconds": round(time, 6), "tests": [
            {"name": r.name, "file": r.test.span.file if r.test.span else None,
             "line": r.test.span.line if r.test.span else None, "passed": r.passed,
             "expected": expectation(r.test), "effect": r.decision.effect, "problems": list(r.problems)}
            for r in results]} for name, results, time in suites],
        "summary": {"passed": passed, "failed": total - passed, "deselected": deselected,
                    "seconds": round(seconds, 6)},
    }, indent=2, ensure_ascii=False)
