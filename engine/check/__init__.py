"""Checks: parsed modules to a checked policy, collecting every diagnostic.

Order of the stages: declarations (names, hierarchies, bases, regions,
tables) → rules (targets, conditions typed to IR, sugar expanded) → tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

from pydantic import ValidationError

from ..syntax import ast
from .. import ir
from ..core.diagnostics import Diagnostic, Note, did_you_mean, suggestion_budget
from ..event.model import Event, describe_problem, json_path
from .declarations import DeclaredHierarchy, Declarations, declarations, region_value
from .expressions import Typer
from .facts import facts as declared_facts
from .details import check_details

RESERVED_LABEL = ir.RESERVED_LABEL


@dataclass(frozen=True)
class Authored:
    """What the authoring tools read beyond the IR: the modules (statements,
    comments), the test blocks, and the declarations with their spans and
    hierarchy graphs. The evaluators never see it."""

    modules: tuple[ast.Module, ...]
    tests: tuple[ast.TestDecl, ...]
    declarations: Declarations


def check(modules: list[ast.Module]) -> tuple[ir.CheckedPolicy, Authored, list[Diagnostic]]:
    """Modules to the checked policy (IR), the authored view, and every diagnostic."""
    diagnostics: list[Diagnostic] = []
    statements = [s for m in modules for s in m.statements]
    with suggestion_budget():
        vocabulary = declarations(statements, diagnostics)
        vocabulary.facts = declared_facts([s for s in statements if isinstance(s, ast.FactDecl)],
                                          Typer(vocabulary, diagnostics), diagnostics)
        kinds = vocabulary.facts.get(("subject", "kind"))
        vocabulary.clients = check_details(statements, vocabulary,
                                           kinds.fact.values if kinds is not None else None, diagnostics)
        rules = _rules([s for s in statements if isinstance(s, ast.Rule)], vocabulary, diagnostics)
        labels = frozenset(r.label for r in rules if r.label)
        tests = [s for s in statements if isinstance(s, ast.TestDecl)]
        _tests(tests, vocabulary, labels, diagnostics)
    policy = ir.CheckedPolicy(vocabulary.policy_name, vocabulary.frozen(), tuple(rules), labels)
    return policy, Authored(tuple(modules), tuple(tests), vocabulary), diagnostics


def _names(names, hierarchy: DeclaredHierarchy, other: DeclaredHierarchy, diagnostics) -> frozenset[str] | None:
    if names is None:
        return None
    found = set()
    for name in names:
        if name.value in hierarchy:
            found.add(name.value)
        elif name.value in other:
            diagnostics.append(Diagnostic(
                "E0207", f"`{name.value}` is a {other.kind}, not a {hierarchy.kind}", name.span,
                help=("purposes come first in a rule" if hierarchy.kind == "purpose"
                      else "categories come after `on`")))
        else:
            diagnostics.append(Diagnostic(
                "E0201", f"undefined {hierarchy.kind} `{name.value}`", name.span,
                help=did_you_mean(name.value, hierarchy.graph)
                or f"declare it: `{hierarchy.kind} {name.value}`"))
    return frozenset(found)


def _rules(rules: list[ast.Rule], vocabulary: Declarations, diagnostics) -> list[ir.CheckedRule]:
    typer = Typer(vocabulary, diagnostics, vocabulary.facts)
    labels: dict[str, ast.Name] = {}
    checked = []
    for index, rule in enumerate(rules):
        label = rule.label
        if label is not None:
            if label.value == RESERVED_LABEL:
                diagnostics.append(Diagnostic(
                    "E0204", f"`{RESERVED_LABEL}` is the label of the built-in consent rule",
                    label.span, help="choose another label"))
            elif label.value in labels:
                diagnostics.append(Diagnostic(
                    "E0203", f"the rule label `{label.value}` is used twice", label.span,
                    notes=(Note("first used here", labels[label.value].span),),
                    help="labels name one rule each"))
            else:
                labels[label.value] = label
        target = rule.target
        purposes = _names(target.purposes, vocabulary.purposes, vocabulary.categories, diagnostics)
        categories = _names(target.categories, vocabulary.categories, vocabulary.purposes, diagnostics)
        destination = None
        if target.destination is not None:
            destination = region_value(target.destination, vocabulary.regions.__getitem__,
                                       vocabulary.regions, diagnostics)
        when = typer.condition(rule.when) if rule.when is not None else None
        unless = typer.condition(rule.unless) if rule.unless is not None else None
        effect = rule.kind if rule.kind in ("permit", "oblige") else "forbid"
        if rule.kind == "require":
            assert rule.requirement is not None  # the parser gives each sugar its operand
            required = ir.Not(typer.condition(rule.requirement), span=rule.requirement.span)
            when = required if when is None else ir.And(when, required, span=rule.span)
        elif rule.kind == "residency":
            assert rule.region is not None
            region = region_value(rule.region, vocabulary.regions.__getitem__, vocabulary.regions,
                                  diagnostics)
            when = ir.Member(ir.Field(("destination",), "country", rule.region.span),
                             ir.Const(region, "region", rule.region.span), negated=True,
                             span=rule.region.span)
        elif rule.kind == "retain":
            from datetime import timedelta

            assert rule.period is not None
            when = ir.Compare(">", ir.Field(("data_age",), "duration", rule.period.span),
                              ir.Const(timedelta(days=rule.period.days), "duration", rule.period.span),
                              span=rule.period.span)
        if rule.has_with and effect == "forbid":
            diagnostics.append(Diagnostic(
                "E0601", "only a `permit` hands obligations to the caller", rule.span,
                help="remove `with …`, or make the rule a permit"))
        for obligation in rule.obligations:
            if obligation.value not in vocabulary.obligations:
                diagnostics.append(Diagnostic(
                    "E0201", f"undefined obligation `{obligation.value}`", obligation.span,
                    help=did_you_mean(obligation.value, vocabulary.obligations)
                    or f"declare it: `obligation {obligation.value} \"…\"`"))
        checked.append(ir.CheckedRule(
            index=index,
            effect=effect,
            label=label.value if label else None,
            purposes=purposes,
            categories=categories,
            destination=destination,
            when=when,
            unless=unless,
            obligations=tuple(dict.fromkeys(o.value for o in rule.obligations
                                            if o.value in vocabulary.obligations)),
            because=rule.because.value if rule.because else None,
            cite=rule.cite.value if rule.cite else None,
            sugar=rule.kind if rule.kind in ("require", "residency", "retain") else None,
            text=" ".join(rule.span.text.split()) if rule.span else "",
            span=rule.span,
            doc=rule.doc,
        ))
    return checked


def _tests(tests, vocabulary: Declarations, labels, diagnostics) -> None:
    seen: dict[str, ast.TestDecl] = {}
    for test in tests:
        if test.name.value in seen:
            diagnostics.append(Diagnostic(
                "W0703", f"two tests are named \"{test.name.value}\"", test.name.span,
                notes=(Note("the other one is here", seen[test.name.value].name.span),),
                help="name each test after what it shows"))
        else:
            seen[test.name.value] = test
        try:
            if isinstance(test.event, dict):  # else malformed JSON, reported while parsing
                Event.model_validate(test.event)
        except (OverflowError, ValueError, ArithmeticError) as error:
            if not isinstance(error, ValidationError):  # a value out of every range (dates)
                diagnostics.append(Diagnostic(
                    "E0701", f"in the test event, a value is out of range: {error}", test.event_span,
                    help="timestamps lie within 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z in UTC"))
            else:
                _event_problems(test, error, diagnostics)
        for name in test.names:
            if test.expect == "deny" and name.value not in labels and name.value != RESERVED_LABEL:
                diagnostics.append(Diagnostic(
                    "E0702", f"no rule is labelled `{name.value}`", name.span,
                    help=did_you_mean(name.value, chain(labels, [RESERVED_LABEL]))))
            if test.expect == "allow" and name.value not in vocabulary.obligations:
                diagnostics.append(Diagnostic(
                    "E0201", f"undefined obligation `{name.value}`", name.span,
                    help=did_you_mean(name.value, vocabulary.obligations)))


def _event_problems(test: ast.TestDecl, error: ValidationError, diagnostics) -> None:
    spans = dict(test.event_keys)
    for problem in error.errors():
        path = json_path(problem["loc"])
        span = spans.get(path) or test.event_span
        diagnostics.append(Diagnostic(
            "E0701", f"in the test event, {describe_problem(problem)}", span,
            help=did_you_mean(str(problem["loc"][-1]), Event.model_fields)
            if problem["type"] == "extra_forbidden" else None))
