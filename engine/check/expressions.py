"""Expression typing: AST expressions to typed IR, with compile-time type errors.

Types are strings: int, string, country, duration, bool, basis, purpose,
region (a set of countries), set:T for other sets, and any (a `context.*`
value, checked at run time).
"""

from __future__ import annotations

from datetime import timedelta
from itertools import chain

from ..syntax import ast
from ..syntax.parser import SOFT_KEYWORDS
from .. import ir
from ..core.diagnostics import Diagnostic, did_you_mean
from ..event import fields
from .declarations import FIELD_ROOTS, Declarations, country
from .facts import Declared, suggestion, unknown_key
from ..core.resources import library_of

# the paths conditions read and their types, from the event's description
SCALAR_FIELDS: dict[tuple[str, ...], str] = {
    path: field.reads for path, field in fields.readable().items() if field.reads and not field.open}
OPEN_FIELDS: dict[tuple[str, ...], str] = {  # `context.KEY`
    path: field.reads for path, field in fields.readable().items() if field.reads and field.open}
#: the fields an event may leave out (no default): what `has` tests, beside `context.KEY`
OPTIONAL_FIELDS = frozenset(path for path, field in fields.optional().items() if not field.open)
CHOICES: dict[tuple[str, ...], tuple[str, ...]] = {  # the only values some string fields have
    path: field.choices for path, field in fields.readable().items() if field.choices}
FIELD_NAMES = sorted(".".join(path) for path in SCALAR_FIELDS) + sorted(
    ".".join(path) + ".KEY" for path in OPEN_FIELDS)
_DESCRIBE = {
    "int": "an integer", "string": "a string", "country": "a country", "duration": "a duration",
    "bool": "a condition", "basis": "a basis", "purpose": "a purpose", "region": "a region",
    "any": "a context value",
}


#: as `has` can take them: a word that begins a statement (`recipient`) is read as one
OPTIONAL_NAMES = sorted(name for name in map(".".join, OPTIONAL_FIELDS) if name not in SOFT_KEYWORDS)
_EXAMPLES = {"basis": "basis == consent", "consent": "consent",
             "objected": "not objected"}


def _keyword(node) -> str:
    """The word a `has` operand that is not a name was written as."""
    if isinstance(node, ast.BasisField):
        return "basis"
    if isinstance(node, ast.ConsentAtom):
        return "consent"
    return "objected"


def describe(type_: str) -> str:
    if type_.startswith("set:"):
        inner = type_[4:]
        return "a set" if inner == "any" else f"a set of {inner}s"
    return _DESCRIBE.get(type_, type_)


def _element(type_: str) -> str | None:
    if type_ == "region":
        return "country"
    if type_.startswith("set:"):
        return type_[4:]
    if type_ == "any":
        return "any"
    return None


def _compatible(a: str, b: str) -> bool:
    return a == b or "any" in (a, b)


