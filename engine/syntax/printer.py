"""The printer: AST to text, one canonical layout for policy text, comments kept.

Layout: one statement per line when it fits in `WIDTH` columns; otherwise a
rule puts each clause on its own line, indented two spaces, and a long `and` /
`or` chain puts each operand on its own line with the operator aligned under the
clause keyword. Long sets and tables wrap their items. A labelled rule puts its
label on a line of its own. One blank line at most between statements, where the
source had one.

Comments stay where they were: a comment on a line of its own stays on a line of
its own before the same piece of text; a comment at the end of a line stays at
the end of the printed line holding the text it followed.

`lawful fmt` (`engine.tools.fmt`) and the policy digest both print with it.
"""

from __future__ import annotations

import bisect
import json
import math
from dataclasses import dataclass

from . import ast
from ..core.source import Source, Span
from .parser import lex, token_start

WIDTH = 88
INDENT = "  "


@dataclass
class Line:
    text: str
    offset: int  # source offset of the first token printed on this line
    comment: str | None = None


# ---- expressions ---------------------------------------------------------------

_PRECEDENCE = {ast.Or: 1, ast.And: 2, ast.Not: 3}


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def expr(node, parent: int = 0) -> str:
    """An expression on one line, with the parentheses its precedence needs."""
    level = _PRECEDENCE.get(type(node), 4)
    text = _expr(node)
    return f"({text})" if level < parent else text


def _chain(node, kind) -> list:
    """The operands of a chain of one operator, flattened (and/or are associative)."""
    if isinstance(node, kind):
        return _chain(node.left, kind) + _chain(node.right, kind)
    return [node]


def _expr(node) -> str:
    if isinstance(node, ast.Or):
        # `a or (b and c)`: the parentheses are not needed, but they are kept for readers
        return " or ".join(expr(o, 3) for o in _chain(node, ast.Or))
    if isinstance(node, ast.And):
        return " and ".join(expr(o, 3) for o in _chain(node, ast.And))
    if isinstance(node, ast.Not):
        return "not " + expr(node.operand, 3)
    if isinstance(node, ast.Compare):
        return f"{operand(node.left)} {node.op} {operand(node.right)}"
    if isinstance(node, ast.In):
        return f"{operand(node.left)} {'not in' if node.negated else 'in'} {operand(node.right)}"
    if isinstance(node, ast.BinaryOp):
        right = _expr(node.right)
        if isinstance(node.right, ast.BinaryOp):
            right = f"({right})"
        return f"{operand(node.left)} {node.op} {right}"
    if isinstance(node, ast.IntLit):
        return str(node.value)
    if isinstance(node, ast.StringLit):
        return quote(node.value)
    if isinstance(node, ast.CountryLit):
        return node.code
    if isinstance(node, ast.DurationLit):
        return f"{node.amount} {node.unit}"
    if isinstance(node, ast.BoolLit):
        return "true" if node.value else "false"
    if isinstance(node, ast.BasisLit):
        return node.name
    if isinstance(node, ast.ConsentAtom):
        return f"{node.kind} consent" if node.kind else "consent"
    if isinstance(node, ast.ObjectedAtom):
        return "objected"
    if isinstance(node, ast.PurposeField):
        return "purpose"
    if isinstance(node, ast.BasisField):
        return "basis"
    if isinstance(node, ast.NameRef):
        return node.name
    if isinstance(node, ast.Has):
        return f"has {_expr(node.operand)}"
    if isinstance(node, ast.Lookup):
        return f"{node.table.value}[{_expr(node.key)}]"
    if isinstance(node, ast.SetLit):
        return "{" + ", ".join(_expr(i) for i in node.items) + "}"
    raise AssertionError(f"cannot format {type(node).__name__}")


def operand(node) -> str:
    """An operand of a comparison or `in`: anything looser needs parentheses."""
    text = _expr(node)
    return f"({text})" if isinstance(node, (ast.Or, ast.And, ast.Not, ast.Compare, ast.In)) else text


def _start(node, default: int) -> int:
    span = getattr(node, "span", None)
    return span.start if span is not None else default


