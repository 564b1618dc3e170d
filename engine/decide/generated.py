"""A rule's condition as one generated Python function, for plans in steady use.

The closures of `fast` cost a Python call per operand and per `and`/`or`; a
condition that a hot plan evaluates on every event is worth compiling into one
function instead, once (`fast.CompiledPolicy` promotes a plan after
`PROMOTE_AFTER` decisions, so a plan seen once never pays for `compile`).

What it generates means exactly what the closures mean (tests/test_differential.py
and tests/test_generated.py hold it to the reference):

- operands that can never end in an error (a consent, an objection, a purpose,
  a constant set, `safeguards`, `exporter`…) are plain Python expressions, joined
  by `and`/`or`; they are evaluated first, which changes nothing, since they
  neither raise nor yield an error;
- any other operand is its closure, called: True, False or an EvaluationError;
  `a and b` is false when either is false, else the first error in reading order,
  else true (`or` the same way round), as `fast._truth` combines them;
- chains of `and`/`or` are flattened (`a or b or c` is one test), so long
  disjunctions cost no nesting.

No policy text is ever part of the generated source: it is built from fixed
templates, and every name and constant from the policy is a bound variable of
the function's namespace (`c0`, `c1`…), passed by value. The namespace has no
builtins. A condition too deep or too large to compile keeps its closure.
"""

from __future__ import annotations

from typing import Any, Callable

from .. import ir
from .values import bad_table_key, missing, no_data_age, no_table_entry

#: a plan's decisions before its conditions are compiled
PROMOTE_AFTER = 64
#: decisions on a key's first, light plan before it is built with the key folded in
REFOLD_AFTER = 8
#: fields every event has a plain value for (`fast.Facts`): reading them never fails
_PLAIN_FIELDS = {"purpose": "f.purpose", "basis": "f.basis", "destination": "f.destination",
                 "safeguards": "f.safeguards", "automated": "f.automated", "exporter": "f.exporter"}
#: the subject's optional fields, as `fast.Facts` holds them (None when absent)
_SUBJECT = {"age": "age", "country": "country", "kind": "kind", "id": "id"}
#: value kinds whose run-time values are plain Python values of one type
STATIC_TYPES = _STATIC = frozenset({"int", "string", "country", "basis", "purpose", "duration", "bool"})
_OPERATORS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}
_MAX_OPERANDS = 20_000  # beyond, the closures are kept: compile time would not pay back

# a folded condition: True, False, ("pure", expression) or ("tri", operation), where an
# operation is ("leaf", closure), ("and" | "or", [folded…]) or ("not", folded)
Folded = Any


