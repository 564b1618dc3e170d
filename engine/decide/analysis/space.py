"""The event space of one or more policies, cut into finitely many classes, and
each policy's decisions over it as decision diagrams.

Every field an event can carry is a **variable** (the purpose, one category,
the destination, the consent the subject holds for the purpose, each
safeguard, each `context` key, the subject's facts…). A variable's values are
cut into **classes**: two values are in one class when every condition of every
policy (every leaf of a `when`/`unless`, every rule target) gives them the same
result, whatever the other variables hold. The classes are found from the
policies' own constants (`subject.age < 16` cuts the ages at 15, 16 and 17;
`destination in eea` cuts the countries into those in and out), then merged by
their results. A condition's leaves are judged by the reference evaluator
itself on a stand-in event, so the classes mean exactly what the reference
means, errors included (a field left out is a value of its own: absent).

`Model` is one policy's decision over the classes: which class combinations are
allowed, which obligations an allow carries, and for each rule where it
applies. Everything about decisions (remedies, diffs, redundancy) is then
exact set algebra on these diagrams; no event is sampled.

A single category per event is enough: an event on categories S is allowed
exactly when the event on each category of S alone is (forbids match if any
category matches, each category must be covered, the rest does not read the
categories), and its obligations are the union of theirs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from ... import ir
from ...core.countries import iso_codes
from ...event.fields import MAX_AGE, at as field_at
from ...event.values import MAX_INTEGER
from .. import reference
from ..values import EvaluationError
from .mdd import FALSE, TRUE, Manager


class _Absent:
    """A field the event leaves out."""

    def __repr__(self) -> str:
        return "absent"


ABSENT: Any = _Absent()

#: who sends the data (a fact of the case, with a default: never absent)
EXPORTER = field_at("exporter")

#: the time stand-in events are judged at
AT = datetime(2026, 1, 1, tzinfo=timezone.utc)

#: what the subject may hold for the event's purpose: (plain, explicit, parental)
CONSENT_STATES = ("none", "consent", "explicit", "parental", "explicit+parental")

#: combinations tried for nested `context` objects before the space is marked inexact
MAX_COMBINATIONS = 4096

#: who chooses a variable's value: the controller (a remedy may change it) or
#: the facts of the case (a remedy never proposes to change them)
CONTROLLABLE = ("destination", "consent", "automated")


def controllable(name: str) -> bool:
    return name in CONTROLLABLE or name.startswith(("safeguard:", "context."))


@dataclass
class Variable:
    """One variable: its name, place in the diagrams and classes (each a list of
    the raw values it stands for, the first its representative)."""

    name: str
    kind: str  # purpose category country int duration bool consent safeguard value
    level: int
    classes: list[list[Any]]
    #: for int and duration: every raw value, sorted (to describe classes as ranges)
    raw: list[Any] = field(default_factory=list)

    @property
    def controllable(self) -> bool:
        return controllable(self.name)

    def class_of(self, value: Any) -> int | None:
        """The class holding a raw value, if it is one of the raw candidates."""
        wanted = identity(value)
        for index, members in enumerate(self.classes):
            for member in members:
                if member is value or identity(member) == wanted:
                    return index
        return None


def identity(value: Any) -> Any:
    """A value as the language tells values apart: of its kind, nested too (`1` is
    not `true`, `{"j": 1}` is not `{"j": true}`, though Python's == says so)."""
    if value is ABSENT:
        return ("absent",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, str):
        return ("string", str(value))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(identity(v) for v in value))
    if isinstance(value, dict):
        return ("object", tuple(sorted((k, identity(v)) for k, v in value.items())))
    return (type(value).__name__, value)


# ---- atoms: the leaves every condition is made of ------------------------------------------


@dataclass(frozen=True)
class Atom:
    """A condition leaf or a rule target, for one policy: the variables it reads and
    its three-valued result ("T", "F", "E") for values of them."""

    key: Any
    reads: tuple[str, ...]
    judge: Callable[[dict[str, Any]], str] = field(compare=False, hash=False)
    #: for a comparison whose two sides read disjoint variables: each side's reads
    #: and its outcome (`_side_outcome`), which is all the side's variables matter by
    sides: tuple[tuple[tuple[str, ...], Callable[[dict[str, Any]], Any]], ...] = field(
        default=(), compare=False, hash=False)


class _Subject:
    __slots__ = ("age", "country", "kind", "id", "consents", "objections")

    def __init__(self, values: dict[str, Any]):
        for name in ("age", "country", "kind", "id"):
            got = values.get("subject." + name, ABSENT)
            setattr(self, name, None if got is ABSENT else got)
        self.consents: list = []
        self.objections: list = []


