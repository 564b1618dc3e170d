"""Auditing at scale: DuckDB and Spark (local mode) against the Python fast path.

    pip install -e '.[test]'                     # duckdb, pyarrow, plotly, pyspark
    python benchmarks/audit.py                   # 10M events; writes benchmarks/audit-results.md
    python benchmarks/audit.py --events 1000000 --spark-events 1000000

Generates events for the shop policy (rules/examples/shop, with `use gdpr`):
purposes, categories, destinations inside and outside the EEA, ages, consents,
safeguards and times over a month. Writes them once as Parquet (the event's own
columns) and once as JSON lines, then, in one run:

- DuckDB on the Parquet file and on the JSON lines (events per second, all cores);
- Spark in local mode (local[2]) on Parquet (a subset when --spark-events is lower);
- the Python fast path (`policy.evaluate_many`) on a sample, as the baseline;
- the check: DuckDB's counts of allows and denies over all the events equal the
  fast path's (itself tested equal to the reference), and a random sample of
  events decided by DuckDB equals the reference evaluator, reason for reason.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench  # noqa: E402
import duckdb  # noqa: E402

import engine  # noqa: E402
from engine.audit import audit_duckdb

ROOT = Path(__file__).resolve().parent.parent
PURPOSES = ["billing", "delivery", "newsletter", "newsletter.weekly", "analytics", "support"]
CATEGORIES = ["contact.email", "contact.postal", "contact.phone", "payment.card", "usage.clickstream",
              "usage.device", "support.ticket"]
DESTINATIONS = ["DE", "FR", "IE", "IT", "ES", "NL", "US", "IN", "JP", "BR"]


def generate(count: int, seed: int = 1) -> list[dict]:
    chooser = random.Random(seed)
    events = []
    for _ in range(count):
        purpose = chooser.choice(PURPOSES)
        subject = {"id": f"u{chooser.randint(1, 100_000)}", "age": chooser.randint(10, 80),
                   "country": chooser.choice(DESTINATIONS[:6])}
        if chooser.random() < 0.6:
            subject["consents"] = [{"purpose": "newsletter", "given_at": "2026-01-05T10:00:00Z",
                                    "parental": chooser.random() < 0.2}]
        event = {"purpose": purpose, "categories": chooser.sample(CATEGORIES, chooser.randint(1, 2)),
                 "destination": chooser.choice(DESTINATIONS), "subject": subject,
                 "at": f"2026-11-{chooser.randint(1, 30):02d}T{chooser.randint(0, 23):02d}:00:00Z"}
        if purpose == "analytics":
            event["collected_at"] = chooser.choice(["2026-10-01T00:00:00Z", "2024-01-01T00:00:00Z"])
        if purpose == "support" and chooser.random() < 0.5:
            event["safeguards"] = ["dpf"]
        events.append(event)
    return events


def write_files(folder: Path, total: int, chunk: int = 1_000_000) -> tuple[Path, Path]:
    """JSON lines and Parquet with the same events, written chunk by chunk."""
    lines = folder / "events.jsonl"
    with lines.open("w") as handle:
        for start in range(0, total, chunk):
            for event in generate(min(chunk, total - start), seed=start + 1):
                handle.write(json.dumps(event) + "\n")
    parquet = folder / "events.parquet"
    columns = ("{'purpose': 'VARCHAR', 'categories': 'VARCHAR[]', 'destination': 'VARCHAR', "
               "'subject': 'STRUCT(id VARCHAR, age BIGINT, country VARCHAR, consents STRUCT(purpose VARCHAR, "
               "given_at TIMESTAMPTZ, parental BOOLEAN)[])', 'at': 'TIMESTAMPTZ', 'collected_at': 'TIMESTAMPTZ', "
               "'safeguards': 'VARCHAR[]'}")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"COPY (SELECT * FROM read_json('{lines}', format = 'newline_delimited', columns = {columns})) "
                f"TO '{parquet}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)")
    return lines, parquet


def timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--spark-events", type=int, default=2_000_000,
                        help="events for Spark local mode (a prefix of the same events)")
    parser.add_argument("--python-events", type=int, default=200_000, help="events for the Python fast path")
    parser.add_argument("--sample", type=int, default=2_000, help="events checked against the reference")
    parser.add_argument("--runs", type=int, default=3, help="DuckDB runs on the Parquet file (the median counts)")
    parser.add_argument("--output", default=str(Path(__file__).with_name("audit-results.md")))
    args = parser.parse_args()
    policy = engine.load_policy(ROOT / "rules" / "examples" / "shop")
    rows: list[tuple[str, int, float]] = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        print(f"writing {args.events:,} events …", flush=True)
        lines, parquet = write_files(folder, args.events)

        os.sync()  # the files' pages on disk, not being written back while timing
        warm = folder / "warm.parquet"  # warm-up: DuckDB's extensions and first allocations
        duckdb.sql(f"COPY (SELECT * FROM read_parquet('{parquet}') LIMIT 100000) TO '{warm}' (FORMAT parquet)")
        audit_duckdb(policy, [str(warm)]).handle.close()

        def audit_and_count():  # every event's decision, counted through the outcomes join
            audited = audit_duckdb(policy, [str(parquet)])
            return audited, {row["effect"]: row["n"] for row in audited.query(
                "SELECT effect, count(*) AS n FROM {decisions} GROUP BY effect")}

        runs, result = [], None
        for _ in range(args.runs):
            if result is not None:
                result.handle.close()  # one audit's tables in memory at a time
                result = None
                gc.collect()
            (result, counts), seconds = timed(audit_and_count)
            runs.append(seconds)
            print(f"  duckdb parquet: {args.events / seconds:,.0f} events/s", flush=True)
        seconds = statistics.median(runs)
        duckdb_runs = ", ".join(f"{args.events / r:,.0f}" for r in runs)
        rows.append(("DuckDB, Parquet", args.events, seconds))

        json_events = min(args.events, 2_000_000)
        json_part = folder / "part.jsonl"
        with lines.open() as source, json_part.open("w") as target:
            for _, line in zip(range(json_events), source):
                target.write(line)
        _, seconds = timed(lambda: audit_duckdb(policy, [str(json_part)]).count())
        rows.append(("DuckDB, JSON lines", json_events, seconds))
        print(f"  duckdb json lines: {json_events / seconds:,.0f} events/s", flush=True)

        # the check: counts over everything against the fast path, a sample against the reference
        fast = {"allow": 0, "deny": 0}
        python_seconds = 0.0
        with lines.open() as source:
            batch = []
            for number, line in enumerate(source):
                batch.append(json.loads(line))
                if len(batch) == 100_000:
                    started = time.perf_counter()
                    for decision in policy.evaluate_many(batch):
                        fast[decision.effect] += 1
                    if number < args.python_events:
                        python_seconds += time.perf_counter() - started
                    batch = []
            for decision in policy.evaluate_many(batch):
                fast[decision.effect] += 1
        rows.append(("Python fast path (evaluate_many)", min(args.events, args.python_events), python_seconds))
        chooser = random.Random(7)
        wanted = sorted(chooser.sample(range(1, args.events + 1), min(args.sample, args.events)))
        sampled = result.query("SELECT line_number, effect, reasons, obligations FROM {decisions} "
                               f"WHERE line_number IN ({', '.join(map(str, wanted))}) ORDER BY line_number")
        wanted_set, events_by_line = set(wanted), {}
        with lines.open() as source:
            for number, line in enumerate(source, start=1):
                if number in wanted_set:
                    events_by_line[number] = json.loads(line)
        disagreements = 0
        for row in sampled:
            reference = policy.evaluate_reference(events_by_line[row["line_number"]])
            mine = (row["effect"], [(r["kind"], r["rule"], r["location"], r["category"]) for r in row["reasons"]],
                    list(row["obligations"]))
            theirs = (reference.effect, [(r.kind, r.rule, r.location, r.category) for r in reference.reasons],
                      list(reference.obligations))
            disagreements += mine != theirs
        counts_agree = counts == fast
        print(f"  counts duckdb {counts} fast path {fast}: {'agree' if counts_agree else 'DISAGREE'}; "
              f"sample of {len(sampled)}: {disagreements} disagreement(s)", flush=True)

        spark_events = min(args.spark_events, args.events)
        try:
            from engine.audit.spark import audit_spark, spark_session

            spark = spark_session("local[2]")
            spark_parquet = folder / "spark.parquet"
            duckdb.sql(f"COPY (SELECT * FROM read_parquet('{parquet}') LIMIT {spark_events}) TO "
                       f"'{spark_parquet}' (FORMAT parquet)")
            audit_spark(policy, [str(spark_parquet)], session=spark, table="warm").count()  # JVM warm-up
            spark.catalog.clearCache()
            _, seconds = timed(lambda: audit_spark(policy, [str(spark_parquet)], session=spark, table="timed").count())
            rows.append(("Spark local[2], Parquet", spark_events, seconds))
            print(f"  spark: {spark_events / seconds:,.0f} events/s", flush=True)
            spark.stop()
        except ImportError:
            print("  spark: pyspark is not installed (pip install -e '.[spark]')")

    baseline = next(r for r in rows if r[0].startswith("Python"))
    per_second = {name: count / seconds for name, count, seconds in rows}
    lines_out = ["# Audit benchmark", "",
                 f"Machine: {bench.machine()}. Command: `python benchmarks/audit.py --events {args.events}`. "
                 "Policy: `rules/examples/shop` with `use gdpr`; generated events (see the script).", "",
                 "| engine | events | seconds | events/s | vs Python fast path |", "|---|---:|---:|---:|---:|"]
    for name, count, seconds in rows:
        lines_out.append(f"| {name} | {count:,} | {seconds:.1f} | {count / seconds:,.0f} | "
                         f"{per_second[name] / (baseline[1] / baseline[2]):.1f}× |")
    duck = per_second["DuckDB, Parquet"]
    lines_out += ["", f"Target: DuckDB ≥ 2,000,000 events/s on {args.events:,} events — "
                      f"{duck:,.0f}/s (median of {len(runs)} runs: {duckdb_runs}): "
                      f"{'met' if duck >= 2_000_000 else 'missed'}.", "",
                  f"Check: DuckDB's counts over all {args.events:,} events {counts} "
                  f"{'equal' if counts_agree else 'DIFFER FROM'} the fast path's; a random sample of "
                  f"{len(sampled):,} events equals the reference evaluator reason for reason "
                  f"({disagreements} disagreement(s)).",
                  "", "Times include reading the files, deciding, and counting every event's effect "
                      "(DuckDB: the events and outcomes tables, and the count through the view that "
                      "joins them; Spark: the same, cached, counted through its view); not writing Parquet."]
    Path(args.output).write_text("\n".join(lines_out) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0 if counts_agree and not disagreements else 1


if __name__ == "__main__":
    sys.exit(main())
