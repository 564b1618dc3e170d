"""`lawful audit`: the relational backend agrees with the reference evaluator,
event by event, on generated policies and events (valid and malformed)."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.audit import audit_duckdb
from engine.audit.sql import TIMESTAMP_PATTERN
from strategies import differential_events, policies

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
EXAMPLES = int(os.environ.get("LAWFUL_AUDIT_EXAMPLES", "60"))
ROOT = Path(__file__).parent.parent
_STAMP = re.compile(TIMESTAMP_PATTERN + r"\Z")


def outside_the_audits_timestamps(event) -> bool:
    """Timestamps the audit does not read (it takes RFC 3339 strings): numbers,
    dates without a time… The reference may accept those; the audit denies them."""
    if not isinstance(event, dict):
        return False
    stamps = [event.get("at"), event.get("collected_at")]
    subject = event.get("subject")
    if isinstance(subject, dict) and isinstance(subject.get("consents"), list):
        for record in subject["consents"]:
            if isinstance(record, dict):
                stamps += [record.get("given_at"), record.get("withdrawn_at")]
    return any(s is not None and not (isinstance(s, str) and _STAMP.match(s)) for s in stamps)


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


def write_lines(path: Path, events: list) -> None:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))


def check_agreement(policy: engine.Policy, events: list, decided: list[dict]) -> None:
    assert len(decided) == len(events)
    for event, row in zip(events, decided):
        if outside_the_audits_timestamps(event):
            assert audited(row)[0] == "deny", (event, row)  # fail closed, never allowed
            continue
        assert audited(row) == expected(policy, event), (event, row["problem"])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])
@given(policies(), st.lists(differential_events(), min_size=1, max_size=25))
def test_duckdb_agrees_with_the_reference(tmp_path, text, events):
    policy = engine.load_policy_text(text, name="generated.law")
    path = tmp_path / "events.jsonl"
    write_lines(path, events)
    check_agreement(policy, events, rows(audit_duckdb(policy, [str(path)], now=NOW)))


@pytest.mark.parametrize("name", ["shop", "health"])
def test_duckdb_agrees_on_the_example_events(tmp_path, name):
    policy = engine.load_policy(ROOT / "rules" / "examples" / name)
    events = [json.loads(p.read_text()) for p in sorted((ROOT / "examples" / name / "events").glob("*.json"))]
    path = tmp_path / "events.jsonl"
    write_lines(path, events)
    check_agreement(policy, events, rows(audit_duckdb(policy, [str(path)], now=NOW)))


def test_lines_that_are_not_events_are_denied_and_kept(tmp_path):
    policy = engine.load_policy(ROOT / "rules" / "examples" / "shop")
    path = tmp_path / "events.jsonl"
    path.write_text('not json\n\n[1, 2]\n{"purpose": "billing"}\n')
    decided = rows(audit_duckdb(policy, [str(path)], now=NOW))
    assert [(r["line_number"], r["effect"], r["reasons"][0]["kind"]) for r in decided] == [
        (1, "deny", "invalid-event"), (3, "deny", "invalid-event"), (4, "deny", "invalid-event")]
    assert decided[0]["problem"] == "the line is not a JSON object"
    assert decided[2]["problem"] == "`categories`"


# ---- Spark (real, local[2]) ---------------------------------------------------------------------

SPARK_EXAMPLES = int(os.environ.get("LAWFUL_SPARK_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def spark():
    from engine.audit.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


@settings(max_examples=SPARK_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.function_scoped_fixture])
@given(policies(), st.lists(differential_events(), min_size=1, max_size=25))
def test_spark_duckdb_and_the_reference_agree(spark, tmp_path, text, events):
    from engine.audit.spark import audit_spark

    policy = engine.load_policy_text(text, name="generated.law")
    path = tmp_path / "events.jsonl"
    write_lines(path, events)
    by_spark = sorted(audit_spark(policy, [str(path)], now=NOW, session=spark).query(
        "SELECT * FROM {decisions}"), key=lambda row: row["eid"])
    check_agreement(policy, events, by_spark)
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
