"""What would make a denied event allowed: the minimal sets of changes a
controller can make, each verified by the reference.

The changes a controller can choose are the variables `space.controllable`
names — the destination, the consent it obtains, the safeguards it adopts,
whether a human takes part in the decision, the grounds it states in `context` —
and dropping categories. The facts of the case (the subject's age, country and
kind, an objection, the data's age) are never proposed as changes; when only
they stand in the way, the answer is "no lawful remedy" with the rules that
make it so, and a fact the event leaves out is asked for on its own.

With the facts fixed, the policy's decision diagram is a function of the
controllable variables alone. Its cubes (disjoint products of value classes,
whose union is exactly where the event is allowed) give, for each, the
variables that must change; the minimal of these change sets are exactly the
minimal remedies (a remedy changing S has a cube changing a subset of S, which
is itself a remedy). Each remedy is then applied to the event and re-evaluated
with the reference: it must allow, and every proper subset of its changes must
still deny.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ... import ir
from ...core.collector import collector_paused
from .. import reference
from ..decision import Reason
from ...event.model import Event
from . import words
from .mdd import FALSE, TRUE
from .space import ABSENT, CONSENT_AGE, Model, Space, event_values, model, plain

#: events with more categories than this are analysed without dropping any
MAX_DROPPED = 8

_lock = threading.Lock()


def analysis(policy) -> tuple[Space, Model]:
    """The policy's space and decision diagram, built once and kept on the policy.
    The diagram store grows as it is used: hold `guard(policy)` while using it."""
    found = getattr(policy, "_analysis", None)
    if found is None:
        with _lock:
            found = getattr(policy, "_analysis", None)
            if found is None:
                space = Space([policy.checked])
                found = (space, model(space, 0), threading.Lock())
                object.__setattr__(policy, "_analysis", found)
    return found[0], found[1]


def guard(policy) -> threading.Lock:
    """The lock of a policy's diagram store (one thread builds diagrams at a time)."""
    analysis(policy)
    return policy._analysis[2]


# ---- the answer -----------------------------------------------------------------------------


class Action(BaseModel):
    """One change a controller can make."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["obtain-consent", "replace-consent", "drop-consent", "add-safeguard", "remove-safeguard",
                  "change-destination", "drop-category", "state-ground", "remove-ground",
                  "involve-human", "automate"]
    message: str
    purpose: str | None = None
    consent: str | None = None  # consent, explicit, parental, explicit+parental
    safeguard: str | None = None
    category: str | None = None
    countries: list[str] | None = None  # change-destination: any of these
    field: str | None = None  # state-ground / remove-ground: context.KEY
    values: list[Any] | None = None  # state-ground: the values that do (null: see message)
    rules: list[str] | None = None  # the rules whose conditions read the field


class Remedy(BaseModel):
    """A minimal set of changes after which the event is allowed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actions: list[Action]
    #: the event with the changes made (the first value where several do),
    #: re-evaluated by the reference: allowed
    event: dict[str, Any]
    obligations: list[str]


class Fact(BaseModel):
    """A fact the event leaves out that the decision depends on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    message: str
    #: the values of the fact that alone would allow the event, in words (None: none alone would)
    allowing: str | None = None


class Blocker(BaseModel):
    """Why no change a controller can make helps: a rule (or a category no permit
    can cover) that denies whatever is changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message: str
    rule: str | None = None
    location: str | None = None
    cite: str | None = None
    category: str | None = None


