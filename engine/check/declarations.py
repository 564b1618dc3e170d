"""Declarations: symbol tables, duplicates, hierarchies (networkx DAGs), bases,
regions and tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

import networkx as nx

from ..syntax import ast
from ..core.countries import is_country, suggest
from ..core.diagnostics import Diagnostic, Note, did_you_mean
from .. import ir
from ..ir import Table
from ..core.resources import library_of
from ..core.source import Span
from ..event import fields

BASES = ("consent", "contract", "legal_obligation", "vital_interest", "public_task",
         "legitimate_interest")
MAX_HIERARCHY_DEPTH = 64
FIELD_ROOTS = fields.roots()  # what conditions read by a path: no declared name starts with one


class _Declaration(Protocol):
    @property
    def name(self) -> ast.Name: ...


_D = TypeVar("_D", bound=_Declaration)
_H = TypeVar("_H", ast.CategoryDecl, ast.PurposeDecl)


@dataclass
class DeclaredHierarchy(Generic[_H]):
    """Purposes or categories: every known name (declared or implied), its
    direct parents, and its ancestors (itself included)."""

    kind: str  # "purpose" or "category"
    graph: nx.DiGraph  # edges child -> parent
    declared: dict[str, _H]
    ancestors: dict[str, frozenset[str]] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.graph

    def names(self) -> list[str]:
        return sorted(self.graph.nodes)

    def frozen(self) -> ir.Hierarchy:
        """The run-time form: names and their ancestors, without the graph."""
        return ir.Hierarchy(self.kind, dict(self.ancestors))


@dataclass
class Declarations:
    """Everything declared, as the checker works with it: hierarchies as graphs,
    and each declaration's syntax (for spans, docs and the authoring tools)."""

    purposes: DeclaredHierarchy[ast.PurposeDecl]
    categories: DeclaredHierarchy[ast.CategoryDecl]
    bases: dict[str, str]  # purpose -> basis (only purposes that have one)
    markers: frozenset[str]  # marker purposes: groups no event or consent names alone
    regions: dict[str, frozenset[str]]
    region_decls: dict[str, ast.RegionDecl]
    tables: dict[str, Table]
    obligations: dict[str, ast.ObligationDecl]
    policy_name: str | None
    recipients: dict[str, ir.Recipient] = field(default_factory=dict)
    controller: ir.Controller | None = None
    #: the first `controller` declaration (also when its country is wrong: E0501)
    controller_decl: ast.ControllerDecl | None = None
    #: `fact` declarations, path -> `check.facts.Declared` (set by `check` once the sets are typed)
    facts: dict = field(default_factory=dict)
    #: the recipients' declarations (their `for` purposes and details), by name
    recipient_decls: dict[str, ast.RecipientDecl] = field(default_factory=dict)
    #: `client` declarations by name (set by `check`, `check.details`)
    clients: dict[str, ast.ClientDecl] = field(default_factory=dict)

    def frozen(self) -> ir.Vocabulary:
        """The run-time form (`ir.Vocabulary`): no syntax tree, no graph."""
        return ir.Vocabulary(
            self.purposes.frozen(), self.categories.frozen(), dict(self.bases), dict(self.regions),
            dict(self.tables),
            {name: decl.description.value if decl.description else None
             for name, decl in self.obligations.items()},
            self.policy_name, markers=self.markers,
            facts=tuple(declared.fact for declared in self.facts.values()), recipients=dict(self.recipients),
            controller=self.controller)


def duplicates(kind: str, decls: Iterable[_D], diagnostics: list[Diagnostic]) -> dict[str, _D]:
    """name -> first declaration; every later one is an error showing both."""
    first: dict[str, _D] = {}
    for decl in decls:
        name = decl.name.value
        if name in first:
            earlier = first[name]
            library = _library(decl.name.span)
            if library and not _library(earlier.name.span):
                # point at the user's own declaration, which is the one to change
                diagnostics.append(Diagnostic(
                    "E0202", f"the {kind} `{name}` is already declared by `use {library}`",
                    earlier.name.span, notes=(Note(f"`{library}` declares it here", decl.name.span),),
                    help=f"rename yours; `use {library}` names are reserved in this policy"))
                continue
            diagnostics.append(Diagnostic(
                "E0202", f"the {kind} `{name}` is declared twice", decl.name.span,
                notes=(Note("first declared here", earlier.name.span),),
                help="remove one declaration, or rename one of them"))
        else:
            first[name] = decl
    return first


def _library(span: Span | None) -> str | None:
    """The library a declaration comes from (`<gdpr>/…` files), or None."""
    return library_of(span.file) if span is not None else None


