"""Decisions: over the signatures (facts.py), each event's effect, the rules
that forbid it, whether consent is missing, the first permit covering each
category, the obliges that apply and the obligations. A forbid (and an oblige)
applies when its condition is true *or NULL* (fail closed), a permit only when
it is true."""

from __future__ import annotations

from ...ir import CheckedPolicy
from .conditions import Compiler, RuleSql
from .dialects import Dialect
from .facts import purpose_columns


def decisions_sql(policy: CheckedPolicy, events: str, dialect: Dialect) -> str:
    """SELECT over `events` (valid, problem, purpose, categories, destination and
    facts_sql's h<rule> and consent_held) giving: `effect`, `forbidden` (rule
    indexes), `no_consent`, `permitted` (per category, the first covering permit's
    index or NULL), `obliged` (the indexes of the obliges that apply), `obligations`
    — valid events only; invalid ones have effect deny and their `problem`."""
    d = dialect
    compiler = Compiler(policy, dialect)
    rules = compiler.rules()
    basis, ancestors = purpose_columns(policy, dialect)

    def targets(rule: RuleSql, category: str | None) -> list[str]:
        parts = []
        if rule.purposes is not None:
            parts.append(d.among("purpose", rule.purposes))
        if rule.destinations is not None:
            parts.append(d.among("destination", rule.destinations))
        if rule.categories is not None:
            parts.append(d.among(category, rule.categories) if category else
                         d.overlaps("categories", d.strings(rule.categories)))
        return parts

    holds = {r.index: f"h{r.index}" for r in rules if r.condition is not None}

    def forbid_applies(rule: RuleSql) -> str:
        parts = targets(rule, None)
        if rule.condition is not None:
            parts.append(f"coalesce({holds[rule.index]}, true)")
        return " AND ".join(parts) or "true"

    def permit_covers(rule: RuleSql, category: str) -> str:
        parts = targets(rule, category)
        if rule.condition is not None:
            parts.append(f"coalesce({holds[rule.index]}, false)")
        return " AND ".join(parts) or "true"

    forbids = [r for r in rules if r.effect == "forbid"]
    permits = [r for r in rules if r.effect == "permit"]
    obliges = [r for r in rules if r.effect == "oblige"]

    def applying(chosen: list[RuleSql]) -> str:
        """The indexes of the forbids (or obliges) among `chosen` that apply."""
        return d.filter(d.array([f"CASE WHEN {forbid_applies(r)} THEN {r.index} END" for r in chosen], "INTEGER"),
                        "x", "x IS NOT NULL")

    forbidden = applying(forbids)
    first_permit = ("CASE " + " ".join(f"WHEN {permit_covers(r, 'c')} THEN {r.index}" for r in permits)
                    + " END") if permits else "CAST(NULL AS INTEGER)"
    permitted = d.transform("categories", "c", first_permit)
    # obligations: the union over every permit that covers a category and every oblige
    # that applies. Each such rule is one boolean; with few of them, every combination
    # is a constant list (cheap), else the lists are concatenated per event
    granting = [r for r in rules if r.obligations and r.effect != "forbid"]
    grants = {r.index: f"g{r.index}" for r in granting}
    grant_columns = "".join(
        f", {d.exists('categories', 'c', permit_covers(r, 'c')) if r.effect == 'permit' else forbid_applies(r)}"
        f" AS g{r.index}" for r in granting)
    if len(granting) <= 5:
        cases = []
        for mask in range((1 << len(granting)) - 1, 0, -1):
            chosen = [r for bit, r in enumerate(granting) if mask >> bit & 1]
            test = " AND ".join(grants[r.index] for r in chosen)
            cases.append(f"WHEN {test} THEN {d.strings(sorted({o for r in chosen for o in r.obligations}))}")
        obligations = ("CASE " + " ".join(cases) + f" ELSE {d.strings([])} END") if cases else d.strings([])
    else:
        obligations = d.distinct_sorted(d.concat_lists([
            f"CASE WHEN {grants[r.index]} THEN {d.strings(sorted(r.obligations))} ELSE {d.strings([])} END"
            for r in granting]))
    any_forbid = " OR ".join(f"({forbid_applies(r)})" for r in forbids) or "false"
    base = f"SELECT *, {basis} AS basis, {ancestors} AS ancestors FROM {events}"
    consent = "consent_held"
    with_conditions = f"SELECT *{grant_columns} FROM ({base}) AS b"
    decided = (f"SELECT *, {forbidden} AS forbidden, (basis = 'consent' AND NOT {consent}) AS no_consent, "
               f"{permitted} AS permitted, {f'{applying(obliges)} AS obliged, ' if obliges else ''}"
               f"({any_forbid}) AS any_forbid "
               f"FROM ({with_conditions}) AS w")
    return (f"SELECT *, "
            f"CASE WHEN NOT valid OR any_forbid OR no_consent OR "
            f"{d.exists('permitted', 'p', 'p IS NULL')} THEN 'deny' ELSE 'allow' END AS effect, "
            f"CASE WHEN valid AND NOT any_forbid AND NOT no_consent AND NOT "
            f"{d.exists('permitted', 'p', 'p IS NULL')} THEN {obligations} ELSE {d.strings([])} END "
            f"AS obligations FROM ({decided}) AS x")
