"""What the engine answers: a decision with every reason (pydantic models, the
stable JSON surface), and the fast constructors the compiled path uses."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Reason(BaseModel):
    """One reason of a decision."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["invalid-event", "forbidden", "no-consent", "not-permitted", "permitted", "obliged"]
    rule: str | None = None
    message: str
    cite: str | None = None
    location: str | None = None
    category: str | None = None
    because: str | None = None
    sugar: str | None = None


class Decision(BaseModel):
    """The engine's answer: allow or deny, with every reason."""

    model_config = ConfigDict(frozen=True)

    effect: Literal["allow", "deny"]
    allowed: bool
    #: tuples, so that a decision is immutable and can be shared between callers
    reasons: tuple[Reason, ...]
    obligations: tuple[str, ...] = ()
    digest: str

    def __bool__(self) -> bool:
        """`if policy.evaluate(event):` means "if allowed" (a deny is falsy)."""
        return self.allowed

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=False)


_set = object.__setattr__
_DECISION_FIELDS = frozenset(Decision.model_fields)
_REASON_FIELDS = frozenset(Reason.model_fields)


def built_decision(effect: str, allowed: bool, reasons: tuple[Reason, ...], obligations: tuple[str, ...],
                   digest: str) -> Decision:
    """A Decision from values already known to be valid (the compiled path's),
    built the way pydantic's `model_construct` builds one, without its per-field
    bookkeeping: a decision is on every data access, and that costs microseconds."""
    decision = _new(Decision)
    _set(decision, "__dict__", {"effect": effect, "allowed": allowed, "reasons": reasons,
                                "obligations": obligations, "digest": digest})
    _set(decision, "__pydantic_fields_set__", _DECISION_FIELDS)
    _set(decision, "__pydantic_extra__", None)
    _set(decision, "__pydantic_private__", None)
    return decision


_new = object.__new__


def built_reason(kind: str, message: str, rule=None, cite=None, location=None, category=None,
                 because=None, sugar=None) -> Reason:
    """A Reason from known-valid values (see `built_decision`)."""
    reason = object.__new__(Reason)
    _set(reason, "__dict__", {"kind": kind, "rule": rule, "message": message, "cite": cite,
                              "location": location, "category": category, "because": because,
                              "sugar": sugar})
    _set(reason, "__pydantic_fields_set__", _REASON_FIELDS)
    _set(reason, "__pydantic_extra__", None)
    _set(reason, "__pydantic_private__", None)
    return reason
