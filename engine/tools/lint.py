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
import time
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

import networkx as nx

from ..syntax import ast
from .. import ir
from ..core.diagnostics import Diagnostic, Note
from ..load import PolicyError, load_policy, load_policy_text
from ..core.collector import collector_paused
from ..decide.policy import Policy
from ..core.resources import NATIONAL_PREFIX, library_of

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


def lint_path(path, timings: dict[str, float] | None = None) -> LintResult:
    """Compile and lint one policy; `timings`, when given, receives the seconds of
    each loader stage (`engine.load.STAGES`) and of `lint`."""
    try:
        policy = load_policy(path, timings)
    except PolicyError as error:
        return LintResult(str(path), error.diagnostics, None)
    began = time.perf_counter()
    found = lint(policy)
    if timings is not None:
        timings["lint"] = time.perf_counter() - began
    return LintResult(str(path), own_findings(policy, policy.diagnostics + found), policy)


def lint_text(text: str, name: str = "<policy>") -> LintResult:
    try:
        policy = load_policy_text(text, name)
    except PolicyError as error:
        return LintResult(name, error.diagnostics, None)
    return LintResult(name, own_findings(policy, policy.diagnostics + lint(policy)), policy)


_IGNORE = re.compile(r"#\s*lawful:\s*ignore\[([A-Z0-9,\s]+)\]")