class _Event:
    """What `reference` reads of an event, built from variable values."""

    def __init__(self, values: dict[str, Any], safeguard_names: Iterable[str], policy: ir.CheckedPolicy):
        self.purpose = values.get("purpose")
        self.categories = [values["category"]] if "category" in values else []
        self.destination = values.get("destination")
        present = [name for name in safeguard_names if values.get("safeguard:" + name)]
        if values.get("safeguard:*"):
            present.append(OTHER_SAFEGUARD)
        recipient = values.get("recipient", ABSENT)
        self.recipient = None if recipient is ABSENT else recipient
        if self.recipient is not None:  # what it holds is among the safeguards (`reference.resolved`)
            present += sorted(policy.vocabulary.recipients[self.recipient].holds.difference(present))
        self.safeguards = present
        self.automated = bool(values.get("automated", False))
        self.exporter = values.get("exporter", EXPORTER.default)
        age = values.get("data_age", ABSENT)
        self.collected_at = None if age is ABSENT else AT - age
        self.subject = _Subject(values)
        context: dict[str, Any] = {}
        for name, value in values.items():
            if name.startswith("context.") and value is not ABSENT:
                context[name[len("context."):]] = value
        self.context = context


class _Facts(reference.Facts):
    """The reference's facts, with the consent and objection given as variables."""

    def __init__(self, policy: ir.CheckedPolicy, event: _Event, values: dict[str, Any]):
        super().__init__(policy, event, AT)  # type: ignore[arg-type]
        self._consent = values.get("consent", "none")
        self._objected = bool(values.get("objected", False))
        self._consent_age = values.get(CONSENT_AGE, ABSENT)

    def consent(self, kind: str | None) -> bool:
        state = self._consent
        return state != "none" and (kind is None or kind in state.split("+"))

    def objected(self) -> bool:
        return self._objected

    def consent_ages(self) -> list[int | None]:
        # the variable `subject.consent_age` is the age on the subject's own consents
        # (absent: one gives none); with no consent held there is none
        if self._consent == "none":
            return []
        age = self._consent_age
        return [None if age is ABSENT else age]


OTHER_SAFEGUARD = "another-safeguard"

#: the variable of the age on the subject's own consents (`subject.consent_age` is it,
#: capped by `subject.age`, or `subject.age` when absent or no consent is held)
CONSENT_AGE = "subject.consent_age"


def reads_of(node: ir.Node, safeguard_names: Iterable[str], holdings: bool = False) -> tuple[str, ...]:
    """The variables a condition leaf reads. With `holdings` (some recipient holds
    safeguards), reading the safeguards reads the recipient too."""
    if (isinstance(node, ir.Member) and isinstance(node.left, ir.Const)
            and isinstance(node.left.value, str) and isinstance(node.right, ir.Field)
            and node.right.path == ("safeguards",)):
        return ("safeguard:" + node.left.value,) + (("recipient",) if holdings else ())
    found: set[str] = set()
    for part in ir.walk(node):
        if isinstance(part, ir.Field):
            head = part.path[0]
            if head in ("purpose", "basis"):
                found.add("purpose")
            elif head == "safeguards":
                found.update("safeguard:" + name for name in safeguard_names)
                found.add("safeguard:*")
                if holdings:
                    found.add("recipient")
            elif part.path == ("subject", "consent_age"):
                found.update((CONSENT_AGE, "subject.age", "consent"))  # reads all three
            elif head in ("subject", "context"):
                found.add(".".join(part.path[:2]))
            else:
                found.add(head)
        elif isinstance(part, (ir.Consent,)):
            found.add("consent")
        elif isinstance(part, ir.Objected):
            found.add("objected")
        elif isinstance(part, ir.PurposeIn):
            found.add("purpose")
    return tuple(sorted(found))


def _foreign(policy: ir.CheckedPolicy, values: dict[str, Any]) -> bool:
    """Whether the values name another policy's purpose or recipient: an event naming
    it is invalid here, so the decision never reads the leaf (judged false)."""
    purpose = values.get("purpose")
    if purpose is not None and purpose not in policy.vocabulary.event_bases:
        return True
    recipient = values.get("recipient", ABSENT)
    return recipient is not ABSENT and recipient not in policy.vocabulary.recipients


def _leaf_judge(policy: ir.CheckedPolicy, node: ir.Node, names: tuple[str, ...]):
    def judge(values: dict[str, Any]) -> str:
        if _foreign(policy, values):
            return "F"
        truth = reference.condition(_Facts(policy, _Event(values, names, policy), values), node)
        if isinstance(truth, EvaluationError):
            return "E"
        return "T" if truth else "F"
    return judge


#: a side's outcome when it raises (which error does not matter: the leaf is then an
#: error), and when the values name another policy's purpose or recipient
_RAISES, _FOREIGN = ("raises",), ("foreign",)


