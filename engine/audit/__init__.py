"""`lawful audit`: decide a whole log of processing events where the data is.

    from engine.audit import audit_duckdb
    result = audit_duckdb(policy, ["logs/2026-11-*.jsonl"])
    result.decisions     # a DuckDB relation: one row per event

The policy is compiled to SQL (engine/audit/sql.py) and run by DuckDB (embedded,
the default) or Spark (engine/audit/spark.py); no Python runs per event.
"""

from __future__ import annotations

import glob as globbing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from ..policy import Policy
from .sql import Dialect, decisions_sql, events_sql, reasons_sql

OUTPUT_COLUMNS = ["eid", "file", "line_number", "effect", "reasons", "obligations", "purpose", "categories",
                  "destination", "subject_id", "event_at", "day", "valid", "problem", "line"]


class AuditError(Exception):
    """Inputs that cannot be read, or options that do not fit."""


def now_us(now: datetime | None) -> int:
    moment = now or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1_000_000)


def expand_inputs(inputs: Sequence[str]) -> list[str]:
    """Globs to files (object-store URLs pass through for the engines to read)."""
    files: list[str] = []
    for given in inputs:
        if "://" in given:
            files.append(given)
            continue
        matched = sorted(globbing.glob(given, recursive=True)) if any(c in given for c in "*?[") else (
            [given] if Path(given).exists() else [])
        if not matched:
            raise AuditError(f"{given}: no such file" + (" (the pattern matches nothing)"
                                                        if any(c in given for c in "*?[") else ""))
        files += [m for m in matched if Path(m).is_file()]
    if not files:
        raise AuditError("no event files to audit")
    return files


def input_kind(path: str) -> str:
    lowered = path.lower()
    if lowered.endswith(".parquet"):
        return "parquet"
    if lowered.endswith(".csv"):
        return "csv"
    return "jsonl"


def plan_sql(policy: Policy, source: str, dialect: Dialect, now: datetime | None = None) -> str:
    """The whole audit as one SELECT over `source` (columns eid, file,
    line_number, line, j): every column of OUTPUT_COLUMNS."""
    events = events_sql(policy.checked, source, dialect, now_us(now))
    decided = decisions_sql(policy.checked, "ev", dialect)
    joined = ("(SELECT ev.*, dc.effect, dc.forbidden, dc.no_consent, dc.permitted, dc.obligations "
              f"FROM ev JOIN ({decided}) AS dc ON ev.eid = dc.eid) AS joined")
    at = dialect.timestamp_from_us("at_us")
    return (f"WITH ev AS ({events}) "
            f"SELECT eid, file, line_number, effect, reasons, obligations, purpose, categories, destination, "
            f"subject_id, {at} AS event_at, CAST({at} AS DATE) AS day, valid, problem, line "
            f"FROM ({reasons_sql(policy.checked, joined, dialect)}) AS r")


@dataclass
class AuditResult:
    """What an audit produced: the per-event decisions (an engine relation) and the
    engine's handle (a DuckDB connection or a Spark session)."""

    engine: str
    decisions: Any
    handle: Any


def audit_duckdb(policy: Policy, inputs: Sequence[str], now: datetime | None = None,
                 connection=None, threads: int | None = None) -> AuditResult:
    """Decide every event in `inputs` (JSON lines, Parquet or CSV files; globs) with
    DuckDB. Returns the decisions as a DuckDB relation (materialised as a table)."""
    import duckdb

    files = expand_inputs(inputs)
    con = connection or duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("DROP TABLE IF EXISTS lawful_source")
    con.execute(f"CREATE TEMP TABLE lawful_source AS {duckdb_source(files)}")
    dialect = Dialect()
    con.execute("DROP TABLE IF EXISTS lawful_decisions")
    con.execute(f"CREATE TEMP TABLE lawful_decisions AS {plan_sql(policy, 'lawful_source', dialect, now)}")
    return AuditResult("duckdb", con.table("lawful_decisions"), con)


def duckdb_source(files: list[str]) -> str:
    """One row per event: eid, file, line_number, line (the event's JSON text), j."""
    from .sql import quote

    parts = []
    for path in files:
        kind, name = input_kind(path), quote(path)
        if kind == "jsonl":
            parts.append(
                f"SELECT {name} AS file, row_number() OVER () AS line_number, line "
                f"FROM read_csv({name}, columns = {{'line': 'VARCHAR'}}, header = false, delim = '\\x1e', "
                f"quote = '', escape = '', auto_detect = false, strict_mode = false, null_padding = true"
                f")")
        elif kind == "parquet":
            parts.append(f"SELECT {name} AS file, row_number() OVER () AS line_number, "
                         f"CAST(to_json(p) AS VARCHAR) AS line FROM read_parquet({name}) AS p")
        else:
            parts.append(f"SELECT {name} AS file, row_number() OVER () + 1 AS line_number, "
                         f"CAST(to_json(c) AS VARCHAR) AS line FROM read_csv({name}) AS c")
    union = " UNION ALL ".join(parts)
    return (f"SELECT row_number() OVER (ORDER BY file, line_number) AS eid, file, line_number, "
            f"CASE WHEN json_valid(line) THEN CAST(line AS JSON) END AS j, line FROM ({union}) AS s "
            f"WHERE trim(coalesce(line, '')) <> ''")


__all__ = ["AuditError", "AuditResult", "audit_duckdb", "plan_sql"]