class _Source:
    """The generated module: its functions and the namespace they are bound in."""

    def __init__(self, vocabulary=None) -> None:
        self.vocabulary = vocabulary
        self.namespace: dict[str, Any] = {"__builtins__": {}}
        self.functions: list[str] = []
        self.operands = 0
        self.names = 0

    def name(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def bind(self, value: Any) -> str:
        name = f"c{len(self.namespace) - 1}"
        self.namespace[name] = value
        return name


def generated(rule: ir.CheckedRule, leaves: dict[int, Callable], decided: dict[int, bool | None], vocabulary=None):
    """`when and not unless` of `rule` as one function of the facts (True/False/an
    EvaluationError), or True/False when it is constant, or None when it is not
    worth compiling. `leaves` are the closures of its operands by id(node);
    `decided` what the plan's key decides of them (True/False, None: per event)."""
    source = _Source(vocabulary)
    try:
        when = True if rule.when is None else _fold(rule.when, leaves, decided, source)
        unless = False if rule.unless is None else _fold(rule.unless, leaves, decided, source)
        if source.operands > _MAX_OPERANDS:
            return None
        condition = _join("and", [when, _negate(unless)])
        if condition is True or condition is False:
            return condition
        if condition[0] == "tri" and condition[1][0] == "leaf":
            return condition[1][1]  # one operand: its closure is the function
        root = _expression(condition, source)
        source.functions.append(f"def holds(f):\n    return {root}\n")
        namespace = source.namespace
        exec(compile("\n".join(source.functions), f"<lawful condition {rule.label}>", "exec"), namespace)
    except (RecursionError, SyntaxError, MemoryError, ValueError):  # too deep or too large: keep the closures
        return None
    return namespace["holds"]


def _fold(node: ir.Node, leaves, decided, source: _Source) -> Folded:
    if isinstance(node, (ir.And, ir.Or)):
        kind = "or" if isinstance(node, ir.Or) else "and"
        operands: list[Folded] = []
        stack: list[ir.Node] = [node]
        while stack:  # the chain of one kind, flattened, in reading order
            current = stack.pop()
            if isinstance(current, ir.Or if kind == "or" else ir.And):
                stack += [current.right, current.left]
            else:
                operands.append(_fold(current, leaves, decided, source))
        return _join(kind, operands)
    if isinstance(node, ir.Not):
        return _negate(_fold(node.operand, leaves, decided, source))
    source.operands += 1
    known = decided.get(id(node))
    if known is not None:
        return known
    expression = _plain(node, source)
    if expression is not None:
        return ("pure", expression)
    function = _fallible_leaf(node, source, leaves.get(id(node)))
    if function is not None:
        return ("tri", ("call", function))
    return ("tri", ("leaf", leaves[id(node)]))


def _join(kind: str, operands: list) -> Folded:
    """`and`/`or` of folded operands: constants absorbed, pure operands joined."""
    decisive = kind == "or"
    kept = []
    for operand in operands:
        if operand is decisive:
            return decisive
        if operand is (not decisive):
            continue
        if operand[0] == "tri" and operand[1][0] == kind:  # nested chain of the same kind
            kept.extend(operand[1][1])
        else:
            kept.append(operand)
    if not kept:
        return not decisive
    if len(kept) == 1:
        return kept[0]
    if all(operand[0] == "pure" for operand in kept):
        return ("pure", "(" + f" {kind} ".join(operand[1] for operand in kept) + ")")
    return ("tri", (kind, kept))


def _negate(operand: Folded) -> Folded:
    if operand is True or operand is False:
        return not operand
    if operand[0] == "pure":
        return ("pure", f"(not {operand[1]})")
    if operand[1][0] == "not":  # not not a: a (an error stays the error)
        return operand[1][1]
    return ("tri", ("not", operand))


def plain_comparison(node: ir.Compare) -> bool:
    """Whether Python's own operator compares the two sides as the language does: the
    same static kind, and an order only between numbers or durations."""
    return (node.left.type in _STATIC and node.left.type == node.right.type
            and (node.op in ("==", "!=") or node.left.type in ("int", "duration")))


def _value(node: ir.Node, source: _Source) -> str | None:
    """A Python expression for a value that never fails to evaluate, or None."""
    if isinstance(node, ir.Const):
        return source.bind(node.value)
    if isinstance(node, ir.Field) and len(node.path) == 1:
        return _PLAIN_FIELDS.get(node.path[0])
    return None


def _plain(node: ir.Node, source: _Source) -> str | None:
    """A Python expression for an operand that is always True or False (never an
    error), as the closure of `fast._leaf` computes it; None for any other."""
    if isinstance(node, ir.Consent):
        return f"f.consent({source.bind(node.kind)})"
    if isinstance(node, ir.Objected):
        return "f.objected()"
    if isinstance(node, ir.PurposeIn):
        return f"({source.bind(node.purpose)} {'not in' if node.negated else 'in'} f.ancestors)"
    if isinstance(node, ir.Field) and node.path == ("automated",):
        return "f.automated"
    if isinstance(node, ir.Present):  # `has FIELD`: False where reading it fails
        lines: list[str] = []
        if _fallible(node.operand, source, lines, absent="False") is None:
            return None
        name = source.name("p")
        source.functions.append(f"def {name}(f):\n" + "\n".join(lines) + "\n    return True\n")
        return f"{name}(f)"
    if isinstance(node, ir.Member):
        test = "not in" if node.negated else "in"
        right = node.right
        if isinstance(right, ir.Const) and node.left.type in _STATIC and isinstance(right.value, frozenset):
            left = _value(node.left, source)  # as fast._member's constant-set case
            return None if left is None else f"({left} {test} {source.bind(right.value)})"
        if (isinstance(right, ir.Field) and right.path == ("safeguards",) and isinstance(node.left, ir.Const)
                and type(node.left.value) is str):  # a string in the event's safeguards (a frozenset)
            return f"({source.bind(node.left.value)} {test} f.safeguards)"
        return None
    if isinstance(node, ir.Compare):
        if not plain_comparison(node):
            return None
        first, second = _value(node.left, source), _value(node.right, source)
        if first is None or second is None:
            return None
        return f"({first} {_OPERATORS[node.op]} {second})"
    return None


def _fallible(node: ir.Node, source: _Source, lines: list[str], absent: str | None = None) -> str | None:
    """A Python expression for a value that may be missing, after `lines` that
    `return` its error when it is (the error `fast` would raise, built once here:
    its message and span do not depend on the event), or `absent` instead when
    given (`has`); None when not supported."""
    plain = _value(node, source)
    if plain is not None:
        return plain
    name = source.name("v")

    def fail(error) -> str:
        return absent if absent is not None else source.bind(error)

    if isinstance(node, ir.Field) and node.path == ("subject", "consent_age"):
        lines += [f"    {name} = f.known_consent_age()",
                  f"    if {name} is None:",
                  f"        return {fail(missing('subject.age', node.span))}"]
        return name
    if isinstance(node, ir.Field) and len(node.path) == 2 and node.path[0] == "subject" and node.path[1] in _SUBJECT:
        lines += [f"    {name} = f.{_SUBJECT[node.path[1]]}",
                  f"    if {name} is None:",
                  f"        return {fail(missing(node.name, node.span))}"]
        return name
    if isinstance(node, ir.Field) and node.path == ("data_age",):
        lines += ["    if f.collected_at is None:",
                  f"        return {fail(no_data_age(node.span))}",
                  f"    {name} = f.at - f.collected_at"]
        return name
    if isinstance(node, ir.Field) and node.path[0] == "context" and len(node.path) > 1:
        lines.append(f"    {name} = f.context")
        dictionary = source.bind(dict)
        for depth, key in enumerate(node.path[1:], start=2):
            bound = source.bind(key)
            lines += [f"    if not {source.bind(isinstance)}({name}, {dictionary}) or {bound} not in {name}:",
                      f"        return {fail(missing('.'.join(node.path[:depth]), node.span))}",
                      f"    {name} = {name}[{bound}]"]
        return name
    if isinstance(node, ir.Lookup) and source.vocabulary is not None:
        looked = _fallible(node.key, source, lines)
        if looked is None:
            return None
        table = source.vocabulary.tables[node.table]
        table_name, span = source.bind(node.table), source.bind(node.span)
        lines += [f"    if {source.bind(type)}({looked}) is not {source.bind(str)}:",
                  f"        return {source.bind(bad_table_key)}({table_name}, {looked}, {span})",
                  f"    {name} = {source.bind(table.entries)}.get({looked})",
                  f"    if {name} is None:"]
        if table.default is None:
            lines.append(f"        return {source.bind(no_table_entry)}({table_name}, {looked}, {span})")
        else:
            lines.append(f"        {name} = {source.bind(table.default)}")
        return name
    return None


def _fallible_leaf(node: ir.Node, source: _Source, leaf: Callable | None = None) -> str | None:
    """A generated function for a comparison or a membership in a constant set whose
    operands may be missing (`subject.age < 16`, `subject.consent_age <
    digital_consent_age[subject.country]`): True, False or the error, returned
    rather than raised; its name, or None when the closure is kept."""
    lines: list[str] = []
    if isinstance(node, ir.Compare):
        if not plain_comparison(node):
            return None
        first = _fallible(node.left, source, lines)
        second = None if first is None else _fallible(node.right, source, lines)
        if second is None:
            return None
        test = f"({first} {_OPERATORS[node.op]} {second})"
    elif (isinstance(node, ir.Member) and isinstance(node.right, ir.Const)
          and isinstance(node.right.value, frozenset)):
        left = _fallible(node.left, source, lines)
        if left is None:
            return None
        test = f"({left} {'not in' if node.negated else 'in'} {source.bind(node.right.value)})"
        if node.left.type not in _STATIC:  # a context value: a string as above, the rest by the closure
            if leaf is None:
                return None
            lines += [f"    if {source.bind(type)}({left}) is not {source.bind(str)}:",
                      f"        return {source.bind(leaf)}(f)"]
    else:
        return None
    name = source.name("t")
    source.functions.append(f"def {name}(f):\n" + "\n".join(lines) + f"\n    return {test}\n")
    return name


def _expression(operand: Folded, source: _Source) -> str:
    """A Python expression giving True, False or an EvaluationError for a folded
    operand (not a constant)."""
    if operand[0] == "pure":
        return operand[1]
    operation = operand[1]
    if operation[0] == "leaf":
        return f"{source.bind(operation[1])}(f)"
    if operation[0] == "call":
        return f"{operation[1]}(f)"
    if operation[0] == "not":
        inner = _expression(operation[1], source)
        name = source.name("x")
        return f"((not {name}) if ({name} := {inner}) is True or {name} is False else {name})"
    return f"{_chain(operation[0], operation[1], source)}(f)"


def _chain(kind: str, operands: list, source: _Source) -> str:
    """A function for an `and`/`or` chain of folded operands, some not pure: the
    pure ones first, then each other in order; its name."""
    decisive = kind == "or"
    pure = [operand[1] for operand in operands if operand[0] == "pure"]
    others = [operand for operand in operands if operand[0] != "pure"]
    lines = []
    if pure:
        test = f" {kind} ".join(pure)
        lines += [f"    if {test}:" if decisive else f"    if not ({test}):", f"        return {decisive}"]
    lines.append(f"    r = {not decisive}")
    for operand in others:
        lines += [f"    x = {_expression(operand, source)}",
                  f"    if x is {decisive}:",
                  f"        return {decisive}",
                  f"    if r is {not decisive} and x is not {not decisive}:",
                  "        r = x"]
    name = source.name("g")
    source.functions.append(f"def {name}(f):\n" + "\n".join(lines) + "\n    return r\n")
    return name


__all__ = ["PROMOTE_AFTER", "REFOLD_AFTER", "generated", "plain_comparison"]
