"""Reasons: the decision's explanation as a list of (kind, rule, location,
category, message), in the reference's order."""

from __future__ import annotations

from ...check import RESERVED_LABEL, CheckedPolicy
from .dialects import Dialect, quote


def reasons_sql(policy: CheckedPolicy, decided: str, dialect: Dialect) -> str:
    """SELECT over `decided` (from decisions_sql joined with the events) adding
    `reasons`: a list of (kind, rule, location, category, message) in the
    reference's order — forbids in policy order, the consent rule, then each
    category not covered; for an allow, the permit covering each category."""
    d = dialect
    rules = policy.rules
    labels = d.array([quote(r.label) if r.label else "NULL" for r in rules])
    locations = d.array([quote(r.location) if r.location else "NULL" for r in rules])
    forbid_messages = d.array([quote(r.because or f"forbidden by {r.name}") for r in rules])
    permit_messages = d.array([quote(r.because or f"permitted by {r.name}") for r in rules])

    def reason(kind: str, rule: str, location: str, category: str, message: str) -> str:
        return d.struct({"kind": quote(kind), "rule": rule, "location": location,
                         "category": category, "message": message})

    null = d.null_string
    forbidden = d.transform("forbidden", "i", reason(
        "forbidden", d.element(labels, "i"), d.element(locations, "i"), null, d.element(forbid_messages, "i")))
    no_consent = reason("no-consent", quote(RESERVED_LABEL), null, null, d.concat(
        quote("the purpose `"), "purpose",
        quote("` is based on consent, and the subject holds no valid consent covering it")))
    consent = f"CASE WHEN no_consent THEN {d.array([no_consent], 'STRUCT')} ELSE {d.empty_reasons()} END"
    pairs = d.zip_categories("categories", "permitted")
    uncovered = d.transform(d.filter(pairs, "q", "q.p IS NULL"), "q", reason(
        "not-permitted", null, null, "q.c",
        d.concat(quote("no permit covers the category `"), "q.c", quote("` for the purpose `"), "purpose",
                 quote("` to `"), "destination", quote("`"))))
    covered = d.transform(pairs, "q", reason(
        "permitted", d.element(labels, "q.p"), d.element(locations, "q.p"), "q.c",
        d.concat(quote("`"), "q.c", quote("`: "), d.element(permit_messages, "q.p"))))
    invalid = d.array([reason("invalid-event", null, null, null,
                              d.concat(quote("the event is not valid: "), "coalesce(problem, '')"))], "STRUCT")
    return (f"SELECT *, CASE WHEN NOT valid THEN {invalid} "
            f"WHEN effect = 'deny' THEN {d.concat_lists([forbidden, consent, uncovered])} "
            f"ELSE {covered} END AS reasons FROM {decided}")
