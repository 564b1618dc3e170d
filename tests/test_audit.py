"""`lawful audit`: the relational backend agrees with the reference evaluator,
event by event, on generated policies and events (valid and malformed)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.audit import audit_duckdb
from engine.event.values import loads
from strategies import differential_events, policies

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
EXAMPLES = int(os.environ.get("LAWFUL_AUDIT_EXAMPLES", "60"))
ROOT = Path(__file__).parent.parent


def expected(policy: engine.Policy, event) -> tuple:
    """The reference decision in the audit's terms."""
    decision = policy.evaluate_reference(event, now=NOW)
    if decision.reasons and all(r.kind == "invalid-event" for r in decision.reasons):
        return "deny", [("invalid-event", None, None, None)], []
    return (decision.effect, [(r.kind, r.rule, r.location, r.category) for r in decision.reasons],
            list(decision.obligations))


def audited(row: dict) -> tuple:
    return (row["effect"], [(r["kind"], r["rule"], r["location"], r["category"]) for r in row["reasons"]],
            list(row["obligations"]))


def rows(result) -> list[dict]:
    relation = result.decisions
    return [dict(zip(relation.columns, values)) for values in relation.order("eid").fetchall()]


def plain(value):
    """A generated value as JSON can hold it (tuples and sets as lists, other keys
    and bytes as strings); NaN, big integers and lone surrogates stay."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in (sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value)]
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def as_text(event) -> str:
    return json.dumps(plain(event))


def write_lines(path: Path, events: list) -> list[str]:
    """The events as JSON lines (see `as_text`); returns the lines."""
    texts = [as_text(e) for e in events]
    path.write_text("".join(t + "\n" for t in texts))
    return texts


def check_agreement(policy: engine.Policy, texts: list, decided: list[dict]) -> None:
    """Each decision equals the reference's on the JSON text (as `lawful eval` reads it)."""
    assert len(decided) == len(texts)
    for text, row in zip(texts, decided):
        event = loads(text) if isinstance(text, str) else text
        assert audited(row) == expected(policy, event), (text, row["problem"])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])
@given(policies(), st.lists(differential_events(), min_size=1, max_size=25))
def test_duckdb_agrees_with_the_reference(tmp_path, text, events):
    policy = engine.load_policy_text(text, name="generated.law")
    path = tmp_path / "events.jsonl"
    texts = write_lines(path, events)
    check_agreement(policy, texts, rows(audit_duckdb(policy, [str(path)], now=NOW)))


@pytest.mark.parametrize("name", ["shop", "health"])
def test_duckdb_agrees_on_the_example_events(tmp_path, name):
    policy = engine.load_policy(ROOT / "rules" / "examples" / name)
    events = [json.loads(p.read_text()) for p in sorted((ROOT / "examples" / name / "events").glob("*.json"))]
    path = tmp_path / "events.jsonl"
    texts = write_lines(path, events)
    check_agreement(policy, texts, rows(audit_duckdb(policy, [str(path)], now=NOW)))


@pytest.mark.parametrize("folder", ["gdpr_tests"] + sorted(
    f"gdpr_national_tests/{p.name}" for p in (ROOT / "rules" / "gdpr_national_tests").iterdir() if p.is_dir()))
def test_duckdb_agrees_on_the_library_tests(tmp_path, folder):
    """Marker purposes (a consent to `direct_marketing` covers nothing, no event is for
    it) and the national layer, in SQL as in the reference."""
    policy = engine.load_policy(ROOT / "rules" / folder)
    path = tmp_path / "events.jsonl"
    texts = write_lines(path, [test.event for test in policy.tests])
    decided = rows(audit_duckdb(policy, [str(path)], now=NOW))
    check_agreement(policy, texts, decided)
    assert {row["effect"] for row in decided} == {"allow", "deny"}


