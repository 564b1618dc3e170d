"""Small helpers shared by tests."""

from __future__ import annotations

import engine

AT = "2026-11-23T09:00:00Z"

BASE = """
category contact.email
category contact.phone
category health
category usage
purpose billing basis contract
purpose marketing basis consent
purpose marketing.email
purpose analytics basis legitimate_interest
region home = {DE, FR}
"""


def policy(text: str, base: bool = True) -> engine.Policy:
    return engine.load_policy_text((BASE if base else "") + text, name="test.law")


def event(purpose="billing", categories=("contact.email",), destination="DE", **fields) -> dict:
    data = {"purpose": purpose, "categories": list(categories), "destination": destination, "at": AT}
    data.update(fields)
    return data


def kinds(decision) -> list[str]:
    return [r.kind for r in decision.reasons]


def rules(decision) -> list[str | None]:
    return [r.rule for r in decision.reasons]


JSON_TYPES = (dict, list, str, int, float, bool)
TIMESTAMPS = ("at", "collected_at", "given_at", "withdrawn_at")


def plain(data) -> bool:
    """An event of the usual shape: a dict of plain JSON values (no subclasses), its
    timestamps strings, no null outside `context`. A null for an optional field, a
    unix time or a model is valid yet left to the reference; a valid plain event the
    fast path must decide itself (`CompiledPolicy.handovers` stays put)."""

    def usual(value, nulls: bool) -> bool:
        if value is None:
            return nulls
        if type(value) not in JSON_TYPES:
            return False
        if type(value) is dict:
            return all(type(k) is str and usual(v, nulls) for k, v in value.items())
        return type(value) is not list or all(usual(item, nulls) for item in value)

    if type(data) is not dict:
        return False
    subject = data.get("subject")
    consents = subject.get("consents") if type(subject) is dict else None
    holders = [data, *(c for c in consents if type(c) is dict)] if type(consents) is list else [data]
    return (all(type(holder.get(name, "")) is str for holder in holders for name in TIMESTAMPS)
            and all(value is not None and usual(value, key == "context") for key, value in data.items()))


def fast_and_reference(policy: engine.Policy, data, now=None) -> tuple:
    """The fast path's decision and the reference's, asserting that they are equal and
    that the fast path decided a valid plain event itself (see `plain`)."""
    before = policy.compiled.handovers
    fast = policy.evaluate(data, now=now)
    handed_over = policy.compiled.handovers != before
    slow = policy.evaluate_reference(data, now=now)
    assert fast.model_dump() == slow.model_dump(), (data, fast, slow)
    # the same plans built again with their keys folded in (as after REFOLD_AFTER
    # decisions), then with their conditions compiled (as after PROMOTE_AFTER)
    compiled = policy.compiled
    for stage in ("folded", "promoted"):
        for key, plan in list(compiled.plans.items()):
            compiled.promote(key, plan)
        promoted = policy.evaluate(data, now=now)
        assert promoted.model_dump() == slow.model_dump(), (stage, data, promoted, slow)
    if plain(data) and "invalid-event" not in kinds(slow):
        assert not handed_over, f"a valid plain event went to the reference: {data!r}"
    return fast, slow
