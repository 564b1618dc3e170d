"""JSON lines as the audit reads them, before any SQL: the rules of a valid event
that are about the JSON text itself (docs/events.md rules 1–3 and 8).

    for number, text, problem in read_lines("logs/2026-11-01.jsonl"): ...

- lines are split on `\\n` only; one trailing `\\r` is stripped (a CRLF file has the
  same line numbers as an LF one); U+2028, U+2029 and U+0085 are characters;
- a line of ASCII whitespace only is skipped (not an event);
- a line that is not valid UTF-8, or longer than MAX_LINE bytes, is one invalid
  event (its text is kept, lossily, for the report): it never stops the reader;
- `json_problem` finds what DuckDB's and Spark's JSON readers accept silently:
  duplicate keys (at any depth), NaN and ±Infinity, integers beyond ±10^15,
  floats that overflow to infinity, lone surrogates, nesting deeper than 64.

The cost is linear: the file is read once in blocks, each line parsed once by
Python's C JSON scanner (the hooks run per object and per number).
"""

from __future__ import annotations

import json
import math
from typing import Iterable, Iterator

MAX_LINE = 16 * 1024 * 1024  # bytes in a line (without its line break): longer is one invalid event
MAX_DEPTH = 64  # containers, the event object being level 1
MAX_INT = 10 ** 15
BLOCK = 8 * 1024 * 1024
WHITESPACE = b" \t\r\n\x0b\x0c"
TOO_LONG = f"the line is too long (more than {MAX_LINE:,} bytes)"


class _Invalid(Exception):
    """A JSON text that parses but breaks a rule of events.md."""


def _object(pairs: list) -> dict:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set = set()
        for key, _ in pairs:
            if key in seen:
                raise _Invalid(f"a duplicate key {json.dumps(key)}")
            seen.add(key)
    return value


def _integer(text: str) -> int:
    try:
        value = int(text)
    except ValueError:  # more digits than Python converts: far out of range
        value = MAX_INT + 1
    if -MAX_INT <= value <= MAX_INT:
        return value
    raise _Invalid(f"the integer {text[:40]}{'…' if len(text) > 40 else ''} is beyond ±10^15")


def _float(text: str) -> float:
    value = float(text)
    if math.isfinite(value):
        return value
    raise _Invalid(f"the number {text[:40]}{'…' if len(text) > 40 else ''} is not finite")


def _constant(name: str):
    raise _Invalid(f"`{name}` is not a JSON value")


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_int=_integer, parse_float=_float,
                            parse_constant=_constant)


def _walk(value, surrogates: bool) -> str | None:
    """Depth beyond MAX_DEPTH, or (with `surrogates`) a string or key that is not
    valid Unicode, in a parsed value (iteratively: no recursion limit)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return f"nested too deeply (more than {MAX_DEPTH} levels)"
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
            if surrogates and isinstance(item, dict):
                stack.extend((key, depth) for key in item)
        elif surrogates and isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "a string with a lone surrogate (not valid Unicode)"
    return None


def json_problem(text: str) -> str | None:
    """Why the JSON text cannot be a valid event's text (not JSON, or a rule of
    events.md 1–3 broken), or None."""
    try:
        value = _DECODER.decode(text)
    except _Invalid as error:
        return str(error)
    except RecursionError:
        return f"nested too deeply (more than {MAX_DEPTH} levels)"
    except ValueError as error:
        return f"not valid JSON: {error}"
    deep = text.count("{") + text.count("[") > MAX_DEPTH
    escaped = "\\u" in text  # a lone surrogate can only come from an escape (the text is valid UTF-8)
    return _walk(value, escaped) if deep or escaped else None


def split_lines(blocks: Iterable[bytes]) -> Iterator[tuple[int, str, str | None]]:
    """(line number, text, problem) of each line that is not blank, from the bytes
    of a file in blocks. `problem` is None, not-UTF-8, too long, or json_problem's."""
    number = 0
    pending: list[bytes] = []  # the start of the current line, from earlier blocks
    pending_size = 0
    head = b""  # the first bytes of a line found too long (for the report)

    def finish(raw: bytes) -> tuple[int, str, str | None] | None:
        if head or len(raw) > MAX_LINE + raw.endswith(b"\r"):
            return number, (head or raw)[:200].decode("utf-8", "replace") + "…", TOO_LONG
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw.strip(WHITESPACE):
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            return number, raw.decode("utf-8", "replace"), f"not valid UTF-8 (byte {error.start + 1} of the line)"
        return number, text, json_problem(text)

    def add(tail: bytes) -> None:
        nonlocal pending_size, head
        if head:
            return
        pending.append(tail)
        pending_size += len(tail)
        if pending_size > MAX_LINE + 1:  # + 1: a `\r` that would be stripped
            head = b"".join(pending)[:200]
            pending.clear()

    for block in blocks:
        pieces = block.split(b"\n")
        for piece in pieces[:-1]:
            number += 1
            if pending or head:
                add(piece)
                piece = b"".join(pending)
                pending.clear()
                pending_size = 0
            done = finish(piece)
            head = b""
            if done is not None:
                yield done
        if pieces[-1]:
            add(pieces[-1])
    if pending or head:
        number += 1
        done = finish(b"".join(pending))
        if done is not None:
            yield done


def file_blocks(path: str, size: int = BLOCK) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while block := handle.read(size):
            yield block


def read_lines(path: str) -> Iterator[tuple[int, str, str | None]]:
    """split_lines over a local file."""
    return split_lines(file_blocks(path))


__all__ = ["MAX_DEPTH", "MAX_INT", "MAX_LINE", "json_problem", "read_lines", "split_lines"]
