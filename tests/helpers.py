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
