"""The compiled path's own behaviour: batch evaluation, fallbacks, memo bounds."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import strategies
from engine.decide import fast as compiled
from strategies import policies

SHOP = engine.load_policy("rules/examples/shop")
EVENTS = [json.loads(open(f"examples/shop/events/{name}.json").read()) for name in (
    "01-billing-allowed", "07-newsletter-child-without-parent-denied", "16-support-us-under-dpf-allowed")]


def test_evaluate_many_equals_one_by_one():
    assert SHOP.evaluate_many(EVENTS) == [SHOP.evaluate(e) for e in EVENTS]
    assert SHOP.evaluate_many(iter(EVENTS)) == SHOP.evaluate_many(EVENTS)
    assert SHOP.evaluate_many([]) == []


def test_evaluate_lines_reads_json_lines_and_names_bad_lines():
    text = json.dumps(EVENTS[0]) + "\n\n{broken\n" + json.dumps(EVENTS[1]) + "\n"
    decisions = list(SHOP.evaluate_lines(io.StringIO(text)))
    assert [d.effect for d in decisions] == ["allow", "deny", "deny"]
    assert decisions[1].reasons[0].kind == "invalid-event" and "line 3" in decisions[1].reasons[0].message


def test_models_and_unusual_events_take_the_reference_path():
    policy = engine.load_policy("rules/examples/shop")
    for event in EVENTS:
        assert policy.evaluate(event) == policy.evaluate_reference(event)
    assert policy.compiled.handovers == 0  # plain valid events: the fast path decided
    model = engine.Event.model_validate(EVENTS[0])
    assert policy.evaluate(model) == policy.evaluate_reference(model)
    assert policy.compiled.handovers == 1
    odd = {**EVENTS[0], "at": 1700000000}  # a unix time: valid, but not for the fast validator
    assert policy.evaluate(odd) == policy.evaluate_reference(odd)
    assert policy.compiled.handovers == 2
    policy.evaluate(EVENTS[0], strict=True)  # strict is the reference by request: no handover
    assert policy.compiled.handovers == 2


def test_plans_are_memoised_and_bounded(monkeypatch):
    policy = engine.load_policy("rules/examples/shop")
    policy.evaluate(EVENTS[0])
    assert len(policy.compiled.plans) == 1
    policy.evaluate(EVENTS[0])
    assert len(policy.compiled.plans) == 1
    monkeypatch.setattr(compiled, "MAX_PLANS", 2)
    for destination in ("DE", "FR", "IT", "ES"):
        policy.evaluate({**EVENTS[0], "destination": destination})
    assert len(policy.compiled.plans) <= 2


INVALID = {"purpose": "advertising", "categories": ["contact.email"], "destination": "XX",
           "at": "2026-11-23T09:00:00Z"}


def test_the_deny_of_an_invalid_event_is_remembered_by_its_json():
    policy = engine.load_policy("rules/examples/shop")
    first = policy.evaluate(INVALID)
    assert [r.kind for r in first.reasons] == ["invalid-event"] * len(first.reasons) and first.reasons
    assert first == policy.evaluate_reference(INVALID)
    again = policy.evaluate(json.loads(json.dumps(INVALID)))  # equal JSON, other objects
    assert again is first and policy.compiled.handovers == 2
    assert len(policy.compiled.invalid) == 1


def test_events_alike_in_python_but_not_in_json_are_not_confused():
    """Each of these pairs compares equal in Python (or has an equal repr): each
    event still gets the reference's own deny, in either order."""
    from engine.event.values import loads
    pairs = [({**INVALID, "subject": {"age": 1}}, {**INVALID, "subject": {"age": True}}),
             ({**INVALID, "subject": {"age": 1}}, {**INVALID, "subject": {"age": 1.0}}),
             ({**INVALID, "context": {"n": 0.0}}, {**INVALID, "context": {"n": -0.0}}),
             ({**INVALID, "categories": ["x"]}, {**INVALID, "categories": ("x",)}),
             (loads('{"purpose": "advertising", "purpose": "billing", "categories": ["contact.email"], '
                    '"destination": "DE"}'), {"purpose": "billing", "categories": ["contact.email"],
                                              "destination": "DE"}),
             ({**INVALID, "context": {"1": 2}}, {**INVALID, "context": {1: 2}})]
    for pair in pairs:
        for order in (pair, pair[::-1]):
            policy = engine.load_policy("rules/examples/shop")
            for event in order:
                assert policy.evaluate(event) == policy.evaluate_reference(event), event