def own_findings(policy: Policy, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The user's findings: none inside libraries, none a comment
    `# lawful: ignore[CODE, …]` on the same line or the line above silences."""
    ignored = set()
    for module in policy.authored.modules:
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


def lint(policy: Policy, exact: bool = True) -> list[Diagnostic]:
    """Every warning. `exact=False` leaves out the one analysis that builds the policy's
    decision diagram (W0812, and its confirming of W0806-W0808): the language server
    reports the rest at once and this after."""
    # as when compiling: the cyclic collector would scan the policy's large graph of
    # objects again and again while lint allocates (a cost growing with the policy)
    with collector_paused():
        return _lint(policy, exact)


def _lint(policy: Policy, exact: bool = True) -> list[Diagnostic]:
    linter = Linter(policy)
    linter.unused()
    linter.rule_pairs()
    linter.constant_conditions()
    linter.unreachable_obliges()
    if exact:
        linter.redundant_rules()
    linter.unpermitted_purposes()
    linter.empty_markers()
    linter.foreign_layers()
    linter.record_gaps()
    if not any(isinstance(s, ast.UseDecl) and s.library.value == "gdpr"
               for m in policy.authored.modules for s in m.statements):
        linter.gdpr_hints()
    return linter.found


class Linter:
    def __init__(self, policy: Policy):
        self.policy = policy
        self.vocabulary = policy.authored.declarations  # with spans and graphs
        self.rules = [r for r in policy.rules]
        self.found: list[Diagnostic] = []
        #: finding -> the rule it calls redundant (W0806-W0808)
        self.paired: dict[int, int] = {}
        #: rules a finding already shows never apply (W0811)
        self.explained: set[int] = set()

    def warn(self, code, message, span, help=None, notes=(), rule: ir.CheckedRule | None = None,
             explains: ir.CheckedRule | None = None):
        """`rule`: the finding calls that rule redundant (checked by W0812's exact
        analysis); `explains`: it says why that rule never applies (W0812 is then
        not repeated for it)."""
        if not _library(span):
            self.found.append(Diagnostic(code, message, span, help=help, notes=tuple(notes)))
            if rule is not None:
                self.paired[len(self.found) - 1] = rule.index
            if explains is not None:
                self.explained.add(explains.index)

    # ---- unused declarations -------------------------------------------------------

    def reference_graph(self) -> nx.DiGraph:
        """Edges from each rule (and test) to the names it uses, and from each
        declaration to the names its definition uses."""
        graph: nx.DiGraph[tuple] = nx.DiGraph()
        for rule in self.rules:
            node = ("rule", rule.index)
            graph.add_node(node)
            # `*` uses every purpose (or category): the rule matches them all, through
            # one node that names them all (not one edge per rule and name)
            for kind, names in (("purpose", rule.purposes), ("category", rule.categories)):
                if names is None:
                    graph.add_edge(node, ("all", kind))
                for name in names or ():
                    graph.add_edge(node, (kind, name))
            for obligation in rule.obligations:
                graph.add_edge(node, ("obligation", obligation))
            for condition in (rule.when, rule.unless):
                for kind, name in _names_in(condition):
                    graph.add_edge(node, (kind, name))
        for kind, hierarchy in (("purpose", self.vocabulary.purposes),
                                ("category", self.vocabulary.categories)):
            if ("all", kind) in graph:
                graph.add_edges_from((("all", kind), (kind, name)) for name in hierarchy.graph.nodes)
        regions = set(self.vocabulary.regions)
        for module in self.policy.authored.modules:
            for statement in module.statements:
                span = statement.span
                assert span is not None  # parsed statements have their spans
                if isinstance(statement, ast.Rule):
                    # regions are folded into sets when checked: find their names in the text
                    node = ("rule-text", span.start)
                    graph.add_node(node)
                    for part in (statement.target.destination, statement.region, statement.when,
                                 statement.unless, statement.requirement):
                        for name in _region_names(part) & regions:
                            graph.add_edge(node, ("region", name))
                elif isinstance(statement, ast.RegionDecl):
                    for name in _region_names(statement.expr):
                        graph.add_edge(("region", statement.name.value), ("region", name))
                elif isinstance(statement, ast.TestDecl):
                    for name in statement.names:
                        graph.add_edge(("test", span.start), ("obligation", name.value))
                elif isinstance(statement, (ast.CategoryDecl, ast.PurposeDecl)):
                    kind = "category" if isinstance(statement, ast.CategoryDecl) else "purpose"
                    for parent in statement.parents:
                        graph.add_edge((kind, statement.name.value), (kind, parent.value))
        return graph

    def unused(self) -> None:
        graph = self.reference_graph()
        users = [n for n in graph if n[0] in ("rule", "rule-text", "test")]
        reached = _reachable(users, graph.successors)  # one pass, not one per name
        named_as_parent = {target for source, target in graph.edges if source[0] == target[0]}

        def used(node) -> bool:
            return node in reached

        for kind, code, hierarchy in (("category", "W0801", self.vocabulary.categories),
                                      ("purpose", "W0802", self.vocabulary.purposes)):
            used_names = {n[1] for n in reached if n[0] == kind}
            # a name is related to its ancestors and to its descendants
            above_used: set[str] = set()
            for name in used_names:
                above_used |= hierarchy.ancestors.get(name, frozenset())
            for name, decl in hierarchy.declared.items():
                referenced = name in above_used or bool(hierarchy.ancestors[name] & used_names)
                # a parent named by `is` counts as used through its children
                if not referenced and (kind, name) not in named_as_parent:
                    self.warn(code, f"the {kind} `{name}` is declared but no rule names it or a "
                              f"{kind} related to it", decl.name.span,
                              help="remove it, or write the rule that uses it")
        for name, region in self.vocabulary.region_decls.items():
            if not used(("region", name)):
                self.warn("W0803", f"the region `{name}` is never used", region.name.span,
                          help="remove it, or use it in `to`, `in` or `residency`")
        for name, table in self.vocabulary.tables.items():
            if not used(("table", name)):
                self.warn("W0804", f"the table `{name}` is never looked up", table.span,
                          help=f"remove it, or use it: `{name}[subject.country]`")
        for name, obligation in self.vocabulary.obligations.items():
            if not used(("obligation", name)):
                self.warn("W0805", f"the obligation `{name}` is never handed out", obligation.name.span,
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
        """W0806, W0807, W0808. Pairs are found through indexes of the rules by
        purpose, category and country: the candidates for a rule are the rules that
        share its target's smallest dimension, not every rule."""
        unconditional = [r for r in self.rules if r.when is None and r.unless is None]
        forbids = _CoverIndex(self.vocabulary, [r for r in unconditional if r.effect == "forbid"])
        wider = {effect: _CoverIndex(self.vocabulary, [r for r in unconditional if r.effect == effect])
                 for effect in ("permit", "forbid", "oblige")}
        first_same: dict[tuple, ir.CheckedRule] = {}
        reported = set()
        for later in self.rules:
            overriding = None
            if later.effect == "permit":
                overriding = next((f for f in forbids.candidates(later) if self.covers(f, later)), None)
            key = (later.effect, later.purposes, later.categories, later.destination, later.when,
                   later.unless, frozenset(later.obligations))
            first = first_same.setdefault(key, later)
            same = None if first is later else first
            # as when the rules are read in order: the first finding wins
            if overriding is not None and (same is None or overriding.index < same.index):
                self.warn("W0806", f"this permit can never apply: {_called(overriding)} always "
                          "forbids what it permits", later.span,
                          notes=[Note("the forbid is here", overriding.span)],
                          help="narrow the forbid with `on`, `to` or `when`, or remove the permit",
                          rule=later)
            elif same is not None:
                self.warn("W0807", f"this rule repeats {_called(same)}", later.span,
                          notes=[Note("the same rule is here", same.span)], help="remove one", rule=later)
                reported.add(later.index)
        for rule in self.rules:
            if rule.index in reported:
                continue
            for other in wider[rule.effect].candidates(rule):
                if other.index == rule.index or other.index in reported:
                    continue
                if self.covers(other, rule) and not (
                        self.covers(rule, other) and rule.when is None and rule.unless is None
                        and rule.index < other.index) and set(rule.obligations) <= set(other.obligations):
                    verb = {"permit": "permits", "forbid": "forbids", "oblige": "obliges"}[rule.effect]
                    self.warn("W0808", f"this {rule.effect} adds nothing: {_called(other)} "
                              f"{verb} all it covers, "
                              "with no condition", rule.span,
                              notes=[Note("the wider rule is here", other.span)],
                              help="remove it, or narrow the wider rule", rule=rule)
                    break

    def redundant_rules(self) -> None:
        """W0812, exactly: a rule whose removal changes no decision (the diff of the
        policy with and without it is empty, `engine.decide.analysis.redundancy`).
        Where a rule-pair finding (W0806-W0808) already names the rule it keeps its
        more specific message; a pair finding the exact analysis does not confirm
        is withdrawn. Guards (forbids of what no permit allows) are not reported."""
        from ..decide.analysis.redundancy import redundant, singly
        from ..decide.analysis.remedies import analysis

        if not analysis(self.policy)[0].exact:
            return  # the classes may not be exact: no claim of redundancy without its proof
        alone = {r.rule.index for r in singly(self.policy)}
        withdrawn = {i for i, index in self.paired.items() if index not in alone}
        named = {index for i, index in self.paired.items() if i not in withdrawn} | self.explained
        found = {r.rule.index: r for r in redundant(self.policy, frozenset(named)) if r.kind != "guard"}
        self.found = [d for i, d in enumerate(self.found) if i not in withdrawn]
        self.paired = {}
        for index, finding in sorted(found.items()):
            if index in named:
                continue
            rule = finding.rule
            done = {"permit": "permitted", "forbid": "forbidden", "oblige": "obliged"}
            notes = [Note(f"{done[p.effect]} also "
                          + (f"by `{p.label}`" if p.label else "here"), p.span)
                     for p in finding.partners[:3]]
            if finding.kind == "permit":
                message = ("this permit changes no decision: without it, every event is allowed or "
                           "denied as now, with the same obligations")
            elif finding.kind == "oblige":
                message = ("this oblige changes no decision: wherever it meets an allow, other rules "
                           "hand out its obligations anyway")
            else:
                message = "this forbid changes no decision: what it denies is denied anyway"
                if finding.consent:
                    notes.append(Note("denied also by the built-in consent rule (`consent_required`)"))
            self.warn("W0812", message, rule.span, notes=notes,
                      help="remove it; `lawful diff` of the policy with and without it shows no change")

    def unpermitted_purposes(self) -> None:
        covering = _Covering([r for r in self.rules if r.effect == "permit"])
        for name, decl in self.vocabulary.purposes.declared.items():
            if name not in self.vocabulary.bases or name in self.vocabulary.markers:
                continue  # no event is for a marker: its purposes have the permits
            if not covering.covers(self.vocabulary.purposes.ancestors[name]):
                self.warn("W0809", f"no permit covers the purpose `{name}`: every event for it is denied",
                          decl.name.span, help=f"add a rule: `permit {name} on …`")

    def empty_markers(self) -> None:
        """W0813: a marker groups purposes; one with none under it groups nothing."""
        graph = self.vocabulary.purposes.graph
        for name in sorted(self.vocabulary.markers):
            if not graph.in_degree(name):
                decl = self.vocabulary.purposes.declared[name]
                self.warn("W0813", f"the marker `{name}` has no purpose under it: no event can be "
                          "for it and a consent to it covers nothing, so it groups nothing",
                          decl.name.span, help=f"declare the purposes it groups: `purpose … is {name}`, "
                          "or remove `marker`")

    def unreachable_obliges(self) -> None:
        """W0814: an oblige whose target no permit's target meets (a purpose with a
        basis, not a marker, a category and a country both match) never adds to an allow. A policy
        with no permit at all (a library, such as `gdpr`, which leaves the permits to
        the policies that use it) is not judged."""
        permits = [r for r in self.rules if r.effect == "permit"]
        if not permits:
            return
        purposes, categories = self.vocabulary.purposes.ancestors, self.vocabulary.categories.ancestors
        bases = self.vocabulary.bases.keys() - self.vocabulary.markers  # no event is for a marker
        for rule in self.rules:
            if rule.effect != "oblige":
                continue
            below = {p for p in bases if rule.purposes is None or purposes[p] & rule.purposes}
            overlapping = {c for c, up in categories.items() if rule.categories is None
                           or up & rule.categories or any(c in categories[t] for t in rule.categories)}
            if not any(
                    any(p in below for p in bases if permit.purposes is None or purposes[p] & permit.purposes)
                    and any(permit.categories is None or categories[c] & permit.categories for c in overlapping)
                    and (rule.destination is None or permit.destination is None
                         or rule.destination & permit.destination)
                    for permit in permits):
                self.warn("W0814", "this oblige can never add its obligations: no permit allows an event "
                          "its target matches", rule.span,
                          help="widen its target, or permit what it is meant for", explains=rule)

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
                          help="remove the condition, or fix it", explains=rule if never else None)

    def foreign_layers(self) -> None:
        """W0815: `use gdpr.XX` in a policy whose controller is established in another
        country: the national law of the controller's establishment applies (Art. 3(1)),
        so that layer likely does not."""
        controller = self.vocabulary.controller
        if controller is None:
            return
        for module in self.policy.authored.modules:
            for statement in module.statements:
                if not isinstance(statement, ast.UseDecl):
                    continue
                name = statement.library.value
                if name.startswith(NATIONAL_PREFIX) and name[len(NATIONAL_PREFIX):].upper() != controller.country:
                    self.warn("W0815", f"`use {name}` is the national layer of "
                              f"{name[len(NATIONAL_PREFIX):].upper()}, and the controller `{controller.name}` "
                              f"is established in {controller.country}: that law likely does not apply", statement.span,
                              notes=(Note("the controller is declared here", controller.span),)
                              if controller.span else (),
                              help=f"use the layer of the controller's establishment (`use {NATIONAL_PREFIX}"
                              f"{controller.country.lower()}` where there is one), correct the controller's "
                              "country, or silence this with `# lawful: ignore[W0815]` where that law applies "
                              "for another reason (each national law sets its own scope)")

    # ---- GDPR hints for policies without `use gdpr` ---------------------------------------

    def record_gaps(self) -> None:
        """W1101-W1108: items the Art. 30 record or the Art. 13/14 notice needs and
        the policy does not state (`engine.records`)."""
        from ..records.build import gap_diagnostics

        for found in gap_diagnostics(self.policy):
            self.warn(found.code, found.message, found.span, help=found.help)

    def gdpr_hints(self) -> None:
        categories = self.vocabulary.categories
        special = {c for c in categories.names()
                   if any(set(a.replace(".", " ").replace("_", " ").split()) & SPECIAL_WORDS
                          for a in categories.ancestors[c])}
        # the first special category under each category (itself included): one pass
        first_special: dict[str, str] = {}
        for name in sorted(special, reverse=True):
            for ancestor in categories.ancestors[name]:
                first_special[ancestor] = name
        forbids = [r for r in self.rules if r.effect == "forbid"]
        ancestors = self.vocabulary.purposes.ancestors
        explicit_forbids = _Overlap(ancestors, [f for f in forbids if _mentions(f, _explicit)])
        transfer_forbids = _Overlap(ancestors, [f for f in forbids if _mentions(f, _reads_transfer)])
        for rule in [r for r in self.rules if r.effect == "permit"]:
            if rule.categories is None:
                example = min(special) if special else None
            else:
                found = [first_special[c] for c in rule.categories if c in first_special]
                example = min(found) if found else None
            if example and not _mentions(rule, _explicit) and not explicit_forbids.overlaps(rule):
                self.warn("W0901", f"this permit allows special-category data (`{example}`) with no "
                          "explicit-consent requirement", rule.span,
                          help="require `explicit consent` or an Art. 9(2) ground, or `use gdpr`")
            outside = None if rule.destination is None else rule.destination - eea()
            if (rule.destination is None or outside) and not _mentions(rule, _reads_transfer) \
                    and not transfer_forbids.overlaps(rule):
                where = "any destination" if outside is None else f"`{sorted(outside)[0]}`"
                self.warn("W0902", f"this permit allows transfers outside the EEA ({where}) with no "
                          "safeguard check", rule.span,
                          help="add `to eea`, check `safeguards`, or `use gdpr`")
        reads_age = _Covering([r for r in self.rules if _mentions(r, _reads_children)])
        for name, decl in self.vocabulary.purposes.declared.items():
            if self.vocabulary.bases.get(name) != "consent" or name in self.vocabulary.markers:
                continue
            if not reads_age.covers(ancestors[name]):
                self.warn("W0903", f"the purpose `{name}` is based on consent, and no rule checks "
                          "children's consent for it", decl.name.span,
                          help="require `parental consent` below the age of digital consent "
                          "(GDPR Art. 8), or `use gdpr`")


