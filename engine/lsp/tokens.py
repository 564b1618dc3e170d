"""Semantic tokens: the project's Pygments lexer (`engine.tools.highlight`, the
REPL's highlighting) for keywords, strings, numbers, comments and operators, and
the index for names: what each name is (a category, a region, a rule…) and
whether this is its declaration or a name from a library."""

from __future__ import annotations

import bisect
from typing import Callable, Iterator

from pygments.token import Comment, Keyword, Name, Number, Operator, String

from .analysis import Analysis

#: the semantic token type of each kind of name in the index
_NAME_TYPES = {"category": "type", "purpose": "type", "region": "namespace", "table": "variable",
               "obligation": "event", "recipient": "variable", "controller": "variable", "client": "variable",
               "fact": "property", "field": "property", "rule": "function", "library": "namespace"}


def tokens(text: str, analysis: Analysis, path: str,
           units: Callable[[str], int]) -> Iterator[tuple[int, int, int, str, tuple[str, ...]]]:
    """(line, start, length, type, modifiers) of each token, in order; positions in the
    client's units (`units` counts them in a piece of text)."""
    from ..tools.highlight import LawfulLexer

    text = text.replace("\r\n", "\n")  # as the analysis read it: the same offsets, the same lines
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    occurrences = {o.span.start: o for o in analysis.index.by_file.get(path, [])}
    files = set(analysis.files)
    for offset, kind, value in LawfulLexer().get_tokens_unprocessed(text):
        token = _type(kind)
        if token is None or not value.strip():
            continue
        modifiers: tuple[str, ...] = ()
        if token == "variable":
            occurrence = occurrences.get(offset)
            if occurrence is not None:
                token = _NAME_TYPES.get(occurrence.kind, "variable")
                declared = analysis.index.declaration(occurrence)
                if occurrence.declaration:
                    modifiers = ("declaration",)
                elif declared is not None and declared.file not in files:
                    modifiers = ("defaultLibrary",)
        elif kind in String.Doc:
            modifiers = ("documentation",)
        line = bisect.bisect_right(starts, offset) - 1
        column = offset - starts[line]
        line_text = text[starts[line]:starts[line + 1] - 1 if line + 1 < len(starts) else len(text)]
        value = value.rstrip("\n")
        yield line, units(line_text[:column]), units(value), token, modifiers


def _type(kind) -> str | None:
    if kind in String.Doc or kind in Comment:
        return "comment"
    if kind in String:
        return "string"
    if kind in Number:
        return "number"
    if kind in Keyword.Constant:
        return "keyword"
    if kind in Keyword:
        return "keyword"
    if kind in Name.Constant:
        return "enumMember"
    if kind in Name.Builtin:
        return "property"
    if kind in Name:
        return "variable"
    if kind in Operator:
        return "operator"
    return None
