"""The audit on Spark: the same plan as DuckDB's, spelled in Spark SQL.

    audit_spark(policy, ["s3a://logs/2026/11/*.jsonl"], master="spark://host:7077")

Events are read as text lines (JSON) or Parquet; JSON is parsed once per event
into a VARIANT (Spark 4) and checked and typed with variant functions. The
decisions stay in Spark (a temporary view) for the summary; `write_parquet`
writes them where Spark writes (a local folder, HDFS, object storage).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any, Sequence

from ..decide.policy import Policy
from . import FILE_STEP, AuditError, AuditResult, audit_plan, context_problems, input_kind, now_us, window_us
from .sql import SparkDialect, arrow_shape, events_sql, quote, typed_events_sql


def file_lines(pair: tuple) -> list[tuple[int, str, str | None]]:
    """(line number, text, problem) of a file given as (path, bytes)."""
    from .lines import split_lines

    return list(split_lines([pair[1]]))


class checked_row:
    """A row turned JSON (text, index) as (line number, text, json_problem)."""

    def __init__(self, first: int):
        self.first = first

    def __call__(self, pair: tuple) -> tuple[int, str, str | None]:
        from .lines import json_problem

        return pair[1] + self.first, pair[0], json_problem(pair[0])


def spark_session(master: str | None = None, app: str = "lawful-audit"):
    """A Spark session: `master` (or $SPARK_MASTER, else local[*]); UTC."""
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app).config("spark.sql.session.timeZone", "UTC")
    given = SparkConf()  # what spark-submit or spark-defaults.conf set: kept
    chosen = master or os.environ.get("SPARK_MASTER")
    if chosen:
        builder = builder.master(chosen)
    elif not given.contains("spark.master"):  # spark-submit sets it; else run here
        builder = builder.master("local[*]")
    builder = builder.config("spark.ui.showConsoleProgress", "true")
    for key, value in tuning(chosen or given.get("spark.master", "local[*]")).items():
        if not given.contains(key):
            builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    try:  # a policy's plan can outgrow Java code generation; Spark then interprets it,
        # which is expected here: do not print the compiler's complaint
        jvm = session.sparkContext._jvm
        assert jvm is not None  # a local or remote session has its JVM gateway
        level = jvm.org.apache.logging.log4j.Level.OFF
        for logger in ("org.apache.spark.sql.catalyst.expressions.codegen",
                       "org.apache.spark.sql.execution.WholeStageCodegenExec"):
            jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(logger, level)
    except Exception:  # noqa: BLE001 — only quieter logs are lost
        pass
    return session


def tuning(master: str) -> dict[str, str]:
    """Settings the audit's plan runs faster with, unless already set:

    - `spark.sql.codegen.hugeMethodLimit` 8000: a policy's stage 1 is one large
      expression, and HotSpot does not compile a method of more than 8,000 bytes of
      bytecode (it interprets it); past this size Spark generates smaller methods
      instead (Spark's documentation suggests 8000 on HotSpot);
    - in local mode, `spark.sql.shuffle.partitions` twice the cores (not 200: each
      partition is a task, and a task costs more than its rows on one machine).

    1 million events, local[2] (benchmarks/audit.py's, 2026-12-04, best of 3): 31,664
    events/s with neither, 42,114 with the partitions, 59,897 with the limit, 99,767
    with both."""
    settings = {"spark.sql.codegen.hugeMethodLimit": "8000"}
    if master.startswith("local"):  # local, local[N], local[*], local[N,F], local[*,F]
        threads = master[master.find("[") + 1:].split(",")[0].rstrip("]") if "[" in master else "1"
        cores = int(threads) if threads.isdigit() else (os.cpu_count() or 2)
        settings["spark.sql.shuffle.partitions"] = str(2 * max(cores, 1))
    return settings


class SparkResult(AuditResult):
    engine = "spark"

    def query(self, sql: str) -> list[dict]:
        return [row.asDict(recursive=True) for row in self.handle.sql(sql.replace("{decisions}", self.table_name))
                .collect()]

    def explode(self, expression: str) -> str:
        return f"explode({expression})"

    @property
    def decisions(self):
        return self.handle.table(self.table_name)

    def write_parquet(self, path: str) -> None:
        self.decisions.drop("line").orderBy("eid").write.mode("overwrite").parquet(path)

    def source_row(self, file: str, line: int) -> Any:
        frame = self.handle.read.parquet(file)
        rows = frame.rdd.zipWithIndex().filter(lambda pair: pair[1] == int(line) - 1).map(lambda p: p[0]).take(1)
        return json.loads(json.dumps(rows[0].asDict(recursive=True), default=str)) if rows else None


def audit_spark(policy: Policy, inputs: Sequence[str], now: datetime | None = None, master: str | None = None,
                session=None, since: datetime | None = None, until: datetime | None = None,
                table: str = "lawful_decisions", progress: bool = False) -> SparkResult:
    """Decide every event in `inputs` with Spark; the decisions are cached as a
    temporary view of the session."""
    from . import expand_inputs

    files = [f for f in inputs if "://" in f] + expand_inputs([f for f in inputs if "://" not in f]) \
        if any("://" not in f for f in inputs) else list(inputs)
    spark = session or spark_session(master)
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    dialect = SparkDialect()
    parts = []
    for number, path in enumerate(files):
        name = f"lawful_source_{table}_{number}"
        kind = input_kind(path)
        shape = None
        if kind == "parquet" and "://" not in path:
            import pyarrow.parquet as pq

            try:
                shape = arrow_shape(pq.read_schema(path))
            except Exception as error:  # noqa: BLE001
                raise AuditError(f"{path}: cannot read the Parquet schema: {error}") from None
        offset = number * FILE_STEP
        if shape is not None:
            frame = spark.read.parquet(path)  # the row's place in its file, from Parquet's metadata
            frame = frame.select((frame["_metadata.row_index"] + 1).alias("lawful_line"), "*")
            frame.createOrReplaceTempView(name)
            problems, joined = "CAST(NULL AS STRING) AS lawful_context_problem", ""
            if "context" in shape:  # the context's JSON text checked by lines.json_problem
                found = context_problems(path)
                spark.createDataFrame(found.to_pylist() or [], "lawful_row long, lawful_context_problem string") \
                    .createOrReplaceTempView(f"{name}_context")
                problems = "c.lawful_context_problem"
                joined = f" LEFT JOIN {name}_context AS c ON c.lawful_row = r.lawful_line"
            source = (f"(SELECT {offset} + r.lawful_line AS eid, {quote(path)} AS file, r.lawful_line AS "
                      f"line_number, CAST(NULL AS STRING) AS line, {problems}, r.* FROM {name} AS r{joined})")
            parts.append(typed_events_sql(policy.checked, source, shape, dialect, now_us(now)))
            continue
        if kind == "jsonl":  # each file's bytes split by lines.split_lines (a file is one task)
            lines = spark.sparkContext.binaryFiles(path).flatMap(file_lines)
        elif kind == "parquet":
            frame = spark.read.parquet(path)
            lines = frame.toJSON().zipWithIndex().map(checked_row(1))
        else:
            frame = spark.read.option("header", "true").csv(path)
            lines = frame.toJSON().zipWithIndex().map(checked_row(2))
        spark.createDataFrame(lines, "line_number long, line string, lawful_problem string") \
            .createOrReplaceTempView(name)
        source = (f"(SELECT {offset} + line_number AS eid, {quote(path)} AS file, line_number, line, lawful_problem, "
                  f"CASE WHEN lawful_problem IS NULL THEN try_parse_json(line) END AS j FROM {name})")
        parts.append(events_sql(policy.checked, source, dialect, now_us(now)))
    stages = " UNION ALL ".join(f"SELECT * FROM ({part}) AS p{i}" for i, part in enumerate(parts))
    plan = audit_plan(policy, stages, dialect, files, *window_us(since, until))
    # the plan's steps as DuckDB's: events and outcomes cached, each computed once, and
    # the decisions a view joining them (a broadcast join: the outcomes are few)
    events, outcomes = f"{table}_events", f"{table}_outcomes"
    spark.sql(plan.facts).cache().createOrReplaceTempView(events)
    spark.sql(plan.outcomes(events)).cache().createOrReplaceTempView(outcomes)
    by_hash = bool(spark.sql(plan.unique_signatures(outcomes)).collect()[0][0])  # decides now
    spark.sql(plan.joined(events, outcomes, by_hash)).createOrReplaceTempView(table)
    return SparkResult(spark, table)


__all__ = ["SparkDialect", "SparkResult", "audit_spark", "spark_session"]
