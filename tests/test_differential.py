"""The compiled fast path agrees with the reference evaluator, decision for decision,
on generated policies and events (valid and malformed).

CI runs a bounded number; `python benchmarks/differential.py --pairs 100000` runs more.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from helpers import fast_and_reference
from strategies import differential_events, policies

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
EXAMPLES = int(os.environ.get("LAWFUL_DIFFERENTIAL_EXAMPLES", "250"))


def agree(policy: engine.Policy, event) -> None:
    """Equal decisions; a valid plain event decided by the fast path itself."""
    fast_and_reference(policy, event, NOW)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), st.lists(differential_events(), min_size=1, max_size=20))
def test_compiled_path_agrees_with_the_reference(text, events):
    policy = engine.load_policy_text(text, name="generated.law")
    for event in events:
        agree(policy, event)


def test_the_shipped_policies_agree_on_their_events():
    import json
    from pathlib import Path

    for name in ("shop", "health"):
        policy = engine.load_policy(f"rules/examples/{name}")
        for path in sorted(Path("examples", name, "events").glob("*.json")):
            agree(policy, json.loads(path.read_text()))
        for test in policy.tests:
            agree(policy, test.event)
    # the library's own tests: marker purposes and the national layer among them
    for folder in ["rules/gdpr_tests", *sorted(Path("rules/gdpr_national_tests").iterdir())]:
        policy = engine.load_policy(folder)
        for test in policy.tests:
            agree(policy, test.event)


def test_hostile_strings_and_keys_are_data_never_code():
    """Strings with code in them are plain values, also in generated conditions
    (tests/test_generated.py), and names cannot reach Python attributes (they
    start with a letter)."""
    import pytest

    with pytest.raises(engine.PolicyError):
        engine.load_policy_text("category c\npurpose p basis contract\npermit p when context.__class__ == 1\n")
    text = ('category c\npurpose p basis contract\n'
            'rule r: permit p on c when context.code == "__import__(\\"os\\").system(\\"exit 3\\")" '
            'or context.x in {"); import os; os._exit(3) #", "\\\\\\" + 1"} '
            'because "\\"); raise SystemExit(\\""\n')
    policy = engine.load_policy_text(text)
    hostile = {"purpose": "p", "categories": ["c"], "destination": "DE",
               "context": {"code": '__import__("os").system("exit 3")', "__class__": "x",
                           "__init__": {"__globals__": 1}}}
    decision = policy.evaluate(hostile)
    assert decision.allowed
    assert decision.reasons[0].message == '`c`: "); raise SystemExit("'
    agree(policy, hostile)
    agree(policy, {**hostile, "context": {"x": "); import os; os._exit(3) #", "code": 0}})
    agree(policy, {**hostile, "context": {"x": '\\" + 1'}})
    agree(policy, {**hostile, "context": {"__class__": 1}})
