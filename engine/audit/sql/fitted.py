"""JSON lines read into the event's typed columns, where a line fits them exactly
(DuckDB): the columnar stage (columnar.py) then decides it, as it decides Parquet,
instead of events.py's field-by-field reading of the JSON text.

A line is parsed by `json_transform` into EVENT: every field of the event as a JSON
leaf (its text, as DuckDB writes it back) or a list of them; the subject's leaf and
each consent's are read the same way (SUBJECT, CONSENT). The line fits (`fits`)
when nothing in the JSON text can make that reading differ from the engine's:

- the text is an object with no backslash (every string is its characters between
  the quotes), no whitespace before a colon and no trailing comma (which DuckDB's
  parser accepts and Python's does not). DuckDB's other leniencies (NaN and
  infinities) can only sit in a leaf, and no leaf holding them has its field's type;
  an integer leaf has at most 15 digits (a bigger one is Python's to refuse);
- every leaf has the field's JSON type, told by its first character (`"` a string,
  `true`/`false` a boolean, digits only an integer): DuckDB's lenient casts
  (5 → '5', "18" → 18, 18.5 → 18, true → 1) are never relied on;
- the text has exactly as many `":` as the leaves found: with no backslash and no
  space before a colon each key ends in `":` and nothing else does, so no key is
  unknown, none is there twice, and none holds null (a null leaf is not counted);
- `recipient`, `exporter` and `context` are absent (their values are checked
  against the policy's as JSON, by events.py).

A line that does not fit is read as before (events.py, after lines.json_problem
where a screen cannot vouch for the text): the decision never depends on the
fit, only the speed. tests/test_audit_fitted.py checks the claim on generated
lines: a fitting line has no json_problem, and its typed row is the event Python
reads.
"""

from __future__ import annotations

import json

from .dialects import DuckDBDialect, quote
from .dialects.base import MAX_US
from .fields import (
    BOOL,
    CONSENT_KEYS,
    CONSENT_SCHEMA,
    EVENT_KEYS,
    EVENT_SCHEMA,
    INT,
    STRING,
    STRINGS,
    SUBJECT_KEYS,
    SUBJECT_SCHEMA,
    TIME,
)

#: fields a fitting line does not hold (read as JSON by events.py)
UNFITTED = ("recipient", "exporter", "context")

#: a trailing comma, which DuckDB's parser accepts and Python's does not
TRAILING_COMMA = r",\s*[\]}]"
#: what else the text of a fitting line does not hold: a backslash (so a string is its
#: characters between the quotes), JSON whitespace before a colon (so each key ends in `":`)
REFUSED_TEXT = ("\\", " :", "\t:", "\r:")


def _leaves(keys: list[str], schema: dict[str, str]) -> str:
    return json.dumps({k: ["JSON"] if schema.get(k) == STRINGS else "JSON" for k in keys}, separators=(",", ":"))


#: json_transform's structures: every field a JSON leaf (a list of them for lists of
#: strings, and for the consents); the subject and each consent are leaves of their
#: own, read again from their text (DuckDB reads a string or a list into a struct as
#: a struct of NULLs: whether a leaf is an object is told by its first character)
EVENT, SUBJECT, CONSENT = (_leaves(EVENT_KEYS, EVENT_SCHEMA), _leaves(SUBJECT_KEYS, {**SUBJECT_SCHEMA, "consents": STRINGS}),
                           _leaves(CONSENT_KEYS, CONSENT_SCHEMA))

#: the columnar stage's shape of a fitting line (columnar.arrow_shape's form): times
#: as TIMESTAMP columns, read from their text once (`_value`)
SHAPE: dict = {
    **{k: (kind, kind == TIME) for k, kind in EVENT_SCHEMA.items() if k not in UNFITTED},
    "subject": {**{k: (kind, False) for k, kind in SUBJECT_SCHEMA.items()},
                "consents": {k: (kind, kind == TIME) for k, kind in CONSENT_SCHEMA.items()}},
}

_DIALECT = DuckDBDialect()
#: a time whose text is not a valid event's: outside the range the stage accepts
_INVALID_TIME = f"make_timestamp({MAX_US + 1})"


def parsed(source: str, line: str = "line") -> str:
    """SQL: `source` with the line (VARCHAR, valid JSON text) parsed: `lawful_t` (the
    event's leaves), `lawful_s` (the subject's), `lawful_cs` (each consent's)."""
    subject = f"(SELECT *, json_transform(lawful_t.subject, {quote(SUBJECT)}) AS lawful_s FROM " \
              f"(SELECT *, json_transform({line}, {quote(EVENT)}) AS lawful_t FROM {source} AS r) AS e)"
    return (f"(SELECT *, list_transform(lawful_s.consents, lambda x: json_transform(x, {quote(CONSENT)})) "
            f"AS lawful_cs FROM {subject} AS p)")


