"""Facts: per event, what its decision reads (each rule's condition where its
purpose and destination match, whether a consent is held), and those three-valued
facts packed into BIGINT keys: with purpose, categories, destination and problem,
the event's signature, decided once however many events share it."""

from __future__ import annotations

from ...ir import CheckedPolicy
from .conditions import Compiler
from .dialects import Dialect, quote


def purpose_columns(policy: CheckedPolicy, dialect: Dialect) -> tuple[str, str]:
    """SQL of the event purpose's lawful basis and of its ancestors (itself included)."""
    vocabulary = policy.vocabulary
    purposes = sorted(vocabulary.event_bases)  # what an event can be for
    basis = "CASE " + " ".join(f"WHEN purpose = {quote(p)} THEN {quote(vocabulary.bases[p])}"
                               for p in purposes) + " END"
    ancestors = "CASE " + " ".join(
        f"WHEN purpose = {quote(p)} THEN {dialect.strings(sorted(vocabulary.purposes.ancestors[p]))}"
        for p in purposes) + " END"
    return basis, ancestors


FACT_COLUMNS = ["eid", "file", "line_number", "line", "valid", "problem", "deferred", "purpose", "categories",
                "destination", "subject_id", "at_us"]


def facts_sql(policy: CheckedPolicy, events: str, dialect: Dialect) -> tuple[str, list[str]]:
    """SELECT over `events` (stage 1) keeping FACT_COLUMNS and adding what the
    decision reads from each event: each condition's value where its rule's purpose
    and destination match (h<rule>; NULL for an error or elsewhere) and, for a
    purpose based on consent, whether a valid consent is held. Returns it and the
    names of the columns that, with purpose, categories, destination and problem,
    decide the event: its signature."""
    basis, ancestors = purpose_columns(policy, dialect)
    compiler = Compiler(policy, dialect)
    rules = [r for r in compiler.rules() if r.condition is not None]
    with_basis = f"SELECT *, {basis} AS basis, {ancestors} AS ancestors FROM {events}"
    columns = [f"{compiler.scoped(r)} AS h{r.index}" for r in rules]
    columns.append(f"CASE WHEN basis = 'consent' THEN {compiler.consent(None)} END AS consent_held")
    return (f"SELECT {', '.join(FACT_COLUMNS)}, {', '.join(columns)} FROM ({with_basis}) AS b",
            [f"h{r.index}" for r in rules] + ["consent_held"])


PACK = 31  # three-valued facts per BIGINT: base-4 digits, 4**31 < 2**63


def packed_facts(signature: list[str]) -> list[tuple[str, str]]:
    """(SQL, name) of the BIGINT columns packing the three-valued `signature`
    columns (NULL 0, true 1, false 2), 31 to a column: a short, exact key."""
    columns = []
    for start in range(0, len(signature), PACK):
        digits = [f"CAST(CASE WHEN {name} IS NULL THEN 0 WHEN {name} THEN 1 ELSE 2 END AS BIGINT) * "
                  f"CAST({4 ** i} AS BIGINT)"
                  for i, name in enumerate(signature[start:start + PACK])]
        columns.append((f"CAST({' + '.join(digits)} AS BIGINT)", f"k{start // PACK}"))
    return columns


def unpacked_facts(signature: list[str], dialect: Dialect) -> list[tuple[str, str]]:
    """(SQL, name) giving back each `signature` column from `packed_facts`' columns."""
    columns = []
    for position, name in enumerate(signature):
        key, digit = f"k{position // PACK}", position % PACK
        value = f"({dialect.int_div(key, str(4 ** digit))} % 4)"
        columns.append((f"CASE {value} WHEN 1 THEN true WHEN 2 THEN false END", name))
    return columns