class Anchors:
    """The significant tokens of one statement, to give every printed line the
    source offset of a token printed on that line (which is what lets a comment
    be put back between the same two lines, run after run)."""

    def __init__(self, text: str, start: int, end: int):
        tokens = [t for t in lex(text[start:end])
                  if t.type != "COMMENT" and not t.type.startswith("__")]
        self.starts = [start + token_start(t) for t in tokens]
        self.values = [t.value for t in tokens]

    def before(self, pos: int) -> int:
        """The token before `pos`, past any opening parentheses: the keyword or
        operator that leads a printed line whose first operand starts at `pos`."""
        index = bisect.bisect_left(self.starts, pos) - 1
        while index > 0 and self.values[index] == "(":
            index -= 1
        return self.starts[max(index, 0)]

    def find(self, value: str, pos: int) -> int:
        """The first token `value` at or after `pos` (a keyword that occurs once)."""
        index = bisect.bisect_left(self.starts, pos)
        while index < len(self.values) - 1 and self.values[index] != value:
            index += 1
        return self.starts[min(index, len(self.starts) - 1)]

    def last(self) -> int:
        return self.starts[-1]

    def members(self, pos: int) -> list[int]:
        """Where the keys of the JSON object opening at or after `pos` are."""
        index = bisect.bisect_left(self.starts, pos)
        depth, keys = 0, []
        for i in range(index, len(self.values)):
            value = self.values[i]
            if value in ("{", "["):
                depth += 1
            elif value in ("}", "]"):
                depth -= 1
                if depth == 0:
                    break
            elif depth == 1 and i + 1 < len(self.values) and self.values[i + 1] == ":":
                keys.append(self.starts[i])
        return keys


class _NoAnchors:
    """Offsets for a layout no comment is placed in: never looked at."""

    def before(self, pos: int) -> int:
        return pos

    def find(self, value: str, pos: int) -> int:
        return pos

    def last(self) -> int:
        return 0

    def members(self, pos: int) -> list[int]:
        return []


_NO_ANCHORS = _NoAnchors()


def clause(keyword: str, node, indent: str, at: int, anchors) -> list[Line]:
    """`when EXPR` and friends: one line, or a broken `and`/`or` chain."""
    lead = f"{indent}{keyword} "
    text = lead + expr(node)
    if len(text) <= WIDTH or not isinstance(node, (ast.And, ast.Or)):
        return [Line(text, at)]
    kind, word = (ast.Or, "or") if isinstance(node, ast.Or) else (ast.And, "and")
    parent = 3
    operands = _chain(node, kind)
    lines = [Line(lead + expr(operands[0], parent), at)]
    pad = " " * (len(lead) - len(word) - 1)
    for item in operands[1:]:
        lines.append(Line(f"{pad}{word} {expr(item, parent)}", anchors.before(_start(item, at))))
    return lines


def wrapped(head: str, items: list[tuple[str, int]], tail: str, at: int, tail_at: int,
            exploded: bool = False) -> list[Line]:
    """`head item, item, … tail` on one line, or items wrapped inside the braces;
    `exploded`, one item a line (so that each can keep its comment)."""
    one = head + ", ".join(text for text, _ in items) + tail
    if exploded and items:
        last = len(items) - 1
        return ([Line(head.rstrip(), at)]
                + [Line(f"{INDENT}{text}{',' if i < last else ''}", offset)
                   for i, (text, offset) in enumerate(items)]
                + [Line(tail.strip(), tail_at)])
    if len(one) <= WIDTH or not items:
        return [Line(one, at)]
    lines = [Line(head.rstrip(), at)]
    current, offset = INDENT, items[0][1]
    for index, (text, item_offset) in enumerate(items):
        piece = text + ("," if index < len(items) - 1 else "")
        if current.strip() and len(current) + 1 + len(piece) > WIDTH:
            lines.append(Line(current.rstrip(), offset))
            current, offset = INDENT, item_offset
        current += ("" if not current.strip() else " ") + piece
    lines.append(Line(current.rstrip(), offset))
    lines.append(Line(tail.strip(), tail_at))
    return lines


# ---- statements -------------------------------------------------------------------


def _names(names) -> str:
    return "*" if names is None else ", ".join(n.value for n in names)


def _target(target: ast.Target) -> str:
    text = _names(target.purposes)
    if target.categories is not None:
        text += f" on {_names(target.categories)}"
    if target.destination is not None:
        text += f" to {expr(target.destination)}"
    return text


