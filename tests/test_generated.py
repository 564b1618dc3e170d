"""Conditions compiled into generated functions (engine/decide/generated.py): the same
answers as the closures they replace, errors included; plans promoted after
PROMOTE_AFTER decisions; and no policy text ever in the generated code."""

from __future__ import annotations

import re
import types
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.decide import fast
from engine.decide.generated import PROMOTE_AFTER, REFOLD_AFTER
from engine.decide.values import EvaluationError
from strategies import VOCABULARY, conditions, differential_events

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def answer(value):
    """A condition's result, comparable: True, False or the error's message."""
    if isinstance(value, EvaluationError):
        return ("error", value.kind, value.message)
    assert value is True or value is False, value
    return value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions(depth=4), conditions(depth=2), st.sampled_from(["billing", "marketing", "analytics", "ads"]),
       st.sampled_from(["DE", "US", "JP"]), st.lists(differential_events(), min_size=1, max_size=8))
def test_the_generated_function_answers_as_the_closures(when, unless, purpose, destination, events):
    """Deeper trees than the differential test's (long and/or chains, nots of errors), each
    condition folded for one plan's key, then both forms asked about the same facts."""
    text = VOCABULARY + f"rule r: forbid * when ({when}) unless ({unless})\n"
    policy = engine.load_policy_text(text, name="generated.law")
    compiled = policy.compiled
    rule = compiled.rules[0]
    known = compiled.known(purpose, destination)
    closure = rule.condition_for(known, compiled.checked.vocabulary)
    if closure is True or closure is False:
        return  # decided by the key: nothing to compile
    function = rule.generated_for(known, closure, compiled.checked.vocabulary)
    for event in events:
        if not isinstance(event, dict):
            continue
        event = {**event, "purpose": purpose, "destination": destination}
        try:
            facts = compiled.facts(event, NOW)
        except Exception:  # noqa: BLE001 - not a valid plain event: the reference decides it
            continue
        assert answer(function(facts)) == answer(closure(facts)), (when, unless, event)


POLICY = """
category c
purpose p basis contract
purpose news basis consent
rule transfers: forbid * when not (destination in {DE, FR} or "scc" in safeguards or "bcr" in safeguards
    or (destination == US and "dpf" in safeguards) or exporter == "subject"
    or (has context.derogation and context.derogation in {"a", "b"}))
rule child: forbid * when basis == consent and subject.consent_age < 16 and not parental consent
rule ok: permit p, news on c
"""


def test_a_plan_in_steady_use_is_promoted_and_decides_the_same():
    policy = engine.load_policy_text(POLICY)
    event = {"purpose": "p", "categories": ["c"], "destination": "US", "safeguards": ["dpf"]}
    first = policy.evaluate(event, now=NOW)
    key = ("p", "c", "US")
    light = policy.compiled.plans[key]
    assert light[8] is None and light[6] == [PROMOTE_AFTER - REFOLD_AFTER + 1], "a light plan, counting"
    (_, whole), = [pair for pair in light[0] if pair[0].rule.label == "transfers"]
    for _ in range(REFOLD_AFTER - 1):
        assert policy.evaluate(event, now=NOW) is first
    folded = policy.compiled.plans[key]
    assert folded[8] is not None and folded[3] is light[3], "built again, its decisions kept"
    (_, condition), = [pair for pair in folded[0] if pair[0].rule.label == "transfers"]
    assert condition is not whole, "the key folded into the condition"
    for _ in range(PROMOTE_AFTER):
        assert policy.evaluate(event, now=NOW) is first  # the same decision object throughout
    plan = policy.compiled.plans[key]
    assert plan[6] is None, "promoted: no more counting"
    (rule, condition), = [pair for pair in plan[0] if pair[0].rule.label == "transfers"]
    assert condition.__code__.co_filename == "<lawful condition transfers>"
    for denied in ({**event, "safeguards": []}, {**event, "context": {"derogation": 3}},
                   {**event, "safeguards": ["scc"], "context": {"derogation": "z"}}):
        assert policy.evaluate(denied, now=NOW).model_dump() == policy.evaluate_reference(denied, now=NOW).model_dump()


