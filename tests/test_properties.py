"""Properties of evaluation (spec §7), checked with Hypothesis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from helpers import BASE
from strategies import events, json_values, mutated_events, rules

PRELUDE = BASE + "table age default 16 { FR: 15, DE: 16 }\n"


def compile_rules(texts) -> engine.Policy:
    return engine.load_policy_text(PRELUDE + "\n".join(texts) + "\n", name="generated.law")


SHOP = engine.load_policy("rules/examples/shop")
MIXED = compile_rules(["permit * when subject.age >= 18 or consent",
                       "forbid marketing when context.tier == \"gold\" and data_age > 90 days",
                       "permit analytics on usage to home unless objected"])


@settings(max_examples=300)
@given(st.one_of(json_values, mutated_events(), events()))
def test_evaluate_never_raises_outside_strict_mode(data):
    for policy in (SHOP, MIXED):
        decision = policy.evaluate(data)
        assert decision.effect in ("allow", "deny")
        assert decision.allowed == (decision.effect == "allow")
        assert decision.reasons or decision.effect == "deny"


@settings(max_examples=100)
@given(st.lists(rules(), min_size=1, max_size=5), events())
def test_the_same_event_always_gets_the_same_decision(texts, event):
    first = compile_rules(texts)
    again = compile_rules(texts)
    assert first.evaluate(event) == first.evaluate(event) == again.evaluate(event)
    assert first.compiled.handovers == again.compiled.handovers == 0  # valid: the fast path decided


@settings(max_examples=200)
@given(st.lists(rules(), max_size=5), rules(effect="forbid"), events())
def test_adding_a_forbid_never_turns_a_deny_into_an_allow(texts, forbid, event):
    policies = compile_rules(texts), compile_rules(texts + [forbid])
    before, after = (policy.evaluate(event) for policy in policies)
    assert [policy.compiled.handovers for policy in policies] == [0, 0]  # the fast path decided
    if not before.allowed:
        assert not after.allowed
    if after.allowed:
        assert before.allowed


FIELD_READERS = {
    "subject.age": "subject.age < 200",
    "subject.country": "subject.country in home or subject.country not in home",
    "subject.kind": 'subject.kind != "nobody"',
    "subject.id": 'subject.id != ""',
    "collected_at": "data_age >= 0 days",
    "context.tier": 'context.tier == "gold" or context.tier != "gold"',
}


@settings(max_examples=200)
@given(st.sampled_from(sorted(FIELD_READERS)), st.lists(rules("permit"), max_size=3), st.data())
def test_an_event_lacking_a_field_a_forbid_reads_is_denied(field, permits, data):
    # the forbid's condition is a tautology when the field is there: only absence denies
    policy = compile_rules(permits + ["permit *", f"rule reads: forbid * when {FIELD_READERS[field]}"])
    event = data.draw(events(omit=(field,)))
    decision = policy.evaluate(event)
    assert not decision.allowed
    assert "reads" in [r.rule for r in decision.reasons]
    assert policy.compiled.handovers == 0  # an absent field is valid: the fast path decided
