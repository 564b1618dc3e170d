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
    model = engine.Event.model_validate(EVENTS[0])
    assert SHOP.evaluate(model) == SHOP.evaluate_reference(model)
    odd = {**EVENTS[0], "at": 1700000000}  # a unix time: valid, but not for the fast validator
    assert SHOP.evaluate(odd) == SHOP.evaluate_reference(odd)


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
