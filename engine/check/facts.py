"""`fact` declarations: which fields may be declared, their types and values,
duplicates and overlaps (E1001-E1005), and the language type a condition reads
a declared field as. The evaluators see them as `ir.Fact` (event validity)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from ..core.diagnostics import Diagnostic, Note, did_you_mean
from ..core.resources import library_of
from ..syntax import ast

#: the fields a fact may declare: `subject.kind` and any path under `context`
#: (`subject.age` and `subject.country` have their types already)
DECLARABLE = "`subject.kind` and `context.KEY`"

#: a fact type -> the language type a condition reads the field as
LANGUAGE_TYPES = {"string": "string", "integer": "int", "number": "int", "boolean": "bool",
                  "country": "country"}
LIST_TYPES = {"string": "set:string", "integer": "set:int", "number": "set:int", "boolean": "set:bool",
              "country": "region"}
TYPE_WORDS = [*ir.FACT_TYPES, *(f"list of {t}" for t in ir.FACT_TYPES)]
#: the kind of a set's literals (`ir.Const.type`) -> the fact type of `in {…}`
_SET_KINDS = {"set:string": "string", "set:int": "integer", "region": "country"}


@dataclass(frozen=True)
class Declared:
    """A fact as the checker uses it: the IR form, the language type of its field,
    and whether a library declares it (`use gdpr`)."""

    fact: ir.Fact
    language_type: str
    library: bool


def language_type(fact: ir.Fact) -> str:
    if fact.type.startswith("list of "):
        return LIST_TYPES[fact.type[8:]]
    return LANGUAGE_TYPES[fact.type]


def facts(decls: list[ast.FactDecl], typer, diagnostics: list[Diagnostic]) -> dict[tuple[str, ...], Declared]:
    """path -> the declared fact, each checked; `typer` types the sets of values."""
    found: dict[tuple[str, ...], tuple[ast.FactDecl, Declared]] = {}
    for decl in decls:
        path = tuple(decl.field.value.split("."))
        name = decl.field.value
        if not (path == ("subject", "kind") or (path[0] == "context" and len(path) > 1)):
            help = f"only {DECLARABLE} can be declared"
            if path[0] == "subject" and len(path) == 2 and path[1] in ("age", "country", "id"):
                help = f"`{name}` has its type already (the event model checks it); {help}"
            diagnostics.append(Diagnostic("E1001", f"`{name}` cannot be declared by a fact",
                                          decl.field.span, help=help))
            continue
        fact = _fact(decl, path, typer, diagnostics)
        if fact is None:
            continue
        if path in found:
            earlier = found[path][0]
            diagnostics.append(Diagnostic(
                "E1002", f"the fact `{name}` is declared twice", decl.field.span,
                notes=(Note("first declared here", earlier.field.span),),
                help="declare each field once: put every value in one `in {…}`"))
            continue
        for other, (other_decl, _) in found.items():
            if other[:len(path)] == path or path[:len(other)] == other:
                outer, inner = (other, path) if len(other) < len(path) else (path, other)
                diagnostics.append(Diagnostic(
                    "E1003", f"the facts `{'.'.join(outer)}` and `{'.'.join(inner)}` overlap",
                    decl.field.span, notes=(Note("the other one is here", other_decl.field.span),),
                    help=f"`{'.'.join(outer)}` is declared a value that has no keys; declare only one of them"))
                break
        else:
            library = bool(decl.span and library_of(decl.span.file))
            found[path] = (decl, Declared(fact, language_type(fact), library))
    return {path: declared for path, (_, declared) in sorted(found.items())}


def _fact(decl: ast.FactDecl, path: tuple[str, ...], typer, diagnostics) -> ir.Fact | None:
    name = decl.field.value
    kind_field = path == ("subject", "kind")
    if decl.values is None:
        words = " ".join(word.value for word in decl.type)
        if words not in TYPE_WORDS:
            diagnostics.append(Diagnostic(
                "E1004", f"`{words}` is not a type a fact can declare", decl.type[0].span,
                help=did_you_mean(words, TYPE_WORDS) or "types are " + ", ".join(f"`{t}`" for t in TYPE_WORDS)))
            return None
        if kind_field and words != "string":
            diagnostics.append(Diagnostic(
                "E1005", f"`subject.kind` is a string, not `{words}`", decl.type[0].span,
                help='declare its values: `fact subject.kind in {"customer", "employee"}`'))
            return None
        return ir.Fact(path, words, None, decl.span)
    values = typer.expr(decl.values)
    if values.type == "error":
        return None  # the set's own diagnostic (E0407) says why
    kind = _SET_KINDS.get(values.type)
    if kind is None or not values.value:
        problem = "an empty set" if not values.value else f"a set of {values.type.removeprefix('set:')} names"
        diagnostics.append(Diagnostic(
            "E1005", f"the fact `{name}` declares {problem}", decl.values.span,
            help="list the values the field may hold: strings, integers or countries"))
        return None
    if kind_field and kind != "string":
        diagnostics.append(Diagnostic(
            "E1005", "`subject.kind` is a string, so its values are strings", decl.values.span,
            help='for example `fact subject.kind in {"customer", "employee"}`'))
        return None
    return ir.Fact(path, kind, frozenset(values.value), decl.span)


def unknown_key(path: tuple[str, ...], declared: dict[tuple[str, ...], Declared]) -> str | None:
    """Why reading `context.…` at `path` is suspect when the policy's own files
    declare `context` facts (W1007), or None: a key under a declared field (which
    has no keys), or a key no fact declares."""
    for length in range(2, len(path)):
        above = declared.get(path[:length])
        if above is not None:
            return (f"`{'.'.join(path[:length])}` is declared {above.fact.declared()}, "
                    f"so it has no key `{path[length]}`")
    own = [d for p, d in declared.items() if p[0] == "context" and not d.library]
    if not own or any(p[:len(path)] == path for p in declared):
        return None
    return f"no fact declares `{'.'.join(path)}`"


def suggestion(path: tuple[str, ...], declared: dict[tuple[str, ...], Declared]) -> str | None:
    return did_you_mean(".".join(path), [d.fact.name for p, d in declared.items() if p[0] == "context"])
