"""Lint: analysis warnings on a checked policy, beyond what compiling requires.

- unused declarations, from a reference graph (networkx) of rules and names;
- permits an unconditional forbid always overrides; duplicate and subsumed rules;
- purposes that no permit can allow;
- `when`/`unless` conditions that are always true or always false, where the
  rule's own target decides them;
- for a policy that does not `use gdpr`: special-category data permitted without
  explicit consent, transfers outside the EEA with no safeguard, consent-based
  purposes with no rule for children.

Findings inside libraries (`<gdpr>/…`) are not reported: they are not the user's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import networkx as nx

from . import ast, ir
from .diagnostics import Diagnostic, Note
from .load import PolicyError, load_policy, load_policy_text
from .policy import Policy
from .resources import library_of

#: words that name special categories of data (GDPR Art. 9) in a category name
SPECIAL_WORDS = frozenset("""health medical genetic genome dna biometric biometrics religion
    religious belief beliefs political politics union trade_union sex sexual sex_life
    sexual_orientation ethnic ethnicity racial race special""".split())


@dataclass
class LintResult:
    """Everything found for one policy: compile errors, or warnings."""

    path: str
    diagnostics: list[Diagnostic]
    policy: Policy | None


def lint_path(path) -> LintResult:
    try:
        policy = load_policy(path)
    except PolicyError as error:
        return LintResult(str(path), error.diagnostics, None)
    return LintResult(str(path), _own(policy, policy.diagnostics + lint(policy)), policy)


def lint_text(text: str, name: str = "<policy>") -> LintResult:
    try:
        policy = load_policy_text(text, name)
    except PolicyError as error:
        return LintResult(name, error.diagnostics, None)
    return LintResult(name, _own(policy, policy.diagnostics + lint(policy)), policy)


_IGNORE = re.compile(r"#\s*lawful:\s*ignore\[([A-Z0-9,\s]+)\]")


def _own(policy: Policy, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The user's findings: none inside libraries, none a comment
    `# lawful: ignore[CODE, …]` on the same line or the line above silences."""
    ignored = set()
    for module in policy.checked.modules:
        for comment in module.comments:
            match = _IGNORE.search(comment.text)
            if match:
                line = comment.span.line
                for code in re.split(r"[,\s]+", match.group(1).strip()):
                    ignored |= {(module.source.name, line, code), (module.source.name, line + 1, code)}
    mine = [d for d in diagnostics if not library_of(d.file)
            and not (d.severity.value == "warning" and (d.file, d.line, d.code) in ignored)]
    return sorted(mine, key=Diagnostic.sort_key)


def _library(span) -> bool:
    return span is None or library_of(span.file) is not None


def lint(policy: Policy) -> list[Diagnostic]:
    linter = _Linter(policy)
    linter.unused()
    linter.rule_pairs()
    linter.unpermitted_purposes()
    linter.constant_conditions()
    if not any(isinstance(s, ast.UseDecl) and s.library.value == "gdpr"
               for m in policy.checked.modules for s in m.statements):
        linter.gdpr_hints()
    return linter.found


