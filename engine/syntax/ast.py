"""The typed syntax tree. Nodes are immutable; spans and doc comments are
ignored by equality, so two texts that mean the same compare equal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from ..core.source import Source, Span

def _span():
    return field(default=None, compare=False, repr=False)


_doc = _span


@dataclass(frozen=True)
class Name:
    value: str
    span: Span | None = _span()

    def __str__(self) -> str:
        return self.value


# ---- expressions -------------------------------------------------------------


@dataclass(frozen=True)
class IntLit:
    value: int
    span: Span | None = _span()


@dataclass(frozen=True)
class StringLit:
    value: str
    span: Span | None = _span()


@dataclass(frozen=True)
class CountryLit:
    code: str
    span: Span | None = _span()


UNIT_DAYS = {"day": 1, "days": 1, "month": 30, "months": 30, "year": 365, "years": 365}


@dataclass(frozen=True)
class DurationLit:
    amount: int
    unit: str
    span: Span | None = _span()

    @property
    def days(self) -> int:
        return self.amount * UNIT_DAYS[self.unit]


@dataclass(frozen=True)
class BoolLit:
    value: bool
    span: Span | None = _span()


@dataclass(frozen=True)
class BasisLit:
    """A basis name in an expression (`basis == contract`)."""

    name: str
    span: Span | None = _span()


@dataclass(frozen=True)
class ConsentAtom:
    """`consent`, `explicit consent` or `parental consent` (kind None/"explicit"/"parental").
    Beside `basis`, a plain `consent` is the basis name instead."""

    kind: str | None
    span: Span | None = _span()


@dataclass(frozen=True)
class ObjectedAtom:
    span: Span | None = _span()


@dataclass(frozen=True)
class PurposeField:
    span: Span | None = _span()


@dataclass(frozen=True)
class BasisField:
    span: Span | None = _span()


@dataclass(frozen=True)
class NameRef:
    """A bare name: an event field (`subject.age`), a region or a purpose."""

    name: str
    span: Span | None = _span()


@dataclass(frozen=True)
class Has:
    """`has FIELD`: whether an optional event field is present. The operand is
    what followed `has` (a name, or a keyword the checker rejects)."""

    operand: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True)
class Lookup:
    table: Name
    key: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True)
class SetLit:
    items: tuple["Expr", ...]
    span: Span | None = _span()


@dataclass(frozen=True)
class BinaryOp:
    """`+`/`-` on regions and country sets."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >=
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True)
class In:
    left: "Expr"
    right: "Expr"
    negated: bool = False
    span: Span | None = _span()


@dataclass(frozen=True)
class And:
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True)
class Or:
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True)
class Not:
    operand: "Expr"
    span: Span | None = _span()


Expr = Union[
    IntLit, StringLit, CountryLit, DurationLit, BoolLit, BasisLit, ConsentAtom,
    ObjectedAtom, PurposeField, BasisField, NameRef, Has, Lookup, SetLit, BinaryOp,
    Compare, In, And, Or, Not,
]


# ---- declarations ------------------------------------------------------------


@dataclass(frozen=True)
class Detail:
    """What a DPO document says about a declaration: `contact "…", "…"`,
    `interest "…"`. The checker knows which words describe which declaration
    (`engine.check.details`); nothing decides by them."""

    word: Name
    values: tuple[StringLit, ...]
    span: Span | None = _span()

    @property
    def text(self) -> str:
        return ", ".join(v.value for v in self.values)


@dataclass(frozen=True)
class PolicyDecl:
    name: StringLit
    span: Span | None = _span()
    doc: str | None = _doc()


@dataclass(frozen=True)
class UseDecl:
    library: Name
    span: Span | None = _span()
    doc: str | None = _doc()


@dataclass(frozen=True)
class RegionDecl:
    name: Name
    expr: Expr
    span: Span | None = _span()
    doc: str | None = _doc()