def statement(node, anchors=None, exploded: bool = False) -> list[Line]:
    """The printed lines of one statement. `exploded`: one clause, item or member
    a line, each line with the offset of a source token printed on it (`anchors`)."""
    anchors = anchors or _NO_ANCHORS
    at = node.span.start if node.span else 0
    if isinstance(node, ast.PolicyDecl):
        return [Line(f"policy {quote(node.name.value)}", at)]
    if isinstance(node, ast.UseDecl):
        return [Line(f"use {node.library.value}", at)]
    if isinstance(node, ast.CategoryDecl):
        parents = f" is {_names(node.parents)}" if node.parents else ""
        return _described(f"category {node.name.value}{parents}", node.details, at, exploded)
    if isinstance(node, ast.PurposeDecl):
        text = f"purpose {node.name.value}"
        for basis in node.bases:
            text += f" basis {basis.value}"
        for group in node.parent_lists:
            text += f" is {_names(group)}"
        text += " marker" * len(node.markers)
        for client in node.behalf:
            text += f" on behalf of {client.value}"
        return _described(text, node.details, at, exploded)
    if isinstance(node, ast.ObligationDecl):
        description = f" {quote(node.description.value)}" if node.description else ""
        return [Line(f"obligation {node.name.value}{description}", at)]
    if isinstance(node, ast.RecipientDecl):
        holds = " holds " + ", ".join(quote(h.value) for h in node.holds) if node.holds else ""
        purposes = f" for {_names(node.purposes)}" if node.purposes else ""
        return _described(f"recipient {node.name.value} {node.role.value} in {node.country.code}{holds}{purposes}",
                          node.details, at, exploded)
    if isinstance(node, ast.ControllerDecl):
        return _described(f"controller {node.name.value} in {node.country.code}", node.details, at, exploded)
    if isinstance(node, ast.ClientDecl):
        return _described(f"client {node.name.value}", node.details, at, exploded)
    if isinstance(node, ast.RegionDecl):
        head = f"region {node.name.value} = "
        if isinstance(node.expr, ast.SetLit):
            items = [(_expr(i), _start(i, at)) for i in node.expr.items]
            return wrapped(head + "{", items, "}", at, anchors.last(), exploded)
        return [Line(head + expr(node.expr), at)]
    if isinstance(node, ast.FactDecl):
        head = f"fact {node.field.value} "
        if node.values is not None:
            items = [(_expr(i), _start(i, at)) for i in node.values.items]
            return wrapped(head + "in {", items, "}", at, anchors.last(), exploded)
        return [Line(head + "is " + " ".join(word.value for word in node.type), at)]
    if isinstance(node, ast.TableDecl):
        default = f" default {node.default.value}" if node.default is not None else ""
        items = [(f"{e.country.code}: {e.value.value}", _start(e, at)) for e in node.entries]
        lines = wrapped(f"table {node.name.value}{default} {{", items, "}", at, anchors.last(),
                        exploded)
        if len(lines) == 1 and items:
            lines[0].text = lines[0].text.replace("{", "{ ", 1)[:-1] + " }"
        return lines
    if isinstance(node, ast.Rule):
        return rule(node, at, anchors, broken=exploded)
    if isinstance(node, ast.TestDecl):
        return test(node, at, anchors, exploded)
    raise AssertionError(f"cannot format {type(node).__name__}")


def _described(head: str, details, at: int, exploded: bool) -> list[Line]:
    """A declaration with its details: on one line when it fits, else the head
    and then one detail a line, indented, in the order written."""
    texts = [f"{d.word.value} " + ", ".join(quote(v.value) for v in d.values) for d in details]
    one = " ".join([head, *texts])
    if not texts or (not exploded and len(one) <= WIDTH):
        return [Line(one, at)]
    return [Line(head, at)] + [Line(INDENT + text, d.span.start if d.span else at)
                               for d, text in zip(details, texts)]


def _rule_clauses(node: ast.Rule) -> tuple[str, list[tuple[str, object]]]:
    """The head of a rule and its clauses as (keyword, value) in canonical order."""
    if node.kind in ("permit", "forbid"):
        head = f"{node.kind} {_target(node.target)}"
    elif node.kind == "require":
        head = f"require {expr(node.requirement)} for {_target(node.target)}"
    elif node.kind == "oblige":
        head = f"oblige {', '.join(o.value for o in node.obligations)} for {_target(node.target)}"
    elif node.kind == "residency":
        head = f"residency {_names(node.target.categories)} in {expr(node.region)}"
    else:
        assert node.period is not None  # a retain rule has its period
        head = f"retain {_names(node.target.categories)} for {node.period.amount} {node.period.unit}"
    clauses: list[tuple[str, object]] = []
    if node.when is not None:
        clauses.append(("when", node.when))
    if node.unless is not None:
        clauses.append(("unless", node.unless))
    if node.has_with:
        clauses.append(("with", node.obligations))
    if node.because is not None:
        clauses.append(("because", node.because))
    if node.cite is not None:
        clauses.append(("cite", node.cite))
    return head, clauses


