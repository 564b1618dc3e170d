"""What may come at the cursor, from the words before it: after `on`, categories;
after `permit`, purposes; after `with`, obligations; after `to`, regions and
countries; after `basis`, the bases; after `use`, the libraries; after `by` (in a
test's `expect deny by`), rule labels. A list of names separated by commas keeps
the context of the word that began it (`on contact, pay…`). None: anything (an
expression, the start of a statement)."""

from __future__ import annotations

import re

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|[A-Za-z_][A-Za-z0-9_.]*|[0-9]+|==|!=|<=|>=|\S')
_STATEMENTS = ("category", "purpose", "fact", "recipient", "region", "table", "obligation", "controller",
               "client", "rule", "test", "policy", "use")

#: the kinds of name each word is followed by
_AFTER: dict[str, frozenset[str]] = {
    "on": frozenset({"category"}), "residency": frozenset({"category"}), "retain": frozenset({"category"}),
    "permit": frozenset({"purpose"}), "forbid": frozenset({"purpose"}), "with": frozenset({"obligation"}),
    "oblige": frozenset({"obligation"}), "to": frozenset({"region", "country"}),
    "basis": frozenset({"basis"}), "use": frozenset({"library"}), "by": frozenset({"rule"}),
    "of": frozenset({"client"}),
}


def context(before: str) -> frozenset[str] | None:
    """The kinds of name expected after `before` (the text up to the word being typed)."""
    window = before[-2000:]
    if len(before) > 2000:  # from a line's start: not inside a string or a comment
        window = window[window.find("\n") + 1:]
    tokens = [token for token in _TOKEN.findall(window) if not token.startswith("#")]
    braces = 0
    index = len(tokens) - 1
    while index >= 0:  # back over a list of names
        token = tokens[index]
        if token == "{":
            if braces == 0:
                return frozenset({"region", "country"}) if _region_set(tokens, index) else None
            braces -= 1
        elif token == "}":
            braces += 1
        elif token in (",", "*") or (token[:1].isalpha() and token not in _AFTER and token not in _KEYWORDS
                                     and index < len(tokens) - 1 and tokens[index + 1] == ","):
            pass
        else:
            break
        index -= 1
    if index < 0:
        return None
    word = tokens[index]
    if word == "in":
        before_in = tokens[index - 1] if index > 0 else ""
        if before_in == "purpose" or (before_in == "not" and index > 1 and tokens[index - 2] == "purpose"):
            return frozenset({"purpose"})
        return frozenset({"region", "country"})
    if word == "for":  # `require … for P`, `oblige X for P`, `recipient … for P`; `retain C for` a duration
        for earlier in reversed(tokens[:index]):
            if earlier == "retain":
                return frozenset()
            if earlier in ("require", "oblige", "recipient", "consent"):
                return frozenset({"purpose"})
        return None
    if word == "is":
        start = _statement(tokens[:index])
        if start in ("category", "purpose"):
            return frozenset({start})
        return None
    return _AFTER.get(word)


_KEYWORDS = frozenset(_AFTER) | {"in", "for", "is", "when", "unless", "and", "or", "not", "because", "cite",
                                  "expect", "allow", "deny", "event", "has", "holds"}


def _statement(tokens: list[str]) -> str | None:
    for token in reversed(tokens):
        if token in _STATEMENTS or token in ("permit", "forbid", "require", "residency", "retain"):
            return token
    return None


def _region_set(tokens: list[str], brace: int) -> bool:
    """Whether the `{` at `brace` opens a set of countries (a region, `to`, `in`),
    not a table's entries or a test's event."""
    previous = tokens[brace - 1] if brace > 0 else ""
    return previous in ("=", "+", "-", "to", "in")
