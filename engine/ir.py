"""The checked, typed form of expressions and rules that evaluators run.

The checker produces these from the AST: names are resolved, regions and
constant sets are folded to frozensets, sugar is turned into the forbid it
stands for. Every node keeps its span and its source text for explanations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping, Union

from .core.countries import is_country
from .core.source import Span

#: The label of the built-in consent rule (spec section 7); no rule may take it.
RESERVED_LABEL = "consent_required"


@dataclass(frozen=True)
class Const:
    value: Any
    type: str
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Field:
    """An event field: ("subject", "age"), ("context", "a", "b"), ("destination",)…"""

    path: tuple[str, ...]
    type: str
    span: Span | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Present:
    """`has FIELD`: the optional field is present in the event (never an error).
    The operand is always a `Field` (a Node, so walkers reach it)."""

    operand: "Node"
    type: str = "bool"
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Consent:
    """A valid consent covering the event's purpose; kind None, "explicit" or "parental"."""

    kind: str | None
    type: str = "bool"
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Objected:
    type: str = "bool"
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PurposeIn:
    """`purpose in NAME`: the event's purpose descends from NAME."""

    purpose: str
    negated: bool = False
    type: str = "bool"
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Member:
    left: "Node"
    right: "Node"
    negated: bool = False
    type: str = "bool"
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Compare:
    op: str
    left: "Node"
    right: "Node"
    type: str = "bool"
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Lookup:
    table: str
    key: "Node"
    type: str = "int"
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class And:
    left: "Node"
    right: "Node"
    type: str = "bool"
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Or:
    left: "Node"
    right: "Node"
    type: str = "bool"
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Not:
    operand: "Node"
    type: str = "bool"
    span: Span | None = field(default=None, compare=False, repr=False)


Node = Union[Const, Field, Present, Consent, Objected, PurposeIn, Member, Compare, Lookup, And, Or, Not]

#: each node kind's child expressions, in source order (the one description the
#: walkers read; a new node kind is added here)
CHILDREN: dict[type, tuple[str, ...]] = {
    Const: (), Field: (), Present: ("operand",), Consent: (), Objected: (), PurposeIn: (),
    Member: ("left", "right"), Compare: ("left", "right"), Lookup: ("key",),
    And: ("left", "right"), Or: ("left", "right"), Not: ("operand",),
}


def children(node: Node) -> list[Node]:
    """The child expressions of a node, in source order."""
    return [getattr(node, name) for name in CHILDREN[type(node)]]