@dataclass(frozen=True)
class CategoryDecl:
    name: Name
    parents: tuple[Name, ...] = ()
    span: Span | None = _span()
    doc: str | None = _doc()
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True)
class PurposeDecl:
    name: Name
    bases: tuple[Name, ...] = ()  # more than one is an error (E0305)
    parent_lists: tuple[tuple[Name, ...], ...] = ()  # more than one is an error
    span: Span | None = _span()
    doc: str | None = _doc()
    markers: tuple[Name, ...] = ()  # each `marker` clause; more than one is an error
    details: tuple[Detail, ...] = ()
    behalf: tuple[Name, ...] = ()  # each `on behalf of CLIENT`; more than one is an error

    @property
    def marker(self) -> bool:
        """A marker purpose: it groups others, no event or consent can name it alone."""
        return bool(self.markers)

    @property
    def basis(self) -> Name | None:
        return self.bases[0] if self.bases else None

    @property
    def parents(self) -> tuple[Name, ...]:
        return tuple(p for group in self.parent_lists for p in group)


@dataclass(frozen=True)
class TableEntry:
    country: CountryLit
    value: IntLit
    span: Span | None = _span()


@dataclass(frozen=True)
class TableDecl:
    name: Name
    default: IntLit | None
    entries: tuple[TableEntry, ...]
    span: Span | None = _span()
    doc: str | None = _doc()


@dataclass(frozen=True)
class ObligationDecl:
    name: Name
    description: StringLit | None = None
    span: Span | None = _span()
    doc: str | None = _doc()


@dataclass(frozen=True)
class RecipientDecl:
    """`recipient NAME ROLE in COUNTRY [holds "x", …]`: who receives the data."""

    name: Name
    role: Name
    country: CountryLit
    holds: tuple[StringLit, ...] = ()
    span: Span | None = _span()
    doc: str | None = _doc()
    purposes: tuple[Name, ...] = ()  # `for PURPOSE, …`: what it receives data for
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True)
class ControllerDecl:
    """`controller NAME in COUNTRY`: the policy's controller and the country of its
    (main) establishment."""

    name: Name
    country: CountryLit
    span: Span | None = _span()
    doc: str | None = _doc()
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True)
class ClientDecl:
    """`client NAME …`: a controller on whose behalf the policy's organisation
    processes as a processor (Art. 28; its purposes say `on behalf of NAME`)."""

    name: Name
    span: Span | None = _span()
    doc: str | None = _doc()
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True)
class FactDecl:
    """`fact FIELD in {…}` (`values`) or `fact FIELD is TYPE` (`type`: the type's
    words as written, `("string",)` or `("list", "of", "string")`)."""

    field: Name
    values: SetLit | None = None
    type: tuple[Name, ...] = ()
    span: Span | None = _span()
    doc: str | None = _doc()


# ---- rules -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    purposes: tuple[Name, ...] | None  # None is `*`
    categories: tuple[Name, ...] | None = None  # None is `*` or no `on`
    destination: Expr | None = None  # None is no `to`
    span: Span | None = _span()


@dataclass(frozen=True)
class Rule:
    """A rule statement as written. `kind` is permit, forbid, require,
    residency, retain or oblige; the checker turns sugar into the forbid it stands for."""

    kind: str
    target: Target
    label: Name | None = None
    when: Expr | None = None
    unless: Expr | None = None
    obligations: tuple[Name, ...] = ()
    because: StringLit | None = None
    cite: StringLit | None = None
    requirement: Expr | None = None  # require EXPR
    region: Expr | None = None  # residency C in REGION
    period: DurationLit | None = None  # retain C for DURATION
    has_with: bool = False
    span: Span | None = _span()
    doc: str | None = _doc()


@dataclass(frozen=True)
class TestDecl:
    name: StringLit
    event: Any  # decoded JSON object
    expect: str  # "allow" or "deny"
    names: tuple[Name, ...] = ()  # obligations (allow) or rule labels (deny)
    event_span: Span | None = _span()
    event_keys: tuple = field(default=(), compare=False, repr=False)
    expect_span: Span | None = _span()
    span: Span | None = _span()
    doc: str | None = _doc()


Statement = Union[
    PolicyDecl, UseDecl, RegionDecl, CategoryDecl, PurposeDecl, TableDecl,
    ObligationDecl, RecipientDecl, ControllerDecl, ClientDecl, FactDecl, Rule, TestDecl,
]


@dataclass(frozen=True)
class Comment:
    text: str
    span: Span


@dataclass(frozen=True)
class Module:
    """One parsed file."""

    source: Source = field(compare=False, repr=False)
    statements: tuple[Statement, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False)
