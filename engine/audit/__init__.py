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


def plan_sql(policy: Policy, events: str, dialect: Dialect) -> str:
    """The whole audit as one SELECT over `events` (stage 1's SQL: events_sql or
    typed_events_sql, or a union of them): every column of OUTPUT_COLUMNS."""
    decided = f"({decisions_sql(policy.checked, 'ev', dialect)}) AS decided"
    at = dialect.timestamp_from_us("at_us")
    return (f"WITH ev AS ({events}) "
            f"SELECT eid, file, line_number, effect, reasons, obligations, purpose, categories, destination, "
            f"subject_id, {at} AS event_at, CAST({at} AS DATE) AS day, valid, problem, line "
            f"FROM ({reasons_sql(policy.checked, decided, dialect)}) AS r")


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
    dialect = Dialect()
    stages = duckdb_stages(policy, files, dialect, now_us(now))
    con.execute("DROP TABLE IF EXISTS lawful_decisions")
    con.execute(f"CREATE TEMP TABLE lawful_decisions AS {plan_sql(policy, stages, dialect)}")
    return AuditResult("duckdb", con.table("lawful_decisions"), con)


def duckdb_stages(policy: Policy, files: list[str], dialect: Dialect, now: int) -> str:
    """Stage 1 for every file, as one UNION ALL: Parquet files whose columns are the
    event's are read as columns; everything else as JSON text, one event a line."""
    from .sql import arrow_shape, quote, typed_events_sql

    parts, offset = [], 0
    for path in files:
        kind, name = input_kind(path), quote(path)
        shape = None
        if kind == "parquet":
            import pyarrow.parquet as pq

            try:
                shape = arrow_shape(pq.read_schema(path))
            except Exception as error:  # noqa: BLE001 — named in the message
                raise AuditError(f"{path}: cannot read the Parquet schema: {error}") from None
        if shape is not None:
            source = (f"(SELECT {offset} + file_row_number + 1 AS eid, {name} AS file, file_row_number + 1 "
                      f"AS line_number, CAST(NULL AS VARCHAR) AS line, * FROM read_parquet({name}, "
                      f"file_row_number = true))")
            parts.append(typed_events_sql(policy.checked, source, shape, dialect, now))
        else:
            if kind == "jsonl":
                lines = (f"SELECT row_number() OVER () AS line_number, line FROM read_csv({name}, "
                         f"columns = {{'line': 'VARCHAR'}}, header = false, delim = '\\x1e', quote = '', "
                         f"escape = '', auto_detect = false, strict_mode = false, null_padding = true)")
            elif kind == "parquet":
                lines = (f"SELECT row_number() OVER () AS line_number, CAST(to_json(p) AS VARCHAR) AS line "
                         f"FROM read_parquet({name}) AS p")
            else:
                lines = (f"SELECT row_number() OVER () + 1 AS line_number, CAST(to_json(c) AS VARCHAR) AS line "
                         f"FROM read_csv({name}) AS c")
            source = (f"(SELECT {offset} + line_number AS eid, {name} AS file, line_number, line, "
                      f"CASE WHEN json_valid(line) THEN CAST(line AS JSON) END AS j FROM ({lines}) AS l "
                      f"WHERE trim(coalesce(line, '')) <> '')")
            parts.append(events_sql(policy.checked, source, dialect, now))
        offset += 1 << 40  # event ids: file number in the high bits, line in the low
    return " UNION ALL ".join(f"SELECT * FROM ({part}) AS p{i}" for i, part in enumerate(parts))


__all__ = ["AuditError", "AuditResult", "audit_duckdb", "plan_sql"]