def _check_root(decl_name: ast.Name, kind: str, diagnostics: list[Diagnostic],
                contextual: bool = False) -> None:
    """E0205 for a name that starts with what conditions read. The roots of fields
    added after 0.2 (`recipient`, `exporter`: `fields.CONTEXTUAL_ROOTS`) count only in a policy
    that declares recipients (`contextual`), so older policies keep their names."""
    root = decl_name.value.split(".")[0]
    if root in FIELD_ROOTS and contextual == (root in fields.CONTEXTUAL_ROOTS):
        diagnostics.append(Diagnostic(
            "E0205", f"the {kind} `{decl_name.value}` starts with the event field `{root}`",
            decl_name.span, help=f"`{root}` is read from events; choose another name"))


def _hierarchy(kind: str, decls: Iterable[_H], diagnostics: list[Diagnostic]) -> DeclaredHierarchy[_H]:
    declared = duplicates(kind, decls, diagnostics)
    graph: nx.DiGraph[str] = nx.DiGraph()
    for name in declared:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            graph.add_node(".".join(parts[:i]))
            if i > 1:
                graph.add_edge(".".join(parts[:i]), ".".join(parts[: i - 1]))
    for decl in declared.values():
        _check_root(decl.name, kind, diagnostics)
        for parent in decl.parents:
            if parent.value not in graph:
                diagnostics.append(Diagnostic(
                    "E0201", f"undefined {kind} `{parent.value}`", parent.span,
                    help=did_you_mean(parent.value, graph.nodes)
                    or f"declare it: `{kind} {parent.value}`"))
            else:
                graph.add_edge(decl.name.value, parent.value)
    hierarchy = DeclaredHierarchy(kind, graph, declared)
    code = "E0301" if kind == "category" else "E0302"
    for cycle in _cycles(graph):
        spans = [(n, declared[n].name.span) for n in cycle if n in declared]
        anchor = spans[0][1] if spans else None
        chain = " -> ".join(f"`{n}`" for n in cycle + [cycle[0]])
        diagnostics.append(Diagnostic(
            code, f"the {kind} hierarchy has a cycle: {chain}", anchor,
            notes=tuple(Note(f"`{n}` is declared here", s) for n, s in spans[1:]),
            help=f"a {kind} cannot be its own ancestor; remove one `is` on the cycle"))
    longest = _longest_chain(graph)
    if len(longest) > MAX_HIERARCHY_DEPTH:
        deepest = next((n for n in longest if n in declared), None)
        diagnostics.append(Diagnostic(
            "E0307", f"the {kind} hierarchy is {len(longest)} levels deep",
            declared[deepest].name.span if deepest else None,
            help=f"a hierarchy has at most {MAX_HIERARCHY_DEPTH} levels (dotted prefixes and `is` "
            "parents both count)"))
        for node in graph.nodes:  # all ancestors would cost the depth for each name: not kept
            hierarchy.ancestors[node] = frozenset({node})
        return hierarchy
    for node in graph.nodes:
        hierarchy.ancestors[node] = frozenset(nx.descendants(graph, node)) | {node}
    return hierarchy


def _longest_chain(graph: nx.DiGraph) -> list[str]:
    """The longest child-to-parent chain of names (none when there is a cycle, which is
    reported as such)."""
    if not len(graph) or not nx.is_directed_acyclic_graph(graph):
        return []
    return nx.dag_longest_path(graph)  # insertion order: the same text, the same chain


def _cycles(graph: nx.DiGraph) -> list[list[str]]:
    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1 or any(graph.has_edge(n, n) for n in component):
            sub = graph.subgraph(component)
            cycle = [edge[0] for edge in nx.find_cycle(sub)]
            start = cycle.index(min(cycle))  # a stable starting point
            cycles.append(cycle[start:] + cycle[:start])
    return sorted(cycles)


