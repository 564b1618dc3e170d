"""The event's fields as the audit's SQL lists them, derived from the one
description (`engine.event.fields`): the keys of a JSON event, of its subject and
of a consent record (read from JSON lines), the column kinds of a columnar
(Parquet) event, and the bounds the SQL checks."""

from __future__ import annotations

from ...event import fields as described

EVENT_KEYS = [f.name for f in described.EVENT]
SUBJECT_KEYS = [f.name for f in described.at("subject").fields]
CONSENT_KEYS = [f.name for f in described.at("subject", "consents").fields]

# a columnar event's columns: each field's kind (a timestamp is a TIMESTAMP column or a
# string; `context`, open JSON, is a column of JSON text); objects are columns of their own
STRING, INT, BOOL, TIME, STRINGS = "string", "int", "bool", "time", "strings"
_COLUMN = {described.STRING: STRING, described.INT: INT, described.BOOL: BOOL,
           described.TIMESTAMP: TIME, described.STRINGS: STRINGS, described.JSON: STRING}


def _schema(fields) -> dict[str, str]:
    return {f.name: _COLUMN[f.kind] for f in fields if f.kind in _COLUMN}


EVENT_SCHEMA = _schema(described.EVENT)
SUBJECT_SCHEMA = _schema(described.at("subject").fields)
CONSENT_SCHEMA = _schema(described.at("subject", "consents").fields)

#: the subject's age: the bounds every path checks
AGE = described.at("subject", "age")
#: who sends the data: its values and default
EXPORTER = described.at("exporter")