def test_a_not_permitted_deny_is_the_same_object_through_the_three_stages():
    """The not-permitted reason is made when first needed (`unpermitted`), once per
    key: the light, refolded and promoted plans give the same decision object."""
    policy = engine.load_policy_text(POLICY + "category d\n")
    event = {"purpose": "p", "categories": ["c", "d"], "destination": "DE"}
    first = policy.evaluate(event, now=NOW)
    assert [(r.kind, r.category) for r in first.reasons] == [("not-permitted", "d")]
    assert first.model_dump() == policy.evaluate_reference(event, now=NOW).model_dump()
    for _ in range(REFOLD_AFTER + PROMOTE_AFTER + 2):
        assert policy.evaluate(event, now=NOW) is first
    assert policy.compiled.plans[("p", ("c", "d"), "DE")][6] is None, "promoted"
    other = policy.evaluate({**event, "destination": "FR"}, now=NOW)
    assert other.reasons[0].message != first.reasons[0].message, "each key its own reason"


def _codes(function) -> list[types.CodeType]:
    """The code objects of a generated function and of the functions it calls."""
    found, seen, stack = [], set(), [function]
    while stack:
        current = stack.pop()
        if not isinstance(current, types.FunctionType) or id(current) in seen:
            continue
        seen.add(id(current))
        if current.__code__.co_filename.startswith("<lawful condition"):
            found.append(current.__code__)
            stack += [value for name, value in current.__globals__.items() if re.fullmatch(r"[gtp]\d+", name)]
    return found


def test_no_policy_text_is_part_of_the_generated_code():
    """Every string of the policy, hostile ones included, is a bound constant: the code
    holds no string and names only its own variables and the facts' attributes."""
    text = ('category c\npurpose p basis contract\n'
            'rule r: forbid p on c when not ("); import os; os._exit(3) #" in safeguards '
            'or "\\" + __import__(\\"os\\")" in safeguards or context.x in {"a\'b", "}"}) '
            'and not (destination in {US} or "__class__" in safeguards)\n'
            'rule ok: permit p on c\n')
    policy = engine.load_policy_text(text)
    event = {"purpose": "p", "categories": ["c"], "destination": "JP", "safeguards": ["x"], "context": {"x": "}"}}
    for _ in range(REFOLD_AFTER + PROMOTE_AFTER):
        decision = policy.evaluate(event, now=NOW)
    assert decision.model_dump() == policy.evaluate_reference(event, now=NOW).model_dump()
    (_, condition), = policy.compiled.plans[("p", "c", "JP")][0]
    codes = _codes(condition)
    assert codes, "the forbid's condition was compiled"
    attributes = {"safeguards", "exporter", "destination", "purpose", "basis", "automated", "ancestors",
                  "consent", "objected", "context", "collected_at", "at", "age", "country", "kind", "id",
                  "known_consent_age", "get"}
    for code in codes:
        strings = [c for c in code.co_consts if isinstance(c, str)]
        assert strings == [], strings
        for name in code.co_names:
            assert re.fullmatch(r"[cgtp]\d+", name) or name in attributes, name
        assert all(re.fullmatch(r"f|r|x|[xv]\d+", name) for name in code.co_varnames), code.co_varnames
    assert "__builtins__" in condition.__globals__ and condition.__globals__["__builtins__"] == {}


@pytest.mark.parametrize("operands", [300, 3000])
def test_long_chains_compile_without_nesting(operands):
    """A disjunction of thousands of operands is one flat test, not nested code."""
    members = " or ".join(f'"s{n}" in safeguards' for n in range(operands))
    policy = engine.load_policy_text(f"category c\npurpose p basis contract\nforbid p when subject.age > 3 and ({members})\n"
                                     "permit p on c\n")
    compiled = policy.compiled
    known = compiled.known("p", "DE")
    rule = compiled.rules[0]
    closure = rule.condition_for(known, compiled.checked.vocabulary)
    function = rule.generated_for(known, closure, compiled.checked.vocabulary)
    assert function is not closure and function.__code__.co_filename.startswith("<lawful condition")
    for event, expected in (({"safeguards": [f"s{operands - 1}"], "subject": {"age": 4}}, True),
                            ({"safeguards": ["t"], "subject": {"age": 4}}, False),
                            ({"safeguards": ["s0"]}, "error")):
        facts = compiled.facts({"purpose": "p", "categories": ["c"], "destination": "DE", **event}, NOW)
        got = function(facts)
        assert answer(got) == answer(closure(facts))
        assert (got if got is True or got is False else "error") == expected