def _typed(leaf: str, kind: str) -> str:
    """SQL: whether a leaf (absent is NULL) holds a value of the field's kind."""
    if kind in (STRING, TIME):
        return f"({leaf} IS NULL OR starts_with({leaf}, '\"'))"
    if kind == BOOL:
        return f"({leaf} IS NULL OR {leaf} IN ('true', 'false'))"
    if kind == INT:
        # at most 15 digits: within ±10^15 (a bigger integer is read by events.py, and refused)
        return f"({leaf} IS NULL OR regexp_full_match({leaf}, '-?[0-9]{{1,15}}'))"
    assert kind == STRINGS
    return (f"({leaf} IS NULL OR coalesce(list_bool_and(list_transform({leaf}, "
            f"lambda x: coalesce(starts_with(x, '\"'), false))), true))")


def _present(record: str, keys: list[str]) -> str:
    return " + ".join(f"({record}.{k} IS NOT NULL)::INT" for k in keys)


def fits(line: str = "line") -> str:
    """SQL: whether `line` (VARCHAR, valid JSON text; parsed() gave its columns)
    fits the typed columns exactly."""
    t, s, cs = "lawful_t", "lawful_s", "lawful_cs"
    consent = " AND ".join(_typed(f"c.{k}", CONSENT_SCHEMA[k]) for k in CONSENT_KEYS)
    checks = [
        f"{t} IS NOT NULL", f"starts_with({line}, '{{')", f"NOT regexp_matches({line}, {quote(TRAILING_COMMA)})",
        *(f"NOT contains({line}, {quote(text)})" for text in REFUSED_TEXT),
        *(f"{t}.{k} IS NULL" for k in UNFITTED),
        *(_typed(f"{t}.{k}", kind) for k, kind in EVENT_SCHEMA.items() if k not in UNFITTED),
        f"({t}.subject IS NULL OR starts_with({t}.subject, '{{'))",
        *(_typed(f"{s}.{k}", kind) for k, kind in SUBJECT_SCHEMA.items()),
        f"coalesce(list_bool_and(list_transform({s}.consents, lambda x: coalesce(starts_with(x, '{{'), false))), true)",
        f"coalesce(list_bool_and(list_transform({cs}, lambda c: {consent})), true)",
    ]
    leaves = (f"{_present(t, EVENT_KEYS)} + coalesce({_present(s, SUBJECT_KEYS)}, 0) + "
              f"coalesce(list_sum(list_transform({cs}, lambda c: {_present('c', CONSENT_KEYS)})), 0)")
    return "(" + " AND ".join(checks) + f" AND {key_marks(line)} = {leaves})"


def key_marks(line: str) -> str:
    """SQL: how many times `":` is in the text: its keys, when no backslash and no
    whitespace before a colon can hide or add one."""
    return f"((strlen({line}) - strlen(replace({line}, '\":', ''))) // 2)"


def _text(leaf: str) -> str:
    """SQL: a string leaf's value (a fitting line's strings hold no escape)."""
    return f"substr({leaf}, 2, length({leaf}) - 2)"


def _value(leaf: str, kind: str) -> str:
    if kind == TIME:  # read once here, not at each of the stage's uses
        us = _DIALECT.timestamp_us(_text(leaf))
        return f"CASE WHEN {leaf} IS NOT NULL THEN coalesce(make_timestamp({us}), {_INVALID_TIME}) END"
    if kind == STRING:
        return _text(leaf)
    if kind == BOOL:
        return f"({leaf} = 'true')"
    if kind == INT:
        return f"TRY_CAST({leaf} AS BIGINT)"  # never fails, even where computed before the filter
    assert kind == STRINGS
    return f"list_transform({leaf}, lambda x: {_text('x')})"


def typed_columns() -> str:
    """SQL: the columns of a fitting line as SHAPE has them, from parsed()'s."""
    consent = ", ".join(f"{k} := {_value(f'c.{k}', kind)}" for k, kind in CONSENT_SCHEMA.items())
    subject = ", ".join(f"{k} := {_value(f'lawful_s.{k}', kind)}" for k, kind in SUBJECT_SCHEMA.items())
    subject += f", consents := list_transform(lawful_cs, lambda c: struct_pack({consent}))"
    columns = [f"{_value(f'lawful_t.{k}', kind)} AS \"{k}\"" for k, kind in EVENT_SCHEMA.items()
               if k not in UNFITTED]
    columns.append(f"CASE WHEN lawful_t.subject IS NOT NULL THEN struct_pack({subject}) END AS subject")
    return ", ".join(columns)


__all__ = ["CONSENT", "EVENT", "REFUSED_TEXT", "SHAPE", "SUBJECT", "TRAILING_COMMA", "UNFITTED", "fits",
           "key_marks", "parsed", "typed_columns"]
