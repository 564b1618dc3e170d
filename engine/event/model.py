"""Pydantic models of the stable surface: events in, decisions out.

Written by hand for their messages and JSON Schema; they are the event as
`event.fields` describes it, which tests/test_fields.py holds them to."""

from __future__ import annotations

from datetime import datetime, timezone
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr,
                      WithJsonSchema, model_validator)

from .fields import MAX_AGE
from .timestamps import TIMESTAMP_PATTERN, parse_timestamp
from .values import json_path


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


def describe_problem(problem: Mapping[str, Any]) -> str:
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
    age: StrictInt | None = Field(default=None, ge=0, le=MAX_AGE)


def _empty(kind: type) -> Any:
    """An empty list or dict default, made for each event rather than deep-copied
    from a shared default by pydantic (the schema still shows the default)."""
    return Field(default_factory=kind, json_schema_extra={"default": kind()})


class Subject(_Model):
    """The data subject. Absent fields have no default: a rule that reads one fails closed."""

    id: StrictStr | None = None
    age: StrictInt | None = Field(default=None, ge=0, le=MAX_AGE)
    country: StrictStr | None = None
    kind: StrictStr | None = None
    consents: list[ConsentRecord] | None = _empty(list)
    objections: list[StrictStr] | None = _empty(list)


class Event(_Model):
    """A processing event: who processes what, for which purpose, where to."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={
        "anyOf": [{"required": ["destination"]}, {"required": ["recipient"]}]})

    purpose: StrictStr
    categories: list[StrictStr] = Field(min_length=1)
    destination: StrictStr | None = Field(default=None, description="required unless `recipient` is given")
    recipient: StrictStr | None = None
    # a factory, not `Subject()`: pydantic would deep-copy a model default for every event
    subject: Subject | None = Field(default_factory=Subject, json_schema_extra={
        "default": {"id": None, "age": None, "country": None, "kind": None, "consents": [], "objections": []}})
    safeguards: list[StrictStr] | None = _empty(list)
    exporter: Literal["controller", "subject"] | None = "controller"
    automated: StrictBool | None = False
    collected_at: Timestamp | None = None
    at: Timestamp | None = Field(default=None, description="defaults to the time of evaluation")
    context: dict[str, Any] | None = _empty(dict)
