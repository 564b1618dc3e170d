"""The formatter: one canonical layout for policy text, comments kept.

Layout: one statement per line when it fits in `WIDTH` columns; otherwise a
rule puts each clause on its own line, indented two spaces, and a long `and` /
`or` chain puts each operand on its own line with the operator aligned under the
clause keyword. Long sets and tables wrap their items. A labelled rule puts its
label on a line of its own. One blank line at most between statements, where the
source had one.

Comments stay where they were: a comment on a line of its own stays on a line of
its own before the same piece of text; a comment at the end of a line stays at
the end of the printed line holding the text it followed.

`format_text` is sound or refuses: the result must parse back to the same
statements, doc comments and comments (Cedar's soundness check).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import ast
from .diagnostics import Diagnostic
from .source import Source
from .syntax import parse_module

WIDTH = 88
INDENT = "  "


class FormatError(Exception):
    """The text does not parse, or formatting would change its meaning."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []


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
    if isinstance(node, ast.Lookup):
        return f"{node.table.value}[{_expr(node.key)}]"
    if isinstance(node, ast.SetLit):
        return "{" + ", ".join(_expr(i) for i in node.items) + "}"
    raise AssertionError(f"cannot format {type(node).__name__}")


def operand(node) -> str:
    """An operand of a comparison or `in`: anything looser needs parentheses."""
    text = _expr(node)
    return f"({text})" if isinstance(node, (ast.Or, ast.And, ast.Not, ast.Compare, ast.In)) else text


def _offset(node, default: int) -> int:
    span = getattr(node, "span", None)
    return span.start if span is not None else default


def clause(keyword: str, node, indent: str, at: int) -> list[Line]:
    """`when EXPR` and friends: one line, or a broken `and`/`or` chain."""
    lead = f"{indent}{keyword} "
    text = lead + expr(node)
    if len(text) <= WIDTH or not isinstance(node, (ast.And, ast.Or)):
        return [Line(text, _offset(node, at))]
    kind, word = (ast.Or, "or") if isinstance(node, ast.Or) else (ast.And, "and")
    parent = 3
    operands = _chain(node, kind)
    lines = [Line(lead + expr(operands[0], parent), _offset(operands[0], at))]
    pad = " " * (len(lead) - len(word) - 1)
    for item in operands[1:]:
        lines.append(Line(f"{pad}{word} {expr(item, parent)}", _offset(item, at)))
    return lines


def wrapped(head: str, items: list[tuple[str, int]], tail: str, at: int,
            exploded: bool = False) -> list[Line]:
    """`head item, item, … tail` on one line, or items wrapped inside the braces;
    `exploded`, one item a line (so that each can keep its comment)."""
    one = head + ", ".join(text for text, _ in items) + tail
    if exploded and items:
        last = len(items) - 1
        return ([Line(head.rstrip(), at)]
                + [Line(f"{INDENT}{text}{',' if i < last else ''}", offset)
                   for i, (text, offset) in enumerate(items)]
                + [Line(tail.strip(), items[-1][1] + 1)])
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
    lines.append(Line(tail.strip(), at))
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


def statement(node, exploded: bool = False) -> list[Line]:
    at = node.span.start if node.span else 0
    if isinstance(node, ast.PolicyDecl):
        return [Line(f"policy {quote(node.name.value)}", at)]
    if isinstance(node, ast.UseDecl):
        return [Line(f"use {node.library.value}", at)]
    if isinstance(node, ast.CategoryDecl):
        parents = f" is {_names(node.parents)}" if node.parents else ""
        return [Line(f"category {node.name.value}{parents}", at)]
    if isinstance(node, ast.PurposeDecl):
        text = f"purpose {node.name.value}"
        for basis in node.bases:
            text += f" basis {basis.value}"
        for group in node.parent_lists:
            text += f" is {_names(group)}"
        return [Line(text, at)]
    if isinstance(node, ast.ObligationDecl):
        description = f" {quote(node.description.value)}" if node.description else ""
        return [Line(f"obligation {node.name.value}{description}", at)]
    if isinstance(node, ast.RegionDecl):
        head = f"region {node.name.value} = "
        if isinstance(node.expr, ast.SetLit):
            items = [(_expr(i), _offset(i, at)) for i in node.expr.items]
            return wrapped(head + "{", items, "}", at, exploded)
        return [Line(head + expr(node.expr), at)]
    if isinstance(node, ast.TableDecl):
        default = f" default {node.default.value}" if node.default is not None else ""
        items = [(f"{e.country.code}: {e.value.value}", _offset(e, at)) for e in node.entries]
        lines = wrapped(f"table {node.name.value}{default} {{", items, "}", at, exploded)
        if len(lines) == 1 and items:
            lines[0].text = lines[0].text.replace("{", "{ ", 1)[:-1] + " }"
        return lines
    if isinstance(node, ast.Rule):
        return rule(node, at, broken=exploded)
    if isinstance(node, ast.TestDecl):
        return test(node, at, exploded)
    raise AssertionError(f"cannot format {type(node).__name__}")


