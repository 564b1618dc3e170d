"""`lawful audit`: decide a whole log of processing events where the data is.

    from engine.audit import audit_duckdb
    result = audit_duckdb(policy, ["logs/2026-11-*.jsonl"])
    result.decisions     # a DuckDB relation: one row per event

The policy is compiled to SQL (engine/audit/sql.py) and run by DuckDB (embedded,
the default) or Spark (engine/audit/spark.py); no Python runs per event.
"""

from __future__ import annotations

import glob as globbing
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from ..policy import Policy
from .sql import Dialect, decisions_sql, events_sql, facts_sql, reasons_sql

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


def plan_sql(policy: Policy, events: str, dialect: Dialect, since: int | None = None,
             until: int | None = None, keyed: bool = True) -> str:
    """The whole audit as one SELECT over `events` (stage 1's SQL: events_sql or
    typed_events_sql, or a union of them): every column of OUTPUT_COLUMNS.
    `since`/`until` (microseconds) keep events in [since, until); events that
    cannot be read have no time and are always kept."""
    decided = f"({decisions_sql(policy.checked, 'ev', dialect)}) AS decided"
    at = dialect.timestamp_from_us("at_us")
    window = []
    if since is not None:
        window.append(f"at_us >= {int(since)}")
    if until is not None:
        window.append(f"at_us < {int(until)}")
    where = f" WHERE NOT valid OR ({' AND '.join(window)})" if window else ""
    if keyed:
        return keyed_plan_sql(policy, f"SELECT * FROM ({events}) AS staged{where}", dialect)
    return (f"WITH ev AS (SELECT * FROM ({events}) AS staged{where}) "
            f"SELECT eid, file, line_number, effect, reasons, obligations, purpose, categories, destination, "
            f"subject_id, {at} AS event_at, CAST({at} AS DATE) AS day, valid, problem, line "
            f"FROM ({reasons_sql(policy.checked, decided, dialect)}) AS r")


def keyed_plan_sql(policy: Policy, events: str, dialect: Dialect) -> str:
    """The audit deciding once per signature: each event's facts are scalar columns
    (conditions, consent), the few distinct combinations of (purpose, categories,
    destination, facts) are decided with the list logic and their reasons, and every
    event gets its combination's decision by a join (nulls match nulls)."""
    facts, signature = facts_sql(policy.checked, "ev", dialect)
    keys = ["valid", "problem", "purpose", "categories", "destination", "basis", "ancestors", *signature]
    distinct = f"(SELECT DISTINCT {', '.join(keys)} FROM facts)"
    decided = f"({decisions_sql(policy.checked, distinct, dialect, with_facts=True)}) AS decided"
    reasons = reasons_sql(policy.checked, decided, dialect)
    join = " AND ".join(f"f.{k} IS NOT DISTINCT FROM r.{k}" for k in keys if k != "ancestors")
    at = dialect.timestamp_from_us("f.at_us")
    return (f"WITH ev AS ({events}), facts AS ({facts}), decisions AS ({reasons}) "
            f"SELECT f.eid, f.file, f.line_number, r.effect, r.reasons, r.obligations, f.purpose, f.categories, "
            f"f.destination, f.subject_id, {at} AS event_at, CAST({at} AS DATE) AS day, f.valid, f.problem, f.line "
            f"FROM facts AS f JOIN decisions AS r ON {join}")


class AuditResult:
    """The per-event decisions of an audit, kept by the engine that made them (a
    DuckDB table or a Spark temporary view named `table_name`)."""

    engine = "?"

    def __init__(self, handle: Any, table_name: str):
        self.handle, self.table_name = handle, table_name

    def query(self, sql: str) -> list[dict]:
        """Rows of `sql`, in which `{decisions}` names the decisions table."""
        raise NotImplementedError

    def explode(self, expression: str) -> str:
        """SQL: one row per element of a list column."""
        raise NotImplementedError

    def count(self) -> int:
        return int(self.query("SELECT count(*) AS n FROM {decisions}")[0]["n"])

    def write_parquet(self, path: str) -> None:
        raise NotImplementedError

    def source_row(self, file: str, line: int) -> Any:
        """An event of a columnar file, as a dict (for examples in reports)."""
        return None


class DuckDBResult(AuditResult):
    engine = "duckdb"

    def query(self, sql: str) -> list[dict]:
        cursor = self.handle.execute(sql.replace("{decisions}", self.table_name))
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]

    def explode(self, expression: str) -> str:
        return f"unnest({expression})"

    @property
    def decisions(self):
        return self.handle.table(self.table_name)

    def write_parquet(self, path: str) -> None:
        from .sql import quote

        self.handle.execute(f"COPY (SELECT * EXCLUDE (line) FROM {self.table_name} ORDER BY eid) "
                            f"TO {quote(path)} (FORMAT parquet)")

    def source_row(self, file: str, line: int) -> Any:
        from .sql import quote

        rows = self.handle.execute(f"SELECT CAST(to_json(p) AS VARCHAR) FROM read_parquet({quote(file)}) AS p "
                                   f"LIMIT 1 OFFSET {int(line) - 1}").fetchall()
        return json.loads(rows[0][0]) if rows else None


def audit_duckdb(policy: Policy, inputs: Sequence[str], now: datetime | None = None,
                 connection=None, threads: int | None = None, since: datetime | None = None,
                 until: datetime | None = None, table: str = "lawful_decisions",
                 progress: bool = False) -> DuckDBResult:
    """Decide every event in `inputs` (JSON lines, Parquet or CSV files; globs) with
    DuckDB. The decisions are kept in a temporary table of the connection."""
    import duckdb

    files = expand_inputs(inputs)
    con = connection or duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if progress:
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = true")
    dialect = Dialect()
    stages = duckdb_stages(policy, files, dialect, now_us(now))
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"CREATE TEMP TABLE {table} AS "
                f"{plan_sql(policy, stages, dialect, *_window(since, until))}")
    return DuckDBResult(con, table)


def _window(since: datetime | None, until: datetime | None) -> tuple[int | None, int | None]:
    return (now_us(since) if since else None, now_us(until) if until else None)


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


__all__ = ["AuditError", "AuditResult", "DuckDBResult", "audit_duckdb", "plan_sql"]