def _strict(value: Any) -> Any:
    """A value as a key no coarser than what any evaluation can tell apart: its
    Python type kept at every depth (`1`, `1.0` and `true` differ, so do `Other`
    strings and plain ones)."""
    if isinstance(value, (list, tuple)):
        return (type(value), tuple(_strict(v) for v in value))
    if isinstance(value, dict):
        return (dict, frozenset((k, _strict(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return (frozenset, frozenset(_strict(v) for v in value))
    return (type(value), value)


def _side_outcome(policy: ir.CheckedPolicy, side: ir.Node, names: tuple[str, ...]):
    """What one side of a comparison evaluates to for values of the variables it reads."""
    def outcome(values: dict[str, Any]) -> Any:
        if _foreign(policy, values):
            return _FOREIGN
        try:
            return _strict(reference.value(_Facts(policy, _Event(values, names, policy), values), side))
        except EvaluationError:
            return _RAISES
    return outcome


def _leaf_sides(policy: ir.CheckedPolicy, node: ir.Node, reads: tuple[str, ...], names: tuple[str, ...],
                holdings: bool) -> tuple:
    """The sides of a comparison leaf (`Atom.sides`) when they read disjoint variables
    that together are the leaf's, and both read some; else none."""
    if not isinstance(node, (ir.Compare, ir.Member)):
        return ()
    left, right = (reads_of(side, names, holdings) for side in (node.left, node.right))
    if not left or not right or set(left) & set(right) or set(left) | set(right) != set(reads):
        return ()  # (`"x" in safeguards` reads one safeguard: not its right side's reads)
    return ((left, _side_outcome(policy, node.left, names)), (right, _side_outcome(policy, node.right, names)))


def _truth(value: bool) -> str:
    return "T" if value else "F"


def purpose_target(policy: ir.CheckedPolicy, purposes: frozenset[str] | None) -> Atom:
    ancestors = policy.vocabulary.purposes.ancestors

    def judge(values):
        known = ancestors.get(values["purpose"])
        return _truth(known is not None and (purposes is None or bool(purposes & known)))
    return Atom(("purpose-target", id(policy), purposes), ("purpose",), judge)


def category_target(policy: ir.CheckedPolicy, rule: ir.CheckedRule) -> Atom:
    ancestors = policy.vocabulary.categories.ancestors

    def judge(values):
        category = values["category"]
        if category not in ancestors:
            return "F"
        if rule.categories is None:
            return "T"
        return _truth(bool(rule.categories & ancestors[category])
                      or reference.forbid_overlap(rule, category, ancestors))
    kind = "permit" if rule.effect == "permit" else "forbid"  # an oblige overlaps as a forbid
    return Atom(("category-target", id(policy), kind, rule.categories), ("category",), judge)


def destination_target(destinations: frozenset[str]) -> Atom:
    return Atom(("destination-target", destinations), ("destination",),
                lambda values: _truth(values["destination"] in destinations))


def valid_purpose(policy: ir.CheckedPolicy) -> Atom:
    return Atom(("valid-purpose", id(policy)), ("purpose",),
                lambda values: _truth(values["purpose"] in policy.vocabulary.event_bases))


def valid_recipient(policy: ir.CheckedPolicy) -> Atom:
    """No recipient, or one the policy declares with the destination its country."""
    recipients = policy.vocabulary.recipients

    def judge(values):
        recipient = values["recipient"]
        return _truth(recipient is ABSENT or (
            recipient in recipients and values["destination"] == recipients[recipient].country))
    return Atom(("valid-recipient", id(policy)), ("recipient", "destination"), judge)


def valid_category(policy: ir.CheckedPolicy) -> Atom:
    return Atom(("valid-category", id(policy)), ("category",),
                lambda values: _truth(values["category"] in policy.vocabulary.categories))


def fact_variable(fact: ir.Fact) -> str:
    """The variable that holds a fact's field: `subject.kind`, or the top-level
    `context` key its path starts with."""
    return ".".join(fact.path[:2])


def valid_fact(policy: ir.CheckedPolicy, fact: ir.Fact) -> Atom:
    """Whether the event is valid as far as one `fact` declaration goes: its field
    absent, or holding what it declares (`reference.fact_problems`)."""
    def judge(values):
        value = values.get(fact_variable(fact), ABSENT)
        for key in fact.path[2:]:
            if not isinstance(value, dict) or key not in value:
                return "T"
            value = value[key]
        return _truth(value is ABSENT or fact.admits(plain(value)))
    return Atom(("valid-fact", id(policy), fact), (fact_variable(fact),), judge)


def _fact_samples(fact: ir.Fact) -> list[Any]:
    """Values of a fact's field that its declaration tells apart beyond the policy's
    constants: its own values, and a value just outside its type (a fraction for
    an integer, a country and a list of each)."""
    element = fact.type.removeprefix("list of ")
    good = {"string": "s", "integer": 1, "number": 0.5, "boolean": True, "country": "DE"}[element]
    bad = {"string": 1, "integer": 0.5, "number": "s", "boolean": 1, "country": "s"}[element]
    samples: list[Any] = sorted(fact.values, key=repr) if fact.values is not None else []
    samples += [good, bad, 0.5]
    if fact.type.startswith("list of "):
        samples += [[good], [good, bad]]
    return samples


def consent_basis(policy: ir.CheckedPolicy) -> Atom:
    return Atom(("consent-basis", id(policy)), ("purpose",),
                lambda values: _truth(policy.vocabulary.event_bases.get(values["purpose"]) == "consent"))


#: the built-in consent rule's test: some consent covers the purpose
CONSENT_HELD = Atom(("consent-held",), ("consent",), lambda values: _truth(values["consent"] != "none"))


def condition_leaves(node: ir.Node | None) -> list[ir.Node]:
    """The maximal sub-expressions of a condition that are not `and`, `or`, `not`."""
    found: list[ir.Node] = []
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, (ir.And, ir.Or)):
            stack.extend((current.right, current.left))
        elif isinstance(current, ir.Not):
            stack.append(current.operand)
        else:
            found.append(current)
    return found


# ---- the space ---------------------------------------------------------------------------------


#: the stand-in name of a space with no purpose or no category (no name is spelt so)
UNNAMED = "~none"


class Other(str):
    """A string unlike every constant of the policies: it stands for any other string."""


def plain(value: Any) -> Any:
    """A class's value as a JSON value of an event: `Other` strings (nested too)
    as plain strings, which the event model requires."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def _fresh(taken: set[str], stem: str) -> str:
    name, number = stem, 2
    while name in taken:
        name, number = f"{stem}-{number}", number + 1
    return Other(name)


def _constants(node: ir.Node, policy: ir.CheckedPolicy) -> list[Any]:
    found: list[Any] = []
    for part in ir.walk(node):
        if isinstance(part, ir.Const):
            if isinstance(part.value, frozenset):
                found.extend(part.value)
            else:
                found.append(part.value)
        elif isinstance(part, ir.Lookup):
            table = policy.vocabulary.tables[part.table]
            found.extend(table.entries.values())
            found.extend(table.entries)
            if table.default is not None:
                found.append(table.default)
    return found


def _ints(constants: Iterable[Any], low: int, high: int) -> list[int]:
    points = {0, 1, 2}
    for value in constants:
        if isinstance(value, int) and not isinstance(value, bool):
            points.update((value - 1, value, value + 1))
    return sorted(p for p in points if low <= p <= high)


class Space:
    """The variables and atoms of one or more policies, and the diagram store.

    `exact` is false when the classes may not be exact: a condition compares two
    open-ended event fields with each other (`subject.age < context.limit`: the
    classes come from constants, and there is none), or nested `context` objects
    had more combinations than `MAX_COMBINATIONS`."""

    ORDER = ("purpose", "category", "destination", "recipient", "exporter", "consent", "safeguard:", "automated",
             "context.", "objected", "subject.", "data_age")

    def __init__(self, policies: list[ir.CheckedPolicy]):
        self.policies = policies
        self.exact = True
        #: every rule's atoms per policy: (target atoms, leaves of when and unless)
        self._leaf_atoms: dict[tuple[int, ir.Node], Atom] = {}
        names: set[str] = set()
        for policy in policies:
            for rule in policy.rules:
                for node in (rule.when, rule.unless):
                    for leaf in condition_leaves(node):
                        names.update(_safeguard_names(leaf))
        self.safeguard_names = tuple(sorted(names))
        #: the recipients any policy declares (a variable only when there are some)
        self.recipients = sorted({r for policy in policies for r in policy.vocabulary.recipients})
        self.holdings = any(r.holds for policy in policies for r in policy.vocabulary.recipients.values())
        atoms: list[Atom] = [CONSENT_HELD]
        for index, policy in enumerate(policies):
            atoms += [valid_purpose(policy), valid_category(policy), consent_basis(policy)]
            if self.recipients:
                atoms.append(valid_recipient(policy))
            atoms += [valid_fact(policy, fact) for fact in policy.vocabulary.facts]
            for rule in policy.rules:
                atoms.append(purpose_target(policy, rule.purposes))
                atoms.append(category_target(policy, rule))
                if rule.destination is not None:
                    atoms.append(destination_target(rule.destination))
                for node in (rule.when, rule.unless):
                    for leaf in condition_leaves(node):
                        atoms.append(self.leaf(index, leaf))
        unique: dict[Any, Atom] = {}
        for atom in atoms:
            unique.setdefault(atom.key, atom)
        self.atoms = list(unique.values())
        for (_, node), atom in self._leaf_atoms.items():
            if sum(1 for name in _open_reads(node, atom.reads) if not _enumerated(name)) > 1:
                self.exact = False  # two open-ended fields compared with each other
        self.variables = self._variables()
        self.by_name = {v.name: v for v in self.variables}
        self.manager = Manager({v.level: len(v.classes) for v in self.variables})
        self._diagrams: dict[Any, tuple[int, int]] = {}

    def leaf(self, index: int, node: ir.Node) -> Atom:
        key = (index, node)
        atom = self._leaf_atoms.get(key)
        if atom is None:
            policy = self.policies[index]
            reads = reads_of(node, self.safeguard_names, self.holdings)
            atom = Atom(("leaf", id(policy), node), reads, _leaf_judge(policy, node, self.safeguard_names),
                        _leaf_sides(policy, node, reads, self.safeguard_names, self.holdings))
            self._leaf_atoms[key] = atom
        return atom

    # ---- variables and their classes ---------------------------------------------------

    def _candidates(self) -> dict[str, tuple[str, list[Any]]]:
        """Every variable with its kind and raw values: enough values that every
        class any condition can tell apart has one."""
        reading: dict[str, list[Any]] = {}
        for atom in self.atoms:
            for name in atom.reads:
                reading.setdefault(name, [])
        for (index, node), atom in self._leaf_atoms.items():
            for name in atom.reads:
                reading[name].extend(_constants(node, self.policies[index]))
        for policy in self.policies:
            for fact in policy.vocabulary.facts:
                if len(fact.path) == 2:  # nested keys: `_context_values`
                    reading[fact_variable(fact)].extend(_fact_samples(fact))
        purposes = sorted({p for policy in self.policies for p in policy.vocabulary.event_bases})
        categories = sorted({c for policy in self.policies for c in policy.vocabulary.categories.names()})
        countries = sorted(iso_codes())
        # a policy with no purpose (or no category) still has a space: one name no
        # policy knows, so every event in it is invalid
        result: dict[str, tuple[str, list[Any]]] = {
            "purpose": ("purpose", purposes or [UNNAMED]), "category": ("category", categories or [UNNAMED]),
            "destination": ("country", countries)}
        if any(b == "consent" for policy in self.policies for b in policy.vocabulary.event_bases.values()):
            reading.setdefault("consent", [])  # the built-in consent rule reads it
        for name, constants in sorted(reading.items()):
            if name in result:
                continue
            if name == "consent":
                result[name] = ("consent", list(CONSENT_STATES))
            elif name == "recipient":
                result[name] = ("recipient", [ABSENT, *self.recipients])
            elif name == "exporter":
                result[name] = ("value", list(EXPORTER.choices))
            elif name in ("objected", "automated") or name.startswith("safeguard:"):
                result[name] = ("bool", [False, True])
            elif name in ("subject.age", CONSENT_AGE):
                result[name] = ("int", [ABSENT, *_ints(constants, 0, MAX_AGE)])
            elif name == "subject.country":
                result[name] = ("country", [ABSENT, *countries])
            elif name == "data_age":
                result[name] = ("duration", [ABSENT, *self._durations(constants)])
            elif name.startswith("subject."):
                strings = sorted({c for c in constants if isinstance(c, str)})
                others = [_fresh(set(strings), "other"), _fresh(set(strings), "another")]
                result[name] = ("value", [ABSENT, *strings, *others])
            elif name.startswith("context."):
                result[name] = ("value", self._context_values(name, constants))
        return result

    def _durations(self, constants: Iterable[Any]) -> list[timedelta]:
        second = timedelta(seconds=1)
        points = {timedelta(0)}
        oldest = AT - datetime(1, 1, 2, tzinfo=timezone.utc)
        for value in constants:
            if isinstance(value, timedelta):
                points.update((value - second, value, value + second))
        if any(p > oldest for p in points):
            points = {p for p in points if p <= oldest}  # older data cannot be dated
        return sorted(p for p in points if p >= timedelta(0))

    def _context_values(self, name: str, constants: list[Any]) -> list[Any]:
        """Values of a top-level `context` key: every kind of JSON value, the
        constants compared with it and their neighbours, lists of them, and objects
        built from the values of the nested keys the conditions read."""
        key = name[len("context."):]
        nested: dict[tuple[str, ...], list[Any]] = {}
        for (index, node), atom in self._leaf_atoms.items():
            for part in ir.walk(node):
                if isinstance(part, ir.Field) and part.path[:2] == ("context", key) and len(part.path) > 2:
                    nested.setdefault(part.path[2:], []).extend(_constants(node, self.policies[index]))
        for policy in self.policies:
            for fact in policy.vocabulary.facts:
                if fact.path[:2] == ("context", key) and len(fact.path) > 2:
                    nested.setdefault(fact.path[2:], []).extend(_fact_samples(fact))
        return [ABSENT, *self._json_values(constants, nested)]

    def _json_values(self, constants: list[Any], nested: dict[tuple[str, ...], list[Any]]) -> list[Any]:
        strings = sorted({c for c in constants if isinstance(c, str)})
        numbers = [n for n in _ints(constants, -MAX_INTEGER, MAX_INTEGER) if n not in (0, 1, 2)] + [0, 1, 2, -1]
        values: list[Any] = [None, False, True, *sorted(set(numbers)), *strings,
                             _fresh(set(strings), "other"), [], {}]
        values += [[s] for s in strings] + ([list(strings)] if len(strings) > 1 else [])
        values += [[n] for n in numbers[:8]]
        # fractions and lists come from `fact` declarations only (`_fact_samples`)
        values += [c for c in constants if isinstance(c, (float, list))]
        if nested:
            heads = sorted({path[0] for path in nested})
            options = []
            for head in heads:
                deeper = {path[1:]: c for path, c in nested.items() if path[0] == head and len(path) > 1}
                own = [c for path, cs in nested.items() if path == (head,) for c in cs]
                options.append([ABSENT, *self._json_values(own + [c for cs in deeper.values() for c in cs],
                                                           deeper)])
            total = 1
            for option in options:
                total *= len(option)
            combos: Iterable[tuple] = itertools.product(*options)
            if total > MAX_COMBINATIONS:
                self.exact = False
                combos = itertools.islice(combos, MAX_COMBINATIONS)
            for combo in combos:
                values.append({h: v for h, v in zip(heads, combo) if v is not ABSENT})
        unique: list[Any] = []
        seen: set = set()
        for value in values:
            if identity(value) not in seen:
                seen.add(identity(value))
                unique.append(value)
        return unique

    def _variables(self) -> list[Variable]:
        candidates = self._candidates()
        reading: dict[str, list[Atom]] = {name: [] for name in candidates}
        for atom in self.atoms:
            for name in atom.reads:
                reading[name].append(atom)
        domains: dict[str, list[list[Any]]] = {name: [[v] for v in raw] for name, (_, raw) in candidates.items()}
        # cut the largest first, so the others are cut against its classes
        for name in sorted(candidates, key=lambda n: -len(candidates[n][1])):
            domains[name] = self._classes(name, domains, reading[name])

        def rank(name: str) -> tuple[int, str]:
            for position, stem in enumerate(self.ORDER):
                if name == stem or (stem.endswith((":", ".")) and name.startswith(stem)):
                    return position, name
            return len(self.ORDER), name
        ordered = sorted(candidates, key=rank)
        result = []
        for level, name in enumerate(ordered):
            kind, raw = candidates[name]
            result.append(Variable(name, kind, level, domains[name],
                                   raw=[r for r in raw if r is not ABSENT] if kind in ("int", "duration") else []))
        return result

    def classify(self, name: str, value: Any) -> int | None:
        """The class of any value of a variable (None: no class behaves like it,
        which would make the space incomplete; it does not happen for values the
        event model admits)."""
        variable = self.by_name[name]
        found = variable.class_of(value)
        if found is not None:
            return found
        signature = self._signature(name, value)
        for index, members in enumerate(variable.classes):
            if self._signature(name, members[0]) == signature:
                return index
        return None

    def assignment(self, values: dict[str, Any]) -> dict[int, int] | None:
        """The class of each variable's value (level -> class), from raw values by
        name (`event_values`); None when some value has no class."""
        out: dict[int, int] = {}
        for name, value in values.items():
            variable = self.by_name.get(name)
            if variable is None:
                continue
            index = self.classify(name, value)
            if index is None:
                return None
            out[variable.level] = index
        return out

    def _signature(self, name: str, value: Any) -> tuple:
        domains = {v.name: v.classes for v in self.variables}
        return tuple(r for atom in self.atoms if name in atom.reads for r in _results(atom, name, value, domains))

    def _classes(self, name: str, domains: dict[str, list[list[Any]]], atoms: list[Atom]) -> list[list[Any]]:
        """The raw values of a variable merged into classes by what every atom says.
        A comparison leaf reads the variable through one side only (`Atom.sides`):
        values on which that side gives the same outcome, for every value of the
        side's other variables, get the same results, judged once."""
        signatures: dict[tuple, list[Any]] = {}
        judged: dict[tuple, tuple[str, ...]] = {}
        for members in domains[name]:
            for value in members:
                signature = []
                for position, atom in enumerate(atoms):
                    side = next(((reads, outcome) for reads, outcome in atom.sides if name in reads), None)
                    if side is None:
                        signature.append(_results(atom, name, value, domains))
                        continue
                    reads, outcome = side
                    others = [n for n in reads if n != name]
                    key = (position, tuple(outcome({**dict(zip(others, combo)), name: value})
                                           for combo in _combinations(others, domains)))
                    if key not in judged:
                        judged[key] = _results(atom, name, value, domains)
                    signature.append(judged[key])
                signatures.setdefault(tuple(signature), []).append(value)
        return list(signatures.values())

    # ---- diagrams ----------------------------------------------------------------------------

    def diagram(self, atom: Atom) -> tuple[int, int]:
        """The atom as a pair of diagrams: where it is true, where it is false
        (neither: an evaluation error)."""
        found = self._diagrams.get(atom.key)
        if found is None:
            variables = sorted((self.by_name[n] for n in atom.reads), key=lambda v: v.level)
            levels = tuple(v.level for v in variables)
            results: dict[tuple[int, ...], str] = {}

            def result(chosen: tuple[int, ...]) -> str:
                if chosen not in results:
                    results[chosen] = atom.judge({v.name: v.classes[i][0] for v, i in zip(variables, chosen)})
                return results[chosen]
            manager = self.manager
            true = manager.table(levels, lambda chosen: TRUE if result(chosen) == "T" else FALSE)
            false = manager.table(levels, lambda chosen: TRUE if result(chosen) == "F" else FALSE)
            found = (true, false)
            self._diagrams[atom.key] = found
        return found

    def condition(self, index: int, node: ir.Node | None) -> tuple[int, int] | None:
        """A condition as (true, false) diagrams, three-valued as the reference
        judges it: `and`/`or` absorb an error when the other side decides."""
        if node is None:
            return None
        manager = self.manager
        done: dict[int, tuple[int, int]] = {}
        stack: list[tuple[ir.Node, bool]] = [(node, False)]
        while stack:
            current, expanded = stack.pop()
            if id(current) in done:
                continue
            if isinstance(current, (ir.And, ir.Or, ir.Not)):
                kids = [current.operand] if isinstance(current, ir.Not) else [current.left, current.right]
                if not expanded:
                    stack.append((current, True))
                    stack.extend((kid, False) for kid in kids)
                    continue
                parts = [done[id(kid)] for kid in kids]
                if isinstance(current, ir.Not):
                    done[id(current)] = (parts[0][1], parts[0][0])
                elif isinstance(current, ir.And):
                    done[id(current)] = (manager.both(parts[0][0], parts[1][0]),
                                         manager.either(parts[0][1], parts[1][1]))
                else:
                    done[id(current)] = (manager.either(parts[0][0], parts[1][0]),
                                         manager.both(parts[0][1], parts[1][1]))
            else:
                done[id(current)] = self.diagram(self.leaf(index, current))
        return done[id(node)]


def _combinations(names: list[str], domains: dict[str, list[list[Any]]]) -> Iterable[tuple]:
    """Every combination of the named variables' class representatives."""
    return itertools.product(*[[members[0] for members in domains[n]] for n in names])


def _results(atom: Atom, name: str, value: Any, domains: dict[str, list[list[Any]]]) -> tuple[str, ...]:
    """What an atom says for one value of a variable, with every combination of
    the other variables it reads."""
    others = [n for n in atom.reads if n != name]
    return tuple(atom.judge({**dict(zip(others, combo)), name: value}) for combo in _combinations(others, domains))


def _open_reads(node: ir.Node, reads: tuple[str, ...]) -> tuple[str, ...]:
    """The variables a leaf compares: `subject.consent_age` reads `subject.age` too, but
    as min(age on the consents, subject.age), which compared with constants is cut by
    them in each variable alone: the age counts only when the leaf names it."""
    if CONSENT_AGE not in reads or any(isinstance(p, ir.Field) and p.path == ("subject", "age")
                                       for p in ir.walk(node)):
        return reads
    return tuple(name for name in reads if name != "subject.age")


def _enumerated(name: str) -> bool:
    """Whether a variable's raw values are all its values (countries, names, the
    consent state, truths), rather than a policy's constants and their neighbours
    (`safeguard:*` stands for every safeguard the policies do not name: a field
    compared with the safeguards as a whole is open-ended)."""
    return name in ("purpose", "category", "destination", "recipient", "exporter", "subject.country",
                    "consent", "objected", "automated") or (name.startswith("safeguard:") and name != "safeguard:*")


def _safeguard_names(leaf: ir.Node) -> set[str]:
    names: set[str] = set()
    reads_safeguards = any(isinstance(p, ir.Field) and p.path == ("safeguards",) for p in ir.walk(leaf))
    if reads_safeguards:
        for part in ir.walk(leaf):
            if isinstance(part, ir.Const):
                values = part.value if isinstance(part.value, frozenset) else [part.value]
                names.update(v for v in values if isinstance(v, str))
    return names


def event_values(space: Space, policy: ir.CheckedPolicy, event, at: datetime) -> dict[str, Any]:
    """A valid event (`engine.Event`) as raw values of the space's variables (the
    category left out: an event may have several). The consent held and the
    objection are read as `policy` reads them."""
    facts = reference.Facts(policy, event, at)
    values: dict[str, Any] = {"purpose": event.purpose, "destination": event.destination}
    if space.recipients:
        values["recipient"] = ABSENT if event.recipient is None else event.recipient
    safeguards = event.safeguards or ()
    for variable in space.variables:
        name = variable.name
        if name == "consent":
            flags = [kind for kind in ("explicit", "parental") if facts.consent(kind)]
            values[name] = "+".join(flags) if flags else ("consent" if facts.consent(None) else "none")
        elif name == "objected":
            values[name] = facts.objected()
        elif name == "automated":
            values[name] = bool(event.automated)
        elif name == "exporter":
            values[name] = event.exporter or EXPORTER.default
        elif name == "safeguard:*":
            values[name] = any(s not in space.safeguard_names for s in safeguards)
        elif name.startswith("safeguard:"):
            values[name] = name.split(":", 1)[1] in safeguards
        elif name == CONSENT_AGE:
            ages = facts.consent_ages()
            values[name] = max(a for a in ages if a is not None) if ages and None not in ages else ABSENT
        elif name.startswith("subject."):
            got = getattr(event.subject, name.split(".", 1)[1], None)
            values[name] = ABSENT if got is None else got
        elif name == "data_age":
            values[name] = ABSENT if event.collected_at is None else at - event.collected_at
        elif name.startswith("context."):
            context = event.context or {}
            key = name.split(".", 1)[1]
            values[name] = context[key] if key in context else ABSENT
    return values


# ---- one policy's decisions ------------------------------------------------------------------


@dataclass
class RuleDiagram:
    rule: ir.CheckedRule
    #: where the rule applies: a forbid when it matches and its condition is not
    #: false (true or an error: fail closed), a permit when it matches and holds
    applies: int


@dataclass
class Model:
    """One policy's decision over the space (see the module's doc)."""

    index: int
    policy: ir.CheckedPolicy
    valid: int
    consent_ok: int
    forbidden: int
    covered: int
    allow: int
    rules: list[RuleDiagram]
    #: obligation -> where an allow hands it out
    obligations: dict[str, int]


def model(space: Space, index: int) -> Model:
    policy = space.policies[index]
    manager = space.manager
    valid = manager.all_of([space.diagram(valid_purpose(policy))[0], space.diagram(valid_category(policy))[0],
                            *(space.diagram(valid_fact(policy, fact))[0] for fact in policy.vocabulary.facts)])
    if space.recipients:
        valid = manager.both(valid, space.diagram(valid_recipient(policy))[0])
    consent_needed = space.diagram(consent_basis(policy))[0]
    consent_ok = manager.either(manager.negate(consent_needed), space.diagram(CONSENT_HELD)[0])
    rules: list[RuleDiagram] = []
    for rule in policy.rules:
        target = manager.both(space.diagram(purpose_target(policy, rule.purposes))[0],
                              space.diagram(category_target(policy, rule))[0])
        if rule.destination is not None:
            target = manager.both(target, space.diagram(destination_target(rule.destination))[0])
        when = space.condition(index, rule.when)
        unless = space.condition(index, rule.unless)
        holds: tuple[int, int] = (TRUE, FALSE)
        if when is not None:
            holds = when
        if unless is not None:
            holds = (manager.both(holds[0], unless[1]), manager.either(holds[1], unless[0]))
        if rule.effect != "permit":  # a forbid or an oblige applies on an error too (fail closed)
            applies = manager.both(target, manager.negate(holds[1]))
        else:
            applies = manager.both(target, holds[0])
        rules.append(RuleDiagram(rule, applies))
    forbidden = manager.any_of(r.applies for r in rules if r.rule.effect == "forbid")
    covered = manager.any_of(r.applies for r in rules if r.rule.effect == "permit")
    allow = manager.all_of([valid, manager.negate(forbidden), consent_ok, covered])
    obligations: dict[str, int] = {}
    for name in sorted(policy.vocabulary.obligations):
        handing = manager.any_of(r.applies for r in rules  # permits' `with`, and obliges
                                 if r.rule.effect != "forbid" and name in r.rule.obligations)
        if handing != FALSE:
            obligations[name] = manager.both(allow, handing)
    return Model(index, policy, valid, consent_ok, forbidden, covered, allow, rules, obligations)
