"""What exactly a policy change does: every class of events whose decision
changes between two policies, with one concrete event each that both were
verified (by the reference) to decide differently.

Both policies' decisions are diagrams over one shared space (`space.Space`
with both policies' conditions), so the events where they differ are the
diagrams' difference, exactly, over the whole event space. Its disjoint cubes
are the classes reported: allow → deny, deny → allow, and, where both allow,
an obligation added or removed. A class is described by the variables it
constrains (a variable it does not name may hold any value).

The classes are per category: an event on several categories changes from
allow to deny exactly when every one of its categories is allowed by the old
policy and some category is in an allow → deny class (and the other way
round), and its obligations are the union of its categories' obligations.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr

from ...core.collector import collector_paused
from .. import reference
from . import words
from .mdd import FALSE
from .space import ABSENT, AT, CONSENT_AGE, EXPORTER, Space, event_values, model, plain

KINDS = ("allow-to-deny", "deny-to-allow", "obligation-added", "obligation-removed")


class Constraint(BaseModel):
    """What a class requires of one event field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str  # purpose, category, destination, consent, safeguard:NAME, subject.age, context.KEY…
    text: str
    values: list[Any]  # the values named (durations in seconds; see `text` for ranges)
    absent: bool  # the field left out is in the class


class Change(BaseModel):
    """One class of events that the two policies decide differently: the events
    that meet every constraint and that the old policy allows (allow → deny), the
    new policy allows (deny → allow) or both allow (an obligation changed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["allow-to-deny", "deny-to-allow", "obligation-added", "obligation-removed"]
    obligation: str | None = None
    description: str
    constraints: list[Constraint]
    #: a concrete event of the class, decided by both policies as the kind says
    example: dict[str, Any]
    old: dict[str, Any]  # the old policy's decision on the example: effect, rules, obligations
    new: dict[str, Any]
    verified: bool


class Diff(BaseModel):
    """Every class of events whose decision changes from `old` to `new`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    old: dict[str, Any]  # name and digest
    new: dict[str, Any]
    changes: list[Change]
    counts: dict[str, int]
    #: false when the classes may not be exact (`space.Space.exact`): what is reported
    #: is still verified, but a change may be missing
    exact: bool

    #: purposes whose ancestors differ: a consent or objection naming an ancestor
    #: covers them in one policy only (the classes read records naming the purpose)
    notes: list[str] = []

    _classes: list = PrivateAttr(default_factory=list)  # (change, its cube and within, per change)
    _space: Any = PrivateAttr(default=None)
    _old: Any = PrivateAttr(default=None)
    _new: Any = PrivateAttr(default=None)

    @property
    def empty(self) -> bool:
        return not self.changes

    def find(self, event: Any, policy=None, now: datetime | None = None) -> list[Change]:
        """The changes whose classes hold an event (one of its categories in the
        class); the consent and objection are read as `policy` (default: the old
        one's purposes, or the new one's for an event only it finds valid: its `fact`
        declarations may differ) reads them. Empty for an event invalid in both."""
        space = self._space
        checked = (policy or self._old).checked
        evaluation = reference.evaluate(checked, "", event, now=now)
        if evaluation.event is None and policy is None and self._new is not None:
            checked = self._new.checked
            evaluation = reference.evaluate(checked, "", event, now=now)
        if evaluation.event is None:
            return []
        valid = evaluation.event
        at = valid.at or now or datetime.now(timezone.utc)
        values = space.assignment(event_values(space, checked, valid, at))
        if values is None:
            return []
        category = space.by_name["category"]
        found = []
        for change, cube, members in self._classes:
            for name in dict.fromkeys(valid.categories):
                index = space.classify("category", name)
                if index is None:
                    continue
                point = {**values, category.level: index}
                if space.manager.value(members, point) and all(point[level] in chosen
                                                               for level, chosen in cube.items()):
                    found.append(change)
                    break
        return found

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def diff(old, new) -> Diff:
    """The exact diff of two policies (`engine.Policy`)."""
    with collector_paused():  # many young nodes and memo entries: see `collector_paused`
        return _diff(old, new)


