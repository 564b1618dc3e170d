"""Pydantic models of the stable surface: events in, decisions out."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator


def _utc(value: datetime | None) -> datetime | None:
    """Timestamps without a zone are taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def json_path(loc) -> str:
    """A pydantic error location as a JSON path: `subject.consents[0].purpose`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def describe_problem(problem: dict) -> str:
    """One pydantic error in the language's words."""
    path = json_path(problem["loc"]) or "event"
    kind = problem["type"]
    if kind == "missing":
        return f"`{path}` is required"
    if kind == "extra_forbidden":
        return f"`{path}` is not an event field"
    message = problem["msg"]
    return f"`{path}`: {message[0].lower()}{message[1:]}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConsentRecord(_Model):
    """A consent the subject gave (and perhaps withdrew)."""

    purpose: StrictStr
    given_at: datetime
    withdrawn_at: datetime | None = None
    explicit: StrictBool = False
    parental: StrictBool = False

    @field_validator("given_at", "withdrawn_at")
    @classmethod
    def in_utc(cls, value):
        return _utc(value)


class Subject(_Model):
    """The data subject. Absent fields have no default: a rule that reads one fails closed."""

    id: StrictStr | None = None
    age: StrictInt | None = Field(default=None, ge=0, le=200)
    country: StrictStr | None = None
    kind: StrictStr | None = None
    consents: list[ConsentRecord] = []
    objections: list[StrictStr] = []


class Event(_Model):
    """A processing event: who processes what, for which purpose, where to."""

    purpose: StrictStr
    categories: list[StrictStr] = Field(min_length=1)
    destination: StrictStr
    subject: Subject = Subject()
    safeguards: list[StrictStr] = []
    automated: StrictBool = False
    collected_at: datetime | None = None
    at: datetime | None = Field(default=None, description="defaults to the time of evaluation")
    context: dict[str, Any] = {}

    @field_validator("collected_at", "at")
    @classmethod
    def in_utc(cls, value):
        return _utc(value)


class Reason(BaseModel):
    """One reason of a decision."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["invalid-event", "forbidden", "no-consent", "not-permitted", "permitted"]
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

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=False)


_set = object.__setattr__
_DECISION_FIELDS = frozenset(Decision.model_fields)
_REASON_FIELDS = frozenset(Reason.model_fields)


def built_decision(effect: str, allowed: bool, reasons: list, obligations: list, digest: str) -> Decision:
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