def _bases(purposes: DeclaredHierarchy[ast.PurposeDecl], diagnostics: list[Diagnostic]) -> dict[str, str]:
    own: dict[str, str] = {}
    for name, decl in purposes.declared.items():
        for extra in decl.bases[1:]:
            diagnostics.append(Diagnostic(
                "E0305", f"the purpose `{name}` gives `basis` twice", extra.span,
                notes=(Note("first given here", decl.bases[0].span),),
                help="a purpose has exactly one basis"))
        for group in decl.parent_lists[1:]:
            diagnostics.append(Diagnostic(
                "E0305", f"the purpose `{name}` gives `is` twice", group[0].span,
                help="list every parent after one `is`: `is a, b`"))
        for extra in decl.markers[1:]:
            diagnostics.append(Diagnostic(
                "E0305", f"the purpose `{name}` gives `marker` twice", extra.span,
                notes=(Note("first given here", decl.markers[0].span),),
                help="remove one `marker`"))
        if decl.basis is not None:
            own[name] = decl.basis.value
    resolved: dict[str, frozenset[str]] = {}

    def inherited(name: str, visiting: frozenset) -> frozenset[str]:
        if name in own:
            return frozenset({own[name]})
        if name in resolved:
            return resolved[name]
        result: set[str] = set()
        for parent in purposes.graph.successors(name):
            if parent not in visiting:  # cycles are reported elsewhere
                result |= inherited(parent, visiting | {name})
        resolved[name] = frozenset(result)
        return resolved[name]

    bases: dict[str, str] = {}
    for name in purposes.names():
        found = inherited(name, frozenset())
        declared = purposes.declared.get(name)
        if declared is not None and declared.marker and len(found) != 1:
            continue  # no event names a marker, so it needs no basis of its own
        if len(found) == 1:
            bases[name] = next(iter(found))
        elif declared is not None and not found:
            diagnostics.append(Diagnostic(
                "E0303", f"the purpose `{name}` has no basis", declared.name.span,
                help="give one: `basis consent`, `contract`, `legal_obligation`, "
                "`vital_interest`, `public_task` or `legitimate_interest`"))
        elif declared is not None and len(found) > 1:
            listed = ", ".join(f"`{b}`" for b in sorted(found))
            diagnostics.append(Diagnostic(
                "E0304", f"the purpose `{name}` inherits different bases: {listed}",
                declared.name.span, help="give the purpose a basis of its own"))
    return bases


def country(lit: ast.CountryLit, diagnostics: list[Diagnostic]) -> str | None:
    if is_country(lit.code):
        return lit.code
    if len(lit.code) != 2 or not lit.code.isupper():
        message = f"`{lit.code}` is not a two-letter country code"
    else:
        message = f"`{lit.code}` is not an ISO 3166-1 country code"
    diagnostics.append(Diagnostic("E0501", message, lit.span, help=suggest(lit.code)))
    return None


def _regions(decls, diagnostics: list[Diagnostic]):
    declared = duplicates("region", decls, diagnostics)
    for decl in declared.values():
        _check_root(decl.name, "region", diagnostics)
    values: dict[str, frozenset[str]] = {}
    in_progress: list[str] = []

    def value(name: str) -> frozenset[str]:
        if name in values:
            return values[name]
        if name in in_progress:
            cycle = in_progress[in_progress.index(name):]
            diagnostics.append(Diagnostic(
                "E0306", "regions are defined in terms of each other: "
                + " -> ".join(f"`{n}`" for n in cycle + [name]),
                declared[name].name.span,
                notes=tuple(Note(f"`{n}` is declared here", declared[n].name.span) for n in cycle[1:]),
                help="a region cannot contain itself"))
            values[name] = frozenset()
            return values[name]
        in_progress.append(name)
        result = region_value(declared[name].expr, value, declared, diagnostics)
        in_progress.pop()
        values.setdefault(name, result)
        return values[name]

    for name in declared:
        value(name)
    return values, declared


def region_value(expr, lookup, known, diagnostics: list[Diagnostic]) -> frozenset[str]:
    """Fold a region expression (names, country sets, `+`, `-`) to a set."""
    if isinstance(expr, ast.NameRef):
        if expr.name in known:
            return lookup(expr.name)
        diagnostics.append(Diagnostic(
            "E0201", f"undefined region `{expr.name}`", expr.span,
            help=did_you_mean(expr.name, known) or f"declare it: `region {expr.name} = {{…}}`"))
        return frozenset()
    if isinstance(expr, ast.SetLit):
        result = set()
        for item in expr.items:
            if isinstance(item, ast.CountryLit):
                code = country(item, diagnostics)
                if code:
                    result.add(code)
            elif isinstance(item, ast.NameRef) and item.name in known:
                diagnostics.append(Diagnostic(
                    "E0407", f"a set holds countries, not the region `{item.name}`", item.span,
                    help=f"join regions with `+`: `{item.name} + {{…}}`"))
            else:
                diagnostics.append(Diagnostic(
                    "E0407", "a region holds only country codes", item.span,
                    help="write two-letter codes such as `DE`"))
        return frozenset(result)
    if isinstance(expr, ast.BinaryOp):
        left = region_value(expr.left, lookup, known, diagnostics)
        right = region_value(expr.right, lookup, known, diagnostics)
        return left | right if expr.op == "+" else left - right
    diagnostics.append(Diagnostic(
        "E0406", "a region is built from region names, country sets, `+` and `-`", expr.span))
    return frozenset()


