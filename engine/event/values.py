"""What a valid event is (spec section 6), in one place.

Every path that decides events reads them through this module: the reference
evaluator (`reference.validate`), the compiled fast path (which vouches only
for what these rules accept), `lawful eval` and `Policy.evaluate_lines` (JSON
text), and the JSON Schema printed by `lawful schema event`. The audit's SQL
applies the same rules; its tests compare it with the reference.

- JSON values only: no NaN or infinity, integers within ±10^15, strings without
  lone surrogates, arrays as lists (not tuples or sets), string keys, no key
  twice in one object (JSON text), nesting at most `MAX_DEPTH` deep;
- `null` is absent for every optional field;
- timestamps follow one grammar (RFC 3339 date-times, `TIMESTAMP_PATTERN`),
  with every part in range and the instant representable in UTC.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Iterable, Iterator

MAX_INTEGER = 10**15
MAX_DEPTH = 64  # containers, the event object being the first
MAX_LINE_BYTES = 16 * 1024 * 1024
_JSON_SPACE = " \t\r\n"

def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def kind_of(value: Any) -> str:
    """A value's JSON kind, in the words of the messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return f"a Python {type(value).__name__}"


def is_text(value: str) -> bool:
    """A string of valid Unicode: no lone surrogate (which JSON text can carry)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """Text safe to print and to encode as UTF-8: a lone surrogate from the input
    is shown as its escape (`\\ud800`) in messages."""
    return text if is_text(text) else text.encode("utf-8", "backslashreplace").decode("utf-8")


class DuplicateKeys(dict):
    """An object of JSON text in which a key appeared more than once (the last
    value kept, as Python's json does); `duplicates` names them. Never valid."""

    duplicates: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    twice = []
    for key, _ in pairs:
        if key in seen and key not in twice:
            twice.append(key)
        seen.add(key)
    marked = DuplicateKeys(result)
    marked.duplicates = tuple(twice)
    return marked


_decoder = json.JSONDecoder(object_pairs_hook=_pairs)


def loads(text: str) -> Any:
    """JSON text to Python values, keeping what makes an event invalid visible:
    NaN and infinities stay floats, duplicate keys give a `DuplicateKeys`.
    Raises ValueError (not JSON) or RecursionError (nested too deeply)."""
    return _decoder.decode(text)


def json_error(error: BaseException, one_line: bool = False) -> str:
    """Why text `loads` refused is not JSON, in words: where, for a syntax error
    (only the column when the text is one line of JSON lines)."""
    if isinstance(error, RecursionError):
        return "it is nested too deeply to read"
    if isinstance(error, json.JSONDecodeError):
        where = f"column {error.colno}" if one_line else f"line {error.lineno}, column {error.colno}"
        return f"{error.msg} ({where})"
    return str(error)


def json_problems(data: Any, depth: int = 1) -> list[tuple[tuple, str]]:
    """(path, problem) for every value that is not a plain JSON value: the rules
    of this module's docstring. `depth` is the nesting level of `data` in its
    event (a field of the event is at level 2). Iterative: depth costs no recursion."""
    problems: list[tuple[tuple, str]] = []
    stack: list[tuple[Any, tuple, int]] = [(data, (), depth)]
    while stack:
        value, path, depth = stack.pop()
        kind = type(value)
        if kind is str:
            if not is_text(value):
                problems.append((path, "is a string with a lone surrogate (not valid Unicode)"))
        elif kind is bool or value is None:
            continue
        elif kind is int:
            if not -MAX_INTEGER <= value <= MAX_INTEGER:
                problems.append((path, "is an integer beyond ±10^15"))
        elif kind is float:
            if not math.isfinite(value):
                problems.append((path, f"is {value!r}, which JSON has no number for"))
        elif kind is list or isinstance(value, Mapping):
            if depth > MAX_DEPTH:
                problems.append((path, f"is nested more than {MAX_DEPTH} levels deep"))
                continue
            if kind is list:  # pushed last first, so that they are visited in reading order
                stack.extend((value[index], (*path, index), depth + 1) for index in range(len(value) - 1, -1, -1))
                continue
            for key in getattr(value, "duplicates", ()):
                problems.append(((*path, key), "appears more than once in its object"))
            members = []
            for key, item in value.items():
                if type(key) is not str:
                    problems.append((path, f"has a key that is not a string: {_key(key)}"))
                elif not is_text(key):
                    problems.append((path, "has a key with a lone surrogate (not valid Unicode)"))
                else:
                    members.append((item, (*path, key), depth + 1))
            stack.extend(reversed(members))
        elif isinstance(value, (tuple, set, frozenset)):
            problems.append((path, f"is a Python {kind.__name__}: use a list"))
        else:
            problems.append((path, f"is {kind_of(value)}, not a JSON value"))
    return problems


def flat_json(mapping: dict) -> bool:
    """True when every value of the mapping is a valid JSON scalar under a valid
    key (the usual `context`): the fast path's shortcut past `json_problems`.
    False says only "look closer"."""
    for key, value in mapping.items():
        if type(key) is not str or not (key.isascii() or is_text(key)):
            return False
        kind = type(value)
        if kind is str:
            if not (value.isascii() or is_text(value)):
                return False
        elif kind is int:
            if not -MAX_INTEGER <= value <= MAX_INTEGER:
                return False
        elif kind is float:
            if value - value != 0.0:  # NaN and the infinities
                return False
        elif kind is not bool and value is not None:
            return False
    return True


def _key(key: Any) -> str:
    try:
        return repr(key)[:40]
    except Exception:  # a hostile __repr__
        return type(key).__name__


def json_path(path: Iterable) -> str:
    """`subject.consents[0].purpose`"""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def split_lines(chunks: Iterable[bytes | str], start: int = 0) -> Iterator[tuple[int, str | None, str | None]]:
    """JSON lines, split on `\\n` only (a `\\r\\n` ending counts as one break;
    U+2028, U+2029 and U+0085 are characters like any other): (line number,
    text or None, problem or None) for each line that is not blank. Bytes are
    decoded as UTF-8 line by line: a line that is not UTF-8 or is longer than
    `MAX_LINE_BYTES` is a problem for that line only. Lines are numbered from
    `start + 1` (a stream read in pieces goes on counting)."""
    number = start
    for chunk in chunks:
        number += 1
        if isinstance(chunk, bytes):
            if len(chunk) > MAX_LINE_BYTES:
                yield number, None, f"line {number} is longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB"
                continue
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError as error:
                yield number, None, f"line {number} is not UTF-8 (byte {error.start + 1} of the line)"
                continue
        else:
            text = chunk
            if len(text) > MAX_LINE_BYTES:
                yield number, None, f"line {number} is longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB"
                continue
        if text.endswith("\n"):
            text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
        if "\n" in text:  # an iterable of strings that are not lines: split them
            for offset, part in enumerate(text.split("\n")):
                part = part.removesuffix("\r")
                if part.strip(_JSON_SPACE):
                    yield number + offset, part, None
            number += text.count("\n")
            continue
        if text.strip(_JSON_SPACE):
            yield number, text, None
