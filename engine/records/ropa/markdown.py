"""The Art. 30 record as Markdown (GitHub-flavoured tables): `lawful ropa --format md`.

Every policy string is escaped, so a label can neither break a table (`|`) nor
become markup (`*`, `<script>`, links); each statement is followed by its
source as a code span, `file:line`."""

from __future__ import annotations

import re

from ..model import Record, Source
from .content import Cell, Item, Table, sections, policy_table

TITLE = "Record of processing activities (GDPR Art. 30)"

# what makes inline markup (emphasis, code, links, strikethrough), `#` (which
# may close a heading) and `|` (a table's column separator)
_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def markdown(record: Record) -> str:
    """The record as a Markdown document."""
    lines = [f"# {TITLE}", ""]
    lines += _table(policy_table(record))
    for section in sections(record):
        lines += [f"## {section.title}", "", section.intro, ""]
        for table in section.tables:
            lines += [f"### {table.title}", "", table.intro, ""]
            lines += _cards(table) if table.cards else _table(table)
    return "\n".join(lines).rstrip("\n") + "\n"


def _cards(table: Table) -> list[str]:
    """Each row as its own item/content table, headed by its first cell."""
    if not table.rows:
        return [table.empty, ""]
    lines: list[str] = []
    for row in table.rows:
        lines += [f"#### {_cell(row[0])}", "", "| Item | Content |", "| --- | --- |"]
        lines += [f"| {escape(column.header)} | {_cell(cell) or '—'} |"
                  for column, cell in zip(table.columns[1:], row[1:])]
        lines.append("")
    return lines


def _table(table: Table) -> list[str]:
    if not table.rows:
        return [table.empty, ""]
    lines = ["| " + " | ".join(escape(c.header) for c in table.columns) + " |",
             "|" + " --- |" * len(table.columns)]
    lines += ["| " + " | ".join(_cell(cell) or "—" for cell in row) + " |" for row in table.rows]
    return lines + [""]


def _cell(cell: Cell) -> str:
    return "<br>".join(_item(item) for item in cell)


def _item(item: Item) -> str:
    return escape(item.text) + (f" ({_code(item.source)})" if item.source else "")


def _code(source: Source) -> str:
    """`file:line` as a code span, fenced by more backticks than it holds. A `|`
    is escaped even there: GitHub splits table cells before it reads code spans."""
    text = str(source).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape(text: str) -> str:
    """A policy string as literal Markdown text: its markup characters
    backslash-escaped, `<`, `>` and `&` as entities."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)
