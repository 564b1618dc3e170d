"""Hostile events against generated policies.

For every (policy, event) pair: the fast path's decision equals the reference's;
strict mode raises `InvalidEvent` exactly when the reference names an
`invalid-event`; an event that an independent check (`plainly_invalid`, written
apart from engine/event/) finds invalid is never allowed; every decision
serialises to JSON; and the event's JSON text decided by `evaluate_lines` gets
the same decision as the object.
"""

from __future__ import annotations

import json
import math
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def plainly_invalid(value, depth: int = 1) -> bool:
    """An oracle for the classes of spec section 6 that need no policy: non-JSON
    values, NaN, big integers, lone surrogates, duplicate keys, deep nesting."""
    if depth > 64 and isinstance(value, (list, dict)):
        return True
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return abs(value) > 10**15
    if isinstance(value, float):
        return math.isnan(value) or math.isinf(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if type(value) is list:
        return any(plainly_invalid(v, depth + 1) for v in value)
    if isinstance(value, dict):
        if getattr(value, "duplicates", ()):
            return True
        return any(not isinstance(k, str) or plainly_invalid(k) or plainly_invalid(v, depth + 1)
                   for k, v in value.items())
    return True  # tuples, sets, bytes, datetimes, objects


def check_pair(policy, event) -> str | None:
    """None when every property holds for this pair, else what broke."""
    import engine

    fast = policy.evaluate(event, now=NOW)
    slow = policy.evaluate_reference(event, now=NOW)
    if fast.model_dump() != slow.model_dump():
        return f"fast path {fast.effect} {fast.reasons} != reference {slow.effect} {slow.reasons}"
    invalid = any(r.kind == "invalid-event" for r in slow.reasons)
    try:
        policy.evaluate(event, strict=True, now=NOW)
        raised = False
    except engine.InvalidEvent:
        raised = True
    if raised != invalid:
        return f"strict mode {'raised' if raised else 'did not raise'} but the reference says invalid={invalid}"
    if fast.allowed and (invalid or plainly_invalid(event)):
        return "an invalid event was allowed"
    json.loads(fast.to_json())
    if isinstance(event, dict) and not plainly_invalid(event):
        try:
            text = json.dumps(event)
        except (TypeError, ValueError):
            return None
        [line] = list(policy.evaluate_lines([text], now=NOW))
        if line.model_dump() != fast.model_dump():
            return f"JSON lines decided {line.effect} {line.reasons}, the object {fast.effect}"
    return None


def run(count: int = 100_000, seed: int = 0, per_policy: int = 20, report=print) -> dict:
    """`count` hostile (policy, event) pairs; returns the counts and the failures."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    import engine
    from strategies import differential_events, hostile_events, policies

    counted = {"pairs": 0, "policies": 0, "invalid": 0, "allowed": 0, "failures": []}
    started = time.perf_counter()

    @hypothesis_seed(seed)
    @settings(max_examples=max(1, count // per_policy * 21 // 20), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(policies(), st.lists(st.one_of(hostile_events(), differential_events()),
                                min_size=per_policy, max_size=per_policy))
    def check(text, events):
        if counted["pairs"] >= count:
            return
        policy = engine.load_policy_text(text, name="generated.law")
        counted["policies"] += 1
        for event in events:
            problem = check_pair(policy, event)
            decision = policy.evaluate(event, now=NOW)
            counted["pairs"] += 1
            counted["invalid"] += any(r.kind == "invalid-event" for r in decision.reasons)
            counted["allowed"] += decision.allowed
            if problem:
                counted["failures"].append({"policy": text, "event": repr(event), "problem": problem})
            if counted["pairs"] % 10_000 == 0:
                report(f"  events: {counted['pairs']} pairs, {len(counted['failures'])} failures "
                       f"({time.perf_counter() - started:.0f}s)")

    check()
    counted["seconds"] = round(time.perf_counter() - started, 1)
    return counted
