"""Pydantic models of the stable surface: events in, decisions out."""

from __future__ import annotations

from datetime import datetime, timezone
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr,
                      WithJsonSchema, model_validator)

from .events import TIMESTAMP_PATTERN, json_path, parse_timestamp

MAX_AGE = 200


def _timestamp(value: Any) -> datetime:
    """The one timestamp grammar (`events.parse_timestamp`) for text; a datetime
    given by a Python caller is taken as UTC when it has no zone."""
    if isinstance(value, datetime):
        try:
            return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        except OverflowError:
            raise ValueError(f"`{value}` is out of range once converted to UTC") from None
    return parse_timestamp(value)


#: A timestamp: RFC 3339 text (see `events.TIMESTAMP_PATTERN`), held as a UTC datetime.
Timestamp = Annotated[datetime, BeforeValidator(_timestamp),
                      WithJsonSchema({"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN})]


def describe_problem(problem: dict) -> str:
    """One pydantic error in the language's words."""
    path = json_path(problem["loc"]) or "event"
    kind = problem["type"]
    if kind == "missing":
        return f"`{path}` is required"
    if kind == "extra_forbidden":
        return f"`{path}` is not an event field"
    if kind == "value_error" and "error" in problem.get("ctx", {}):
        return f"`{path}`: {problem['ctx']['error']}"
    message = problem["msg"]
    return f"`{path}`: {message[0].lower()}{message[1:]}"


class _Model(BaseModel):
    """`null` for an optional field is the field left out (spec section 6): the
    schema says null is allowed, and the model holds the field's default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and any(value is None for value in data.values()):
            optional = {name for name, info in cls.model_fields.items() if not info.is_required()}
            return {k: v for k, v in data.items() if v is not None or k not in optional}
        return data


class ConsentRecord(_Model):
    """A consent the subject gave (and perhaps withdrew)."""

    purpose: StrictStr
    given_at: Timestamp
    withdrawn_at: Timestamp | None = None
    explicit: StrictBool | None = False
    parental: StrictBool | None = False


class Subject(_Model):
    """The data subject. Absent fields have no default: a rule that reads one fails closed."""

    id: StrictStr | None = None
    age: StrictInt | None = Field(default=None, ge=0, le=MAX_AGE)
    country: StrictStr | None = None
    kind: StrictStr | None = None
    consents: list[ConsentRecord] | None = []
    objections: list[StrictStr] | None = []


class Event(_Model):
    """A processing event: who processes what, for which purpose, where to."""

    purpose: StrictStr
    categories: list[StrictStr] = Field(min_length=1)
    destination: StrictStr
    subject: Subject | None = Subject()
    safeguards: list[StrictStr] | None = []
    automated: StrictBool | None = False
    collected_at: Timestamp | None = None
    at: Timestamp | None = Field(default=None, description="defaults to the time of evaluation")
    context: dict[str, Any] | None = {}


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

    def __bool__(self) -> bool:
        """`if policy.evaluate(event):` means "if allowed" (a deny is falsy)."""
        return self.allowed

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