def _diff(old, new) -> Diff:
    space = Space([old.checked, new.checked])
    before, after = model(space, 0), model(space, 1)
    manager = space.manager
    regions = {**old.checked.vocabulary.regions, **new.checked.vocabulary.regions}
    regions_named = {name: members for name, members in regions.items()}
    both = manager.both(before.allow, after.allow)
    # (kind, obligation, the events a class is taken from, what changes within them)
    diagrams: list[tuple[str, str | None, int, int]] = [
        ("allow-to-deny", None, before.allow, manager.negate(after.allow)),
        ("deny-to-allow", None, after.allow, manager.negate(before.allow)),
    ]
    for name in sorted(set(before.obligations) | set(after.obligations)):
        had = before.obligations.get(name, FALSE)
        has = after.obligations.get(name, FALSE)
        diagrams.append(("obligation-added", name, both, manager.both(has, manager.negate(had))))
        diagrams.append(("obligation-removed", name, both, manager.both(had, manager.negate(has))))
    changes: list[Change] = []
    classes = []
    for kind, obligation, within, changed in diagrams:
        exact = manager.both(within, changed)
        if exact == FALSE:
            continue
        # each class: the events of `within` in one cube of `changed`, simplified
        # where `within` does not care, so that it names only what the change reads
        for cube in manager.cubes(manager.simplify(changed, within)):
            members = manager.both(exact, manager.all_of(manager.member(level, values)
                                                          for level, values in cube.items()))
            if members == FALSE:
                continue
            example = next(manager.cubes(members))
            change = _change(space, old, new, kind, obligation, cube, example, regions_named)
            changes.append(change)
            classes.append((change, cube, exact))
    changes.sort(key=lambda c: (KINDS.index(c.kind), c.obligation or "", c.description))
    counts = {kind: sum(1 for c in changes if c.kind == kind) for kind in KINDS}
    result = Diff(old={"name": old.name, "digest": old.digest}, new={"name": new.name, "digest": new.digest},
                  changes=changes, counts=counts, exact=space.exact, notes=_hierarchy_notes(old, new))
    result._classes = classes
    result._space = space
    result._old = old
    result._new = new
    return result


def _hierarchy_notes(old, new) -> list[str]:
    notes = []
    known = [set(p.checked.vocabulary.purposes.ancestors) for p in (old, new)]
    for purpose in sorted(known[0] ^ known[1]):
        which = "old" if purpose in known[0] else "new"
        notes.append(f"purpose `{purpose}` is known to the {which} policy only: an event whose consents or "
                     "objections name it is invalid under the other")
    before = old.checked.vocabulary.purposes.ancestors
    after = new.checked.vocabulary.purposes.ancestors
    for purpose in sorted(set(old.checked.vocabulary.bases) & set(new.checked.vocabulary.bases)):
        gained, lost = after[purpose] - before[purpose], before[purpose] - after[purpose]
        if gained or lost:
            parts = [f"now also `{a}`" for a in sorted(gained)] + [f"no longer `{a}`" for a in sorted(lost)]
            notes.append(f"purpose `{purpose}` descends from " + ", ".join(parts) +
                         ": a consent or objection naming that purpose covers it in one policy only")
    markers = [p.checked.vocabulary.markers for p in (old, new)]
    for purpose in sorted((markers[0] ^ markers[1]) & known[0] & known[1]):
        which = "old" if purpose in markers[0] else "new"
        notes.append(f"purpose `{purpose}` is a marker in the {which} policy only: there a consent naming it "
                     "covers nothing and no event is for it")
    return notes


def _change(space: Space, old, new, kind: str, obligation: str | None, cube: dict[int, frozenset[int]],
            example_cube: dict[int, frozenset[int]], regions) -> Change:
    constraints = []
    values: dict[str, Any] = {}
    for variable in space.variables:
        picked = example_cube.get(variable.level)
        values[variable.name] = variable.classes[min(picked) if picked else 0][0]
        chosen = cube.get(variable.level)
        if chosen is None or len(chosen) == len(variable.classes):
            continue
        constraints.append(Constraint(
            field=variable.name, text=words.describe(variable, set(chosen), regions),
            values=words.listed(variable, set(chosen)),
            absent=any(variable.classes[i][0] is ABSENT for i in chosen)))
    example = example_event(space, values)
    decided = [reference.evaluate(p.checked, p.digest, example).decision for p in (old, new)]
    if kind == "allow-to-deny":
        verified = decided[0].allowed and not decided[1].allowed
    elif kind == "deny-to-allow":
        verified = not decided[0].allowed and decided[1].allowed
    else:
        had, has = (obligation in d.obligations for d in decided)
        verified = decided[0].allowed and decided[1].allowed and (has and not had if kind == "obligation-added"
                                                                 else had and not has)
    if kind.startswith("obligation"):
        head = f"`{obligation}` {'added' if kind == 'obligation-added' else 'removed'} (where both allow)"
    elif kind == "allow-to-deny":
        head = "allow → deny (where the old policy allowed)"
    else:
        head = "deny → allow (where the new policy allows)"
    description = head + ": " + ("; ".join(c.text for c in constraints) or "every event")
    return Change(kind=kind, obligation=obligation, description=description, constraints=constraints,
                  example=example, old=_summary(decided[0]), new=_summary(decided[1]), verified=verified)