class _CoverIndex:
    """Rules indexed by what their targets name, to find the rules whose target may
    cover another's (`Linter.covers` decides): a wide rule names an ancestor of
    each of the narrow one's purposes (or `*`), the same for categories, and its
    destination holds the narrow one's countries (or is any)."""

    def __init__(self, vocabulary, rules):
        self.purpose_ancestors = vocabulary.purposes.ancestors
        self.category_ancestors = vocabulary.categories.ancestors
        self.dimensions = []
        for attribute in ("purposes", "categories", "destination"):
            by_name: dict[str, list] = defaultdict(list)
            everything = []
            for rule in rules:
                names = getattr(rule, attribute)
                if names is None:
                    everything.append(rule)
                for name in names or ():
                    by_name[name].append(rule)
            self.dimensions.append((attribute, by_name, everything))

    def candidates(self, narrow: ir.CheckedRule) -> list:
        """The rules that may cover `narrow`, in rule order."""
        best = None
        for attribute, by_name, everything in self.dimensions:
            names = getattr(narrow, attribute)
            if names is None:
                found = [everything]
            elif not names:
                continue
            else:
                one = min(names)
                above = ((one,) if attribute == "destination" else
                         (self.purpose_ancestors if attribute == "purposes"
                          else self.category_ancestors).get(one, (one,)))
                found = [everything] + [by_name[a] for a in above if a in by_name]
            size = sum(len(f) for f in found)
            if best is None or size < best[0]:
                best = (size, found)
        if best is None:
            return []
        return sorted({id(r): r for group in best[1] for r in group}.values(), key=lambda r: r.index)


