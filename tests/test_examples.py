"""The example policies decide their events as documented: golden decisions in
examples/NAME/decisions/, and every rule both applies and does not apply somewhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import engine

EXAMPLES = {"shop": "rules/examples/shop", "health": "rules/examples/health",
            "identity": "rules/examples/identity"}


def events(name: str) -> list[Path]:
    return sorted(Path("examples", name, "events").glob("*.json"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_golden_decisions(name, golden):
    policy = engine.load_policy(EXAMPLES[name])
    for path in events(name):
        decision = policy.evaluate(json.loads(path.read_text()))
        expected = "allowed" if path.stem.endswith("-allowed") else "denied"
        assert ("allowed" if decision.allowed else "denied") == expected, path.name
        data = decision.model_dump()
        data["digest"] = "<digest>"  # the digest changes with every edit of the policy
        golden(Path("examples", name, "decisions", path.stem + ".decision.json"),
               json.dumps(data, indent=2) + "\n")


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_rule_applies_somewhere_and_not_everywhere(name):
    policy = engine.load_policy(EXAMPLES[name])
    applied: dict[str, set[bool]] = {r.name: set() for r in policy.rules
                                     if not r.location.startswith("<")}
    for path in events(name):
        evaluation = policy.explain(json.loads(path.read_text()))
        for outcome in evaluation.outcomes:
            if outcome.rule.name in applied and outcome.purpose_matches:
                applied[outcome.rule.name].add(outcome.applies)
    missing = {rule: sides for rule, sides in applied.items() if sides != {True, False}}
    assert not missing, f"rules not shown applying and not applying: {missing}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_have_allows_and_denies(name):
    stems = [p.stem for p in events(name)]
    assert any(s.endswith("-allowed") for s in stems) and any(s.endswith("-denied") for s in stems)