def _rule_clauses(node: ast.Rule, at: int) -> tuple[str, list[tuple[str, object]]]:
    """The head of a rule and its clauses as (keyword, value) in canonical order."""
    if node.kind in ("permit", "forbid"):
        head = f"{node.kind} {_target(node.target)}"
    elif node.kind == "require":
        head = f"require {expr(node.requirement)} for {_target(node.target)}"
    elif node.kind == "residency":
        head = f"residency {_names(node.target.categories)} in {expr(node.region)}"
    else:
        head = f"retain {_names(node.target.categories)} for {node.period.amount} {node.period.unit}"
    clauses = []
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


def rule(node: ast.Rule, at: int, broken: bool = False) -> list[Line]:
    lines = []
    if node.label is not None:
        lines.append(Line(f"rule {node.label.value}:", at))
        at = node.label.span.end if node.label.span else at
    head, clauses = _rule_clauses(node, at)
    one = " ".join([head] + [_clause_text(k, v) for k, v in clauses])
    if not broken and len(one) <= WIDTH and node.kind != "require":
        return lines + [Line(one, at)]
    if node.kind == "require" and len(head) > WIDTH and isinstance(node.requirement, (ast.And, ast.Or)):
        # require A or B … for P: break the requirement like a clause
        lines += clause("require", node.requirement, "", at)
        lines.append(Line(f"{INDENT}for {_target(node.target)}", _offset(node.target, at)))
    else:
        if not broken and len(one) <= WIDTH:
            return lines + [Line(one, at)]
        lines.append(Line(head, at))
    for keyword, value in clauses:
        offset = _clause_offset(value, at)
        if keyword in ("when", "unless"):
            lines += clause(keyword, value, INDENT, offset)
        else:
            lines.append(Line(INDENT + _clause_text(keyword, value), offset))
    return lines


def _clause_offset(value, default: int) -> int:
    if isinstance(value, tuple):
        return _offset(value[0], default) if value else default
    return _offset(value, default)


def json_layout(value, column: int, indent: str = "") -> list[str]:
    """JSON on one line where it fits from `column`; otherwise one member (or
    item) a line, each laid out the same way."""
    compact = json.dumps(value, ensure_ascii=False)
    if column + len(compact) <= WIDTH or not isinstance(value, (dict, list)) or not value:
        return [compact]
    inner = indent + INDENT
    if isinstance(value, dict):
        parts = [(json.dumps(key, ensure_ascii=False) + ": ", item) for key, item in value.items()]
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


def test(node: ast.TestDecl, at: int, exploded: bool = False) -> list[Line]:
    event = json.dumps(node.event, ensure_ascii=False)
    expect = f"expect {node.expect}"
    if node.names:
        expect += (" with " if node.expect == "allow" else " by ") + ", ".join(n.value for n in node.names)
    event_at = node.event_span.start if node.event_span else at
    lines = [Line(f"test {quote(node.name.value)} {{", at)]
    keys = {path: span.start for path, span in node.event_keys if "." not in path and "[" not in path}
    if exploded and isinstance(node.event, dict) and node.event:
        # one member a line, each where its key was, so comments stay by their member
        lines.append(Line(f"{INDENT}event {{", event_at))
        members = list(node.event.items())
        for index, (key, value) in enumerate(members):
            comma = "," if index < len(members) - 1 else ""
            text = f"{INDENT * 2}{json.dumps(key, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"
            lines.append(Line(text + comma, keys.get(key, event_at)))
        lines.append(Line(INDENT + "}", node.event_span.end - 1 if node.event_span else at))
    elif len(INDENT + "event " + event) <= WIDTH:
        lines.append(Line(f"{INDENT}event {event}", event_at))
    else:
        pretty = json_layout(node.event, len(INDENT + "event "))
        lines.append(Line(f"{INDENT}event {pretty[0]}", event_at))
        lines += [Line(INDENT + line, event_at) for line in pretty[1:]]
    expect_at = node.expect_span.start if node.expect_span else at
    lines.append(Line(INDENT + expect, expect_at))
    lines.append(Line("}", node.span.end - 1 if node.span else at))
    return lines