def test_an_invalid_event_judged_at_the_clock_is_decided_at_each_moment():
    """`collected_at` without `at` is judged at `now`: the deny names that moment."""
    from datetime import datetime, timezone
    policy = engine.load_policy("rules/examples/shop")
    event = {**INVALID, "destination": "DE", "collected_at": "2026-06-01T00:00:00Z"}
    del event["at"]
    early, late = (datetime(2026, 5, day, tzinfo=timezone.utc) for day in (1, 2))
    one, two = policy.evaluate(event, now=early), policy.evaluate(event, now=late)
    assert one == policy.evaluate_reference(event, now=early)
    assert two == policy.evaluate_reference(event, now=late)
    assert one != two and not policy.compiled.invalid


def test_the_memo_of_invalid_events_is_bounded(monkeypatch):
    policy = engine.load_policy("rules/examples/shop")
    monkeypatch.setattr(compiled, "MAX_INVALID", 3)
    for n in range(10):
        event = {**INVALID, "destination": f"X{n}"}
        assert policy.evaluate(event) == policy.evaluate_reference(event)
        assert len(policy.compiled.invalid) <= 3
    big = {**INVALID, "context": {f"k{n}": n for n in range(compiled.MAX_INVALID_NODES)}}
    assert compiled.invalid_key(big) is None
    assert policy.evaluate(big) == policy.evaluate_reference(big)
    deep: dict = {}
    inner = deep
    for _ in range(200):
        inner["x"] = {}
        inner = inner["x"]
    nested = {**INVALID, "context": deep}
    assert policy.evaluate(nested) == policy.evaluate_reference(nested)


def test_decisions_are_real_models():
    decision = SHOP.evaluate(EVENTS[0])
    assert isinstance(decision, engine.Decision)
    assert engine.Decision.model_validate(decision.model_dump()) == decision
    assert json.loads(decision.to_json())["obligations"] == ["tokenize_card"]
    assert decision == SHOP.evaluate_reference(EVENTS[0])


def test_compiling_pauses_the_collector_and_restores_it():
    import gc
    import threading

    assert gc.isenabled()
    engine.load_policy("rules/examples/shop")
    assert gc.isenabled()
    try:
        engine.load_policy_text("category Bad\n")
    except engine.PolicyError:
        pass
    assert gc.isenabled()
    threads = [threading.Thread(target=engine.load_policy, args=("rules/examples/health",)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gc.isenabled()
    gc.disable()
    try:
        engine.load_policy("rules/examples/shop")
        assert not gc.isenabled()  # an application that turned it off keeps it off
    finally:
        gc.enable()


def test_handovers_are_counted_exactly_across_threads():
    import sys
    import threading

    policy = engine.load_policy("rules/examples/shop")
    odd = {**EVENTS[0], "at": 1700000000}
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=lambda: [policy.evaluate(e) for e in [odd, EVENTS[1]] * 50])
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old)
    assert policy.compiled.handovers == 4 * 50


@settings(max_examples=150, deadline=None)
@given(policies(), st.sampled_from(strategies.PURPOSES), st.lists(
    st.sampled_from(strategies.CATEGORIES), min_size=1, max_size=3, unique=True),
    st.sampled_from(strategies.COUNTRIES))
def test_a_plan_is_built_from_the_rules_its_key_can_match(text, purpose, categories, destination):
    """`Reachable` (the rules indexed by the categories they name) finds exactly the
    rules a scan of the whole policy finds, in policy order: a permit matches an event
    category under one it names, a forbid or oblige also one above (spec 7.2)."""
    from engine.decide.reference import forbid_overlap

    policy = engine.load_policy_text(text)
    compiled_policy = policy.compiled
    if purpose not in compiled_policy.bases:
        return
    ancestry = compiled_policy.category_ancestors
    ancestors = [(c, ancestry[c]) for c in categories]
    scanned = [r for r in compiled_policy.rules
               if (r.rule.purposes is None or r.rule.purposes & compiled_policy.purpose_ancestors[purpose])
               and (r.rule.destination is None or destination in r.rule.destination)]

    def under(rule, above):
        return rule.categories is None or bool(rule.categories & above)

    reach = compiled_policy.reachable(purpose)
    assert reach.limits(ancestors, destination) == [
        r for r in scanned if r.rule.effect != "permit"
        and any(under(r.rule, a) or forbid_overlap(r.rule, c, ancestry) for c, a in ancestors)]
    for _, above in ancestors:
        assert reach.permits(above, destination) == [
            r for r in scanned if r.rule.effect == "permit" and under(r.rule, above)]
