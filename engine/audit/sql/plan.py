"""The plan: the stages put together into the audit's three SQL steps over stage
1's events (facts, each signature's outcome, every event joined to its outcome),
the same for both engines; the drivers (engine/audit/__init__.py for DuckDB,
engine/audit/spark.py) run them."""

from __future__ import annotations

from dataclasses import dataclass

from ...decide.policy import Policy
from .columnar import signature_problem
from .decisions import decisions_sql
from .dialects import Dialect
from .facts import FACT_COLUMNS, facts_sql, packed_facts, unpacked_facts
from .reasons import reasons_sql

OUTPUT_COLUMNS = ["eid", "file", "line_number", "effect", "reasons", "obligations", "purpose", "categories",
                  "destination", "subject_id", "event_at", "day", "valid", "problem", "line"]


FILE_STEP = 1 << 40  # an event's id: its file's number times FILE_STEP plus its line number


@dataclass
class Plan:
    """The audit of one policy over stage 1's events, in three SQL steps:

    1. `facts`: per event, FACT_COLUMNS and its signature packed in BIGINTs
       (`keys`): what, with purpose, categories, destination and problem, decides it;
       `sig` is a 64-bit hash of the signature;
    2. `outcomes(facts)`: each distinct signature decided once (effect, reasons,
       obligations), by the list logic of decisions_sql and reasons_sql;
    3. `joined(facts, outcomes)`: every event with its signature's decision
       (OUTPUT_COLUMNS).

    Conditions and consent are read per event as scalars; the lists (rules named,
    categories covered, reasons) are built once per signature, a few thousand
    times, not once per event."""

    policy: Policy
    dialect: Dialect
    facts: str
    signature: list[str]
    window: list[str]  # conditions on f.at_us
    files: list[str]  # by file number: an event id is the file number << 40 plus the line number

    @property
    def keys(self) -> list[str]:
        return signature_keys(self.signature)

    def outcomes(self, facts: str) -> str:
        """Each signature's decision; `problem` and `valid` are the event's, with the
        checks of purpose, categories and destination made here where deferred."""
        checked, d = self.policy.checked, self.dialect
        unpacked = "".join(f", {sql} AS {name}" for sql, name in unpacked_facts(self.signature, d))
        others = ", ".join(self.keys[1:])
        problem = (f"CASE WHEN deferred THEN coalesce({signature_problem(checked, d)}, row_problem) "
                   f"ELSE row_problem END")
        signatures = (f"(SELECT *, problem IS NULL AS valid FROM (SELECT sig, row_problem, {others}, {problem} AS "
                      f"problem{unpacked} FROM (SELECT DISTINCT sig, problem AS row_problem, {others} FROM {facts}) "
                      f"AS k) AS p)")
        decided = f"({decisions_sql(checked, signatures, d)}) AS decided"
        return (f"SELECT sig, row_problem, {others}, problem, valid, effect, reasons, obligations "
                f"FROM ({reasons_sql(checked, decided, d)}) AS r")

    def unique_signatures(self, outcomes: str) -> str:
        """SQL: whether no two signatures in `outcomes` share a hash (then the hash
        alone joins events to outcomes, exactly)."""
        return f"SELECT count(*) = count(DISTINCT sig) AS unique_signatures FROM {outcomes}"

    def joined(self, facts: str, outcomes: str, by_hash: bool) -> str:
        """Every event with its decision (OUTPUT_COLUMNS); invalid events, which have
        no time, are kept whatever the window. `by_hash` joins on the signature's hash
        (only when `unique_signatures` holds), else on the signature itself."""
        d = self.dialect
        at = d.timestamp_from_us("f.at_us")
        join = "f.sig = o.sig" if by_hash else " AND ".join(
            f"f.{k} IS NOT DISTINCT FROM o.{'row_problem' if k == 'problem' else k}" for k in self.keys)
        shown = ", ".join(f"CASE WHEN o.valid THEN o.{c} END AS {c}" for c in ("purpose", "categories", "destination"))
        where = f" WHERE NOT o.valid OR ({' AND '.join(self.window)})" if self.window else ""
        file = d.element(d.strings(self.files), d.int_div("f.eid", str(FILE_STEP)))
        return (f"SELECT f.eid, {file} AS file, f.eid % {FILE_STEP} AS line_number, o.effect, o.reasons, "
                f"o.obligations, {shown}, f.subject_id, CASE WHEN o.valid THEN {at} END AS event_at, "
                f"CASE WHEN o.valid THEN CAST({at} AS DATE) END AS day, o.valid, o.problem, f.line "
                f"FROM {facts} AS f JOIN {outcomes} AS o ON {join}{where}")


def audit_plan(policy: Policy, events: str, dialect: Dialect, files: list[str], since: int | None = None,
               until: int | None = None) -> Plan:
    """The Plan over `events` (stage 1's SQL for each of `files`, in order: events_sql
    or typed_events_sql, in a union). `since`/`until` (microseconds) keep events in
    [since, until); events that cannot be read have no time and are always kept."""
    window = []
    if since is not None:
        window.append(f"f.at_us >= {int(since)}")
    if until is not None:
        window.append(f"f.at_us < {int(until)}")
    facts, signature = facts_sql(policy.checked, f"({events})", dialect)
    packed = ", ".join(f"{sql} AS {name}" for sql, name in packed_facts(signature))
    columns = ", ".join(c for c in FACT_COLUMNS if c not in ("valid", "file", "line_number"))
    facts = (f"SELECT *, {dialect.hash(signature_keys(signature))} AS sig FROM (SELECT {columns}"
             f"{', ' + packed if packed else ''} FROM ({facts}) AS f) AS s")
    return Plan(policy, dialect, facts, signature, window, list(files))


def signature_keys(signature: list[str]) -> list[str]:
    """The columns of the events that decide one: what was read as it is and the
    packed facts."""
    return ["problem", "deferred", "purpose", "categories", "destination",
            *(name for _, name in packed_facts(signature))]

