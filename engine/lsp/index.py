"""The names of a policy's text: where each is declared and where it is used.

Built from the parsed modules alone (the checker is not needed), so a policy
with errors still has its names: hover, go to definition, find references and
rename read this index. Every `Name` and bare name of the AST is an
*occurrence* with a kind (category, purpose, region, table, obligation,
recipient, controller, client, fact, rule, library) and a name; a declaration
is the occurrence a declaration statement names. A bare name in an expression
(`eea`, `marketing`, `subject.age`) takes the kind of what it names: a region,
a purpose, a category or a declared fact; else it is an event field (`field`)
or left unresolved (`name`).
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..core.source import Span
from ..event import fields
from ..syntax import ast

#: what a bare name in an expression is looked up as, in this order
_BARE_KINDS = ("region", "purpose", "category", "fact")
#: the declaration statements, by the kind of name they declare
_DECLARES: dict[type, str] = {
    ast.RegionDecl: "region", ast.CategoryDecl: "category", ast.PurposeDecl: "purpose",
    ast.TableDecl: "table", ast.ObligationDecl: "obligation", ast.RecipientDecl: "recipient",
    ast.ControllerDecl: "controller", ast.ClientDecl: "client",
}
FIELD_NAMES = frozenset(fields.condition_names())


@dataclass
class Occurrence:
    kind: str
    name: str
    span: Span
    declaration: bool = False
    #: the statement a declaration belongs to (None for a use)
    statement: Any = None

    @property
    def file(self) -> str:
        return self.span.file

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.name


@dataclass
class Index:
    """Every occurrence, by file (in text order), and the declarations by (kind, name)."""

    by_file: dict[str, list[Occurrence]] = field(default_factory=dict)
    declarations: dict[tuple[str, str], Occurrence] = field(default_factory=dict)
    #: statements by file, in text order (document symbols, test blocks)
    statements: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, modules: list[ast.Module]) -> "Index":
        index = cls()
        found: list[Occurrence] = []
        for module in modules:
            index.statements[module.source.name] = list(module.statements)
            for statement in module.statements:
                found.extend(_occurrences(statement))
        for occurrence in found:
            if occurrence.declaration:
                index.declarations.setdefault(occurrence.key, occurrence)
        for occurrence in found:
            if occurrence.kind == "name":  # a bare name: what it names
                for kind in _BARE_KINDS:
                    if (kind, occurrence.name) in index.declarations:
                        occurrence.kind = kind
                        break
                else:
                    if occurrence.name in FIELD_NAMES or occurrence.name.startswith("context."):
                        occurrence.kind = "field"
            index.by_file.setdefault(occurrence.file, []).append(occurrence)
        for occurrences in index.by_file.values():
            occurrences.sort(key=lambda o: o.span.start)
        return index

    def at(self, file: str, offset: int) -> Occurrence | None:
        """The occurrence under a character offset (its end included: a cursor just
        after a name is on it)."""
        occurrences = self.by_file.get(file, [])
        starts = [o.span.start for o in occurrences]
        position = bisect.bisect_right(starts, offset) - 1
        for candidate in occurrences[max(0, position - 1):position + 1][::-1]:
            if candidate.span.start <= offset <= candidate.span.end:
                return candidate
        return None

    def declaration(self, occurrence: Occurrence) -> Occurrence | None:
        return self.declarations.get(occurrence.key)

    def references(self, key: tuple[str, str]) -> Iterator[Occurrence]:
        for occurrences in self.by_file.values():
            for occurrence in occurrences:
                if occurrence.key == key:
                    yield occurrence


def _occurrences(statement: Any) -> Iterator[Occurrence]:
    """The occurrences of one statement, its declaration first."""
    kind = _DECLARES.get(type(statement))
    if kind is not None:
        yield _named(kind, statement.name, True, statement)
    if isinstance(statement, ast.UseDecl):
        yield _named("library", statement.library, False)
    elif isinstance(statement, ast.CategoryDecl):
        yield from (_named("category", parent) for parent in statement.parents)
    elif isinstance(statement, ast.PurposeDecl):
        yield from (_named("purpose", parent) for names in statement.parent_lists for parent in names)
        yield from (_named("client", client) for client in statement.behalf)
    elif isinstance(statement, ast.RegionDecl):
        yield from _expression(statement.expr)
    elif isinstance(statement, ast.RecipientDecl):
        yield from (_named("purpose", purpose) for purpose in statement.purposes)
    elif isinstance(statement, ast.FactDecl):
        yield _named("fact", statement.field, True, statement)
    elif isinstance(statement, ast.Rule):
        if statement.label is not None:
            yield _named("rule", statement.label, True, statement)
        target = statement.target
        yield from (_named("purpose", purpose) for purpose in target.purposes or ())
        yield from (_named("category", category) for category in target.categories or ())
        for part in (target.destination, statement.when, statement.unless, statement.requirement,
                     statement.region):
            yield from _expression(part)
        yield from (_named("obligation", obligation) for obligation in statement.obligations)
    elif isinstance(statement, ast.TestDecl):
        kind = "obligation" if statement.expect == "allow" else "rule"
        yield from (_named(kind, name) for name in statement.names)


def _named(kind: str, name: ast.Name, declaration: bool = False, statement: Any = None) -> Occurrence:
    assert name.span is not None  # parsed names have their spans
    return Occurrence(kind, name.value, name.span, declaration, statement)


def _expression(node: Any) -> Iterator[Occurrence]:
    """The names in an expression: bare names, table lookups, fields of `has`."""
    stack = [node]
    while stack:
        item = stack.pop()
        if item is None or not dataclasses.is_dataclass(item):
            continue
        if isinstance(item, ast.NameRef):
            if item.span is not None:
                yield Occurrence("name", item.name, item.span)
            continue
        if isinstance(item, ast.Lookup):
            yield _named("table", item.table)
        if isinstance(item, ast.In) and isinstance(item.left, ast.PurposeField):  # `purpose in NAMES`
            names = item.right.items if isinstance(item.right, ast.SetLit) else (item.right,)
            for name in names:
                if isinstance(name, ast.NameRef) and name.span is not None:
                    yield Occurrence("purpose", name.name, name.span)
            continue
        for part in dataclasses.fields(item):
            value = getattr(item, part.name)
            if isinstance(value, tuple):
                stack.extend(value)
            elif dataclasses.is_dataclass(value) and not isinstance(value, (Span, ast.Name)):
                stack.append(value)