def _columnar(event) -> dict | None:
    """The event as a row of EVENT_COLUMNS (context as JSON text), or None when its
    fields do not have the columns' types."""
    def strings(value) -> bool:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)

    def kinds(record: dict, spec: dict) -> bool:
        return isinstance(record, dict) and set(record) <= set(spec) and all(
            value is None or spec[key](value) for key, value in record.items())

    text = lambda v: isinstance(v, str)  # noqa: E731
    flag = lambda v: isinstance(v, bool)  # noqa: E731
    consent = {"purpose": text, "given_at": text, "withdrawn_at": text, "explicit": flag, "parental": flag}
    subject = {"id": text, "kind": text, "country": text, "objections": strings,
               "age": lambda v: isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2 ** 62,
               "consents": lambda v: isinstance(v, list) and all(kinds(c, consent) for c in v)}
    spec = {"purpose": text, "categories": strings, "destination": text, "safeguards": strings,
            "automated": flag, "collected_at": text, "at": text, "context": lambda v: isinstance(v, dict),
            "subject": lambda v: kinds(v, subject)}
    if not kinds(event, spec):
        return None
    try:  # Parquet strings are UTF-8: a lone surrogate outside context cannot be written
        json.dumps(plain({k: v for k, v in event.items() if k != "context"}), ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return None
    row = dict(event)
    if "context" in row:
        row["context"] = json.dumps(plain(row["context"]))
    return row


def _read_back(row: dict):
    """What a Parquet row says: nulls are absent fields; context is JSON text."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    event = strip(row)
    if "context" in event:
        event["context"] = json.loads(event["context"])
    return event


def _event_columns():
    import pyarrow as pa

    strings = pa.list_(pa.string())
    consent = pa.struct([("purpose", pa.string()), ("given_at", pa.string()), ("withdrawn_at", pa.string()),
                         ("explicit", pa.bool_()), ("parental", pa.bool_())])
    subject = pa.struct([("id", pa.string()), ("age", pa.int64()), ("country", pa.string()),
                         ("kind", pa.string()), ("objections", strings), ("consents", pa.list_(consent))])
    return pa.schema([("purpose", pa.string()), ("categories", strings), ("destination", pa.string()),
                      ("subject", subject), ("safeguards", strings), ("automated", pa.bool_()),
                      ("collected_at", pa.string()), ("at", pa.string()), ("context", pa.string())])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])
@given(policies(), st.lists(differential_events(), min_size=1, max_size=25))
def test_duckdb_agrees_with_the_reference_on_parquet_columns(tmp_path, text, events):
    """Parquet with the event's columns is read as columns (the checks of purpose,
    categories and destination made once per signature): the same decisions."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    policy = engine.load_policy_text(text, name="generated.law")
    table = [row for row in map(_columnar, events) if row is not None]
    path = tmp_path / "events.parquet"
    pq.write_table(pa.Table.from_pylist(table or [{}], schema=_event_columns()), path)
    read_back = [_read_back(row) for row in pq.read_table(path).to_pylist()]
    check_agreement(policy, read_back, rows(audit_duckdb(policy, [str(path)], now=NOW)))


