"""`lawful audit` on hostile input: every class of invalid event in events.md is
denied and located, one bad line never stops the rest, literals and packed keys
are exact for any policy — and the audit equals the reference decision for
decision (DuckDB here; Spark on a smaller sample in test_audit.py's style)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.audit import audit_duckdb
from engine.audit.lines import MAX_LINE, json_problem
from engine.audit.sql import DuckDBDialect, packed_facts, quote, unpacked_facts
from engine.event.values import loads
from engine.event.timestamps import parse_timestamp
from engine.event.values import split_lines as engine_split_lines

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
EXAMPLES = int(os.environ.get("LAWFUL_AUDIT_EXAMPLES", "60"))
SLOW = settings(max_examples=max(EXAMPLES // 3, 5), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
FAST = settings(max_examples=EXAMPLES * 3, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

POLICY = """
category contact
category contact.email
category contact.phone
category payment
purpose billing basis contract
purpose marketing basis consent
region eea = {DE, FR, IE}
permit billing on contact, payment to eea
permit marketing on contact.email
rule no_phone: forbid * on contact.phone
rule no_us: forbid billing to {US}
rule stale: forbid billing when data_age > 30 days
retain payment for 2 years
"""


CONNECTION = duckdb.connect()


def one(sql: str) -> tuple:
    return CONNECTION.execute(sql).fetchone()


@pytest.fixture(scope="module")
def policy():
    return engine.load_policy_text(POLICY, name="hostile.law")


def valid_event(n: int) -> dict:
    return {"purpose": "billing", "categories": ["contact.email"] if n % 3 else ["payment"],
            "destination": ["DE", "FR", "US"][n % 3], "subject": {"id": f"u{n}", "age": 20 + n % 50},
            "at": "2026-11-01T10:00:00Z", "collected_at": "2026-10-20T10:00:00Z"}


def reference_by_line(policy, path: Path) -> dict[int, tuple]:
    """What the engine decides for each non-blank line of the file, reading it as
    `lawful eval` does (engine.event.values.split_lines, then the reference)."""
    decided = {}
    with open(path, "rb") as handle:
        for number, text, problem in engine_split_lines(handle):
            if problem is not None:
                decided[number] = INVALID
                continue
            try:
                event = loads(text)
            except (ValueError, RecursionError):
                decided[number] = INVALID
                continue
            decided[number] = expected(policy, event)
    return decided


INVALID = ("deny", [("invalid-event", None, None, None)], [])


def expected(policy, event) -> tuple:
    decision = policy.evaluate_reference(event, now=NOW)
    if decision.reasons and all(r.kind == "invalid-event" for r in decision.reasons):
        return INVALID
    return (decision.effect, [(r.kind, r.rule, r.location, r.category) for r in decision.reasons],
            list(decision.obligations))


def audited(row: dict) -> tuple:
    return (row["effect"], [(r["kind"], r["rule"], r["location"], r["category"]) for r in row["reasons"]],
            list(row["obligations"]))


def audit_rows(policy, path: Path) -> list[dict]:
    relation = audit_duckdb(policy, [str(path)], now=NOW).decisions
    return [dict(zip(relation.columns, values)) for values in relation.order("eid").fetchall()]


def assert_same_as_engine(policy, path: Path) -> list[dict]:
    decided = audit_rows(policy, path)
    reference = reference_by_line(policy, path)
    assert [r["line_number"] for r in decided] == sorted(reference)
    for row in decided:
        assert row["file"] == str(path)
        assert audited(row) == reference[row["line_number"]], (row["line_number"], row["problem"], row["line"])
    return decided


# ---- one bad line in 1,000: the rest decided, the bad one denied and located ------------------------

BAD_LINES = {
    "invalid UTF-8": b'{"purpose": "billing", "categories": ["payment"], "destination": "D\xff"}',
    "a lone surrogate": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                        b'"subject": {"id": "\\ud800"}}',
    "a surrogate key": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                       b'"context": {"\\udc00": 1}}',
    "duplicate keys": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", "destination": "US"}',
    "duplicate keys in context": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                                 b'"context": {"a": {"b": 1, "b": 2}}}',
    "NaN": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", "context": {"x": NaN}}',
    "Infinity": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", "subject": '
                b'{"age": -Infinity}}',
    "a float overflowing": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                           b'"context": {"x": 1e400}}',
    "an integer beyond 10^15": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                               b'"context": {"x": 1000000000000001}}',
    "nested 65 deep": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", "context": {"x": '
                      + b"[" * 63 + b"]" * 63 + b"}}",
    "year 0000": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                 b'"at": "0000-01-01T00:00:00Z"}',
    "hour 24": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
               b'"at": "2026-11-01T24:00:00Z"}',
    "offset +99:99": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                     b'"at": "2026-11-01T10:00:00+99:99"}',
    "30 February": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                   b'"at": "2026-02-30T10:00:00Z"}',
    "before year 1 in UTC": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                            b'"at": "0001-01-01T00:00:00+01:00"}',
    "after 9999 in UTC": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                         b'"at": "9999-12-31T23:30:00-01:00"}',
    "a number for at": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", "at": 1795000000}',
    "collected_at after at": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                             b'"at": "2026-11-01T10:00:00Z", "collected_at": "2026-11-01T10:00:00.000001Z"}',
    "collected_at after now": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                              b'"collected_at": "2027-01-01T00:00:00Z"}',
    "null purpose": b'{"purpose": null, "categories": ["payment"], "destination": "DE"}',
    "a null in categories": b'{"purpose": "billing", "categories": ["payment", null], "destination": "DE"}',
    "not JSON": b'{"purpose": "billing", ',
    "over 16 MiB": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", "context": {"x": "'
                   + b"a" * (MAX_LINE + 1) + b'"}}',
}

ODD_BUT_VALID = {
    "a 3 MB line": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", "context": {"x": "'
                   + b"a" * 3_000_000 + b'"}}',
    "a CRLF line": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE"}\r',
    "U+2028 inside": '{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                     '"subject": {"id": "a\u2028b\u0085c"}}'.encode(),
    "nulls for optional fields": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                                 b'"subject": null, "safeguards": null, "automated": null, "at": null, '
                                 b'"collected_at": null, "context": null}',
    "nulls in the subject": b'{"purpose": "marketing", "categories": ["contact.email"], "destination": "DE", '
                            b'"subject": {"id": null, "age": null, "country": null, "kind": null, '
                            b'"objections": null, "consents": [{"purpose": "marketing", "given_at": '
                            b'"2026-01-01T00:00:00Z", "withdrawn_at": null, "explicit": null, "parental": null}]}}',
    "a forbid on a descendant": b'{"purpose": "billing", "categories": ["contact"], "destination": "DE"}',
    "integer 10^15": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                     b'"context": {"x": -1000000000000000}}',
    "nested 64 deep": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", "context": {"x": '
                      + b"[" * 62 + b"]" * 62 + b"}}",
    "lowercase t and z, a leap day": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                                     b'"at": "2024-02-29t23:30:00.5-00:45", "collected_at": "2024-02-29t01:00:00z"}',
    "a surrogate pair": b'{"purpose": "billing", "categories": ["payment"], "destination": "DE", '
                        b'"subject": {"id": "\\ud83d\\ude00"}}',
}


def thousand_lines(tmp_path: Path, bad: bytes, at: int = 500, ending: bytes = b"\n") -> Path:
    lines = [json.dumps(valid_event(n)).encode() for n in range(1000)]
    lines[at - 1] = bad
    path = tmp_path / "events.jsonl"
    path.write_bytes(ending.join(lines) + ending)
    return path


@pytest.mark.parametrize("kind", sorted(BAD_LINES))
def test_one_bad_line_of_a_thousand_is_one_denied_located_event(policy, tmp_path, kind):
    path = thousand_lines(tmp_path, BAD_LINES[kind])
    decided = assert_same_as_engine(policy, path)
    assert len(decided) == 1000
    bad = [r for r in decided if not r["valid"]]
    assert [(r["file"], r["line_number"], r["effect"]) for r in bad] == [(str(path), 500, "deny")]
    assert bad[0]["problem"] and bad[0]["reasons"][0]["kind"] == "invalid-event"
    assert sum(r["effect"] == "allow" for r in decided) > 300  # the others decided, not lost


@pytest.mark.parametrize("kind", sorted(ODD_BUT_VALID))
def test_odd_but_valid_lines_are_decided_as_the_engine_does(policy, tmp_path, kind):
    path = thousand_lines(tmp_path, ODD_BUT_VALID[kind])
    decided = assert_same_as_engine(policy, path)
    assert len(decided) == 1000 and all(r["valid"] for r in decided), [r["problem"] for r in decided if not r["valid"]]


def test_forbids_match_an_ancestor_of_their_target(policy, tmp_path):
    """`forbid * on contact.phone` denies an event on `contact` (it may hold a phone
    number); the permit on `contact` alone would allow it."""
    path = thousand_lines(tmp_path, ODD_BUT_VALID["a forbid on a descendant"])
    row = assert_same_as_engine(policy, path)[499]
    assert row["effect"] == "deny" and "no_phone" in [r["rule"] for r in row["reasons"]]


@pytest.mark.parametrize("ending", [b"\r\n", b"\n"])
def test_crlf_files_have_the_line_numbers_of_lf_files(policy, tmp_path, ending):
    path = thousand_lines(tmp_path, BAD_LINES["duplicate keys"], at=777, ending=ending)
    decided = assert_same_as_engine(policy, path)
    assert [r["line_number"] for r in decided if not r["valid"]] == [777]
    assert decided[-1]["line_number"] == 1000


def test_blank_lines_are_skipped_and_counted(policy, tmp_path):
    path = tmp_path / "events.jsonl"
    lines = [json.dumps(valid_event(1)), "", "  \t", json.dumps(valid_event(2)), " \r", "\x0c", "no"]
    path.write_bytes("\r\n".join(lines).encode())  # no final line break
    decided = assert_same_as_engine(policy, path)
    assert [r["line_number"] for r in decided] == [1, 4, 6, 7]


def test_the_command_reports_bad_lines_and_decides_the_rest(tmp_path, capsys):
    from engine.cli import main

    policy_dir = tmp_path / "policy"
    policy_dir.mkdir()
    (policy_dir / "p.law").write_text(POLICY)
    path = thousand_lines(tmp_path, BAD_LINES["invalid UTF-8"], at=10, ending=b"\r\n")
    out = tmp_path / "out"
    assert main(["audit", str(policy_dir), str(path), "--out", str(out), "--now", "2026-11-23T09:00:00Z"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["events"], summary["invalid"]) == (1000, 1)
    invalid = [v for v in summary["top_violations"] if v["kind"] == "invalid-event"]
    assert invalid and (invalid[0]["example"]["file"], invalid[0]["example"]["line"]) == (str(path), 10)
    written = CONNECTION.execute(f"SELECT line_number FROM read_parquet('{out / 'decisions.parquet'}') WHERE NOT valid")
    assert written.fetchall() == [(10,)]


# ---- hostile files, generated: the audit equals the engine line for line -------------------------------

FIELDS = ["purpose", "categories", "destination", "subject", "at", "collected_at", "context", "safeguards"]
HOSTILE_TOKENS = ["NaN", "Infinity", "-Infinity", "1e999", "1000000000000001", "-1000000000000000",
                  '"\\ud800"', '"\\udfff x"', '"\\ud83d\\ude00"', "null", "[null]", '"US"', '"DE"', "{}", "[]",
                  '"2026-11-01T10:00:00Z"', '"2026-11-01T24:00:00Z"', '"0000-01-01T00:00:00Z"',
                  '"2026-11-01T10:00:00+99:99"', '"2026-11-01T10:00:00+23:59"', '"2026-13-01T10:00:00Z"',
                  '"2028-02-29T10:00:00Z"', '"2027-02-29T10:00:00Z"', '"9999-12-31T23:59:59.999999Z"',
                  '"0001-01-01T00:00:00Z"', "1795000000", '["payment", "contact"]', '["contact.phone"]',
                  '{"a": 1, "a": 2}', '{"id": "x", "id": "y"}', '{"age": 30, "age": 300}']


@st.composite
def hostile_line(draw) -> bytes:
    """A line: a valid event's JSON with hostile edits to its text (a member
    added, maybe a key twice; a raw byte), or a valid event."""
    event = valid_event(draw(st.integers(0, 99)))
    text = json.dumps(event)
    for _ in range(draw(st.integers(0, 3))):
        key, token = draw(st.sampled_from(FIELDS)), draw(st.sampled_from(HOSTILE_TOKENS))
        text = text[:-1] + f', "{key}": {token}' + "}"
    raw = text.encode()
    edit = draw(st.integers(0, 9))
    if edit == 0:
        raw = raw.replace(b'"', b'"\xff', 1)
    elif edit == 1:
        raw += b"\r"
    elif edit == 2:
        raw = b"   "
    return raw


@SLOW
@given(st.lists(hostile_line(), min_size=1, max_size=40))
def test_duckdb_equals_the_engine_on_hostile_files(policy, tmp_path, lines):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert_same_as_engine(policy, path)


# ---- literals and keys --------------------------------------------------------------------------------


@FAST
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
       | st.text(alphabet="'\\\x00\"\n\r\t%_é€😀\u2028", max_size=50)
       | st.sampled_from(["", "'", "\\", "\x00", "''", "\\'", "a\x00b", "x" * 100_000]))
def test_quote_round_trips_through_duckdb(text):
    assert one(f"SELECT {quote(text)}")[0] == text


def test_a_forbid_on_a_string_with_nul_denies_in_the_audit(tmp_path):
    text = ('category email\npurpose billing basis contract\npermit billing on email\n'
            'rule nul: forbid billing on email when context.note == "x\x00y"\n')
    policy = engine.load_policy_text(text, name="nul.law")
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps({"purpose": "billing", "categories": ["email"], "destination": "DE",
                                        "context": {"note": note}}) + "\n" for note in ["x\x00y", "xy", "x"]))
    decided = assert_same_as_engine(policy, path)
    assert [r["effect"] for r in decided] == ["deny", "allow", "allow"]


@pytest.mark.parametrize("count", [1, 31, 32, 100, 1000])
def test_packed_keys_are_exact_for_any_number_of_facts(count):
    """Every fact true, false or NULL: packed into BIGINTs (no INT32 arithmetic)
    and unpacked back, for signatures of any length."""
    signature = [f"h{i}" for i in range(count)]
    values = [[None, True, False][(i * 7 + 1) % 3] for i in range(count)]
    values[-1] = False  # the highest digit of the last column at its largest
    columns = ", ".join(f"CAST({'NULL' if v is None else str(v).lower()} AS BOOLEAN) AS {name}"
                        for name, v in zip(signature, values))
    packed = ", ".join(f"{sql} AS {name}" for sql, name in packed_facts(signature))
    unpacked = ", ".join(f"{sql} AS {name}" for sql, name in unpacked_facts(signature, DuckDBDialect()))
    row = one(f"SELECT {unpacked} FROM (SELECT {packed} FROM (SELECT {columns}) AS f) AS p")
    assert list(row) == values
    all_false = ", ".join(f"false AS {name}" for name in signature)
    keys = one(f"SELECT {packed} FROM (SELECT {all_false}) AS f")
    assert all(0 < k < 2 ** 63 for k in keys)


@pytest.mark.parametrize("rules", [16, 100, 1000])
def test_policies_with_many_conditional_rules_agree_with_the_engine(tmp_path, rules):
    text = POLICY + "".join(f"rule r{i}: forbid billing on payment when subject.age == {200 - i % 150} "
                            f"and context.n{i} != {i}\n" for i in range(rules))
    policy = engine.load_policy_text(text, name="many.law")
    lines = []
    for n in range(60):
        event = valid_event(n)
        event["subject"]["age"] = 200 - n % 150
        event["context"] = {f"n{n}": n} if n % 2 else {}
        lines.append(json.dumps(event).encode())
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    decided = assert_same_as_engine(policy, path)
    assert any(r["effect"] == "deny" and r["reasons"][0]["rule"].startswith("r") for r in decided)


# ---- timestamps: the SQL reads exactly what the engine reads ----------------------------------------------

stamp_parts = st.tuples(
    st.sampled_from(["0000", "0001", "1970", "2024", "2026", "2100", "9999", "999", "20261"]),
    st.sampled_from(["00", "01", "02", "04", "12", "13", "1"]),
    st.sampled_from(["00", "01", "28", "29", "30", "31", "32"]),
    st.sampled_from(["T", "t", " ", "_"]),
    st.sampled_from(["00", "09", "23", "24", "99"]),
    st.sampled_from(["00", "59", "60"]),
    st.sampled_from(["00", "59", "60", "5"]),
    st.sampled_from(["", ".5", ".123456", ".1234567", "."]),
    st.sampled_from(["", "Z", "z", "+00:00", "-00:45", "+23:59", "-23:59", "+24:00", "+01:60", "+99:99", "+0100",
                     "Z\n", "\n", " "]))


def engine_us(text: str) -> int | None:
    try:
        moment = parse_timestamp(text)
    except ValueError:
        return None
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@FAST
@given(stamp_parts | st.text(max_size=40).map(lambda t: (t,)))
def test_timestamps_read_by_the_sql_equal_the_engines(parts):
    if len(parts) > 1:
        year, month, day, t, hour, minute, second, fraction, zone = parts
        text = f"{year}-{month}-{day}{t}{hour}:{minute}:{second}{fraction}{zone}"
    else:
        text = parts[0]
    sql = DuckDBDialect().timestamp_us(quote(text))
    assert one(f"SELECT {sql}")[0] == engine_us(text), text


def test_json_problem_agrees_with_the_engines_reading():
    """The reader's check finds a problem exactly where engine.event.values does."""
    from engine.event.values import json_problems

    for raw in list(BAD_LINES.values()) + list(ODD_BUT_VALID.values()):
        try:
            text = raw.rstrip(b"\r").decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(raw) > MAX_LINE:
            continue
        try:
            theirs = bool(json_problems(loads(text)))
        except (ValueError, RecursionError):
            theirs = True
        assert (json_problem(text) is not None) == theirs, raw[:80]


