"""`lawful audit`: decide a whole log of processing events where the data is.

    from engine.audit import audit_duckdb
    result = audit_duckdb(policy, ["logs/2026-11-*.jsonl"])
    result.decisions     # a DuckDB relation: one row per event

The policy is compiled to SQL (the package engine/audit/sql, one module per
stage, both dialects side by side) and run by DuckDB (embedded, the default; this
module) or Spark (engine/audit/spark.py); no Python runs per event.
"""

from __future__ import annotations

import glob as globbing
import json
from abc import ABC, abstractmethod
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from ..decide.policy import Policy
from .sql import Dialect, DuckDBDialect, arrow_shape, events_sql, fitted, quote, typed_events_sql
from .sql.plan import FILE_STEP, OUTPUT_COLUMNS, Plan, audit_plan


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


class AuditResult(ABC):
    """The per-event decisions of an audit, kept by the engine that made them: a
    view (DuckDB) or temporary view (Spark) named `table_name` joining the events to
    their outcomes."""

    engine = "?"

    def __init__(self, handle: Any, table_name: str):
        self.handle, self.table_name = handle, table_name

    @abstractmethod
    def query(self, sql: str) -> list[dict]:
        """Rows of `sql`, in which `{decisions}` names the decisions."""

    @abstractmethod
    def explode(self, expression: str) -> str:
        """SQL: one row per element of a list column."""

    def count(self) -> int:
        return int(self.query("SELECT count(*) AS n FROM {decisions}")[0]["n"])

    @abstractmethod
    def write_parquet(self, path: str) -> None:
        """Every event's decision, ordered by event id, as Parquet at `path`."""

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
        self.handle.execute(f"COPY (SELECT * EXCLUDE (line) FROM {self.table_name} ORDER BY eid) "
                            f"TO {quote(path)} (FORMAT parquet)")

    def source_row(self, file: str, line: int) -> Any:
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
    dialect = DuckDBDialect()
    scratch: list[str] = []  # tables of lines, read while the facts are made
    stages = duckdb_stages(policy, files, dialect, now_us(now), con, scratch)
    plan = audit_plan(policy, stages, dialect, files, *window_us(since, until))
    facts, outcomes = f"{table}_events", f"{table}_outcomes"
    for kind in ("VIEW", "TABLE"):
        try:
            con.execute(f"DROP {kind} IF EXISTS {table}")
        except duckdb.CatalogException:  # there as the other kind
            pass
    con.execute(f"CREATE OR REPLACE TEMP TABLE {facts} AS {plan.facts}")
    for name in scratch:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {outcomes} AS {plan.outcomes(facts)}")
    row = con.execute(plan.unique_signatures(outcomes)).fetchone()
    assert row is not None  # an aggregate gives its one row
    by_hash = bool(row[0])
    con.execute(f"CREATE TEMP VIEW {table} AS {plan.joined(facts, outcomes, by_hash)}")
    return DuckDBResult(con, table)


def window_us(since: datetime | None, until: datetime | None) -> tuple[int | None, int | None]:
    """The --since/--until window in microseconds (None where open)."""
    return (now_us(since) if since else None, now_us(until) if until else None)


LINES_BATCH = 65_536  # rows per Arrow batch handed to DuckDB