class Remedies(BaseModel):
    """The answer to "what would make this allowed?"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed: bool
    valid: bool
    reasons: list[Reason]  # the current decision's
    remedies: list[Remedy]
    facts: list[Fact]
    #: true when no change a controller can make allows the event
    no_remedy: bool
    blocked_by: list[Blocker]
    #: false when the classes may not be exact (`space.Space.exact`) or no remedy
    #: found could be verified: what is offered is verified, but one may be missing
    exact: bool
    digest: str

    def to_json(self) -> str:
        return self.model_dump_json()


# ---- finding them ------------------------------------------------------------------------------


def remedies(policy, data: Any, now: datetime | None = None) -> Remedies:
    """The minimal remedies for an event under a policy (an `engine.Policy`)."""
    now = now or datetime.now(timezone.utc)
    evaluation = reference.explain_safely(policy.checked, policy.digest, data, now=now)
    decision = evaluation.decision
    base = dict(allowed=decision.allowed, reasons=list(decision.reasons), digest=policy.digest)
    if evaluation.event is None:
        return Remedies(valid=False, remedies=[], facts=[], no_remedy=True, exact=True,
                        blocked_by=[Blocker(message="the event is invalid: correct it first")], **base)
    if decision.allowed:
        return Remedies(valid=True, remedies=[], facts=[], no_remedy=False, blocked_by=[], exact=True,
                        **base)
    # one thread builds diagrams at a time; the reference's checks make many
    # short-lived objects, which the cyclic collector need not scan
    with guard(policy), collector_paused():
        return _Search(policy, evaluation, now).run(base)


class _Search:
    def __init__(self, policy, evaluation: reference.Evaluation, now: datetime):
        self.policy = policy
        self.space, self.model = analysis(policy)
        self.manager = self.space.manager
        assert evaluation.event is not None
        self.event: Event = evaluation.event
        self.at = self.event.at or now
        self.now = now
        self.facts = reference.Facts(policy.checked, self.event, self.at)
        self.raw = self._raw_event()
        #: the reference's decisions on changed events, by the event's JSON: remedies
        #: share most of the subsets their minimality check evaluates
        self._decided: dict[str, Any] = {}

    def _raw_event(self) -> dict[str, Any]:
        raw = self.event.model_dump(mode="json", exclude_defaults=True)
        raw["at"] = self.at.isoformat().replace("+00:00", "Z")
        return raw

    def run(self, base: dict) -> Remedies:
        space, manager = self.space, self.manager
        values = event_values(space, self.policy.checked, self.event, self.at)
        found = space.assignment(values)
        if found is None:  # no class behaves like a value: say so rather than guess
            return Remedies(valid=True, remedies=[], facts=[], no_remedy=False, exact=False,
                            blocked_by=[], **base)
        current = found
        category = space.by_name["category"]
        fixed = {level: index for level, index in current.items()
                 if not space.variables[level].controllable}
        kept_current = {level: index for level, index in current.items() if space.variables[level].controllable}
        categories = list(dict.fromkeys(self.event.categories))
        allows = {}
        for name in categories:
            allows[name] = manager.restrict(self.model.allow, {**fixed, category.level: self._category(name)})
        found = self._candidates(categories, allows, kept_current)
        remedies = [r for r in (self._remedy(drop, cube) for drop, cube in found) if r is not None]
        remedies.sort(key=lambda r: (len(r.actions), [a.message for a in r.actions]))
        facts = self._missing(values, current, categories, kept_current)
        blocked: list[Blocker] = []
        if not found:
            blocked = self._blockers(fixed, categories, facts)
        # a remedy the reference does not confirm is never offered; should every one
        # fail, the answer says it is not exact rather than "no remedy"
        exact = space.exact and (bool(remedies) or not found)
        return Remedies(valid=True, remedies=remedies, facts=facts, no_remedy=not found,
                        blocked_by=blocked, exact=exact, **base)

    def _category(self, name: str) -> int:
        index = self.space.classify("category", name)
        assert index is not None  # a valid event's categories are the policy's
        return index

    def _candidates(self, categories: list[str], allows: dict[str, int], current: dict[int, int]):
        """(dropped categories, changed classes) of every minimal remedy."""
        manager = self.manager
        candidates: list[tuple[frozenset[str], dict[int, frozenset[int]]]] = []
        droppable = categories if len(categories) <= MAX_DROPPED else []
        for size in range(max(1, len(droppable))):  # size 0: nothing dropped
            for dropped in itertools.combinations(droppable, size):
                kept = manager.all_of(allows[c] for c in categories if c not in dropped)
                if kept == FALSE:
                    continue
                for cube in manager.cubes(kept):
                    changes = {level: values for level, values in cube.items()
                               if current.get(level) not in values}
                    candidates.append((frozenset(dropped), changes))
        keys = [(drop, frozenset(changes)) for drop, changes in candidates]
        minimal = []
        for (drop, changes), (d, c) in zip(candidates, keys):
            if any(od <= d and oc <= c and (od, oc) != (d, c) for od, oc in keys):
                continue
            minimal.append((drop, changes))
        return _merged(minimal)

    # ---- one remedy: its actions, its event, its checks -----------------------------------

    def _remedy(self, dropped: frozenset[str], changes: dict[int, frozenset[int]]) -> Remedy | None:
        space = self.space
        steps: list[tuple[Action, Any]] = [(self._drop(c), ("drop", c)) for c in sorted(dropped)]
        for level in sorted(changes):
            variable = space.variables[level]
            steps.append((self._action(variable, changes[level]),
                          ("set", variable.name, variable.classes[min(changes[level])][0])))
        changed = self._apply([step for _, step in steps])
        decision = self._decide(changed)
        if not decision.allowed:
            return None  # the diagram and the reference disagree: never offer it
        for size in range(len(steps)):
            for subset in itertools.combinations([step for _, step in steps], size):
                if self._decide(self._apply(list(subset))).allowed:
                    return None  # not minimal
        return Remedy(actions=[action for action, _ in steps], event=changed,
                      obligations=list(decision.obligations))

    def _decide(self, event: dict[str, Any]):
        """The reference's decision on a changed event (once per distinct event)."""
        key = json.dumps(event, sort_keys=True)
        found = self._decided.get(key)
        if found is None:
            found = reference.evaluate(self.policy.checked, self.policy.digest, event, now=self.now).decision
            self._decided[key] = found
        return found

    def _apply(self, steps: list) -> dict[str, Any]:
        event = copy.deepcopy(self.raw)
        for step in steps:
            if step[0] == "drop":
                event["categories"] = [c for c in event["categories"] if c != step[1]]
                continue
            _, name, value = step
            if name == "destination":
                event["destination"] = value
            elif name == "automated":
                event["automated"] = value
            elif name == "consent":
                self._consent(event, value)
            elif name.startswith("safeguard:"):
                safeguard = name.split(":", 1)[1]
                if safeguard == "*":
                    safeguard = "another-safeguard"
                present = [s for s in event.get("safeguards", []) if s != safeguard]
                if name == "safeguard:*" and not value:
                    present = [s for s in present if s in self.space.safeguard_names]
                event["safeguards"] = present + ([safeguard] if value else [])
            elif name.startswith("context."):
                context = event.setdefault("context", {})
                key = name.split(".", 1)[1]
                if value is ABSENT:
                    context.pop(key, None)
                else:
                    context[key] = plain(value)
        return event

    def _consent(self, event: dict[str, Any], state: str) -> None:
        subject = event.setdefault("subject", {})
        records = subject.get("consents", [])
        # a consent to a marker covers nothing, so it never conflicts: it stays
        covering = self.facts.ancestors(self.event.purpose) - self.policy.checked.vocabulary.markers
        flags = [] if state == "none" else state.split("+")
        # a record covering the purpose whose flags the new state lacks is replaced:
        # a consent state (plain, say) must not keep an explicit record's flag; the
        # others (a plain consent to an ancestor, where the state is explicit) stay
        kept = [r for r in records if r["purpose"] not in covering
                or (state != "none" and {k for k in ("explicit", "parental") if r.get(k)} <= set(flags))]
        if state == "none":
            subject["consents"] = kept
            return
        subject["consents"] = kept + [{
            "purpose": self.event.purpose, "given_at": event["at"],
            "explicit": "explicit" in flags, "parental": "parental" in flags}]
        # the age on the subject's own consents is a fact a remedy keeps: the new record
        # (or, beside a parent's, one of the subject's own) carries it
        age = event_values(self.space, self.policy.checked, self.event, self.at).get(CONSENT_AGE, ABSENT)
        if age is not ABSENT:
            if "parental" in flags:
                subject["consents"].append({"purpose": self.event.purpose, "given_at": event["at"]})
            subject["consents"][-1]["age"] = age

    def _drop(self, category: str) -> Action:
        return Action(kind="drop-category", category=category,
                      message=f"do not process `{category}`")

    def _action(self, variable, indexes: frozenset[int]) -> Action:
        name = variable.name
        chosen = [variable.classes[i][0] for i in sorted(indexes)]
        purpose = self.event.purpose
        if name == "destination":
            countries = sorted(words.listed(variable, set(indexes)))
            where = words.countries(set(countries), self._regions(),
                                    {m for c in variable.classes for m in c})
            return Action(kind="change-destination", countries=countries,
                          message=f"send the data to a destination {where}")
        if name == "consent":
            state = chosen[0]
            if state == "none":
                return Action(kind="drop-consent", purpose=purpose,
                              message=f"do not rely on a consent for `{purpose}`")
            kind = {"consent": "a consent", "explicit": "an explicit consent",
                    "parental": "a parental consent",
                    "explicit+parental": "an explicit parental consent"}[state]
            held = self._held()
            if held != "none" and not set(held.split("+")) - {"consent"} <= set(state.split("+")):
                return Action(kind="replace-consent", purpose=purpose, consent=state,
                              message=f"rely on {kind} covering `{purpose}` instead of the one held")
            return Action(kind="obtain-consent", purpose=purpose, consent=state,
                          message=f"obtain {kind} covering `{purpose}`")
        if name == "automated":
            if chosen[0] is False:
                return Action(kind="involve-human",
                              message="have a person take part in the decision (not solely automated)")
            return Action(kind="automate", message="make the decision solely automated")
        if name.startswith("safeguard:"):
            safeguard = name.split(":", 1)[1]
            shown = "a safeguard the policy does not name" if safeguard == "*" else f'"{safeguard}"'
            if chosen[0] is True:
                return Action(kind="add-safeguard", safeguard=safeguard,
                              message=f"adopt the safeguard {shown}")
            return Action(kind="remove-safeguard", safeguard=safeguard,
                          message=f"do without the safeguard {shown}")
        # context.KEY
        rules = self._asking(name)
        asked = f" (asked for by {', '.join(rules)})" if rules else ""
        if all(value is ABSENT for value in chosen):
            return Action(kind="remove-ground", field=name, rules=rules,
                          message=f"do not state `{name}`{asked}")
        if words.only_presence(variable, set(indexes)):  # `has context.KEY`
            message = f"state `{name}` (any value){asked}"
        else:
            text = words.describe(variable, set(indexes), self._regions())
            message = f"state {text}{asked}".replace(f"{name} ", f"`{name}` as ", 1)
        return Action(kind="state-ground", field=name, values=words.listed(variable, set(indexes)),
                      rules=rules, message=message)

    def _held(self) -> str:
        """The consent state the event holds for its purpose."""
        variable = self.space.by_name.get("consent")
        if variable is None:
            return "none"
        return event_values(self.space, self.policy.checked, self.event, self.at)["consent"]

    def _asking(self, name: str) -> list[str]:
        """The rules matching the event's purpose whose conditions read a field."""
        path = tuple(name.split("."))
        out = []
        ancestors = self.facts.ancestors(self.event.purpose)
        for rule in self.policy.checked.rules:
            if rule.purposes is not None and not rule.purposes & ancestors:
                continue
            if any(isinstance(part, ir.Field) and part.path[:2] == path
                   for node in (rule.when, rule.unless) for part in ir.walk(node)):
                out.append(rule.name)
        return out

    def _regions(self):
        return self.policy.checked.vocabulary.regions

    # ---- facts left out, and what blocks --------------------------------------------------

    def _missing(self, values: dict[str, Any], current: dict[int, int], categories: list[str],
                 controllable: dict[int, int]) -> list[Fact]:
        space, manager = self.space, self.manager
        category = space.by_name["category"]
        out: list[Fact] = []
        for variable in space.variables:
            if variable.controllable or values.get(variable.name, None) is not ABSENT:
                continue
            if variable.name == CONSENT_AGE:
                continue  # absent is a value here (no consent gives an age), not a fact left out
            fixed = {level: index for level, index in current.items() if level != variable.level}
            alone = manager.all_of(
                manager.restrict(self.model.allow, {**fixed, category.level: self._category(c)})
                for c in categories)
            free = {level: index for level, index in fixed.items() if level not in controllable}
            any_change = manager.all_of(
                manager.restrict(self.model.allow, {**free, category.level: self._category(c)})
                for c in categories)
            if variable.level not in manager.support(any_change) and variable.level not in manager.support(alone):
                continue  # the decision does not depend on it
            allowing = None
            if alone != FALSE:
                allowing = words.describe(variable, {i for i, kid in enumerate(_values_of(manager, alone, variable))
                                                     if kid}, self._regions())
            out.append(Fact(field=variable.name, allowing=allowing,
                            message=f"supply `{variable.name}`: the event has none, and the rules that read it "
                                    "fail closed"))
        return out

    def _blockers(self, fixed: dict[int, int], categories: list[str], facts: list[Fact]) -> list[Blocker]:
        space, manager = self.space, self.manager
        category = space.by_name["category"]
        blocked: list[Blocker] = []
        restricted = {c: {**fixed, category.level: self._category(c)} for c in categories}
        missing = {f.field for f in facts}
        for diagram in self.model.rules:
            rule = diagram.rule
            if rule.effect != "forbid":
                continue
            if all(manager.restrict(diagram.applies, restricted[c]) == TRUE for c in categories):
                unknown = sorted(missing & set(self._reads(rule)))
                if unknown:
                    why = ("denies it while " + " and ".join(f"`{u}`" for u in unknown)
                           + " is unknown (fail closed): supply it")
                else:
                    why = "denies it whatever a controller changes, given the facts of the event"
                blocked.append(Blocker(rule=rule.name, location=rule.location, cite=rule.cite,
                                       message=f"{rule.name} {why}"
                                       + (f": {rule.because}" if rule.because else "")))
        for c in categories:
            if manager.restrict(self.model.covered, restricted[c]) == FALSE:
                blocked.append(self._uncovered(c))
        if not blocked:
            blocked.append(Blocker(message="no combination of changes a controller can make allows it"))
        return blocked


    def _reads(self, rule: ir.CheckedRule) -> list[str]:
        """The fields a rule's conditions read, as variable names."""
        return [".".join(part.path[:2]) if part.path[0] in ("subject", "context") else part.path[0]
                for node in (rule.when, rule.unless) for part in ir.walk(node) if isinstance(part, ir.Field)]

    def _uncovered(self, category: str) -> Blocker:
        """Why no permit can cover a category: none targets it, or the facts of the
        event switch off every one that does."""
        ancestors = self.policy.checked.vocabulary.categories.ancestors[category]
        purposes = self.facts.ancestors(self.event.purpose)
        targeting = [r for r in self.policy.checked.rules if r.effect == "permit"
                     and (r.purposes is None or r.purposes & purposes)
                     and (r.categories is None or r.categories & ancestors)]
        where = f"`{category}` for `{self.event.purpose}`"
        if not targeting:
            return Blocker(category=category, message=f"no permit covers {where}")
        named = ", ".join(r.name for r in targeting[:3]) + (" …" if len(targeting) > 3 else "")
        return Blocker(category=category, rule=targeting[0].name, location=targeting[0].location,
                       cite=targeting[0].cite,
                       message=f"no permit can cover {where} given the facts of the event: the conditions "
                               f"of {named} do not hold whatever a controller changes")


def _values_of(manager, diagram: int, variable) -> list[bool]:
    """For a diagram over one variable (others fixed): which of its values make it true."""
    out = []
    for index in range(len(variable.classes)):
        out.append(manager.restrict(diagram, {variable.level: index}) != FALSE)
    return out


def _merged(found: list[tuple[frozenset[str], dict[int, frozenset[int]]]]):
    """Remedies with the same changes whose values differ in one variable, as one."""
    out: list[tuple[frozenset[str], dict[int, frozenset[int]]]] = []
    for drop, changes in found:
        for position, (other_drop, other) in enumerate(out):
            if other_drop != drop or set(other) != set(changes):
                continue
            differing = [level for level in changes if changes[level] != other[level]]
            if len(differing) <= 1:
                merged = dict(other)
                for level in differing:
                    merged[level] = other[level] | changes[level]
                out[position] = (drop, merged)
                break
        else:
            out.append((drop, changes))
    return out