# ---- Parquet: the same rules where they apply ------------------------------------------------------------


def test_parquet_rows_break_the_same_rules(policy, tmp_path):
    """Typed Parquet (the event's columns): timestamps as strings, context as JSON
    text; other Parquet (a float age: NaN) read row by row as JSON: each row
    decided as the engine decides the same event."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    base = {"purpose": "billing", "categories": ["payment"], "destination": "DE", "at": "2026-11-01T10:00:00Z",
            "collected_at": "2026-10-30T10:00:00Z", "context": "{}"}
    changes = [{}, {"at": "2026-11-01T24:00:00Z"}, {"at": "0000-01-01T00:00:00Z"}, {"at": "2026-02-29T10:00:00Z"},
               {"at": "2026-11-01T10:00:00+99:99"}, {"collected_at": "2026-11-02T00:00:00Z"},
               {"context": '{"a": 1, "a": 2}'}, {"context": '{"x": NaN}'}, {"context": '{"x": 10000000000000000}'},
               {"context": '{"x": "\\ud800"}'}, {"context": "[1]"}, {"at": None, "collected_at": None},
               {"categories": ["contact"]},
               {"at": "2024-02-29t10:00:00.25+01:30", "collected_at": "2024-02-29T08:30:00.25Z"}]
    rows = [{**base, **change} for change in changes]
    path = tmp_path / "typed.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    decided = audit_rows(policy, path)
    events = [{k: (json.loads(v) if k == "context" and v is not None and "NaN" not in v and "\\ud800" not in v
                   else v) for k, v in row.items() if v is not None} for row in rows]
    events[7]["context"] = {"x": float("nan")}
    events[9]["context"] = {"x": "\ud800"}
    events[6] = loads(json.dumps({k: v for k, v in events[6].items() if k != "context"})[:-1]
                      + ', "context": {"a": 1, "a": 2}}')
    assert [audited(r) for r in decided] == [expected(policy, e) for e in events]
    assert [r["valid"] for r in decided] == [True, False, False, False, False, False, False, False, False, False,
                                             False, True, True, True]

    floats = [{"purpose": "billing", "categories": ["payment"], "destination": "DE", "subject": {"age": age}}
              for age in [30.0, float("nan"), float("inf")]]
    path = tmp_path / "floats.parquet"
    pq.write_table(pa.Table.from_pylist(floats), path)
    decided = audit_rows(policy, path)
    assert [audited(r) for r in decided] == [expected(policy, e) for e in floats]
    assert [r["effect"] for r in decided][1:] == ["deny", "deny"]


# ---- Spark (real, local[2]): smaller, the same classes ------------------------------------------------------

SPARK_EXAMPLES = int(os.environ.get("LAWFUL_SPARK_EXAMPLES", "5"))


@pytest.fixture(scope="module")
def spark():
    from engine.audit.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


def spark_rows(policy, path: Path, spark) -> list[dict]:
    from engine.audit.spark import audit_spark

    return sorted(audit_spark(policy, [str(path)], now=NOW, session=spark).query("SELECT * FROM {decisions}"),
                  key=lambda row: row["eid"])


def test_spark_decides_every_bad_line_as_the_engine(policy, tmp_path, spark):
    lines = [json.dumps(valid_event(n)).encode() for n in range(40)]
    for bad in list(BAD_LINES.values()) + list(ODD_BUT_VALID.values()):
        lines += [bad, json.dumps(valid_event(len(lines))).encode()]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\r\n".join(lines) + b"\n\n")
    decided = spark_rows(policy, path, spark)
    reference = reference_by_line(policy, path)
    assert [r["line_number"] for r in decided] == sorted(reference)
    assert [audited(r) for r in decided] == [reference[n] for n in sorted(reference)]
    assert [audited(r) for r in decided] == [audited(r) for r in audit_rows(policy, path)]


@settings(max_examples=SPARK_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(hostile_line(), min_size=1, max_size=30))
def test_spark_equals_the_engine_on_hostile_files(policy, tmp_path, spark, lines):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    decided = spark_rows(policy, path, spark)
    reference = reference_by_line(policy, path)
    assert [(r["line_number"], audited(r)) for r in decided] == sorted(reference.items())


def test_spark_reads_literals_and_timestamps_as_duckdb(spark):
    """One query each: every hostile literal, and a grid of timestamp strings."""
    import itertools

    from engine.audit.sql import SparkDialect

    texts = ["", "'", "\\", "\x00", "a\x00b'c\\d", "é€😀\u2028\n\r\t", '"', "x" * 10_000, "%_*", "\\u0041"]
    got = spark.sql("SELECT " + ", ".join(f"{quote(t)} AS c{i}" for i, t in enumerate(texts))).collect()[0]
    assert list(got) == texts
    grid = [f"{y}-{m}-{d}T{h}:00:00{f}{z}" for y, m, d, h, f, z in itertools.product(
        ["0000", "0001", "2024", "9999"], ["02", "13"], ["29", "30"], ["00", "23", "24"], ["", ".123456"],
        ["", "Z", "z", "+23:59", "-01:00", "+99:99", "Z\n"])] + ["2026-11-01t10:00:00.5-00:45", "1795000000"]
    dialect = SparkDialect()
    frame = spark.createDataFrame([(i, t) for i, t in enumerate(grid)], "i long, t string")
    got = [row[0] for row in frame.selectExpr(dialect.timestamp_us("t"), "i").orderBy("i").collect()]
    assert got == [engine_us(t) for t in grid]
    assert any(v is not None for v in got)