def test_a_parquet_context_of_json_null_is_the_field_left_out(tmp_path):
    """`null` is absent for every optional field (spec section 6), in a Parquet
    column of JSON text as in JSON lines: `"null"`, a NULL cell and no context
    decide alike, and as the reference does."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    policy = engine.load_policy_text(
        "category c\npurpose p basis contract\npermit p on c\n"
        "forbid p on c when context.risk > 5\n", name="context.law")
    base = {"purpose": "p", "categories": ["c"], "destination": "DE", "at": "2025-01-01T00:00:00Z"}
    table = [dict(base, context=text) for text in ("null", None, '{"risk": 9}', '{"risk": 1}', "[]")]
    path = tmp_path / "events.parquet"
    pq.write_table(pa.Table.from_pylist(table, schema=_event_columns()), path)
    decided = rows(audit_duckdb(policy, [str(path)], now=NOW))
    # no context: the forbid's condition cannot be read, so it applies (fail closed);
    # only the array is not a context at all
    assert [d["reasons"][0]["kind"] for d in decided] == [
        "forbidden", "forbidden", "forbidden", "permitted", "invalid-event"]
    check_agreement(policy, [_read_back(row) for row in pq.read_table(path).to_pylist()], decided)


def test_joining_by_signature_hash_equals_joining_by_signature(tmp_path):
    """Events reach their outcome by the signature's hash when no two signatures share
    one (checked on every audit); the exact join on the signature itself agrees."""
    import duckdb

    from engine.audit import audit_plan, duckdb_stages
    from engine.audit.sql import DuckDBDialect

    policy = engine.load_policy(ROOT / "rules" / "examples" / "shop")
    events = [json.loads(p.read_text()) for p in sorted((ROOT / "examples" / "shop" / "events").glob("*.json"))]
    path = tmp_path / "events.jsonl"
    write_lines(path, events + ["not an event", {"purpose": "billing"}])
    connection, dialect = duckdb.connect(), DuckDBDialect()
    plan = audit_plan(policy, duckdb_stages(policy, [str(path)], dialect, 0, connection), dialect, [str(path)])
    connection.execute(f"CREATE TEMP TABLE ev AS {plan.facts}")
    connection.execute(f"CREATE TEMP TABLE oc AS {plan.outcomes('ev')}")
    assert connection.execute(plan.unique_signatures("oc")).fetchone()[0] is True
    by_hash, by_signature = (connection.execute(f"SELECT * FROM ({plan.joined('ev', 'oc', flag)}) ORDER BY eid")
                             .fetchall() for flag in (True, False))
    assert len(by_hash) == len(events) + 2
    assert by_hash == by_signature
    # a collision is seen: two signatures given one hash
    connection.execute("UPDATE oc SET sig = 0")
    assert connection.execute(plan.unique_signatures("oc")).fetchone()[0] is False


def test_lines_that_are_not_events_are_denied_and_kept(tmp_path):
    policy = engine.load_policy(ROOT / "rules" / "examples" / "shop")
    path = tmp_path / "events.jsonl"
    path.write_text('not json\n\n[1, 2]\n{"purpose": "billing"}\n')
    decided = rows(audit_duckdb(policy, [str(path)], now=NOW))
    assert [(r["line_number"], r["effect"], r["reasons"][0]["kind"]) for r in decided] == [
        (1, "deny", "invalid-event"), (3, "deny", "invalid-event"), (4, "deny", "invalid-event")]
    assert decided[0]["problem"].startswith("not valid JSON")
    assert decided[2]["problem"] == "`categories`"


# ---- Spark (real, local[2]) ---------------------------------------------------------------------

SPARK_EXAMPLES = int(os.environ.get("LAWFUL_SPARK_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def spark():
    from engine.audit.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


def test_the_spark_session_is_tuned_for_the_plan(spark):
    """The session the audit makes runs its plan with the settings `tuning` names
    (the differential tests below run on it)."""
    from engine.audit.spark import tuning

    assert tuning("local[2]") == {"spark.sql.codegen.hugeMethodLimit": "8000", "spark.sql.shuffle.partitions": "4"}
    assert "spark.sql.shuffle.partitions" not in tuning("spark://127.0.0.1:7077")
    for key, value in tuning("local[2]").items():
        assert spark.conf.get(key) == value, key


@settings(max_examples=SPARK_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.function_scoped_fixture])
@given(policies(), st.lists(differential_events(), min_size=1, max_size=25))
def test_spark_duckdb_and_the_reference_agree(spark, tmp_path, text, events):
    from engine.audit.spark import audit_spark

    policy = engine.load_policy_text(text, name="generated.law")
    path = tmp_path / "events.jsonl"
    texts = write_lines(path, events)
    by_spark = sorted(audit_spark(policy, [str(path)], now=NOW, session=spark).query(
        "SELECT * FROM {decisions}"), key=lambda row: row["eid"])
    check_agreement(policy, texts, by_spark)
    by_duckdb = rows(audit_duckdb(policy, [str(path)], now=NOW))
    assert [audited(r) for r in by_spark] == [audited(r) for r in by_duckdb]


def test_spark_reads_parquet_columns_and_json_lines_alike(spark, tmp_path):
    import duckdb

    from engine.audit.spark import audit_spark

    policy = engine.load_policy(ROOT / "rules" / "examples" / "shop")
    events = [json.loads(p.read_text()) for p in sorted((ROOT / "examples" / "shop" / "events").glob("*.json"))]
    events = [e for e in events if "categories" in e and isinstance(e.get("subject", {}), dict)]
    path = tmp_path / "events.jsonl"
    write_lines(path, events)
    parquet = tmp_path / "events.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_json('{path}', format='newline_delimited')) TO '{parquet}' "
               "(FORMAT parquet)")
    from_json = sorted(audit_spark(policy, [str(path)], now=NOW, session=spark).query(
        "SELECT * FROM {decisions}"), key=lambda row: row["line_number"])
    from_parquet = sorted(audit_spark(policy, [str(parquet)], now=NOW, session=spark, table="p").query(
        "SELECT * FROM {decisions}"), key=lambda row: row["line_number"])
    assert [audited(r) for r in from_json] == [audited(r) for r in from_parquet]
    assert [audited(r) for r in from_parquet] == [audited(r) for r in rows(audit_duckdb(
        policy, [str(parquet)], now=NOW))]
    check_agreement(policy, events, from_json)


# ---- the command ------------------------------------------------------------------------------------


def shop_events(tmp_path: Path) -> tuple[Path, list]:
    events = [json.loads(p.read_text()) for p in sorted((ROOT / "examples" / "shop" / "events").glob("*.json"))]
    path = tmp_path / "events.jsonl"
    write_lines(path, events)
    return path, events


def test_audit_command_writes_decisions_summary_and_report(tmp_path, capsys):
    import duckdb

    from engine.cli import main

    path, events = shop_events(tmp_path)
    policy = engine.load_policy(ROOT / "rules" / "examples" / "shop")
    out = tmp_path / "out"
    assert main(["audit", str(ROOT / "rules" / "examples" / "shop"), str(path), "--out", str(out),
                 "--now", "2026-11-23T09:00:00Z"]) == 0
    printed = capsys.readouterr().out
    decisions = [policy.evaluate_reference(e, now=NOW) for e in events]
    allowed = sum(d.allowed for d in decisions)
    assert f"{len(events)} event(s): {allowed} allowed, {len(events) - allowed} denied" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["events"], summary["allow"], summary["deny"]) == (len(events), allowed, len(events) - allowed)
    assert summary["policy"]["digest"] == policy.digest
    counted = {}
    for decision in decisions:
        for reason in decision.reasons:
            if decision.effect == "deny" and reason.kind != "invalid-event":
                counted[(reason.kind, reason.rule)] = counted.get((reason.kind, reason.rule), 0) + 1
    top = {(v["kind"], v["rule"]): v["events"] for v in summary["top_violations"] if v["kind"] != "invalid-event"}
    assert top.items() <= counted.items() and len(top) == min(len(counted), 10)
    assert all(v["example"]["event"] is not None for v in summary["top_violations"])
    assert {d["name"] for d in summary["by_purpose"]} >= {"billing", "newsletter"}
    rows_written = duckdb.sql(f"SELECT eid, effect FROM read_parquet('{out / 'decisions.parquet'}') "
                              "ORDER BY eid").fetchall()
    assert [effect for _, effect in rows_written] == [d.effect for d in decisions]
    page = (out / "report.html").read_text()
    assert "plotly" in page.lower() and "Top violations" in page and policy.digest in page
    assert "gdpr_transfers" in page


def test_audit_compare_since_until_and_bad_input(tmp_path, capsys):
    from engine.cli import main

    path, events = shop_events(tmp_path)
    stricter = tmp_path / "stricter"
    stricter.mkdir()
    text = (ROOT / "rules" / "examples" / "shop" / "shop.law").read_text()
    (stricter / "shop.law").write_text(text + '\nrule no_billing_to_ireland: forbid billing when destination == IE\n'
                                       'rule no_delivery: forbid delivery\n')
    out = tmp_path / "out"
    assert main(["audit", str(stricter), str(path), "--out", str(out), "--compare",
                 str(ROOT / "rules" / "examples" / "shop"), "--now", "2026-11-23T09:00:00Z"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    delivery_allowed = sum(1 for e in events if isinstance(e, dict) and e.get("purpose") == "delivery"
                           and engine.load_policy(ROOT / "rules" / "examples" / "shop")
                           .evaluate_reference(e, now=NOW).allowed)
    changes = {(c["old"], c["new"]): c["events"] for c in summary["compare"]["changes"]}
    assert changes == {("allow", "deny"): delivery_allowed}
    assert [r["rule"] for r in summary["compare"]["newly_denied_by"]] == ["no_delivery"]
    assert "Compared with the old policy" in (out / "report.html").read_text()
    capsys.readouterr()

    assert main(["audit", str(ROOT / "rules" / "examples" / "shop"), str(path), "--out", str(out),
                 "--since", "2026-11-23T09:00:00Z", "--until", "2026-11-23T09:00:01Z", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    at_nine = sum(1 for e in events if isinstance(e, dict) and e.get("at") == "2026-11-23T09:00:00Z")
    assert 0 < summary["events"] - summary["invalid"] <= at_nine

    elsewhere = ["--out", str(tmp_path / "not-written")]  # never the default ./audit of the checkout
    assert main(["audit", str(ROOT / "rules" / "examples" / "shop"), str(tmp_path / "none*.jsonl"),
                 *elsewhere]) == 2
    assert not (tmp_path / "not-written").exists()  # a failed audit leaves no empty folder behind
    assert "matches nothing" in capsys.readouterr().err
    assert main(["audit", str(ROOT / "rules" / "examples" / "shop"), str(path), "--since", "last week",
                 *elsewhere]) == 2
    assert "--since: `last week` is not an ISO date" in capsys.readouterr().err


def test_policy_text_stays_data_in_the_sql(tmp_path):
    """Quotes, backslashes and SQL in a policy's strings come out as text."""
    from engine.audit.sql import quote

    hostile = "it's a \\\\ test'); DROP TABLE lawful_decisions; --"
    policy = engine.load_policy_text(f'''
category email
purpose billing basis contract
rule quoted: forbid billing on email when context.note == "{hostile}" because "{hostile}"
permit billing on email because "O'Brien \\\\ said so"
''', name="hostile.law")
    events = [{"purpose": "billing", "categories": ["email"], "destination": "DE", "at": "2026-11-23T09:00:00Z",
               "context": {"note": hostile.replace("\\\\", "\\")}},
              {"purpose": "billing", "categories": ["email"], "destination": "DE", "at": "2026-11-23T09:00:00Z",
               "context": {"note": "fine"}}]
    path = tmp_path / "events.jsonl"
    write_lines(path, events)
    decided = rows(audit_duckdb(policy, [str(path)], now=NOW))
    reference = [policy.evaluate_reference(e, now=NOW) for e in events]
    assert [r["effect"] for r in decided] == [d.effect for d in reference] == ["deny", "allow"]
    assert decided[0]["reasons"][0]["message"] == reference[0].reasons[0].message
    assert decided[1]["reasons"][0]["message"] == reference[1].reasons[0].message
    assert quote("a'b\\c") == "concat('a', chr(39), 'b', chr(92), 'c')"