def _summary(decision) -> dict[str, Any]:
    return {"effect": decision.effect,
            "rules": sorted({r.rule or r.kind for r in decision.reasons}),
            "obligations": list(decision.obligations)}


def example_event(space: Space, values: dict[str, Any]) -> dict[str, Any]:
    """A JSON event whose variables hold `values` (name -> raw value)."""
    at = AT.isoformat().replace("+00:00", "Z")
    purpose = values["purpose"]
    event: dict[str, Any] = {"purpose": purpose, "categories": [values["category"]],
                             "destination": values["destination"]}
    if values.get("recipient", ABSENT) is not ABSENT:
        event["recipient"] = plain(values["recipient"])
    subject: dict[str, Any] = {}
    for name in ("id", "age", "country", "kind"):
        got = values.get("subject." + name, ABSENT)
        if got is not ABSENT:
            subject[name] = plain(got)  # "another string" (`Other`) as a plain string
    state = values.get("consent", "none")
    if state != "none":
        flags = state.split("+")
        given = (AT - timedelta(days=1)).isoformat().replace("+00:00", "Z")
        subject["consents"] = [{"purpose": purpose, "given_at": given, "explicit": "explicit" in flags,
                                "parental": "parental" in flags}]
        age = values.get(CONSENT_AGE, ABSENT)
        if age is not ABSENT:  # the age on the subject's own consent: one of theirs beside a parent's
            if "parental" in flags:
                subject["consents"].append({"purpose": purpose, "given_at": given})
            subject["consents"][-1]["age"] = age
    if values.get("objected"):
        subject["objections"] = [purpose]
    if subject:
        event["subject"] = subject
    safeguards = [name.split(":", 1)[1] for name, on in values.items() if name.startswith("safeguard:") and on]
    if safeguards:
        event["safeguards"] = ["another-safeguard" if s == "*" else s for s in safeguards]
    if values.get("automated"):
        event["automated"] = True
    if values.get("exporter", EXPORTER.default) != EXPORTER.default:
        event["exporter"] = values["exporter"]
    age = values.get("data_age", ABSENT)
    if age is not ABSENT:
        event["collected_at"] = (AT - age).isoformat().replace("+00:00", "Z")
    event["at"] = at
    context = {name.split(".", 1)[1]: value for name, value in values.items()
               if name.startswith("context.") and value is not ABSENT}
    if context:
        event["context"] = plain(context)
    return event


# ---- in words ------------------------------------------------------------------------------------


def render_text(result: Diff) -> str:
    lines = [f"{_name(result.old)} → {_name(result.new)}: " + _counts(result)]
    for change in result.changes:
        lines.append(f"  {change.description}")
        lines.append(f"      e.g. {_compact(change.example)}")
        lines.append(f"      old: {_decided(change.old)}   new: {_decided(change.new)}")
    for note in result.notes:
        lines.append(f"note: {note}")
    if not result.exact:
        lines.append("note: the classes may not be exact (a condition compares two open-ended fields, or "
                     "nested context objects were too many to enumerate): the diff may be incomplete")
    return "\n".join(lines) + "\n"


def render_markdown(result: Diff) -> str:
    lines = [f"### Policy change: {_name(result.old)} → {_name(result.new)}", "", _counts(result), ""]
    if result.changes:
        lines += ["| change | events | old | new |", "| --- | --- | --- | --- |"]
        for change in result.changes:
            head, _, rest = change.description.partition(": ")
            lines.append(f"| {_cell(head)} | {_cell(rest)} | {_cell(_decided(change.old))} | "
                         f"{_cell(_decided(change.new))} |")
        lines += ["", "<details><summary>Example events</summary>", ""]
        for number, change in enumerate(result.changes, 1):
            lines.append(f"{number}. `{_compact(change.example)}`")
        lines += ["", "</details>"]
    for note in result.notes:
        lines += ["", f"> Note: {note}"]
    if not result.exact:
        lines += ["", "> The classes may not be exact (a condition compares two open-ended fields, or nested "
                  "context objects were too many to enumerate): the diff may be incomplete."]
    return "\n".join(lines) + "\n"


def _name(policy: dict[str, Any]) -> str:
    return f"{policy['name'] or 'policy'} ({policy['digest'][7:19]})"


def _counts(result: Diff) -> str:
    if not result.changes:
        return "no decision changes"
    return ", ".join(f"{n} {kind}" for kind, n in result.counts.items() if n)


def _decided(summary: dict[str, Any]) -> str:
    text = summary["effect"]
    if summary["effect"] == "deny":
        text += " by " + ", ".join(summary["rules"])
    elif summary["obligations"]:
        text += " with " + ", ".join(summary["obligations"])
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _compact(event: dict[str, Any]) -> str:
    import json
    return json.dumps(event, ensure_ascii=False, separators=(", ", ": "))