# ---- comments and the whole file -------------------------------------------------------


def _own_line(source: Source, comment: ast.Comment) -> bool:
    line, column = source.position(comment.span.start)
    return not source.line_text(line)[: column - 1].strip()


def _place_comments(lines: list[Line], inner: list[ast.Comment], source: Source) -> list[Line]:
    """Put the comments found inside a statement back among its printed lines."""
    result = list(lines)
    for comment in inner:
        text = comment.text.rstrip()
        position = comment.span.start
        if not _own_line(source, comment):
            candidates = [i for i, line in enumerate(result) if line.offset <= position]
            index = candidates[-1] if candidates else 0
            if result[index].comment is None and result[index].offset >= 0:
                result[index].comment = text
                continue
        following = [i for i, line in enumerate(result) if line.offset > position]
        # with no later line, stand before the last one: the comment stays inside
        index = following[0] if following else max(len(result) - 1, 0)
        indent = result[index].text[: len(result[index].text) - len(result[index].text.lstrip())]
        result.insert(index, Line(indent + text, -1))
    return result


def _blank_between(source: Source, end: int, start: int) -> bool:
    """Did the source have a blank line between offsets end and start?"""
    return "\n\n" in source.text[end:start].replace(" ", "").replace("\t", "").replace("\r", "")


def format_module(module: ast.Module) -> str:
    source = module.source
    statements = sorted(module.statements, key=lambda s: s.span.start)
    comments = sorted(module.comments, key=lambda c: c.span.start)
    inside: dict[int, list[ast.Comment]] = {i: [] for i in range(len(statements))}
    items: list[tuple[int, object]] = []  # (offset, statement index or comment)
    for comment in comments:
        owner = next((i for i, s in enumerate(statements)
                      if s.span.start < comment.span.start < s.span.end), None)
        if owner is not None:
            inside[owner].append(comment)
        else:
            items.append((comment.span.start, comment))
    items += [(s.span.start, i) for i, s in enumerate(statements)]
    items.sort(key=lambda item: item[0])

    out: list[str] = []
    previous_end: int | None = None
    last_printed: list[Line] | None = None
    for offset, item in items:
        if isinstance(item, ast.Comment):
            if (last_printed and previous_end is not None and not _own_line(source, item)
                    and last_printed[-1].comment is None and last_printed[-1].offset >= 0):
                last_printed[-1].comment = item.text.rstrip()
                out[-1] = _render(last_printed[-1])
                previous_end = item.span.end
                continue
            if previous_end is not None and _blank_between(source, previous_end, offset):
                out.append("")
            out.append(item.text.rstrip())
            previous_end, last_printed = item.span.end, None
            continue
        node = statements[item]
        inner = inside[item]
        lines = statement(node)
        if inner:
            # one clause (or item) a line, so each comment can stay by its text; but
            # a lone comment that would end the last line anyway keeps the compact
            # layout, as a second formatting would (the comment is then after the statement)
            exploded = _place_comments(statement(node, exploded=True), inner, source)
            if any(line.comment for line in exploded[:-1]) or any(line.offset < 0 for line in exploded):
                lines = exploded
            else:
                lines = _place_comments(lines, inner, source)
        if previous_end is not None and _blank_between(source, previous_end, offset):
            out.append("")
        out += [_render(line) for line in lines]
        previous_end, last_printed = node.span.end, lines
    return ("\n".join(out) + "\n") if out else ""


def _render(line: Line) -> str:
    return f"{line.text}  {line.comment}" if line.comment else line.text


def _shape(module: ast.Module) -> tuple:
    """What formatting must keep: statements, doc comments and comment texts."""
    return (module.statements, tuple(s.doc for s in module.statements),
            tuple(sorted(c.text.rstrip() for c in module.comments)))


def format_text(text: str, name: str = "<policy>") -> str:
    """The canonical form of one file's text; raises FormatError if it does not
    parse, or if the formatted text would not mean the same."""
    module, diagnostics = parse_module(Source(name, text))
    if diagnostics:
        raise FormatError(f"{name} does not parse", diagnostics)
    formatted = format_module(module)
    again, problems = parse_module(Source(name, formatted))
    if problems or _shape(again) != _shape(module):
        raise FormatError(f"formatting {name} would change its meaning; it is left as it is")
    return formatted
