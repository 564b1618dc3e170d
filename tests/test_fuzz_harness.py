"""The long-run fuzzing harness (`python -m fuzz`) works, on a small count: CI
keeps it from rotting, and its oracle is tested on the classes it must catch."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz import events as fuzz_events  # noqa: E402


def test_event_fuzzing_finds_no_failure_on_a_short_run():
    result = fuzz_events.run(400, seed=1, report=lambda line: None)
    assert result["failures"] == []
    assert result["pairs"] == 400 and result["invalid"] > 0


@pytest.mark.parametrize("value", [float("nan"), 10**16, "\ud800", ("x",), {1: 2}, b"x"])
def test_the_oracle_knows_the_plainly_invalid(value):
    assert fuzz_events.plainly_invalid({"context": {"v": value}})
    assert not fuzz_events.plainly_invalid({"context": {"v": [1, "x", None, 1.5, {"a": True}]}})


def test_the_property_check_reports_a_disagreement():
    import engine

    policy = engine.load_policy_text("category c\npurpose p basis contract\npermit p\n")
    event = {"purpose": "p", "categories": ["c"], "destination": "DE"}
    assert fuzz_events.check_pair(policy, event) is None
    policy.evaluate = lambda *a, **k: policy.evaluate_reference({"not": "an event"})  # a broken fast path
    assert "fast path" in fuzz_events.check_pair(policy, event)
