"""JSON lines read into typed columns (engine/audit/sql/fitted.py) and the
reader that feeds them (lines.screened_batches): the fit is only ever a speed-up.

- a line that fits has no json_problem, only known keys, and its typed row is
  exactly the event Python reads from it (generated lines: right and wrong types,
  nulls, unknown and repeated keys, nested shapes, escapes, odd numbers);
- the reader gives the lines read_lines gives (numbers, text, problems), whatever
  the bytes and wherever the blocks end;
- the audit decides a file of such lines as the engine does, line by line.
"""

from __future__ import annotations

import json
import os
from datetime import timezone

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_audit_hostile import assert_same_as_engine

import engine
from engine.audit import lines_table
from engine.audit.lines import json_problem, read_lines, screened_batches
from engine.audit.sql import fitted, quote
from engine.audit.sql.fields import CONSENT_SCHEMA, EVENT_SCHEMA, SUBJECT_SCHEMA, TIME
from engine.event.timestamps import parse_timestamp

EXAMPLES = int(os.environ.get("LAWFUL_AUDIT_EXAMPLES", "60"))
MANY = settings(max_examples=EXAMPLES * 5, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- generated lines --------------------------------------------------------------------------------

texts = st.sampled_from(["billing", "DE", "u1", "2026-11-01T10:00:00Z", "", "é", "a\":b", "{[", "x y", "\u2028",
                         "2026-02-30T00:00:00Z", "contact.email", "2026-11-01T10:00:00+05:30",
                         "2026-11-01t10:00:00.123456z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00",
                         "0001-01-01T00:00:00+00:01", "2024-02-29T23:59:60Z", "2026-11-01 10:00:00Z"])
odd_scalars = st.sampled_from(["5", "-0", "18.5", "1e2", "true", "false", "null", "\"18\"", "[]", "{}", "[1]",
                               "\"\\u00e9\"", "\"a\\\"b\"", "\"\\ud800\"", "1E400", "12345678901234567",
                               "NaN", "Infinity", "-inf", "[\"a\",]", "{\"a\":1,}", "\"tab\there\"",
                               "1000000000000000", "999999999999999", "-999999999999999", "[\"a\" ,\t]", "1e400"])


def scalar(kind: str):
    right = {"string": texts.map(json.dumps), "time": texts.map(json.dumps),
             "int": st.integers(-5, 200).map(str), "bool": st.sampled_from(["true", "false"]),
             "strings": st.lists(texts, max_size=3).map(json.dumps)}[kind]
    return st.one_of(right, right, right, odd_scalars)


def obj(schema: dict[str, str], inner: dict | None = None):
    """An object's text: some of the schema's keys (sometimes twice, or unknown
    ones), each with a value of the right kind or an odd one, with odd spacing."""
    inner = inner or {}
    keys = sorted(set(schema) | set(inner))
    pair = st.one_of(
        *[st.tuples(st.just(k), inner[k] if k in inner else scalar(schema[k])) for k in keys],
        st.tuples(st.sampled_from(["unknown", "recipient", "context", "exporter", ""]), odd_scalars))
    separator = st.sampled_from([":", ":", ": ", " :", ":\t", "\t:", "\r:"])
    comma = st.sampled_from([",", ", ", " , "])

    @st.composite
    def build(draw):
        pairs = draw(st.lists(pair, max_size=len(keys) + 1))
        if pairs and draw(st.booleans()) and draw(st.booleans()):
            pairs.append(pairs[0])  # a key twice
        return "{" + draw(comma).join(f"{json.dumps(k)}{draw(separator)}{v}" for k, v in pairs) + "}"
    return build()


consent = obj(CONSENT_SCHEMA)
consents = st.one_of(st.lists(st.one_of(consent, consent, odd_scalars), max_size=3).map(lambda c: "[" + ",".join(c) + "]"),
                     odd_scalars)
subject = st.one_of(obj(SUBJECT_SCHEMA, {"consents": consents}), obj(SUBJECT_SCHEMA, {"consents": consents}),
                    odd_scalars)
event_line = obj({k: v for k, v in EVENT_SCHEMA.items() if k not in fitted.UNFITTED}, {"subject": subject})


def typed_rows(lines: list[str]) -> list[tuple]:
    """(fit, typed columns) of each line, as the audit computes them."""
    con = duckdb.connect()
    con.execute("CREATE TABLE l AS SELECT * FROM (VALUES " + ", ".join(
        f"({i}, {quote(line)})" for i, line in enumerate(lines)) + ") AS v(i, line)")
    source = "(SELECT i, line, TRY_CAST(line AS JSON) AS lawful_j FROM l)"
    names = [k for k in EVENT_SCHEMA if k not in fitted.UNFITTED] + ["subject"]
    rows = con.execute(f"SELECT i, coalesce({fitted.fits()}, false), {fitted.typed_columns()} "
                       f"FROM {fitted.parsed(source, 'lawful_j')} AS p ORDER BY i").fetchall()
    return [(row[1], dict(zip(names, row[2:]))) for row in rows]


INVALID_TIME = "10000-01-01 00:00:00"  # fitted._INVALID_TIME, as DuckDB gives it to Python


def instant(text):
    """A time field as the typed columns hold it: the engine's UTC instant (naive),
    or the out-of-range mark the stage refuses."""
    if text is None:
        return None
    try:
        return parse_timestamp(text).astimezone(timezone.utc).replace(tzinfo=None)
    except ValueError:
        return INVALID_TIME


def python_row(value: dict) -> dict:
    """The typed columns of an event read by Python (absent is None)."""
    def record(data: dict, schema: dict) -> dict:
        return {k: instant(data.get(k)) if kind == TIME else data.get(k) for k, kind in schema.items()}
    row = record(value, {k: v for k, v in EVENT_SCHEMA.items() if k not in fitted.UNFITTED})
    subject_ = value.get("subject")
    if subject_ is not None:
        row["subject"] = {**record(subject_, SUBJECT_SCHEMA), "consents": None if subject_.get("consents") is None
                          else [record(c, CONSENT_SCHEMA) for c in subject_["consents"]]}
    else:
        row["subject"] = None
    return row


@MANY
@given(st.lists(event_line, min_size=1, max_size=20))
def test_a_fitting_line_is_exactly_the_event_python_reads(lines):
    for line, (fit, typed) in zip(lines, typed_rows(lines)):
        if not fit:
            continue
        assert json_problem(line) is None, line
        value = json.loads(line)
        assert isinstance(value, dict) and not set(value) - set(EVENT_SCHEMA) - {"subject"}, line
        assert not set(value) & set(fitted.UNFITTED), line
        if isinstance(value.get("subject"), dict):
            assert not set(value["subject"]) - set(SUBJECT_SCHEMA) - {"consents"}, line
            for c in value["subject"].get("consents") or []:
                assert isinstance(c, dict) and not set(c) - set(CONSENT_SCHEMA), line
        assert typed == python_row(value), line


def test_plain_events_fit_and_odd_ones_do_not():
    """The fit is not vacuous: a plain event fits; each odd variant of it does not."""
    plain = ('{"purpose": "billing", "categories": ["contact.email"], "destination": "DE", "subject": {"id": "u1", '
             '"age": 30, "consents": [{"purpose": "billing", "given_at": "2026-01-01T00:00:00Z", "parental": true}]}, '
             '"at": "2026-11-01T10:00:00Z", "automated": false, "safeguards": []}')
    odd = [plain.replace('"age": 30', '"age": 30.0'), plain.replace('"age": 30', '"age": "30"'),
           plain.replace('"age": 30', '"age": true'), plain.replace('"DE"', '5'),
           plain.replace('"DE"', '"DE", "destination": "US"'), plain.replace('"DE"', '"DE", "extra": 1'),
           plain.replace('"DE"', 'null'), plain.replace('"u1"', '"u\\u0031"'), plain.replace('"u1"', '"u1",'),
           plain.replace('"parental": true', '"parental": 1'), plain.replace('false', 'NaN'),
           plain.replace('"DE"', '"DE", "context": {}'), plain.replace('{"id"', '{"id" :"x", "i"'),
           plain.replace('"subject": {', '"subject": ["x"], "s": {'), plain.replace('[]', '[1]'),
           # each of the text's checks, alone
           plain.replace('["contact.email"]', '["contact.email",]'), plain.replace('[]}', '[],}'),
           plain.replace('"age": 30', '"age": 12345678901234567'), plain.replace('"age": 30', '"age"\t: 30'),
           plain.replace('"age": 30', '"age"\r: 30'), plain.replace('"age": 30', '"age" : 30'),
           plain.replace('"u1"', '"u\\/1"'),
           # an unknown key, not counted when a space comes before its colon
           *(plain.replace('"DE"', f'"DE", "extra"{space}: 1') for space in (" ", "\t", "\r"))]
    assert plain not in odd
    fits = [fit for fit, _ in typed_rows([plain, *odd])]
    assert fits == [True] + [False] * len(odd)


# ---- the reader ----------------------------------------------------------------------------------

line_bytes = st.one_of(
    st.sampled_from([b'{"purpose": "billing"}', b"", b"   ", b"\t", b'{"a": 1}\r', b"\r", b"\xff\xfe", b'{"x": "\xc3\xa9"}',
                     b'{"x": "\xe2\x80\xa8"}', b'{"a": [1,]}', b"not json", b'{"a": 1, "a": 2}']),
    st.binary(max_size=30))


@MANY
@given(st.lists(line_bytes, max_size=30), st.booleans(), st.integers(1, 64))
def test_the_reader_gives_what_read_lines_gives(tmp_path_factory, lines, final_break, block):
    path = tmp_path_factory.mktemp("lines") / "events.jsonl"
    data = b"\n".join(lines) + (b"\n" if final_break else b"")
    path.write_bytes(data)
    con = duckdb.connect()
    lines_table(con, "t", str(path))
    rows = con.execute("SELECT line_number, line, read_problem, screened, fit FROM t ORDER BY line_number").fetchall()
    expected = list(read_lines(str(path)))
    assert [(n, text) for n, text, *_ in rows] == [(n, text) for n, text, _ in expected]
    for (number, text, read_problem, screened, fit), (_, _, problem) in zip(rows, expected):
        if screened:
            assert read_problem == problem, (number, text)
        elif fit:
            assert problem is None, (number, text)
    # the same across block boundaries: the batches of a file read in small blocks
    small = [row for batch in screened_batches(str(path), block=block) for row in
             zip(*(batch.column(i).to_pylist() for i in range(4)))]
    kept = [(n, t.rstrip("\r") if not s else t) for n, t, _, s in small
            if s or t.startswith("{") or t.strip(" \t\r\n")]
    assert [(n, t) for n, t in kept] == [(n, text) for n, text, _ in expected]


def test_a_line_longer_than_the_limit_is_one_invalid_row(tmp_path, monkeypatch):
    from engine.audit import lines as module

    monkeypatch.setattr(module, "MAX_LINE", 100)
    path = tmp_path / "long.jsonl"
    path.write_bytes(b'{"a": 1}\n' + b"x" * 250 + b"\n" + b'{"b": 2}\n' + b"y" * 1000)
    rows = [row for batch in module.screened_batches(str(path), block=64) for row in
            zip(*(batch.column(i).to_pylist() for i in range(4)))]
    assert [(n, p) for n, _, p, _ in rows] == [(1, None), (2, module.TOO_LONG), (3, None), (4, module.TOO_LONG)]


# ---- the audit, end to end ---------------------------------------------------------------------------

POLICY = """
category contact
category contact.email
category payment
purpose billing basis contract
purpose marketing basis consent
region eea = {DE, FR}
permit billing on contact, payment to eea
permit marketing on contact.email
rule young: forbid marketing when subject.age < 16
rule stale: forbid billing when data_age > 10 days
"""


@settings(max_examples=max(EXAMPLES // 3, 5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event_line, min_size=1, max_size=40))
def test_the_audit_decides_generated_lines_as_the_engine(tmp_path_factory, lines):
    policy = engine.load_policy_text(POLICY, name="fitted.law")
    path = tmp_path_factory.mktemp("audit") / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_same_as_engine(policy, path)


def test_parquet_and_json_lines_in_one_audit(tmp_path):
    """The typed stage and the field-by-field one give the same columns, joined by
    name: a Parquet file and a JSON-lines file (lines that fit and lines that do not)
    in one audit are each decided as the engine decides them."""
    from test_audit_hostile import NOW, audited, expected, valid_event

    policy = engine.load_policy_text(POLICY, name="fitted.law")
    events = [valid_event(n) for n in range(30)]
    lines = tmp_path / "events.jsonl"
    # every third line holds a null (it does not fit: read field by field)
    lines.write_text("".join(json.dumps({**e, **({"automated": None} if n % 3 == 0 else {})}) + "\n"
                             for n, e in enumerate(events)))
    parquet = tmp_path / "events.parquet"
    columns = ("{'purpose': 'VARCHAR', 'categories': 'VARCHAR[]', 'destination': 'VARCHAR', "
               "'subject': 'STRUCT(id VARCHAR, age BIGINT)', 'at': 'VARCHAR', 'collected_at': 'VARCHAR'}")
    duckdb.sql(f"COPY (SELECT * FROM read_json('{lines}', format = 'newline_delimited', columns = {columns})) "
               f"TO '{parquet}' (FORMAT parquet)")
    relation = engine.audit.audit_duckdb(policy, [str(parquet), str(lines)], now=NOW).decisions
    rows = [dict(zip(relation.columns, values)) for values in relation.order("eid").fetchall()]
    assert [(r["file"], r["line_number"]) for r in rows] == (
        [(str(parquet), n) for n in range(1, 31)] + [(str(lines), n) for n in range(1, 31)])
    for row in rows:
        assert audited(row) == expected(policy, events[row["line_number"] - 1]), row
    fits = [fit for fit, _ in typed_rows(lines.read_text().splitlines())]
    assert True in fits and False in fits  # both stages ran