class Typer:
    def __init__(self, vocabulary: Declarations, diagnostics: list[Diagnostic],
                 facts: dict[tuple[str, ...], Declared] | None = None):
        self.vocabulary = vocabulary
        self.diagnostics = diagnostics
        self.facts = facts or {}

    def error(self, code, message, span, help=None) -> ir.Const:
        self.diagnostics.append(Diagnostic(code, message, span, help=help))
        return ir.Const(None, "error", span)

    # ---- entry point ---------------------------------------------------------

    def condition(self, expr) -> ir.Node:
        node = self.expr(expr)
        if node.type not in ("bool", "any", "error"):
            return self.error(
                "E0402", f"this is {describe(node.type)}, not a condition", expr.span,
                help="compare it, for example `subject.age >= 16`")
        return node

    def expr(self, expr) -> ir.Node:
        method = getattr(self, "_" + type(expr).__name__)
        return method(expr)

    # ---- atoms ---------------------------------------------------------------

    def _IntLit(self, e):
        return ir.Const(e.value, "int", e.span)

    def _StringLit(self, e):
        return ir.Const(e.value, "string", e.span)

    def _CountryLit(self, e):
        code = country(e, self.diagnostics)
        return ir.Const(code, "country" if code else "error", e.span)

    def _DurationLit(self, e):
        return ir.Const(timedelta(days=e.days), "duration", e.span)

    def _BoolLit(self, e):
        return ir.Const(e.value, "bool", e.span)

    def _BasisLit(self, e):
        return ir.Const(e.name, "basis", e.span)

    def _ConsentAtom(self, e):
        return ir.Consent(e.kind, span=e.span)

    def _ObjectedAtom(self, e):
        return ir.Objected(span=e.span)

    def _PurposeField(self, e):
        return ir.Field(("purpose",), "purpose", e.span)

    def _BasisField(self, e):
        return ir.Field(("basis",), "basis", e.span)

    def _NameRef(self, e):
        path = tuple(e.name.split("."))
        if path[0] in fields.CONTEXTUAL_ROOTS and e.name in self.vocabulary.regions:
            return ir.Const(self.vocabulary.regions[e.name], "region", e.span)  # declared before the field
        if path[0] in FIELD_ROOTS:
            if path[:1] in OPEN_FIELDS and len(path) > 1:
                declared = self.facts.get(path)
                if declared is not None:
                    return ir.Field(path, declared.language_type, e.span)
                why = unknown_key(path, self.facts)
                if why is not None and not (e.span and library_of(e.span.file)):
                    self.diagnostics.append(Diagnostic(
                        "W1007", why, e.span,
                        help=suggestion(path, self.facts)
                        or f"declare it (`fact {e.name} is string`), or correct the key"))
                return ir.Field(path, OPEN_FIELDS[path[:1]], e.span)
            if path in SCALAR_FIELDS:
                return ir.Field(path, SCALAR_FIELDS[path], e.span)
            help = did_you_mean(e.name, FIELD_NAMES)
            if path in OPEN_FIELDS:
                help = f"read a key of the {path[0]}: `{path[0]}.KEY`"
            return self.error("E0404", f"the event has no field `{e.name}`", e.span,
                              help=help or "fields are " + ", ".join(f"`{f}`" for f in FIELD_NAMES))
        if e.name in self.vocabulary.regions:
            return ir.Const(self.vocabulary.regions[e.name], "region", e.span)
        if path[0] == "controller":
            return self._controller(e)
        return self._not_a_value(e.name, e.span)

    def _controller(self, e):
        """`controller` (its name) and `controller.country`: constants of the policy,
        folded here, so every evaluator sees a constant. Without a declaration a name
        another declaration gives (`purpose controller`) keeps its kind."""
        v = self.vocabulary
        declared = v.controller
        if declared is None and v.controller_decl is not None:  # its country is wrong: E0501 said so
            return ir.Const(None, "error", e.span)
        if declared is not None and e.name == "controller":
            return ir.Const(declared.name, "string", e.span)
        if declared is not None and e.name == "controller.country":
            return ir.Const(declared.country, "country", e.span)
        if declared is not None:
            return self.error("E0404", f"the controller has no field `{e.name[len('controller.'):]}`", e.span,
                              help="conditions read `controller` (its name) and `controller.country`")
        if any(e.name in names for names in (v.purposes, v.categories, v.tables, v.obligations)):
            return self._not_a_value(e.name, e.span)
        return self.error("E0412", f"`{e.name}` reads the policy's controller, and this policy declares none",
                          e.span, help="declare it: `controller NAME in COUNTRY`, the country of its "
                          "(main) establishment")

    def _not_a_value(self, name, span):
        v = self.vocabulary
        kinds = (
            ("purpose", v.purposes, f"test the event's purpose with `purpose in {name}`"),
            ("category", v.categories, "categories are matched by a rule's `on`"),
            ("table", v.tables, f"look a country up: `{name}[subject.country]`"),
            ("obligation", v.obligations, "obligations go after `with` in a permit"),
        )
        for kind, names, help in kinds:
            if name in names:
                return self.error("E0207", f"the {kind} `{name}` is not a value here", span, help=help)
        candidates = chain(v.regions, FIELD_NAMES)
        hint = did_you_mean(name, candidates)
        if name == "has" and hint is None:
            hint = ("`has` tests an optional field: `has subject.age`, `has context.KEY`; "
                    "`purpose` is always present")
        return self.error("E0201", f"undefined name `{name}`", span, help=hint)

    def _Has(self, e):
        operand = e.operand
        name = operand.name if isinstance(operand, ast.NameRef) else _keyword(operand)
        always = f"`{name}` is always present: `has` tests optional fields"
        if isinstance(operand, ast.NameRef) and name.split(".")[0] in FIELD_ROOTS:
            if (name,) in OPEN_FIELDS:
                return self.error("E0410", always, e.span, help=f"test a key of it: `has {name}.KEY`")
            node = self._NameRef(operand)
            if node.type == "error":  # an unknown field: E0404 said so
                return node
            assert isinstance(node, ir.Field)
            if node.path[:1] in OPEN_FIELDS or node.path in OPTIONAL_FIELDS:
                return ir.Present(node, span=e.span)
            return self.error("E0410", always, e.span, help="`has` tests " + ", ".join(
                f"`{f}`" for f in OPTIONAL_NAMES) + " or `context.KEY`")
        if not isinstance(operand, ast.NameRef):
            return self.error("E0410", always, e.span,
                              help=f"test its value, for example `{_EXAMPLES[name]}`")
        return self.error("E0410", f"`has` tests an optional event field, and `{name}` is not one",
                          e.span, help="for example `has subject.age` or `has context.KEY`")

    def _Lookup(self, e):
        key = self.expr(e.key)
        name = e.table.value
        if name not in self.vocabulary.tables:
            if name in self.vocabulary.regions or name in self.vocabulary.purposes:
                return self.error("E0207", f"`{name}` is not a table", e.table.span)
            return self.error("E0201", f"undefined table `{name}`", e.table.span,
                              help=did_you_mean(name, self.vocabulary.tables))
        if key.type not in ("country", "any", "error"):
            return self.error("E0408", f"tables are looked up by country, not by {describe(key.type)}",
                              e.key.span, help="for example `subject.country` or `destination`")
        return ir.Lookup(name, key, span=e.span)

    def _SetLit(self, e):
        values, types = [], set()
        for item in e.items:
            if isinstance(item, ast.NameRef):
                self.error("E0407", f"sets hold literals, not the name `{item.name}`", item.span,
                           help="write countries, strings, integers or basis names")
                continue
            node = self.expr(item)
            if node.type == "error":
                continue
            assert isinstance(node, ir.Const)  # the other set items are literals
            values.append(node.value)
            types.add(node.type)
        if len(types) > 1:
            listed = " and ".join(sorted(describe(t) for t in types))
            return self.error("E0407", f"this set mixes {listed}", e.span,
                              help="a set holds values of one type")
        inner = types.pop() if types else "any"
        return ir.Const(frozenset(values), "region" if inner == "country" else f"set:{inner}", e.span)

    def _BinaryOp(self, e):
        left, right = self.expr(e.left), self.expr(e.right)
        if "error" in (left.type, right.type):
            return ir.Const(None, "error", e.span)
        for side, node in (("left", left), ("right", right)):
            if node.type not in ("region", "set:any") or not isinstance(node, ir.Const):
                return self.error("E0406", f"`{e.op}` joins regions and country sets, "
                                  f"not {describe(node.type)}", getattr(e, side).span)
        assert isinstance(left, ir.Const) and isinstance(right, ir.Const)  # checked just above
        value = left.value | right.value if e.op == "+" else left.value - right.value
        return ir.Const(frozenset(value), "region", e.span)

    # ---- operators -------------------------------------------------------------

    def _basis_side(self, node, other):
        """`consent` beside a basis is the basis name, not the condition."""
        if isinstance(node, ir.Consent) and node.kind is None and other.type == "basis":
            return ir.Const("consent", "basis", node.span)
        return node

    def _Compare(self, e):
        left, right = self.expr(e.left), self.expr(e.right)
        left, right = self._basis_side(left, right), self._basis_side(right, left)
        if "error" in (left.type, right.type):
            return ir.Const(None, "error", e.span)
        if {left.type, right.type} == {"duration", "int"}:
            return self.error("E0403", "a duration cannot be compared with a plain number", e.span,
                              help="give the number a unit, for example `30 days`")
        if e.op in ("<", "<=", ">", ">="):
            for node, side in ((left, e.left), (right, e.right)):
                if node.type not in ("int", "duration", "any"):
                    return self.error("E0409", f"`{e.op}` orders integers or durations, "
                                      f"not {describe(node.type)}", side.span,
                                      help=self._declared_as(node))
        if not _compatible(left.type, right.type):
            help = None
            if {left.type, right.type} == {"country", "string"}:
                help = "write country codes without quotes: `DE`"
            return self.error("E0401", f"cannot compare {describe(left.type)} with "
                              f"{describe(right.type)}", e.span,
                              help=self._declared_as(left) or self._declared_as(right) or help)
        if e.op in ("==", "!="):
            if not (self._can_be(left, right) and self._can_be(right, left)):
                return ir.Const(None, "error", e.span)
            self._undeclared_values(left, right, e.span, e.op == "!=")
            self._undeclared_values(right, left, e.span, e.op == "!=")
        return ir.Compare(e.op, left, right, span=e.span)

    def _can_be(self, field, const) -> bool:
        """False, with E0411, when `const` holds a string the field `recipient`,
        `recipient.role` or `exporter` can never be (an undeclared recipient, an
        unknown role, a value the field does not have)."""
        if not isinstance(field, ir.Field) or not isinstance(const, ir.Const):
            return True
        if field.path == ("recipient",):
            known, what = sorted(self.vocabulary.recipients), "a declared recipient"
        elif field.path == ("recipient", "role"):
            known, what = list(ir.ROLES), "a recipient's role"
        elif CHOICES.get(field.path):
            known, what = list(CHOICES[field.path]), "one of its values"
        else:
            return True
        values = const.value if isinstance(const.value, frozenset) else {const.value}
        for value in sorted(v for v in values if isinstance(v, str) and v not in known):
            self.error("E0411", f"`{field.name}` is never \"{value}\": that is not {what}", const.span,
                       help=did_you_mean(value, known) or ("it can be " + ", ".join(f'"{k}"' for k in known)
                                                           if known else "declare it: `recipient NAME ROLE in COUNTRY`"))
            return False
        return True

    # ---- declared facts ------------------------------------------------------

    def _fact_of(self, node) -> Declared | None:
        return self.facts.get(node.path) if isinstance(node, ir.Field) else None

    def _declared_as(self, node) -> str | None:
        """The help for a type error on a field a fact declares."""
        declared = self._fact_of(node)
        if declared is None:
            return None
        where = f" at {declared.fact.location}" if declared.fact.location else ""
        return f"`{declared.fact.name}` is declared {declared.fact.declared()} by the fact{where}"

    def _undeclared_values(self, field_node, other, span, negated: bool) -> None:
        """W1006: a declared field compared with (or looked for in) values its fact
        does not declare; no valid event has them."""
        declared = self._fact_of(field_node)
        if declared is None or declared.fact.values is None or not isinstance(other, ir.Const):
            return
        if span and library_of(span.file):  # the policy's own fact narrows a library's read on purpose
            return
        values = other.value if isinstance(other.value, frozenset) else frozenset([other.value])
        missing = sorted(v for v in values if v not in declared.fact.values)
        if not missing:
            return
        never = ("the condition always holds" if negated else "the condition never holds") if len(
            missing) == len(values) else "no valid event has it"
        shown = ", ".join(f'"{v}"' if isinstance(v, str) and declared.fact.type == "string" else str(v)
                          for v in missing)
        fact = declared.fact
        where = f" (fact at {fact.location})" if fact.location else ""
        self.diagnostics.append(Diagnostic(
            "W1006", f"`{fact.name}` is never {shown}: {never}", span,
            help=(did_you_mean(str(missing[0]), [str(v) for v in declared.fact.values])
                  or f"`{fact.name}` is declared {fact.declared()}") + where))

    def _In(self, e):
        left = self.expr(e.left)
        right: ir.Node
        if left.type == "purpose":
            if isinstance(e.right, ast.NameRef) and e.right.name in self.vocabulary.purposes:
                return ir.PurposeIn(e.right.name, e.negated, span=e.span)
            if isinstance(e.right, ast.NameRef):
                return self.error("E0201", f"undefined purpose `{e.right.name}`", e.right.span,
                                  help=did_you_mean(e.right.name, self.vocabulary.purposes.graph))
            return self.error("E0405", "`purpose in` takes a purpose name", e.right.span,
                              help="for example `purpose in marketing`")
        if isinstance(e.right, ast.NameRef) and left.type in ("country", "any", "error") and (
            e.right.name in self.vocabulary.region_decls or e.right.name in self.vocabulary.regions
        ):
            right = ir.Const(self.vocabulary.regions[e.right.name], "region", e.right.span)
        else:
            right = self.expr(e.right)
        right = ir.Const(right.value, "set:basis", right.span) if (
            left.type == "basis" and right.type == "set:any" and isinstance(right, ir.Const)
        ) else right
        if "error" in (left.type, right.type):
            return ir.Const(None, "error", e.span)
        element = _element(right.type)
        if element is None:
            return self.error("E0405", f"`in` needs a region or a set on its right, "
                              f"not {describe(right.type)}", e.right.span)
        if isinstance(left, ir.Consent) and element == "basis":
            left = ir.Const("consent", "basis", left.span)
        if element != "any" and not _compatible(left.type, element):
            help = "write country codes without quotes: `DE`" if {left.type, element} == {
                "country", "string"} else None
            return self.error("E0401", f"cannot look for {describe(left.type)} in "
                              f"{describe(right.type)}", e.span,
                              help=self._declared_as(left) or self._declared_as(right) or help)
        if isinstance(e.right, ast.SetLit):  # a region names countries on purpose: no warning
            self._undeclared_values(left, right, e.span, e.negated)
        if not self._can_be(left, right):
            return ir.Const(None, "error", e.span)
        return ir.Member(left, right, e.negated, span=e.span)

    def _bool_operand(self, expr):
        node = self.expr(expr)
        if node.type not in ("bool", "any", "error"):
            return self.error("E0402", f"this is {describe(node.type)}, not a condition", expr.span,
                              help="`and`, `or` and `not` combine conditions")
        return node

    def _And(self, e):
        return ir.And(self._bool_operand(e.left), self._bool_operand(e.right), span=e.span)

    def _Or(self, e):
        return ir.Or(self._bool_operand(e.left), self._bool_operand(e.right), span=e.span)

    def _Not(self, e):
        return ir.Not(self._bool_operand(e.operand), span=e.span)
