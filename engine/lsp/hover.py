"""What a hover shows: a declaration's first line and doc comment, and what it is
(a region's countries, a table's entries, a rule's `because` and `cite`, a
purpose's basis); an event field's meaning; a country's name; the titles of the
GDPR articles a `cite` names."""

from __future__ import annotations

from functools import cache
from typing import Any

from ..core.resources import library_of
from ..core.source import Source, Span
from ..event import fields
from ..syntax import ast
from .analysis import Analysis
from .articles import cited
from .index import Occurrence

#: what each lawful basis is (Art. 6(1) GDPR), for hovers
BASES = {
    "consent": "Art. 6(1)(a): the data subject has given consent to the processing for one or more "
               "specific purposes",
    "contract": "Art. 6(1)(b): necessary for the performance of a contract with the data subject, or to "
                "take steps at their request before entering into one",
    "legal_obligation": "Art. 6(1)(c): necessary for compliance with a legal obligation of the controller",
    "vital_interest": "Art. 6(1)(d): necessary to protect the vital interests of the data subject or of "
                      "another natural person",
    "public_task": "Art. 6(1)(e): necessary for a task carried out in the public interest or in the exercise "
                   "of official authority vested in the controller",
    "legitimate_interest": "Art. 6(1)(f): necessary for the legitimate interests of the controller or a third "
                           "party, unless overridden by the data subject's interests or rights",
}


def first_line(span: Span) -> str:
    text = span.source.text[span.start:span.end]
    return text.split("\n", 1)[0].strip()


@cache
def country(code: str) -> str | None:
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    return f"**{code}**: {found.name}" if found is not None else None


def field(name: str) -> str | None:
    names = fields.condition_names()
    doc = names.get(name) or (names.get("context.KEY") if name.startswith("context.") else None)
    return f"**{name}** (event field): {doc}" if doc else None


def at(analysis: Analysis, source: Source, offset: int) -> tuple[str, Span] | None:
    """The hover text at an offset, and the span it is about."""
    occurrence = analysis.index.at(source.name, offset)
    if occurrence is not None:
        text = _occurrence(analysis, occurrence)
        return (text, occurrence.span) if text else None
    return _literal(analysis, source, offset)


def _occurrence(analysis: Analysis, occurrence: Occurrence) -> str | None:
    if occurrence.kind == "field":
        return field(occurrence.name)
    if occurrence.kind == "library":
        return f"**use {occurrence.name}**: the standard library `{occurrence.name}` (`rules/`), read with the policy"
    declared = analysis.index.declaration(occurrence)
    if declared is None:
        return f"`{occurrence.name}`: not declared" if occurrence.kind != "name" else None
    statement = declared.statement
    parts = [f"```lawful\n{first_line(statement.span)}\n```"]
    library = library_of(declared.file)
    where = declared.span.location
    parts.append(f"{occurrence.kind} `{occurrence.name}`, declared at {where}"
                 + (f" (library `{library}`)" if library else ""))
    if getattr(statement, "doc", None):
        parts.append(statement.doc)
    parts.extend(_about(analysis, occurrence.kind, occurrence.name, statement))
    return "\n\n".join(parts)


def _about(analysis: Analysis, kind: str, name: str, statement: Any) -> list[str]:
    vocabulary = analysis.policy.vocabulary if analysis.policy is not None else None
    out: list[str] = []
    if kind == "region" and vocabulary is not None and name in vocabulary.regions:
        members = sorted(vocabulary.regions[name])
        out.append(f"{len(members)} countries: " + ", ".join(members))
    elif kind == "table" and isinstance(statement, ast.TableDecl):
        entries = ", ".join(f"{e.country.code}: {e.value.value}" for e in statement.entries)
        default = f"; default {statement.default.value}" if statement.default is not None else ""
        out.append(f"entries: {entries or 'none'}{default}")
    elif kind == "purpose":
        basis = vocabulary.bases.get(name) if vocabulary is not None else None
        if basis is None and isinstance(statement, ast.PurposeDecl) and statement.bases:
            basis = statement.bases[0].value  # as written: the policy does not compile yet
        if basis:
            out.append(f"basis `{basis}` — {BASES.get(basis, '')}".rstrip(" —"))
        if vocabulary is not None and name in vocabulary.markers:
            out.append("a marker: consent to it is consent to none of its children")
    elif kind == "obligation" and isinstance(statement, ast.ObligationDecl) and statement.description:
        out.append(statement.description.value)
    elif kind == "rule" and isinstance(statement, ast.Rule):
        if statement.because is not None:
            out.append(f"because: {statement.because.value}")
        if statement.cite is not None:
            out.append(f"cite: {statement.cite.value}")
            out.extend(f"- Art. {n} GDPR: {title}" for n, title in cited(statement.cite.value))
    elif kind == "category" and vocabulary is not None:
        ancestors = sorted(vocabulary.categories.ancestors.get(name, frozenset()) - {name})
        if ancestors:
            out.append("is " + ", ".join(f"`{a}`" for a in ancestors))
    for detail in getattr(statement, "details", ()) or ():
        out.append(f"{detail.word.value}: " + ", ".join(v.value for v in detail.values))
    return out


def _literal(analysis: Analysis, source: Source, offset: int) -> tuple[str, Span] | None:
    """A hover over a literal: a country code, a basis, or a `cite` string."""
    for statement in analysis.index.statements.get(source.name, []):
        span = statement.span
        if span is None or not span.start <= offset <= span.end:
            continue
        for node in _literals(statement):
            where = node.span
            if where is None or not where.start <= offset <= where.end:
                continue
            if isinstance(node, ast.CountryLit):
                text = country(node.code)
                return (text, where) if text else None
            if isinstance(node, ast.Name) and node.value in BASES:
                return f"**{node.value}** — {BASES[node.value]}", where
            if isinstance(node, ast.StringLit):
                articles = cited(node.value)
                if articles:
                    return "\n".join(f"- Art. {n} GDPR: {title}" for n, title in articles), where
    return None


def _literals(node: Any):
    import dataclasses

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, (ast.CountryLit, ast.StringLit)):
            yield item
        elif isinstance(item, ast.Name):
            yield item
        elif dataclasses.is_dataclass(item) and not isinstance(item, (Span, Source)):
            for part in dataclasses.fields(item):
                value = getattr(item, part.name)
                if isinstance(value, tuple):
                    stack.extend(value)
                elif dataclasses.is_dataclass(value):
                    stack.append(value)