class _Linter:
    def __init__(self, policy: Policy):
        self.policy = policy
        self.vocabulary = policy.vocabulary
        self.rules = [r for r in policy.rules]
        self.found: list[Diagnostic] = []

    def warn(self, code, message, span, help=None, notes=()):
        if not _library(span):
            self.found.append(Diagnostic(code, message, span, help=help, notes=tuple(notes)))

    # ---- unused declarations -------------------------------------------------------

    def reference_graph(self) -> nx.DiGraph:
        """Edges from each rule (and test) to the names it uses, and from each
        declaration to the names its definition uses."""
        graph = nx.DiGraph()
        for rule in self.rules:
            node = ("rule", rule.index)
            graph.add_node(node)
            # `*` uses every purpose (or category): the rule matches them all
            for purpose in self.vocabulary.purposes.names() if rule.purposes is None else rule.purposes:
                graph.add_edge(node, ("purpose", purpose))
            for category in (self.vocabulary.categories.names() if rule.categories is None
                             else rule.categories):
                graph.add_edge(node, ("category", category))
            for obligation in rule.obligations:
                graph.add_edge(node, ("obligation", obligation))
            for condition in (rule.when, rule.unless):
                for kind, name in _names_in(condition):
                    graph.add_edge(node, (kind, name))
        for module in self.policy.checked.modules:
            for statement in module.statements:
                if isinstance(statement, ast.Rule):
                    # regions are folded into sets when checked: find their names in the text
                    node = ("rule-text", statement.span.start)
                    graph.add_node(node)
                    for part in (statement.target.destination, statement.region, statement.when,
                                 statement.unless, statement.requirement):
                        for name in _region_names(part) & set(self.vocabulary.regions):
                            graph.add_edge(node, ("region", name))
                elif isinstance(statement, ast.RegionDecl):
                    for name in _region_names(statement.expr):
                        graph.add_edge(("region", statement.name.value), ("region", name))
                elif isinstance(statement, ast.TestDecl):
                    for name in statement.names:
                        graph.add_edge(("test", statement.span.start), ("obligation", name.value))
                elif isinstance(statement, (ast.CategoryDecl, ast.PurposeDecl)):
                    kind = "category" if isinstance(statement, ast.CategoryDecl) else "purpose"
                    for parent in statement.parents:
                        graph.add_edge((kind, statement.name.value), (kind, parent.value))
        return graph

    def unused(self) -> None:
        graph = self.reference_graph()
        users = {n for n in graph if n[0] in ("rule", "rule-text", "test")}

        def used(node) -> bool:
            return node in graph and bool(nx.ancestors(graph, node) & users)

        for kind, code, hierarchy in (("category", "W0801", self.vocabulary.categories),
                                      ("purpose", "W0802", self.vocabulary.purposes)):
            for name, decl in hierarchy.declared.items():
                related = hierarchy.ancestors[name] | {n for n, a in hierarchy.ancestors.items() if name in a}
                referenced = any(used((kind, other)) for other in related)
                # a parent named by `is` counts as used through its children
                if not referenced and not any(graph.has_edge(n, (kind, name)) for n in graph
                                              if n[0] == kind):
                    self.warn(code, f"the {kind} `{name}` is declared but no rule names it or a "
                              f"{kind} related to it", decl.name.span,
                              help="remove it, or write the rule that uses it")
        for name, decl in self.vocabulary.region_decls.items():
            if not used(("region", name)):
                self.warn("W0803", f"the region `{name}` is never used", decl.name.span,
                          help="remove it, or use it in `to`, `in` or `residency`")
        for name, table in self.vocabulary.tables.items():
            if not used(("table", name)):
                self.warn("W0804", f"the table `{name}` is never looked up", table.span,
                          help=f"remove it, or use it: `{name}[subject.country]`")
        for name, decl in self.vocabulary.obligations.items():
            if not used(("obligation", name)):
                self.warn("W0805", f"the obligation `{name}` is never handed out", decl.name.span,
                          help=f"remove it, or add `with {name}` to a permit")

    # ---- pairs of rules ------------------------------------------------------------------

    def covers(self, wide: ir.CheckedRule, narrow: ir.CheckedRule) -> bool:
        """Every event `narrow`'s target matches, `wide`'s target matches too."""
        purposes = self.vocabulary.purposes.ancestors
        categories = self.vocabulary.categories.ancestors
        if wide.purposes is not None and (narrow.purposes is None or any(
                not purposes[p] & wide.purposes for p in narrow.purposes)):
            return False
        if wide.categories is not None and (narrow.categories is None or any(
                not categories[c] & wide.categories for c in narrow.categories)):
            return False
        if wide.destination is not None and (narrow.destination is None
                                             or not narrow.destination <= wide.destination):
            return False
        return True

    def rule_pairs(self) -> None:
        reported = set()
        for later in self.rules:
            for earlier in self.rules:
                if earlier.index >= later.index and earlier.effect == later.effect:
                    continue
                unconditional = earlier.when is None and earlier.unless is None
                if later.effect == "permit" and earlier.effect == "forbid" and unconditional \
                        and self.covers(earlier, later):
                    self.warn("W0806", f"this permit can never apply: {_called(earlier)} always "
                              "forbids what it permits", later.span,
                              notes=[Note("the forbid is here", earlier.span)],
                              help="narrow the forbid with `on`, `to` or `when`, or remove the permit")
                    break
                if earlier.effect != later.effect or earlier.index >= later.index:
                    continue
                if _same_rule(earlier, later):
                    self.warn("W0807", f"this rule repeats {_called(earlier)}", later.span,
                              notes=[Note("the same rule is here", earlier.span)], help="remove one")
                    reported.add(later.index)
                    break
        for rule in self.rules:
            if rule.index in reported:
                continue
            for other in self.rules:
                if other.index == rule.index or other.effect != rule.effect or other.index in reported:
                    continue
                if other.when is None and other.unless is None and self.covers(other, rule) and not (
                        self.covers(rule, other) and rule.when is None and rule.unless is None
                        and rule.index < other.index) and set(rule.obligations) <= set(other.obligations):
                    self.warn("W0808", f"this {rule.effect} adds nothing: {_called(other)} "
                              f"{'permits' if rule.effect == 'permit' else 'forbids'} all it covers, "
                              "with no condition", rule.span,
                              notes=[Note("the wider rule is here", other.span)],
                              help="remove it, or narrow the wider rule")
                    break

    def unpermitted_purposes(self) -> None:
        permits = [r for r in self.rules if r.effect == "permit"]
        ancestors = self.vocabulary.purposes.ancestors
        for name, decl in self.vocabulary.purposes.declared.items():
            if name not in self.vocabulary.bases:
                continue
            if not any(r.purposes is None or ancestors[name] & r.purposes for r in permits):
                self.warn("W0809", f"no permit covers the purpose `{name}`: every event for it is denied",
                          decl.name.span, help=f"add a rule: `permit {name} on …`")

    # ---- conditions decided by the target -----------------------------------------------

    def constant_conditions(self) -> None:
        for rule in self.rules:
            for clause, node in (("when", rule.when), ("unless", rule.unless)):
                if node is None:
                    continue
                value = _Abstract(self.vocabulary, rule).truth(node)
                if value is None:
                    continue
                never = (clause == "when") != value
                effect = "the rule never applies" if never else f"the `{clause}` changes nothing"
                span = node.span if node.span and rule.sugar is None else rule.span
                what = f"this `{clause}` condition" if rule.sugar is None else "the condition of this rule"
                code = "W0810" if value else "W0811"
                self.warn(code, f"{what} is always {'true' if value else 'false'}: {effect}", span,
                          help="remove the condition, or fix it")

    # ---- GDPR hints for policies without `use gdpr` ---------------------------------------

    def gdpr_hints(self) -> None:
        categories = self.vocabulary.categories
        special = {c for c in categories.names()
                   if any(set(a.replace(".", " ").replace("_", " ").split()) & SPECIAL_WORDS
                          for a in categories.ancestors[c])}
        forbids = [r for r in self.rules if r.effect == "forbid"]
        for rule in [r for r in self.rules if r.effect == "permit"]:
            covered = special if rule.categories is None else {
                c for c in special if categories.ancestors[c] & rule.categories}
            if covered and not _mentions(rule, lambda n: isinstance(n, ir.Consent) and n.kind == "explicit") \
                    and not any(_mentions(f, lambda n: isinstance(n, ir.Consent) and n.kind == "explicit")
                                and self._overlaps(f, rule) for f in forbids):
                example = sorted(covered)[0]
                self.warn("W0901", f"this permit allows special-category data (`{example}`) with no "
                          "explicit-consent requirement", rule.span,
                          help="require `explicit consent` or an Art. 9(2) ground, or `use gdpr`")
            outside = None if rule.destination is None else rule.destination - eea()
            if (rule.destination is None or outside) and not _mentions(rule, _reads_transfer) and not any(
                    _mentions(f, _reads_transfer) and self._overlaps(f, rule) for f in forbids):
                where = "any destination" if outside is None else f"`{sorted(outside)[0]}`"
                self.warn("W0902", f"this permit allows transfers outside the EEA ({where}) with no "
                          "safeguard check", rule.span,
                          help="add `to eea`, check `safeguards`, or `use gdpr`")
        reads_age = [r for r in self.rules if _mentions(r, _reads_children)]
        ancestors = self.vocabulary.purposes.ancestors
        for name, decl in self.vocabulary.purposes.declared.items():
            if self.vocabulary.bases.get(name) != "consent":
                continue
            if not any(r.purposes is None or ancestors[name] & r.purposes for r in reads_age):
                self.warn("W0903", f"the purpose `{name}` is based on consent, and no rule checks "
                          "children's consent for it", decl.name.span,
                          help="require `parental consent` below the age of digital consent "
                          "(GDPR Art. 8), or `use gdpr`")

    def _overlaps(self, forbid: ir.CheckedRule, permit: ir.CheckedRule) -> bool:
        ancestors = self.vocabulary.purposes.ancestors
        if forbid.purposes is None or permit.purposes is None:
            return True
        return any(ancestors[p] & forbid.purposes or any(f in ancestors.get(p, ()) or p in ancestors.get(f, ())
                                                         for f in forbid.purposes)
                   for p in permit.purposes)