class _Covering:
    """Does any of these rules target a purpose among some ancestors? (`*` targets all.)"""

    def __init__(self, rules):
        self.everything = any(r.purposes is None for r in rules)
        self.named = set().union(*(r.purposes for r in rules if r.purposes is not None))

    def covers(self, ancestors: frozenset[str]) -> bool:
        return self.everything or not self.named.isdisjoint(ancestors)


class _Overlap:
    """Does any of these forbids overlap a permit's purposes: a purpose of one is an
    ancestor of (or the same as) a purpose of the other? One index, not a loop over
    the forbids for each permit."""

    def __init__(self, ancestors, forbids):
        self.ancestors = ancestors
        self.any = bool(forbids)
        self.everything = any(f.purposes is None for f in forbids)
        self.named = set().union(*(f.purposes for f in forbids if f.purposes is not None))
        self.above = set()  # every ancestor of a purpose the forbids name
        for name in self.named:
            self.above |= ancestors.get(name, frozenset())

    def overlaps(self, permit: ir.CheckedRule) -> bool:
        if not self.any:
            return False
        if self.everything or permit.purposes is None:
            return True
        return any(not self.named.isdisjoint(self.ancestors.get(p, ())) or p in self.above
                   for p in permit.purposes)


def _explicit(node) -> bool:
    return isinstance(node, ir.Consent) and node.kind == "explicit"