def _clause_text(keyword: str, value) -> str:
    if keyword == "with":
        return "with " + ", ".join(o.value for o in value)
    if keyword in ("because", "cite"):
        return f"{keyword} {quote(value.value)}"
    return f"{keyword} {expr(value)}"


def rule(node: ast.Rule, at: int, anchors=_NO_ANCHORS, broken: bool = False) -> list[Line]:
    lines = []
    if node.label is not None:
        lines.append(Line(f"rule {node.label.value}:", at))
        at = anchors.find(":", node.label.span.end if node.label.span else at)
        at = anchors.find(node.kind, at)  # the rule's keyword, after the colon
    head, clauses = _rule_clauses(node)
    one = " ".join([head] + [_clause_text(k, v) for k, v in clauses])
    if not broken and len(one) <= WIDTH:
        return lines + [Line(one, at)]
    if node.kind == "require" and len(head) > WIDTH and isinstance(node.requirement, (ast.And, ast.Or)):
        # require A or B … for P: break the requirement like a clause
        lines += clause("require", node.requirement, "", at, anchors)
        end = node.requirement.span.end if node.requirement.span else at
        lines.append(Line(f"{INDENT}for {_target(node.target)}", anchors.find("for", end)))
    else:
        lines.append(Line(head, at))
    for keyword, value in clauses:
        offset = anchors.find(keyword, at)
        if keyword in ("when", "unless"):
            lines += clause(keyword, value, INDENT, offset, anchors)
        else:
            lines.append(Line(INDENT + _clause_text(keyword, value), offset))
    return lines


