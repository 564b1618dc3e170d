"""The Art. 30 record as one self-contained HTML page: `lawful ropa --format html`.

Inline CSS, no script, no external URL: the file can be mailed, archived or
printed (A4 landscape) as it is. Every policy string is escaped and isolated in
a `<bdi>`, so right-to-left text cannot reorder what surrounds it. A data map
(an SVG from Graphviz) is embedded inline when given."""

from __future__ import annotations

import re
from html import escape
from xml.etree import ElementTree

from ..model import Record
from .content import Cell, Table, policy_table, sections
from .markdown import TITLE

_STYLE = """
@page { size: A4 landscape; margin: 12mm; }
body { font: 10.5pt/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
       color: #1a1a1a; margin: 2em auto; max-width: 1400px; padding: 0 1.5em; }
h1 { font-size: 1.6em; margin-bottom: .3em; }
h2 { font-size: 1.3em; border-bottom: 2px solid #2f5597; padding-bottom: .2em; margin-top: 2em; }
h3 { font-size: 1.1em; margin-top: 1.5em; }
h4 { font-size: 1em; margin: 1.2em 0 .4em; }
p.intro { color: #444; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1em; table-layout: auto; }
th, td { border: 1px solid #b7c3d7; padding: .3em .5em; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
thead th { background: #dbe4f3; }
table.card th { width: 22%; background: #eef2f9; font-weight: 600; }
tr { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
td ul { margin: 0; padding-left: 1.1em; }
.src { color: #666; font: .85em ui-monospace, "DejaVu Sans Mono", monospace; }
.none { color: #888; }
figure { margin: 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
@media print { body { margin: 0; max-width: none; padding: 0; } h2 { break-before: auto; }
               h3, h4 { break-after: avoid; } }
"""


def html(record: Record, map_svg: str | None = None) -> str:
    """The record as an HTML document; `map_svg` (an SVG document from Graphviz)
    is shown inline in a "Data map" section. Raises ValueError when `map_svg` is
    not an SVG document or holds a script."""
    title = TITLE + (f": {record.policy}" if record.policy else "")
    out = ["<!DOCTYPE html>", '<html lang="en" dir="ltr">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
           f"<h1>{escape(TITLE)}</h1>"]
    out += _table(policy_table(record))
    for number, section in enumerate(sections(record), 1):
        out += [f'<section id="s{number}">', f"<h2>{escape(section.title)}</h2>",
                f'<p class="intro">{escape(section.intro)}</p>']
        for table in section.tables:
            out += [f"<h3>{escape(table.title)}</h3>", f'<p class="intro">{escape(table.intro)}</p>']
            out += _cards(table) if table.cards else _table(table)
        out.append("</section>")
    if map_svg is not None:
        out += ['<section id="data-map">', "<h2>Data map</h2>",
                '<p class="intro">Where personal data flows: purposes, categories and recipients.</p>',
                "<figure>", inline_svg(map_svg), "</figure>", "</section>"]
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def _cards(table: Table) -> list[str]:
    if not table.rows:
        return [f'<p class="none">{escape(table.empty)}</p>']
    out: list[str] = []
    for row in table.rows:
        out += [f"<h4>{_cell(row[0])}</h4>", '<table class="card">', "<tbody>"]
        out += [f'<tr><th scope="row">{escape(column.header)}</th><td>{_cell(cell)}</td></tr>'
                for column, cell in zip(table.columns[1:], row[1:])]
        out += ["</tbody>", "</table>"]
    return out


def _table(table: Table) -> list[str]:
    if not table.rows:
        return [f'<p class="none">{escape(table.empty)}</p>']
    out = ["<table>", "<thead><tr>" + "".join(f'<th scope="col">{escape(c.header)}</th>'
                                             for c in table.columns) + "</tr></thead>", "<tbody>"]
    out += ["<tr>" + "".join(f"<td>{_cell(cell)}</td>" for cell in row) + "</tr>" for row in table.rows]
    return out + ["</tbody>", "</table>"]


def _cell(cell: Cell) -> str:
    """A cell's statements, one a line, each with its source."""
    if not cell:
        return '<span class="none">—</span>'
    return "<br>".join(f"<bdi>{escape(item.text)}</bdi>"
                       + (f' <span class="src">{_breakable(str(item.source))}</span>' if item.source else "")
                       for item in cell)


def _breakable(path: str) -> str:
    """A `file:line`, escaped, that may wrap after each `/` (and no elsewhere),
    so a narrow column neither overflows nor splits words of its text."""
    return "/<wbr>".join(escape(part) for part in path.split("/"))


_SVG = "{http://www.w3.org/2000/svg}svg"
_PROLOGUE = re.compile(r"\A\s*(?:<\?xml[^>]*\?>\s*|<!DOCTYPE[^>\[]*(?:\[[^\]]*\])?\s*>\s*|<!--.*?-->\s*)*", re.S)


def inline_svg(document: str) -> str:
    """An SVG document as markup to embed in HTML: without its XML declaration,
    DOCTYPE and leading comments. It must be one well-formed `<svg>` element with
    no script, event-handler attribute or javascript: link (ValueError otherwise)."""
    body = _PROLOGUE.sub("", document, count=1).strip()
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise ValueError(f"the data map is not a well-formed SVG document: {error}") from None
    if root.tag != _SVG:
        raise ValueError(f"the data map is not an SVG document (its root is {root.tag})")
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1].lower() in ("script", "foreignobject"):
            raise ValueError("the data map holds a script or foreign content")
        for name, value in element.attrib.items():
            if name.rsplit("}", 1)[-1].lower().startswith("on"):
                raise ValueError("the data map holds an event-handler attribute")
            if value.strip().lower().startswith("javascript:"):
                raise ValueError("the data map holds a javascript: link")
    return body
