"""Running the `test` blocks of a policy (spec section 8).

`run_tests(policy)` gives one result per test; `lawful test` (and pytest) use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import ast
from .model import Decision
from .policy import Policy

BUILT_IN = "consent_required"


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
