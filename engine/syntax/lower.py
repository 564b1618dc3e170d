"""Parse tree to typed AST (`cst_to_ast`), with spans and doc comments.

Lowering also reports what the grammar lets through but the language does
not: reserved words inside dotted names, bad string escapes, huge integers,
malformed JSON in test events.
"""

from __future__ import annotations

import json
import math
import re

from typing import Any

from lark import Token, Tree

from . import ast
from ..core.diagnostics import Diagnostic
from ..core.source import Source, Span
from .parser import KEYWORDS, parse_tree, token_span

#: C0 controls but the tab, DEL and the C1 controls: no document can show them
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")

MAX_INT = 10**12
MAX_NESTING = 100
#: the depth of a lowered expression, where long `and`/`or` chains are balanced trees
MAX_DEPTH = 2 * MAX_NESTING
#: names: every dotted prefix is a name of its own (an ancestor), so both are bounded
MAX_NAME_SEGMENTS = 32
MAX_NAME_LENGTH = 200
MAX_DURATION_DAYS = 10_000 * 365  # 10,000 years: longer than any data age an event can have
#: test events follow the event rules (docs/events): nesting, integer range
MAX_JSON_NESTING = 64
MAX_JSON_INT = 10**15
_SURROGATE = re.compile("[\ud800-\udfff]")


def _nesting(tree: Tree, deeper=None) -> int:
    """How deep a parse tree nests (iteratively), a child counting one level deeper
    when `deeper(parent, child)`; by default expressions, where a chain of one
    operator counts as one level."""
    if deeper is None:
        def deeper(node, child):
            return not (child.data == node.data and node.data in ("and_expr", "or_expr"))
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth + 1 if deeper(node, child) else depth))
    return deepest


