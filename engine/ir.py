"""The checked, typed form of expressions and rules that evaluators run.

The checker produces these from the AST: names are resolved, regions and
constant sets are folded to frozensets, sugar is turned into the forbid it
stands for. Every node keeps its span and its source text for explanations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Union

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


Node = Union[Const, Field, Consent, Objected, PurposeIn, Member, Compare, Lookup, And, Or, Not]

#: each node kind's child expressions, in source order (the one description the
#: walkers read; a new node kind is added here)
CHILDREN: dict[type, tuple[str, ...]] = {
    Const: (), Field: (), Consent: (), Objected: (), PurposeIn: (),
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


@dataclass(frozen=True)
class Vocabulary:
    """The names a policy declares, resolved: hierarchies, each purpose's basis,
    regions as sets of countries, tables, and obligations with their description."""

    purposes: Hierarchy
    categories: Hierarchy
    bases: Mapping[str, str] = field(hash=False)  # purpose -> basis (only purposes that have one)
    regions: Mapping[str, frozenset[str]] = field(hash=False)
    tables: Mapping[str, Table] = field(hash=False)
    obligations: Mapping[str, str | None] = field(hash=False)  # name -> description
    policy_name: str | None = None


@dataclass(frozen=True)
class CheckedPolicy:
    """The checker's output and the evaluators' whole input: plain frozen data,
    no syntax tree and no graph (the tools' view of the declarations, with their
    spans and graphs, is `engine.check.Authored`)."""

    name: str | None
    vocabulary: Vocabulary
    rules: tuple[CheckedRule, ...]
    labels: frozenset[str]
