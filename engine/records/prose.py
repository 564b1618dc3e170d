"""A small document model for the DPO's prose documents, written out as Markdown
or as one self-contained HTML file, with every statement's source as a note.

A renderer builds a `Document` (sections of paragraphs and bullet lists, whose
text mixes our own wording, policy strings and `Ref`s to where a statement is
declared) and calls `markdown` or `html`. Both writers number the sources in the
order they are first cited, the same source keeping its number, so the two
outputs cite alike: Markdown footnotes (`[^3]`, `[^3]: rules/x.law:12`) and HTML
superscript links to an anchored list (`<sup><a href="#src-3">3</a></sup>`,
`id="src-3"`).

Every string is escaped for its format, policy strings and our own alike:
Markdown punctuation with a backslash (CommonMark allows it before any ASCII
punctuation), HTML with `html.escape`. Policy strings are isolated with `<bdi>`
in HTML, so right-to-left text does not reorder the sentence around it.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass, field
from typing import Union

from engine.records.model import Source


@dataclass(frozen=True)
class Value:
    """A string from the policy (a label, a contact, a reason), shown as written."""

    text: str


@dataclass(frozen=True)
class Strong:
    """Emphasised text: the name a bullet is about."""

    parts: tuple[Inline, ...]


@dataclass(frozen=True)
class Ref:
    """A note citing where the statement before it is declared; None cites nothing."""

    source: Source | None


Inline = Union[str, Value, Strong, Ref]


@dataclass(frozen=True)
class Item:
    """A bullet, with bullets nested under it."""

    parts: tuple[Inline, ...]
    children: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Para:
    """A paragraph; `note` makes it a call-out (a blockquote in Markdown)."""

    parts: tuple[Inline, ...]
    note: bool = False


@dataclass(frozen=True)
class Bullets:
    items: tuple[Item, ...]


Block = Union[Para, Bullets]


@dataclass(frozen=True)
class Section:
    """A titled part of the document; `id` is its HTML anchor."""

    id: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    title: str
    lead: tuple[Block, ...]
    sections: tuple[Section, ...]
    sources_title: str = "Sources"
    sources_lead: str = "Each note gives the file and line of the policy declaration a statement comes from."


@dataclass
class _Notes:
    """Sources numbered from 1 in the order they are first cited."""

    numbers: dict[tuple[str, int], int] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)

    def number(self, source: Source) -> int:
        key = (source.file, source.line)
        if key not in self.numbers:
            self.sources.append(source)
            self.numbers[key] = len(self.sources)
        return self.numbers[key]


def _one_line(text: str) -> str:
    """Policy strings hold no line break; should one come, it must not start a block."""
    return re.sub(r"[\r\n\u2028\u2029]+", " ", text)


# ---- Markdown ------------------------------------------------------------------------------------

_MD_ALWAYS = re.compile(r"([\\`*_\[\]<>&|~!])")
_MD_BLOCK_START = re.compile(r"^([#+\-=]|\d+(?=[.)]))")


def md_escape(text: str) -> str:
    """Text that Markdown shows literally inside a line: its inline punctuation
    backslash-escaped."""
    return _MD_ALWAYS.sub(r"\\\1", _one_line(text))


def _md_line(text: str) -> str:
    """A line whose start cannot open a block: no indentation (a code block), and a
    leading `#`, `+`, `-`, `=` or `1.` escaped (a heading, a list)."""
    return _MD_BLOCK_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1),
                               text.lstrip(), count=1)


def _md_inline(parts: tuple[Inline, ...], notes: _Notes) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(md_escape(part))
        elif isinstance(part, Value):
            out.append(md_escape(part.text))
        elif isinstance(part, Strong):
            inner = _md_inline(part.parts, notes).strip()
            out.append(f"**{inner}**" if inner else "")
        elif part.source is not None:
            out.append(f"[^{notes.number(part.source)}]")
    return "".join(out)


def _md_items(items: tuple[Item, ...], notes: _Notes, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for item in items:
        lines.append("  " * depth + "- " + _md_line(_md_inline(item.parts, notes)))
        lines += _md_items(item.children, notes, depth + 1)
    return lines


def _md_block(block: Block, notes: _Notes) -> str:
    if isinstance(block, Bullets):
        return "\n".join(_md_items(block.items, notes))
    text = _md_line(_md_inline(block.parts, notes))
    return "> " + text if block.note else text


def markdown(doc: Document) -> str:
    """The document as CommonMark with footnotes (as GitHub and markdown-it render them)."""
    notes = _Notes()
    chunks = ["# " + _md_line(md_escape(doc.title))] + [_md_block(b, notes) for b in doc.lead]
    for section in doc.sections:
        chunks.append("## " + _md_line(md_escape(section.title)))
        chunks += [_md_block(b, notes) for b in section.blocks]
    chunks += ["## " + _md_line(md_escape(doc.sources_title)), _md_line(md_escape(doc.sources_lead))]
    chunks += [f"[^{n}]: {md_escape(source.file)}:{source.line}" for n, source in enumerate(notes.sources, 1)]
    return "\n\n".join(chunks) + "\n"


# ---- HTML ----------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24;
       background: #fff; margin: 0; }
main { max-width: 46rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; overflow-wrap: anywhere; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 1rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; padding-top: .6rem; border-top: 1px solid #d8dee4; }
ul { padding-left: 1.3rem; }
li { margin: .25rem 0; }
.note { border-left: 4px solid #bf8700; background: #fff8c5; padding: .6rem .9rem; margin: 1rem 0; }
sup { line-height: 0; }
sup a { text-decoration: none; color: #0969da; padding: 0 .1em; }
sup a:hover, sup a:focus { text-decoration: underline; }
ol.sources { font-size: .9rem; }
ol.sources li:target { background: #fff8c5; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
@media print { sup a { color: inherit; } .note { background: none; } }
""".strip()


