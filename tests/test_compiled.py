"""The compiled path's own behaviour: batch evaluation, fallbacks, memo bounds."""

from __future__ import annotations

import io
import json

import engine
from engine.decide import fast as compiled

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