@cache
def eea() -> frozenset[str]:
    """The EEA, from the GDPR library (one source of truth)."""
    return load_policy_text("use gdpr\n").vocabulary.regions["eea"]


def _called(rule: ir.CheckedRule) -> str:
    return f"`{rule.label}`" if rule.label else f"the {rule.sugar or rule.effect} at {rule.location}"


def _same_rule(a: ir.CheckedRule, b: ir.CheckedRule) -> bool:
    return (a.purposes, a.categories, a.destination, a.when, a.unless, set(a.obligations)) == (
        b.purposes, b.categories, b.destination, b.when, b.unless, set(b.obligations))


def _mentions(rule: ir.CheckedRule, test) -> bool:
    return any(test(n) for clause in (rule.when, rule.unless) for n in ir.walk(clause))


def _reads_transfer(node) -> bool:
    return isinstance(node, ir.Field) and node.path in (("safeguards",), ("destination",))


def _reads_children(node) -> bool:
    return (isinstance(node, ir.Field) and node.path == ("subject", "age")) or (
        isinstance(node, ir.Consent) and node.kind == "parental")


def _names_in(node):
    for item in ir.walk(node):
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
        """The purposes with a basis an event the rule matches can have: the rule's
        purposes and their descendants (walked down the hierarchy, not found by
        testing every purpose)."""
        if self.rule.purposes is None:
            return None
        graph = self.vocabulary.purposes.graph  # edges child -> parent
        found = _reachable([p for p in self.rule.purposes if p in graph], graph.predecessors)
        return {p for p in found if p in self.vocabulary.bases}

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
                from ..decide.values import EvaluationError, compare

                try:
                    return compare(node, left.value, right.value)
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


def _reachable(starts, neighbours) -> set:
    """Every node reached from `starts` (included) by following `neighbours`:
    iterative, each node visited once."""
    found = set(starts)
    stack = list(found)
    while stack:
        for node in neighbours(stack.pop()):
            if node not in found:
                found.add(node)
                stack.append(node)
    return found