def walk(node: Node | None):
    """Every node of an expression, parents before children, in source order;
    iterative, so any depth the checker admits is walked without recursion."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


@dataclass(frozen=True)
class Table:
    name: str
    default: int | None
    entries: dict = field(hash=False)
    span: Span | None = field(default=None, compare=False, repr=False)
    doc: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class CheckedRule:
    """A permit, forbid or oblige, sugar already expanded.

    An oblige never allows or denies: on an allow, when its target matches (as a
    forbid's does) and its condition holds or is an error, its obligations are
    added to the decision's.
    `purposes`/`categories` None means `*`; `destination` None means no `to`.
    `sugar` is "require", "residency", "retain" or None; `text` is the rule
    as written, for explanations.
    """

    index: int
    effect: str  # "permit", "forbid" or "oblige"
    label: str | None
    purposes: frozenset[str] | None
    categories: frozenset[str] | None
    destination: frozenset[str] | None
    when: Node | None
    unless: Node | None
    obligations: tuple[str, ...]
    because: str | None
    cite: str | None
    sugar: str | None
    text: str = field(default="", compare=False)
    span: Span | None = field(default=None, compare=False, repr=False)
    doc: str | None = field(default=None, compare=False, repr=False)

    @property
    def location(self) -> str | None:
        return self.span.location if self.span else None

    @property
    def name(self) -> str:
        """How explanations refer to the rule: its label, or its place."""
        return self.label or f"{self.sugar or self.effect} at {self.location}"


# ---- the checked policy: what the evaluators read ------------------------------------


@dataclass(frozen=True)
class Hierarchy:
    """Purposes or categories at run time: every known name (declared, or implied
    as the prefix of a dotted one) with its ancestors, itself included."""

    kind: str  # "purpose" or "category"
    ancestors: Mapping[str, frozenset[str]] = field(hash=False)

    def __contains__(self, name: object) -> bool:
        return name in self.ancestors

    def names(self) -> list[str]:
        return sorted(self.ancestors)


#: the roles a recipient may have (GDPR Arts. 4(7), 4(8), 26)
ROLES = ("processor", "controller", "joint_controller")


@dataclass(frozen=True)
class Recipient:
    """A declared recipient: its role, the country it receives the data in, and the
    safeguards or certifications it holds (which count as the event's `safeguards`)."""

    name: str
    role: str
    country: str
    holds: frozenset[str]
    span: Span | None = field(default=None, compare=False, repr=False)
    doc: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Controller:
    """The policy's controller (`controller NAME in COUNTRY`): its name and the
    country of its (main) establishment, constants conditions read as `controller`
    and `controller.country`."""

    name: str
    country: str
    span: Span | None = field(default=None, compare=False, repr=False)
    doc: str | None = field(default=None, compare=False, repr=False)


#: the scalar types a `fact … is` declares (`list of T` takes one of them)
FACT_TYPES = ("string", "integer", "number", "boolean", "country")


def _fact_admits(type_: str, value: Any) -> bool:
    if type_.startswith("list of "):
        return type(value) is list and all(_fact_admits(type_[8:], item) for item in value)
    if type_ == "string":
        return type(value) is str
    if type_ == "integer":
        return type(value) is int
    if type_ == "number":
        return type(value) in (int, float)
    if type_ == "boolean":
        return type(value) is bool
    assert type_ == "country", type_
    return type(value) is str and is_country(value)


@dataclass(frozen=True)
class Fact:
    """A `fact` declaration: the field at `path` (`("subject", "kind")`,
    `("context", "order", "total")`), when an event has it, holds a value of
    `type` (a FACT_TYPES word or `list of T`) and, for `fact … in {…}`, one of
    `values` (strings, integers or countries: `type` is their kind)."""

    path: tuple[str, ...]
    type: str
    values: frozenset | None = field(default=None, hash=False)
    span: Span | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return ".".join(self.path)

    @property
    def location(self) -> str | None:
        return self.span.location if self.span else None

    def admits(self, value: Any) -> bool:
        """Whether a value present in an event is what the fact declares: of its
        type exactly (`1.0` is not an integer, `"1"` not a number, `true` not 1)
        and, for `in`, one of its values exactly (`"Minor"` is not `"minor"`)."""
        return _fact_admits(self.type, value) and (self.values is None or value in self.values)

    def declared(self) -> str:
        """What the fact declares, in words: `one of "a", "b"`, `a string`, `a list of strings`."""
        if self.values is not None:
            shown = sorted(self.values, key=lambda v: (type(v).__name__, v))
            return "one of " + ", ".join(_shown(v) if isinstance(v, str) and self.type == "string"
                                         else str(v) for v in shown)
        if self.type.startswith("list of "):
            return f"a list of {self.type[8:]}s"
        return ("an " if self.type == "integer" else "a ") + self.type

    def problem(self, value: Any) -> str | None:
        """The event problem for a present value, or None when the fact admits it."""
        if self.admits(value):
            return None
        where = f" at {self.location}" if self.location else ""
        return f"`{self.name}` is {_shown(value)}, but the policy declares it {self.declared()} (fact{where})"


def _shown(value: Any) -> str:
    """A JSON value as an event problem shows it: JSON text with every non-ASCII
    character escaped, so a look-alike (a Cyrillic `і` in `"mіnor"`) is seen."""
    import json

    try:
        text = json.dumps(value, ensure_ascii=True, allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:70] + "…"


def fact_value(path: tuple[str, ...], event: Mapping) -> tuple[bool, Any]:
    """(present, value) of a fact's field in a raw event (a JSON object): the
    field is present when every object on its path holds the next key (`null`
    is absent for `subject.kind`, as for every field of `subject`; inside
    `context` it is a value)."""
    value: Any = event
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return False, None
        value = value[key]
    if path[0] == "subject" and value is None:
        return False, None
    return True, value


@dataclass(frozen=True)
class Vocabulary:
    """The names a policy declares, resolved: hierarchies, each purpose's basis,
    regions as sets of countries, tables, obligations with their description, and
    the marker purposes (groups: no event is for one, a consent to one covers nothing), the
    recipients and the controller."""

    purposes: Hierarchy
    categories: Hierarchy
    bases: Mapping[str, str] = field(hash=False)  # purpose -> basis (only purposes that have one)
    regions: Mapping[str, frozenset[str]] = field(hash=False)
    tables: Mapping[str, Table] = field(hash=False)
    obligations: Mapping[str, str | None] = field(hash=False)  # name -> description
    policy_name: str | None = None
    markers: frozenset[str] = frozenset()
    facts: tuple[Fact, ...] = ()  # `fact` declarations, in path order
    recipients: Mapping[str, Recipient] = field(default_factory=dict, hash=False)
    controller: Controller | None = None

    @cached_property
    def event_bases(self) -> Mapping[str, str]:
        """The purposes an event can be for, with their basis: those with a basis,
        less the markers."""
        return {p: b for p, b in self.bases.items() if p not in self.markers}


@dataclass(frozen=True)
class CheckedPolicy:
    """The checker's output and the evaluators' whole input: plain frozen data,
    no syntax tree and no graph (the tools' view of the declarations, with their
    spans and graphs, is `engine.check.Authored`)."""

    name: str | None
    vocabulary: Vocabulary
    rules: tuple[CheckedRule, ...]
    labels: frozenset[str]