def _json(value) -> str:
    """JSON text of a test event's value, as `json.dumps` writes it, but always
    text that parses back to the same value: lone surrogates escaped, numbers too
    large for a float written as the infinity they decoded to."""
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(value)
        return text
    if isinstance(value, float) and math.isinf(value):
        return "1e999" if value > 0 else "-1e999"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_json(k)}: {_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    return json.dumps(value)


def json_layout(value, column: int, indent: str = "") -> list[str]:
    """JSON on one line where it fits from `column`; otherwise one member (or
    item) a line, each laid out the same way."""
    compact = _json(value)
    if column + len(compact) <= WIDTH or not isinstance(value, (dict, list)) or not value:
        return [compact]
    inner = indent + INDENT
    if isinstance(value, dict):
        parts = [(_json(key) + ": ", item) for key, item in value.items()]
        open_, close = "{", "}"
    else:
        parts = [("", item) for item in value]
        open_, close = "[", "]"
    lines = [open_]
    for index, (prefix, item) in enumerate(parts):
        laid = json_layout(item, len(INDENT) + len(inner) + len(prefix), inner)
        laid[0] = inner + prefix + laid[0]
        if index < len(parts) - 1:
            laid[-1] += ","
        lines += laid
    lines.append(indent + close)
    return lines


def test(node: ast.TestDecl, at: int, anchors=_NO_ANCHORS, exploded: bool = False) -> list[Line]:
    event = _json(node.event)
    expect = f"expect {node.expect}"
    if node.names:
        expect += (" with " if node.expect == "allow" else " by ") + ", ".join(n.value for n in node.names)
    event_at = anchors.find("event", at)
    expect_at = node.expect_span.start if node.expect_span else at
    lines = [Line(f"test {quote(node.name.value)} {{", at)]
    if exploded and isinstance(node.event, dict) and node.event:
        # one member a line, each where its key was, so comments stay by their member
        lines.append(Line(f"{INDENT}event {{", event_at))
        members = list(node.event.items())
        keys = anchors.members(event_at + 1)
        for index, (key, value) in enumerate(members):
            comma = "," if index < len(members) - 1 else ""
            text = f"{INDENT * 2}{_json(key)}: {_json(value)}"
            lines.append(Line(text + comma, keys[index] if index < len(keys) else event_at))
        lines.append(Line(INDENT + "}", anchors.before(expect_at)))
    elif len(INDENT + "event " + event) <= WIDTH:
        lines.append(Line(f"{INDENT}event {event}", event_at))
    else:
        pretty = json_layout(node.event, len(INDENT + "event "))
        lines.append(Line(f"{INDENT}event {pretty[0]}", event_at))
        lines += [Line(INDENT + line, event_at) for line in pretty[1:]]
    lines.append(Line(INDENT + expect, expect_at))
    lines.append(Line("}", anchors.last()))
    return lines


# ---- comments and the whole file -------------------------------------------------------
#
# Every comment belongs in a gap between two printed lines. A comment inside a
# statement goes in the gap after the last line whose anchor token comes before
# it; the first comment of a gap that followed a token on its line stays at the
# end of the line before the gap, the others get lines of their own. The printed
# lines keep their anchor tokens, so formatting the output puts every comment
# back in the same gap: formatting is idempotent.


def _own_line(source: Source, comment: ast.Comment) -> bool:
    line, column = source.position(comment.span.start)
    return not source.line_text(line)[: column - 1].strip()


def _blank_between(text: str, end: int, start: int) -> bool:
    """Did the source have a blank line between offsets end and start (only
    whitespace lies between two items of the file)?"""
    return text.count("\n", end, start) >= 2


def _render(line: Line) -> str:
    return f"{line.text}  {line.comment}" if line.comment else line.text


def _indent(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def _layout(node, inner: list[ast.Comment], source: Source) -> tuple[list[str], list[ast.Comment]]:
    """The printed lines of a statement with the comments inside it, and the
    comments that go after its last line."""
    if not inner:
        return [_render(line) for line in statement(node)], []
    anchors = Anchors(source.text, node.span.start, node.span.end)
    lines = statement(node, anchors, exploded=True)
    offsets = [line.offset for line in lines]
    gaps: list[list[ast.Comment]] = [[] for _ in range(len(lines) + 1)]
    for comment in inner:
        gaps[bisect.bisect_right(offsets, comment.span.start)].append(comment)
    if not any(gaps[:-1]):  # every comment after the last line: the usual layout
        return [_render(line) for line in statement(node)], gaps[-1]
    out = []
    for index, line in enumerate(lines):
        following = gaps[index + 1] if index + 1 < len(lines) else []
        if following and not _own_line(source, following[0]):
            line.comment = following[0].text.rstrip()
            following = following[1:]
        out.append(_render(line))
        if following:  # aligned with the deeper of the two lines around them
            indent = max(_indent(lines[index + 1].text), _indent(line.text), key=len)
            out += [indent + comment.text.rstrip() for comment in following]
    return out, gaps[-1] + gaps[0]  # gaps[0] is empty: the first line starts the statement


def _doc_lines(node) -> int:
    doc = getattr(node, "doc", None)
    return doc.count("\n") + 1 if doc is not None else 0


def _span(node) -> Span:
    """The span of a parsed statement or comment (parsing gives each one)."""
    assert node.span is not None
    return node.span


def format_module(module: ast.Module) -> str:
    source = module.source
    text = source.text
    statements = sorted(module.statements, key=lambda s: _span(s).start)
    comments = sorted(module.comments, key=lambda c: _span(c).start)
    # each comment inside a statement, or between two (linear: both are sorted)
    inner: list[list[ast.Comment]] = [[] for _ in statements]
    before: list[list[ast.Comment]] = [[] for _ in range(len(statements) + 1)]
    index = 0
    for comment in comments:
        position = _span(comment).start
        while index < len(statements) and _span(statements[index]).end <= position:
            index += 1
        if index < len(statements) and _span(statements[index]).start < position:
            inner[index].append(comment)
        else:
            before[index].append(comment)

    out: list[str] = []
    previous_end: int | None = None
    can_trail = False  # the last printed line is code without a comment
    after: list[ast.Comment] = []
    for index in range(len(statements) + 1):
        for comment in after + before[index]:
            if can_trail and not _own_line(source, comment):
                out[-1] += "  " + comment.text.rstrip()
            else:
                if previous_end is not None and _blank_between(text, previous_end, _span(comment).start):
                    out.append("")
                out.append(comment.text.rstrip())
            can_trail = False
            previous_end = max(previous_end or 0, _span(comment).end)
        if index == len(statements):
            break
        node = statements[index]
        if previous_end is not None and _blank_between(text, previous_end, _span(node).start):
            out.append("")
        # the `##` lines right above a statement are its doc comment: keep any other
        # `##` line (a comment moved out of the statement before) from joining it
        run = 0
        while run < len(out) and out[len(out) - 1 - run].startswith("##"):
            run += 1
        if run > _doc_lines(node):
            out.insert(len(out) - _doc_lines(node), "")
        lines, after = _layout(node, inner[index], source)
        out += lines
        can_trail = True  # a statement's last line never has a comment yet
        previous_end = _span(node).end
    return ("\n".join(out) + "\n") if out else ""