def _tables(decls, diagnostics: list[Diagnostic]) -> dict[str, Table]:
    tables = {}
    for name, decl in duplicates("table", decls, diagnostics).items():
        _check_root(decl.name, "table", diagnostics)
        entries: dict[str, int] = {}
        seen: dict[str, Span] = {}
        for entry in decl.entries:
            code = country(entry.country, diagnostics)
            if code is None:
                continue
            if code in seen:
                diagnostics.append(Diagnostic(
                    "E0502", f"`{code}` is listed twice in the table `{name}`", entry.country.span,
                    notes=(Note("first listed here", seen[code]),), help="keep one entry"))
                continue
            seen[code] = entry.country.span
            entries[code] = entry.value.value
        default = decl.default.value if decl.default is not None else None
        tables[name] = Table(name, default, entries, decl.name.span, decl.doc)
    return tables


def _recipients(decls, diagnostics: list[Diagnostic]) -> dict[str, ir.Recipient]:
    recipients = {}
    for name, decl in decls.items():
        role = decl.role.value
        if role not in ir.ROLES:
            diagnostics.append(Diagnostic(
                "E0308", f"`{role}` is not a recipient's role", decl.role.span,
                help=did_you_mean(role, ir.ROLES) or "a recipient is a " + ", a ".join(
                    f"`{r}`" for r in ir.ROLES[:-1]) + f" or a `{ir.ROLES[-1]}`"))
        code = country(decl.country, diagnostics)
        if code is None or role not in ir.ROLES:
            continue
        recipients[name] = ir.Recipient(name, role, code, frozenset(h.value for h in decl.holds),
                                        decl.name.span, decl.doc)
    return recipients


def declarations(statements, diagnostics: list[Diagnostic]) -> Declarations:
    by_type = defaultdict(list)
    for statement in statements:
        by_type[type(statement)].append(statement)
    policies = by_type[ast.PolicyDecl]
    for extra in policies[1:]:
        diagnostics.append(Diagnostic(
            "E0206", "a policy has at most one `policy` declaration", extra.span,
            notes=(Note("the first one is here", policies[0].span),),
            help="remove one of them"))
    controller = _controller(by_type[ast.ControllerDecl], diagnostics)
    purposes = _hierarchy("purpose", by_type[ast.PurposeDecl], diagnostics)
    categories = _hierarchy("category", by_type[ast.CategoryDecl], diagnostics)
    bases = _bases(purposes, diagnostics)
    markers = frozenset(name for name, decl in purposes.declared.items() if decl.marker)
    regions, region_decls = _regions(by_type[ast.RegionDecl], diagnostics)
    tables = _tables(by_type[ast.TableDecl], diagnostics)
    obligations = duplicates("obligation", by_type[ast.ObligationDecl], diagnostics)
    for decl in obligations.values():
        _check_root(decl.name, "obligation", diagnostics)
    recipient_decls = duplicates("recipient", by_type[ast.RecipientDecl], diagnostics)
    recipients = _recipients(recipient_decls, diagnostics)
    if by_type[ast.RecipientDecl]:
        for kind, decls in (("purpose", purposes.declared.values()), ("category", categories.declared.values()),
                            ("region", region_decls.values()), ("table", by_type[ast.TableDecl]),
                            ("obligation", obligations.values())):
            for decl in decls:
                _check_root(decl.name, kind, diagnostics, contextual=True)
    if controller is not None:  # `controller` then names the controller in conditions
        for kind, decls in (("purpose", purposes.declared.values()), ("category", categories.declared.values()),
                            ("region", region_decls.values()), ("table", by_type[ast.TableDecl]),
                            ("obligation", obligations.values())):
            for decl in decls:
                if decl.name.value.split(".")[0] == "controller":
                    diagnostics.append(Diagnostic(
                        "E0205", f"the {kind} `{decl.name.value}` starts with `controller`, which names "
                        "the policy's controller", decl.name.span,
                        notes=(Note("the controller is declared here", controller.span),) if controller.span else (),
                        help="conditions read `controller` and `controller.country`; choose another name"))
    return Declarations(
        purposes=purposes,
        categories=categories,
        bases=bases,
        markers=markers,
        regions=regions,
        region_decls=region_decls,
        tables=tables,
        obligations=obligations,
        policy_name=policies[0].name.value if policies else None,
        recipients=recipients,
        recipient_decls=recipient_decls,
        controller=controller,
        controller_decl=by_type[ast.ControllerDecl][0] if by_type[ast.ControllerDecl] else None,
    )


def _controller(decls, diagnostics: list[Diagnostic]) -> ir.Controller | None:
    """The one `controller` declaration (E0208 for every further one), or None."""
    for extra in decls[1:]:
        country(extra.country, diagnostics)
        diagnostics.append(Diagnostic(
            "E0208", "a policy has at most one `controller` declaration", extra.span,
            notes=(Note("the first one is here", decls[0].span),),
            help="a policy decides for one controller; remove one of them"))
    if not decls:
        return None
    code = country(decls[0].country, diagnostics)
    if code is None:
        return None
    return ir.Controller(decls[0].name.value, code, decls[0].span, decls[0].doc)