def checked_rows(cursor, sql: str):
    """The rows of `sql` (line_number, line: JSON text DuckDB made, of a Parquet or
    CSV row) as an Arrow stream with lines.json_problem's `lawful_problem` added."""
    import pyarrow as pa

    from .lines import json_problem

    source = cursor.sql(sql).to_arrow_reader(LINES_BATCH)
    schema = pa.schema([("line_number", pa.int64()), ("line", pa.large_string()), ("lawful_problem", pa.string())])

    def batches():
        for batch in source:
            texts = batch.column(1).to_pylist()
            yield pa.RecordBatch.from_arrays([batch.column(0).cast(pa.int64()), pa.array(texts, pa.large_string()),
                                              pa.array([json_problem(t) for t in texts], pa.string())],
                                             schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def context_problems(path: str):
    """(row, problem) for each row of a Parquet file whose `context` text is not a
    valid event's JSON (lines.json_problem): few rows, joined to the typed read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .lines import json_problem

    rows, problems, start = [], [], 0
    for batch in pq.ParquetFile(path).iter_batches(columns=["context"], batch_size=LINES_BATCH):
        for place, text in enumerate(batch.column(0).to_pylist()):
            # read where it sits in the event (level 2), for the depth limit
            problem = json_problem('{"context": ' + text + "}") if text is not None else None
            if problem is not None:
                rows.append(start + place + 1)
                problems.append(problem)
        start += batch.num_rows
    return pa.table({"lawful_row": pa.array(rows, pa.int64()),
                     "lawful_context_problem": pa.array(problems, pa.string())})


def read_into(connection, name: str, stream) -> str:
    """SQL reading the Arrow `stream` of checked lines, registered as `name`: scanned
    once, while DuckDB decides (the reader's Python overlaps the SQL; measured faster
    than copying the lines into a table first, and no copy of the file is held)."""
    connection.register(name, stream)
    return f"(SELECT line_number, CAST(line AS VARCHAR) AS line, lawful_problem FROM {name})"


#: SQL: how many keys the objects where an event has them hold, each counted once
#: per object (the event, `subject`, each consent, `context`), from `lawful_j`.
_DISTINCT_KEYS = (
    "coalesce(list_sum(list_transform(json_keys(lawful_j, ['$', '$.subject', '$.context']), "
    "lambda k: len(list_distinct(coalesce(k, []))))), 0) + "
    "coalesce(list_sum(list_transform(json_keys(lawful_j, '$.subject.consents[*]'), "
    "lambda k: len(list_distinct(k)))), 0)")


def lines_table(connection, table: str, path: str) -> None:
    """Read a JSON-lines file into the temporary `table` (line_number, line,
    read_problem, screened, fit), one row per line that is not blank.

    The lines come from lines.screened_batches (Arrow splits the file; only blocks
    that are not UTF-8 or hold a line too long are read line by line in Python,
    `screened`, with their problems). `fit`: the line reads exactly into the
    event's typed columns (sql/fitted.py), decided by `fitted_sql`; the others by
    `unfitted_sql`. The table is read twice, once for each, so the file once."""
    from .lines import screened_batches

    stream = f"{table}_stream"
    connection.register(stream, screened_batches(path))
    blank = "' ' || chr(9) || chr(10) || chr(13)"
    lines = (f"(SELECT line_number, CAST(line AS VARCHAR) AS line, lawful_problem AS read_problem, screened, "
             f"CASE WHEN NOT screened THEN TRY_CAST(CAST(line AS VARCHAR) AS JSON) END AS lawful_j FROM {stream} "
             f"WHERE screened OR starts_with(line, '{{') OR trim(line, {blank}) <> '')")
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT line_number, line, read_problem, screened, "
                       f"coalesce({fitted.fits()}, false) AS fit FROM {fitted.parsed(lines, 'lawful_j')} AS p")
    connection.unregister(stream)


def fitted_sql(policy: Policy, table: str, offset: int, name: str, dialect: Dialect, now: int) -> str:
    """Stage 1 for the lines of `table` that fit the typed columns: the columnar stage."""
    source = (f"(SELECT {offset} + line_number AS eid, {name} AS file, line_number, line, "
              f"CAST(NULL AS VARCHAR) AS lawful_context_problem, {fitted.typed_columns()} "
              f"FROM {fitted.parsed(f'(SELECT * FROM {table} WHERE fit)')} AS f)")
    return typed_events_sql(policy.checked, source, fitted.SHAPE, dialect, now)


def unfitted_sql(connection, policy: Policy, table: str, offset: int, name: str, dialect: Dialect, now: int) -> str:
    """Stage 1 for the other lines of `table`: checked by lines.json_problem where a
    screen in SQL cannot vouch for the text (`lawful_json_problem`, a Python
    function of the connection), then read field by field (events.py).

    The screen: DuckDB does not read the line (it reads what Python's reader
    refuses: lines.SCREEN), or it is nested more than MAX_DEPTH, or the text has
    more `":` than the keys DuckDB counted in the event, `subject`, each consent and
    `context`, once per object (a key twice in an object, or in an object
    elsewhere, or `":` inside a string). Every key ends in `":` (the screen sends
    whitespace before a colon to Python), so when the counts agree no object holds
    a key twice. The answer never depends on the screen, only the speed
    (tests/test_audit_fitted.py)."""
    import duckdb

    from .lines import MAX_DEPTH, SCREEN, json_problem

    try:
        connection.create_function("lawful_json_problem", json_problem, ["VARCHAR"], "VARCHAR",
                                   null_handling="special", side_effects=False)  # None: no problem
    except duckdb.Error:  # the connection has it from an earlier file or audit
        pass
    parsed = (f"(SELECT *, CASE WHEN NOT screened THEN TRY_CAST(line AS JSON) END AS lawful_j "
              f"FROM {table} WHERE NOT fit)")
    suspect = (f"lawful_j IS NULL OR regexp_matches(line, {quote(SCREEN)}) "
               f"OR strlen(line) - strlen(replace(replace(line, '{{', ''), '[', '')) > {MAX_DEPTH} "
               f"OR {fitted.key_marks('line')} <> {_DISTINCT_KEYS}")
    problem = f"CASE WHEN screened THEN read_problem WHEN {suspect} THEN lawful_json_problem(line) END"
    source = (f"(SELECT {offset} + line_number AS eid, {name} AS file, line_number, line, lawful_problem, "
              f"CASE WHEN lawful_problem IS NULL THEN coalesce(lawful_j, TRY_CAST(line AS JSON)) END AS j "
              f"FROM (SELECT *, {problem} AS lawful_problem FROM {parsed} AS p) AS s)")
    return events_sql(policy.checked, source, dialect, now)


def duckdb_stages(policy: Policy, files: list[str], dialect: Dialect, now: int, connection,
                  scratch: list[str] | None = None) -> str:
    """Stage 1 for every file, as one UNION ALL: Parquet files whose columns are the
    event's are read as columns; JSON lines into a table of lines (`lines_table`,
    named in `scratch` for the caller to drop), those that fit the typed columns
    read as Parquet is, the others field by field; other files row by row as JSON
    text."""
    parts, offset = [], 0
    for number, path in enumerate(files):
        kind, name = input_kind(path), quote(path)
        shape = None
        if kind == "parquet":
            import pyarrow.parquet as pq

            try:
                shape = arrow_shape(pq.read_schema(path))
            except Exception as error:  # noqa: BLE001 — named in the message
                raise AuditError(f"{path}: cannot read the Parquet schema: {error}") from None
        if shape is not None:
            problems = "CAST(NULL AS VARCHAR) AS lawful_context_problem"
            joined = ""
            if "context" in shape:  # the context's JSON text checked by lines.json_problem
                table = f"lawful_context_{number}"
                connection.register(table, context_problems(path))
                problems = "c.lawful_context_problem"
                joined = f" LEFT JOIN {table} AS c ON c.lawful_row = r.file_row_number + 1"
            source = (f"(SELECT {offset} + r.file_row_number + 1 AS eid, {name} AS file, r.file_row_number + 1 "
                      f"AS line_number, CAST(NULL AS VARCHAR) AS line, {problems}, r.* FROM read_parquet({name}, "
                      f"file_row_number = true) AS r{joined})")
            parts.append(typed_events_sql(policy.checked, source, shape, dialect, now))
        else:
            if kind == "jsonl":
                if "://" in path:
                    raise AuditError(f"{path}: JSON lines are read from local files with DuckDB "
                                     "(use --engine spark for object storage)")
                table = f"lawful_lines_{number}"
                lines_table(connection, table, path)
                if scratch is not None:
                    scratch.append(table)
                parts.append(fitted_sql(policy, table, offset, name, dialect, now))
                parts.append(unfitted_sql(connection, policy, table, offset, name, dialect, now))
                offset += FILE_STEP
                continue
            else:  # each row as JSON text, checked as a line is
                rows = (f"SELECT file_row_number + 1 AS line_number, CAST(to_json(p) AS VARCHAR) AS line "
                        f"FROM read_parquet({name}, file_row_number = true) AS p" if kind == "parquet" else
                        f"SELECT row_number() OVER () + 1 AS line_number, CAST(to_json(c) AS VARCHAR) AS line "
                        f"FROM read_csv({name}) AS c")
                lines = (f"SELECT * FROM "
                         f"{read_into(connection, f'lawful_rows_{number}', checked_rows(connection.cursor(), rows))}")
            source = (f"(SELECT {offset} + line_number AS eid, {name} AS file, line_number, line, lawful_problem, "
                      f"CASE WHEN lawful_problem IS NULL THEN TRY_CAST(line AS JSON) END AS j FROM ({lines}) AS l)")
            parts.append(events_sql(policy.checked, source, dialect, now))
        offset += FILE_STEP  # event ids: file number in the high bits, line in the low
    # by name: the columnar and the JSON stages give the same columns, not in the same order
    return " UNION ALL BY NAME ".join(f"SELECT * FROM ({part}) AS p{i}" for i, part in enumerate(parts))


__all__ = ["FILE_STEP", "OUTPUT_COLUMNS", "AuditError", "AuditResult", "DuckDBResult", "Plan", "audit_duckdb",
           "audit_plan"]
