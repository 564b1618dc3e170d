"""The event's fields as the audit's SQL lists them, in one place: the keys of a
JSON event, of its subject and of a consent record (read from JSON lines), and
the column types of a columnar (Parquet) event."""

from __future__ import annotations

EVENT_KEYS = ["purpose", "categories", "destination", "subject", "safeguards", "automated",
              "collected_at", "at", "context"]
SUBJECT_KEYS = ["id", "age", "country", "kind", "consents", "objections"]
CONSENT_KEYS = ["purpose", "given_at", "withdrawn_at", "explicit", "parental"]

# a columnar event's columns: each field's kind (a timestamp is a TIMESTAMP column or a string)
STRING, INT, BOOL, TIME, STRINGS = "string", "int", "bool", "time", "strings"
EVENT_SCHEMA = {"purpose": STRING, "categories": STRINGS, "destination": STRING, "safeguards": STRINGS,
                "automated": BOOL, "collected_at": TIME, "at": TIME, "context": STRING}
SUBJECT_SCHEMA = {"id": STRING, "age": INT, "country": STRING, "kind": STRING, "objections": STRINGS}
CONSENT_SCHEMA = {"purpose": STRING, "given_at": TIME, "withdrawn_at": TIME, "explicit": BOOL, "parental": BOOL}