def _esc(text: str) -> str:
    return _html.escape(_one_line(text), quote=True)


def _html_inline(parts: tuple[Inline, ...], notes: _Notes) -> str:
    out: list[str] = []
    after_ref = False  # adjacent notes are separated by a comma: "1,2", not "12"
    for part in parts:
        if isinstance(part, Ref):
            if part.source is not None:
                n = notes.number(part.source)
                out.append(("<sup>,</sup>" if after_ref else "") + f'<sup><a href="#src-{n}">{n}</a></sup>')
                after_ref = True
            continue
        after_ref = False
        if isinstance(part, str):
            out.append(_esc(part))
        elif isinstance(part, Value):
            out.append(f"<bdi>{_esc(part.text)}</bdi>")
        else:
            out.append(f"<strong>{_html_inline(part.parts, notes)}</strong>")
    return "".join(out)


def _html_items(items: tuple[Item, ...], notes: _Notes) -> str:
    out = ["<ul>"]
    for item in items:
        children = _html_items(item.children, notes) if item.children else ""
        out.append(f"<li>{_html_inline(item.parts, notes)}{children}</li>")
    out.append("</ul>")
    return "".join(out)


def _html_block(block: Block, notes: _Notes) -> str:
    if isinstance(block, Bullets):
        return _html_items(block.items, notes)
    opening = '<p class="note">' if block.note else "<p>"
    return f"{opening}{_html_inline(block.parts, notes)}</p>"


def html(doc: Document, lang: str = "en") -> str:
    """The document as one HTML file with its CSS inline and no external resource."""
    notes = _Notes()
    body = [f"<h1>{_esc(doc.title)}</h1>"] + [_html_block(b, notes) for b in doc.lead]
    for section in doc.sections:
        body.append(f'<section id="{_esc(section.id)}"><h2>{_esc(section.title)}</h2>')
        body += [_html_block(b, notes) for b in section.blocks]
        body.append("</section>")
    body.append(f'<section id="sources"><h2>{_esc(doc.sources_title)}</h2><p>{_esc(doc.sources_lead)}</p>'
                '<ol class="sources">')
    body += [f'<li id="src-{n}"><code>{_esc(source.file)}:{source.line}</code></li>'
             for n, source in enumerate(notes.sources, 1)]
    body.append("</ol></section>")
    return ("<!DOCTYPE html>\n"
            f'<html lang="{_esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_esc(doc.title)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")
