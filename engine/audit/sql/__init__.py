"""A policy as SQL: the relational backend of `lawful audit`.

The same meaning as the reference evaluator, set at a time instead of event at a
time, as plain SQL text over one table. One module per stage, in order:

- `fields`: the event's fields as the SQL lists them (JSON keys, column types);
- `events`: stage 1, each JSON line checked the way `engine.Event` checks it and
  read into a typed row; `columnar`: the same for Parquet events typed as events;
  `fitted`: which JSON lines read exactly into those typed columns (DuckDB), and how;
- `conditions`: rules' targets as name sets (expanded through the hierarchies
  once, here) and their conditions as boolean SQL, an error being NULL;
- `facts`: per event, what its decision reads, packed into the signature's keys;
- `decisions`: per signature, the effect, the rules that apply and obligations;
- `reasons`: the decision's explanation, in the reference's order;
- `plan`: the stages put together, the three SQL steps the drivers run.

`dialects` holds what differs between DuckDB and Spark SQL (list functions,
lambdas, JSON access): `dialects/base.py` the interface and what is spelled once
for both, `dialects/duckdb.py` and `dialects/spark.py` only what differs. Nothing
from the policy reaches the SQL text except through `quote` (string literals) and
integers: names are data, never syntax.
"""

from .columnar import arrow_shape, signature_problem, typed_events_sql
from .decisions import decisions_sql
from .dialects import Dialect, DuckDBDialect, SparkDialect, quote
from .events import events_sql
from .facts import FACT_COLUMNS, facts_sql, packed_facts, unpacked_facts
from .reasons import reasons_sql

__all__ = ["FACT_COLUMNS", "Dialect", "DuckDBDialect", "SparkDialect", "arrow_shape", "decisions_sql",
           "events_sql", "facts_sql", "packed_facts", "quote", "reasons_sql", "signature_problem",
           "typed_events_sql", "unpacked_facts"]