@cache
def eea() -> frozenset[str]:
    """The EEA, from the GDPR library (one source of truth)."""
    return load_policy_text("use gdpr\n").vocabulary.regions["eea"]


def _called(rule: ir.CheckedRule) -> str:
    return f"`{rule.label}`" if rule.label else f"the {rule.sugar or rule.effect} at {rule.location}"


def _same_rule(a: ir.CheckedRule, b: ir.CheckedRule) -> bool:
    return (a.purposes, a.categories, a.destination, a.when, a.unless, set(a.obligations)) == (
        b.purposes, b.categories, b.destination, b.when, b.unless, set(b.obligations))


def _walk(node):
    if node is None:
        return
    yield node
    for child in ("left", "right", "operand", "key"):
        value = getattr(node, child, None)
        if value is not None and not isinstance(value, str):
            yield from _walk(value)


def _mentions(rule: ir.CheckedRule, test) -> bool:
    return any(test(n) for clause in (rule.when, rule.unless) for n in _walk(clause))


def _reads_transfer(node) -> bool:
    return isinstance(node, ir.Field) and node.path in (("safeguards",), ("destination",))


def _reads_children(node) -> bool:
    return (isinstance(node, ir.Field) and node.path == ("subject", "age")) or (
        isinstance(node, ir.Consent) and node.kind == "parental")