def _depth(node) -> int:
    """How deep a lowered expression is (iteratively: it may be deep)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = getattr(item, "items", None) or ()
        for name in ("left", "right", "operand", "key"):
            child = getattr(item, name, None)
            if child is not None and not isinstance(child, str):
                stack.append((child, depth + 1))
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _json_nesting(tree: Tree) -> int:
    """How deep a JSON value nests, the outermost object counting as 1."""
    return _nesting(tree, lambda node, child: child.data in ("json_object", "json_array"))


def _join(left: Span | None, right: Span | None) -> Span | None:
    if left is None or right is None:
        return left or right
    return Span(left.source, left.start, right.end)
_ESCAPE = re.compile(r"\\(.)")


def parse_module(source: Source) -> tuple[ast.Module, list[Diagnostic]]:
    unicode_errors: list[Diagnostic] = []
    if _SURROGATE.search(source.text):  # text from a Python caller that is not Unicode: read it without them
        cleaned = Source(source.name, _SURROGATE.sub("\ufffd", source.text))
        unicode_errors = _lone_surrogates(source.text, cleaned)
        source = cleaned
    tree, comment_tokens, diagnostics = parse_tree(source)
    diagnostics[:0] = unicode_errors
    lowering = _Lowering(source, diagnostics)
    statements = lowering.statements(tree) if tree is not None else []
    comments = tuple(
        ast.Comment(t.value, token_span(source, t)) for t in comment_tokens
    )
    statements = _attach_docs(source, statements, comments)
    return ast.Module(source, tuple(statements), comments), diagnostics


def _lone_surrogates(text: str, source: Source) -> list[Diagnostic]:
    """The lone surrogates in `text`, located in `source` (the text with them replaced)."""
    found = []
    for match in _SURROGATE.finditer(text):
        found.append(Diagnostic(
            "E0101", f"`{match.group()!r}` is a lone surrogate, not a Unicode character",
            Span(source, match.start(), match.end()), help="policy text is UTF-8"))
        if len(found) == 10:
            break
    return found


def _attach_docs(source: Source, statements, comments):
    """A run of `##` lines directly above a statement is its doc comment."""
    by_line = {}
    for comment in comments:
        line, column = source.position(comment.span.start)
        if comment.text.startswith("##") and not source.line_text(line)[: column - 1].strip():
            by_line[line] = comment.text[2:].strip()
    if not by_line:
        return statements
    result = []
    for statement in statements:
        line, column = source.position(statement.span.start)
        if source.line_text(line)[: column - 1].strip():  # not the first on its line
            result.append(statement)
            continue
        line -= 1
        lines = []
        while line in by_line:
            lines.append(by_line[line])
            line -= 1
        if lines:
            from dataclasses import replace

            statement = replace(statement, doc="\n".join(reversed(lines)))
        result.append(statement)
    return result


class _Lowering:
    def __init__(self, source: Source, diagnostics: list[Diagnostic]):
        self.source = source
        self.diagnostics = diagnostics

    # ---- helpers -----------------------------------------------------------

    def span(self, node) -> Span:
        if isinstance(node, Token):
            return token_span(self.source, node)
        meta = node.meta
        if getattr(meta, "empty", True):
            return Span(self.source, 0, 0)
        return Span(self.source, meta.start_pos, meta.end_pos)

    def error(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, help=help))

    def name(self, token: Token) -> ast.Name:
        span = self.span(token)
        segments = token.value.count(".") + 1
        if segments > MAX_NAME_SEGMENTS or len(token.value) > MAX_NAME_LENGTH:
            shown = token.value if len(token.value) <= 40 else f"{token.value[:30]}…"
            self.error("E0111", f"the name `{shown}` is too long ({len(token.value)} characters, "
                       f"{segments} segments)", span,
                       help=f"names have at most {MAX_NAME_SEGMENTS} dotted segments and "
                       f"{MAX_NAME_LENGTH} characters")
            return ast.Name("_", span)
        for segment in token.value.split("."):
            if segment in KEYWORDS:
                self.error(
                    "E0104",
                    f"`{segment}` is a reserved word and cannot be part of the name `{token.value}`",
                    span,
                    help=f"choose another word, for example `{segment}_`",
                )
                break
        return ast.Name(token.value, span)

    def details(self, children) -> tuple[ast.Detail, ...]:
        """The `detail` trees among a declaration's children, in source order."""
        found = []
        for tree in children:
            if isinstance(tree, Tree) and tree.data == "detail":
                tokens: list[Any] = tree.children  # the word, then STRING tokens
                word, *values = tokens
                found.append(ast.Detail(ast.Name(word.value, self.span(word)),
                                        tuple(self.string(v, shown=True) for v in values), self.span(tree)))
        return tuple(found)

    def names(self, tree: Tree) -> tuple[ast.Name, ...]:
        tokens: list[Any] = tree.children  # NAME tokens
        return tuple(self.name(t) for t in tokens)

    def targets(self, tree: Tree) -> tuple[ast.Name, ...] | None:
        if tree.data == "all_targets":
            return None
        return self.names(tree.children[0])

    def string(self, token: Token, shown: bool = False) -> ast.StringLit:
        """A string literal. `shown`: text that explanations and the DPO's documents
        show (a detail, `because`, `cite`, a policy's name…), where a control
        character is an error (E0112): no document can show it."""
        raw = token.value[1:-1]
        span = self.span(token)
        if shown:
            control = _CONTROL.search(raw)
            if control is not None:
                start = span.start + 1 + control.start()
                self.error("E0112", f"a control character (U+{ord(control.group()):04X}) in text a document shows",
                           Span(self.source, start, start + 1),
                           help="remove it; write the text with printable characters only")
        for escape in _ESCAPE.finditer(raw):
            if escape.group(1) not in '"\\':
                start = span.start + 1 + escape.start()
                self.error(
                    "E0106",
                    f"`\\{escape.group(1)}` is not an escape the language knows",
                    Span(self.source, start, start + 2),
                    help='only `\\"` and `\\\\` are escapes in policy strings',
                )
                break
        value = _ESCAPE.sub(lambda m: m.group(1), raw)
        return ast.StringLit(value, span)

    def integer(self, token: Token) -> ast.IntLit:
        digits = token.value.lstrip("0") or "0"
        # never int() a huge literal: Python refuses more than 4,300 digits
        value = int(digits) if len(digits) <= len(str(MAX_INT)) else MAX_INT + 1
        if value > MAX_INT:
            shown = token.value if len(token.value) <= 30 else f"{token.value[:20]}… ({len(token.value)} digits)"
            self.error("E0109", f"`{shown}` is too large", self.span(token),
                       help=f"integers go up to {MAX_INT}")
            return ast.IntLit(MAX_INT, self.span(token))
        return ast.IntLit(value, self.span(token))

    # ---- statements ----------------------------------------------------------

    def statements(self, tree: Tree) -> list:
        result = []
        for child in tree.children:
            statement = self.statement(child)
            if statement is not None:
                result.append(statement)
        return result

    def statement(self, tree: Tree):
        kind = tree.data
        c: list[Any] = tree.children  # the grammar decides which are tokens, which trees
        span = self.span(tree)
        if kind == "policy_decl":
            return ast.PolicyDecl(self.string(c[0], shown=True), span)
        if kind == "use_decl":
            return ast.UseDecl(self.name(c[0]), span)
        if kind == "region_decl":
            return ast.RegionDecl(self.name(c[0]), self.expr(c[1]), span)
        if kind == "category_decl":
            parents = self.names(c[1]) if c[1] is not None else ()
            return ast.CategoryDecl(self.name(c[0]), parents, span, details=self.details(c[2:]))
        if kind == "purpose_decl":
            bases, parent_lists, markers, behalf = [], [], [], []
            details: list[ast.Detail] = []
            for clause in c[1:]:
                if clause.data == "basis_clause":
                    token = clause.children[0].children[0]
                    bases.append(ast.Name(token.value, self.span(token)))
                elif clause.data == "marker_clause":
                    markers.append(ast.Name("marker", self.span(clause)))
                elif clause.data == "behalf_clause":
                    behalf.append(self.name(clause.children[0]))
                elif clause.data == "purpose_clause":  # a detail
                    details.extend(self.details(clause.children))
                else:
                    parent_lists.append(self.names(clause.children[0]))
            return ast.PurposeDecl(self.name(c[0]), tuple(bases), tuple(parent_lists), span,
                                   markers=tuple(markers), details=tuple(details), behalf=tuple(behalf))
        if kind == "table_decl":
            default = self.integer(c[1]) if c[1] is not None else None
            entries = tuple(
                ast.TableEntry(
                    ast.CountryLit(e.children[0].value, self.span(e.children[0])),
                    self.integer(e.children[1]),
                    self.span(e),
                )
                for e in c[2:]
                if e is not None
            )
            return ast.TableDecl(self.name(c[0]), default, entries, span)
        if kind == "obligation_decl":
            description = self.string(c[1], shown=True) if c[1] is not None else None
            return ast.ObligationDecl(self.name(c[0]), description, span)
        if kind == "recipient_decl":
            holds = tuple(self.string(token, shown=True) for token in c[3:] if isinstance(token, Token))
            lists = [t for t in c[3:] if isinstance(t, Tree) and t.data == "name_list"]
            return ast.RecipientDecl(self.name(c[0]), self.name(c[1]),
                                     ast.CountryLit(c[2].value, self.span(c[2])), holds, span,
                                     purposes=self.names(lists[0]) if lists else (),
                                     details=self.details(c[3:]))
        if kind == "controller_decl":
            return ast.ControllerDecl(self.name(c[0]), ast.CountryLit(c[1].value, self.span(c[1])), span,
                                      details=self.details(c[2:]))
        if kind == "client_decl":
            return ast.ClientDecl(self.name(c[0]), span, details=self.details(c[1:]))
        if kind == "fact_in":
            values = self._expr(c[1])
            assert isinstance(values, ast.SetLit)  # the grammar takes a set here
            return ast.FactDecl(self.name(c[0]), values=values, span=span)
        if kind == "fact_is":
            words = tuple(ast.Name(t.value, self.span(t)) for t in c[1:] if t is not None)
            return ast.FactDecl(self.name(c[0]), type=words, span=span)
        if kind == "labelled_rule":
            from dataclasses import replace

            rule = self.rule(c[1])
            return replace(rule, label=self.name(c[0]), span=span)
        if kind == "test_decl":
            return self.test(tree)
        return self.rule(tree)

    def rule(self, tree: Tree) -> ast.Rule:
        kind = tree.data.removesuffix("_rule")
        c: list[Any] = tree.children  # the grammar decides which are tokens, which trees
        span = self.span(tree)
        if kind in ("permit", "forbid"):
            target = self.target(c[0])
            when, unless, with_, because, cite = c[1].children
            return ast.Rule(
                kind,
                target,
                when=self.expr(when.children[0]) if when is not None else None,
                unless=self.expr(unless.children[0]) if unless is not None else None,
                obligations=self.names(with_.children[0]) if with_ is not None else (),
                because=self.string(because.children[0], shown=True) if because is not None else None,
                cite=self.string(cite.children[0], shown=True) if cite is not None else None,
                has_with=with_ is not None,
                span=span,
            )
        because = self.string(c[-2].children[0], shown=True) if c[-2] is not None else None
        cite = self.string(c[-1].children[0], shown=True) if c[-1] is not None else None
        if kind == "oblige":
            when, unless = c[2], c[3]
            return ast.Rule(
                "oblige",
                self.target(c[1]),
                obligations=self.names(c[0]),
                when=self.expr(when.children[0]) if when is not None else None,
                unless=self.expr(unless.children[0]) if unless is not None else None,
                because=because, cite=cite, span=span,
            )
        if kind == "require":
            when = c[2]
            return ast.Rule(
                "require",
                self.target(c[1]),
                requirement=self.expr(c[0]),
                when=self.expr(when.children[0]) if when is not None else None,
                because=because, cite=cite, span=span,
            )
        categories = self.targets(c[0])
        target = ast.Target(None, categories, None, self.span(c[0]))
        if kind == "residency":
            return ast.Rule("residency", target, region=self.expr(c[1]),
                            because=because, cite=cite, span=span)
        return ast.Rule("retain", target, period=self.duration(c[1]),
                        because=because, cite=cite, span=span)

    def target(self, tree: Tree) -> ast.Target:
        targets, on, to = tree.children
        return ast.Target(
            self.targets(targets),
            self.targets(on.children[0]) if on is not None else None,
            self.expr(to.children[0]) if to is not None else None,
            self.span(tree),
        )

    def duration(self, tree: Tree) -> ast.DurationLit:
        amount: Any
        unit: Any
        amount, unit = tree.children
        before = len(self.diagnostics)
        duration = ast.DurationLit(self.integer(amount).value, unit.children[0].value, self.span(tree))
        if duration.days > MAX_DURATION_DAYS:
            if len(self.diagnostics) == before:
                self.error("E0109", f"`{duration.amount} {duration.unit}` is too long", self.span(tree),
                           help="durations go up to 10000 years")
            duration = ast.DurationLit(MAX_DURATION_DAYS, "days", self.span(tree))
        return duration

    # ---- expressions ---------------------------------------------------------

    def expr(self, node):
        """Lower an expression; too deep a nesting is an error, not a crash."""
        if isinstance(node, Tree) and _nesting(node) > MAX_NESTING:
            self.error("E0110", f"this expression nests more than {MAX_NESTING} levels deep",
                       self.span(node), help="split it into several rules, or flatten it")
            return ast.BoolLit(True, self.span(node))
        lowered = self._expr(node)
        if _depth(lowered) > MAX_DEPTH:  # many levels, each a long chain
            self.error("E0110", f"this expression nests more than {MAX_DEPTH} levels deep once its "
                       "`and`/`or` chains are counted", self.span(node),
                       help="split it into several rules, or flatten it")
            return ast.BoolLit(True, self.span(node))
        return lowered

    def _chain(self, node: Tree, build):
        """`a and b and c …` as a balanced tree: long chains stay shallow
        (`and`/`or` are associative, errors included)."""
        operands, stack = [], [node]
        while stack:
            current = stack.pop()
            if isinstance(current, Tree) and current.data == node.data:
                stack.extend(reversed(current.children))
            else:
                operands.append(self._expr(current))

        def balanced(items):
            if len(items) == 1:
                return items[0]
            middle = len(items) // 2
            left, right = balanced(items[:middle]), balanced(items[middle:])
            return build(left, right, _join(left.span, right.span))

        return balanced(operands)

    def _expr(self, node):
        if isinstance(node, Token):  # a bare terminal only reaches here via region_ref
            return ast.NameRef(node.value, self.span(node))
        kind = node.data
        c: list[Any] = node.children  # the grammar decides which are tokens, which trees
        span = self.span(node)
        if kind == "int_lit":
            return ast.IntLit(self.integer(c[0]).value, span)
        if kind == "string_lit":
            return self.string(c[0])
        if kind == "country_lit":
            return ast.CountryLit(c[0].value, span)
        if kind == "duration":
            return self.duration(node)
        if kind == "true_lit":
            return ast.BoolLit(True, span)
        if kind == "false_lit":
            return ast.BoolLit(False, span)
        if kind == "consent_atom":
            return ast.ConsentAtom(None, span)
        if kind == "explicit_consent_atom":
            return ast.ConsentAtom("explicit", span)
        if kind == "parental_consent_atom":
            return ast.ConsentAtom("parental", span)
        if kind == "objected_atom":
            return ast.ObjectedAtom(span)
        if kind == "purpose_field":
            return ast.PurposeField(span)
        if kind == "basis_field":
            return ast.BasisField(span)
        if kind == "basis_lit":
            return ast.BasisLit(c[0].value, span)
        if kind == "basis_consent_lit":
            return ast.BasisLit("consent", span)
        if kind in ("name_ref", "region_ref"):
            return ast.NameRef(self.name(c[0]).value, span)
        if kind == "has_field":
            return ast.Has(self._expr(c[0]), span)
        if kind == "lookup":
            return ast.Lookup(self.name(c[0]), self._expr(c[1]), span)
        if kind == "set":
            return ast.SetLit(tuple(self._expr(i) for i in c if i is not None), span)
        if kind in ("plus", "region_union"):
            return ast.BinaryOp("+", self._expr(c[0]), self._expr(c[1]), span)
        if kind in ("minus", "region_diff"):
            return ast.BinaryOp("-", self._expr(c[0]), self._expr(c[1]), span)
        if kind == "compare":
            return ast.Compare(c[1].value, self._expr(c[0]), self._expr(c[2]), span)
        if kind == "in_expr":
            return ast.In(self._expr(c[0]), self._expr(c[1]), False, span)
        if kind == "not_in_expr":
            return ast.In(self._expr(c[0]), self._expr(c[1]), True, span)
        if kind == "and_expr":
            return self._chain(node, ast.And)
        if kind == "or_expr":
            return self._chain(node, ast.Or)
        if kind == "not_expr":
            return ast.Not(self._expr(c[0]), span)
        raise AssertionError(f"unknown expression node {kind}")  # grammar and lowering disagree

    # ---- tests ---------------------------------------------------------------

    def test(self, tree: Tree) -> ast.TestDecl:
        name: Any
        event: Any
        expect: Any
        name, event, expect = tree.children
        keys: list = []
        before = len(self.diagnostics)
        if _json_nesting(event) > MAX_JSON_NESTING:
            self.error("E0108", f"the test event nests more than {MAX_JSON_NESTING} levels deep",
                       self.span(event), help="events nest at most 64 objects and arrays deep")
            value = None
        else:
            value = self.json(event, "", keys)
        if len(self.diagnostics) > before:  # malformed JSON: not checked as an event
            value = None
        names: tuple[ast.Name, ...] = ()
        if expect.children and expect.children[0] is not None:
            names = self.names(expect.children[0])
        return ast.TestDecl(
            self.string(name),
            value,
            "allow" if expect.data == "expect_allow" else "deny",
            names,
            event_span=self.span(event),
            event_keys=tuple(keys),
            expect_span=self.span(expect),
            span=self.span(tree),
        )

    def json(self, node, path: str, keys: list):
        if isinstance(node, Token):
            raise AssertionError("bare JSON token")
        kind = node.data
        if kind == "json_object":
            result = {}
            for member in node.children:
                if member is None:
                    continue
                key_token, value = member.children
                key = self.json_string(key_token)
                child_path = f"{path}.{key}" if path else key
                if key in result:
                    self.error("E0108", f"the key `{key}` appears twice in this object",
                               self.span(key_token))
                keys.append((child_path, self.span(key_token)))
                result[key] = self.json(value, child_path, keys)
            return result
        if kind == "json_array":
            return [self.json(v, f"{path}[{i}]", keys) for i, v in enumerate(node.children)
                    if v is not None]
        token: Any = node.children[0] if node.children else None  # a literal's token
        if kind == "json_string":
            return self.json_string(token)
        if kind == "json_number":
            return self.json_number(token)
        if kind == "json_true":
            return True
        if kind == "json_false":
            return False
        if kind == "json_word":
            if token.value == "null":
                return None
            self.error("E0108", f"`{token.value}` is not a JSON value", self.span(token),
                       help="JSON values are strings, numbers, `true`, `false`, `null`, objects and arrays")
            return None
        raise AssertionError(f"unknown JSON node {kind}")

    def json_number(self, token: Token):
        text = token.value
        shown = text if len(text) <= 30 else f"{text[:20]}…"
        digits = len(text.lstrip("-").split(".")[0].split("e")[0].split("E")[0].lstrip("0"))
        try:
            value = json.loads(text) if digits <= 16 else None
        except ValueError:
            self.error("E0108", f"`{shown}` is not a JSON number", self.span(token),
                       help="JSON numbers have no leading zeros: `7`, `0.5`, `-3`")
            return None
        if value is None or (isinstance(value, int) and abs(value) > MAX_JSON_INT):
            self.error("E0108", f"`{shown}` is out of range", self.span(token),
                       help=f"integers in events lie within ±{MAX_JSON_INT}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.error("E0108", f"`{shown}` is too large for a number", self.span(token),
                       help="numbers in events are finite")
            return None
        return value

    def json_string(self, token: Token) -> str:
        try:
            value = json.loads(token.value)
        except ValueError:
            self.error("E0108", f"{token.value} is not a valid JSON string", self.span(token))
            return token.value[1:-1]
        if _SURROGATE.search(value):
            self.error("E0108", f"{token.value} holds a lone surrogate, not a Unicode character",
                       self.span(token), help="strings in events are valid Unicode")
            return _SURROGATE.sub("\ufffd", value)
        return value
