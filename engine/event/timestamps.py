"""The one timestamp grammar (spec section 6): RFC 3339 date-times, every part
in range, the instant representable in UTC. Every path that reads a timestamp
(the model, the fast path, the audit's reader, the JSON Schema) uses this."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from .values import kind_of, short

#: The grammar as a portable regular expression, unanchored: Python, DuckDB, Java
#: (Spark) and JSON Schema read it the same (`[.]`, not `\.`, which a Spark SQL
#: string literal would unescape). The day of the month, the year 0000 and the
#: conversion to UTC are checked apart (`parse_timestamp`, the audit's SQL).
TIMESTAMP_GRAMMAR = ("[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]"
                     "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?"
                     "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?")
#: The grammar for the JSON Schema: no year 0000, and anchored at the very end
#: (`$` would allow a final newline).
TIMESTAMP_PATTERN = "^(?!0000)" + TIMESTAMP_GRAMMAR + r"(?![\s\S])"
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))?", re.ASCII)
_UTC = timezone.utc
TIMESTAMP_HELP = "an RFC 3339 date-time such as `2026-11-23T09:00:00Z`"


def parse_timestamp(value: Any) -> datetime:
    """A timestamp of the grammar as an aware UTC datetime; ValueError otherwise."""
    if type(value) is not str:
        raise ValueError(f"a timestamp is {TIMESTAMP_HELP}, not {kind_of(value)}")
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        raise ValueError(f"`{short(value)}` is not {TIMESTAMP_HELP}")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                          int((fraction or "").ljust(6, "0") or 0), tzinfo=_UTC)
    except ValueError as error:  # year 0, month 13, day 31 of a 30-day month, hour 24…
        raise ValueError(f"`{value}` is out of range: {error}") from None
    if sign is not None:
        hours, minutes = int(off_h), int(off_m)
        if hours > 23 or minutes > 59:
            raise ValueError(f"`{value}` has an offset out of range (at most ±23:59)")
        offset = timedelta(hours=hours, minutes=minutes)
        try:
            moment = moment - offset if sign == "+" else moment + offset
        except OverflowError:
            raise ValueError(f"`{value}` is out of range once converted to UTC") from None
    return moment