def _names_in(node):
    for item in _walk(node):
        if isinstance(item, ir.Lookup):
            yield "table", item.table
        elif isinstance(item, ir.PurposeIn):
            yield "purpose", item.purpose


def _region_names(expr) -> set[str]:
    """Every bare name in an AST expression (callers keep the regions)."""
    names = set()
    stack = [expr]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        if isinstance(item, ast.NameRef):
            names.add(item.name)
        if isinstance(item, ast.SetLit):
            stack.extend(item.items)
        for child in ("left", "right", "operand", "key"):
            value = getattr(item, child, None)
            if value is not None and not isinstance(value, str):
                stack.append(value)
    return names


class _Abstract:
    """Three-valued truth of a condition for every event the rule's target matches:
    True or False when decided, None when it depends on the event."""

    def __init__(self, vocabulary, rule: ir.CheckedRule):
        self.vocabulary = vocabulary
        self.rule = rule

    def event_purposes(self) -> set[str] | None:
        if self.rule.purposes is None:
            return None
        ancestors = self.vocabulary.purposes.ancestors
        return {p for p in self.vocabulary.bases if ancestors[p] & self.rule.purposes}

    def truth(self, node):
        if isinstance(node, ir.Const) and isinstance(node.value, bool):
            return node.value
        if isinstance(node, ir.Not):
            value = self.truth(node.operand)
            return None if value is None else not value
        if isinstance(node, (ir.And, ir.Or)):
            decisive = isinstance(node, ir.Or)
            left, right = self.truth(node.left), self.truth(node.right)
            if decisive in (left, right):
                return decisive
            return (not decisive) if left is not None and right is not None else None
        if isinstance(node, ir.PurposeIn):
            purposes = self.event_purposes()
            if not purposes:
                return None
            ancestors = self.vocabulary.purposes.ancestors
            inside = {node.purpose in ancestors[p] for p in purposes}
            return None if len(inside) > 1 else (inside.pop() != node.negated)
        if isinstance(node, ir.Compare):
            return self.compare(node)
        if isinstance(node, ir.Member):
            return self.member(node)
        return None

    def value(self, node):
        """A set of possible values, or None when unknown."""
        if isinstance(node, ir.Const):
            return {node.value} if not isinstance(node.value, frozenset) else None
        if isinstance(node, ir.Field) and node.path == ("basis",):
            purposes = self.event_purposes()
            return {self.vocabulary.bases[p] for p in purposes} if purposes else None
        if isinstance(node, ir.Field) and node.path == ("destination",) and self.rule.destination:
            return set(self.rule.destination)
        return None

    def compare(self, node: ir.Compare):
        if node.op not in ("==", "!="):
            left, right = node.left, node.right
            if isinstance(left, ir.Const) and isinstance(right, ir.Const):
                from .reference import EvaluationError, _compare

                try:
                    return _compare(node, left.value, right.value)
                except EvaluationError:
                    return None
            return None
        left, right = self.value(node.left), self.value(node.right)
        if left is None or right is None:
            return None
        if len(left) == 1 and left == right:
            return node.op == "=="
        if not left & right:
            return node.op == "!="
        return None

    def member(self, node: ir.Member):
        right = node.right.value if isinstance(node.right, ir.Const) else None
        left = self.value(node.left)
        if not isinstance(right, frozenset) or left is None:
            return None
        if left <= right:
            return not node.negated
        if not left & right:
            return node.negated
        return None
