"""Reasons: the decision's explanation as a list of (kind, rule, location,
category, message), in the reference's order."""

from __future__ import annotations

from ...decide import reasons as words
from ...ir import CheckedPolicy
from .dialects import Dialect, quote


def reasons_sql(policy: CheckedPolicy, decided: str, dialect: Dialect) -> str:
    """SELECT over `decided` (from decisions_sql joined with the events) adding
    `reasons`: a list of (kind, rule, location, category, message) in the
    reference's order — forbids in policy order, the consent rule, then each
    category not covered; for an allow, the permit covering each category, then
    the obliges that apply, in policy order."""
    d = dialect
    rules = policy.rules
    labels = d.array([quote(r.label) if r.label else "NULL" for r in rules])
    locations = d.array([quote(r.location) if r.location else "NULL" for r in rules])
    forbid_messages = d.array([quote(words.forbidden(r)) for r in rules])
    permit_messages = d.array([quote(words.permitted_by(r)) for r in rules])
    oblige_messages = d.array([quote(words.obliged(r)) for r in rules])

    def message(template: str, **columns: str) -> str:
        """The reason's words (decide/reasons.py) with the event's columns in their places."""
        return d.concat(*[quote(value) if kind == "text" else columns[value]
                          for kind, value in words.pieces(template)])

    def reason(kind: str, rule: str, location: str, category: str, message: str) -> str:
        return d.struct({"kind": quote(kind), "rule": rule, "location": location,
                         "category": category, "message": message})

    null = d.null_string
    forbidden = d.transform("forbidden", "i", reason(
        "forbidden", d.element(labels, "i"), d.element(locations, "i"), null, d.element(forbid_messages, "i")))
    no_consent = reason("no-consent", quote(words.CONSENT_LABEL), null, null,
                        message(words.NO_CONSENT, purpose="purpose"))
    consent = f"CASE WHEN no_consent THEN {d.array([no_consent], 'STRUCT')} ELSE {d.empty_reasons()} END"
    pairs = d.zip_categories("categories", "permitted")
    uncovered = d.transform(d.filter(pairs, "q", "q.p IS NULL"), "q", reason(
        "not-permitted", null, null, "q.c",
        message(words.NOT_PERMITTED, category="q.c", purpose="purpose", destination="destination")))
    covered = d.transform(pairs, "q", reason(
        "permitted", d.element(labels, "q.p"), d.element(locations, "q.p"), "q.c",
        message(words.PERMITTED, category="q.c", permit=d.element(permit_messages, "q.p"))))
    obliged = d.transform("obliged", "i", reason(
        "obliged", d.element(labels, "i"), d.element(locations, "i"), null, d.element(oblige_messages, "i")))
    invalid = d.array([reason("invalid-event", null, null, null,
                              d.concat(quote("the event is not valid: "), "coalesce(problem, '')"))], "STRUCT")
    return (f"SELECT *, CASE WHEN NOT valid THEN {invalid} "
            f"WHEN effect = 'deny' THEN {d.concat_lists([forbidden, consent, uncovered])} "
            f"ELSE {d.concat_lists([covered, obliged]) if any(r.effect == 'oblige' for r in rules) else covered} "
            f"END AS reasons FROM {decided}")
