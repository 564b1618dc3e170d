"""JSON lines as the audit reads them, before any SQL: the rules of a valid event
that are about the JSON text itself (events.md rules 1–3 and 8; engine/event/).

    for number, text, problem in read_lines("logs/2026-11-01.jsonl"): ...

- lines are split on `\\n` only; one trailing `\\r` is stripped (a CRLF file has the
  same line numbers as an LF one); U+2028, U+2029 and U+0085 are characters;
- a line of JSON whitespace only is skipped (not an event), as `lawful eval` does;
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

from ..event.values import MAX_DEPTH, MAX_INTEGER, MAX_LINE_BYTES, json_path, json_problems, loads

MAX_LINE = MAX_LINE_BYTES  # bytes in a line (without its line break): longer is one invalid event
BLOCK = 8 * 1024 * 1024
WHITESPACE = b" \t\r\n"  # JSON's: a line of these only is blank (as `lawful eval` reads lines)
TOO_LONG = f"the line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB"


class _Invalid(Exception):
    """Raised by the fast decoder's hooks: the text breaks a rule (which one is
    said by engine.event.values, on the rare texts that raise)."""


def _object(pairs: list) -> dict:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _Invalid
    return value


def _integer(text: str) -> int:
    if len(text) > 17:  # beyond ±10^15 whatever the digits (and beyond int()'s limit)
        raise _Invalid
    value = int(text)
    if -MAX_INTEGER <= value <= MAX_INTEGER:
        return value
    raise _Invalid


def _float(text: str) -> float:
    value = float(text)
    if math.isfinite(value):
        return value
    raise _Invalid


def _constant(name: str):
    raise _Invalid


# detection only, in C but for the hooks: one call per object and per number
_FAST = json.JSONDecoder(object_pairs_hook=_object, parse_int=_integer, parse_float=_float, parse_constant=_constant)


def json_problem(text: str) -> str | None:
    """Why the JSON text cannot be a valid event's (not JSON, or rules 1–3 of
    events.md broken: engine.event.values.json_problems' first problem), or None."""
    try:
        value = _FAST.decode(text)
    except _Invalid:
        return _first_problem(text) or "a value that is not a plain JSON value"
    except RecursionError:
        return f"nested more than {MAX_DEPTH} levels deep"
    except ValueError as error:
        return f"not valid JSON: {error}"
    deep = text.count("{") + text.count("[") > MAX_DEPTH
    escaped = "\\u" in text  # a lone surrogate only comes from an escape (the text is valid UTF-8)
    return _first_problem(text, value) if deep or escaped else None


def _first_problem(text: str, value=None) -> str | None:
    try:
        problems = json_problems(loads(text) if value is None else value)
    except RecursionError:
        return f"nested more than {MAX_DEPTH} levels deep"
    except ValueError:  # an integer of thousands of digits
        return "an integer beyond ±10^15"
    if not problems:
        return None
    path, problem = problems[0]
    return f"`{json_path(path)}` {problem}" if path else f"the event {problem}"


def split_lines(blocks: Iterable[bytes], start: int = 0) -> Iterator[tuple[int, str, str | None]]:
    """(line number, text, problem) of each line that is not blank, from the bytes
    of a file in blocks, numbered from `start + 1`. `problem` is None, not-UTF-8,
    too long, or json_problem's."""
    number = start
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


#: What yyjson (DuckDB's JSON) accepts and Python's reader does not, or what
#: json_problem refuses in text yyjson reads: trailing commas, NaN and infinities
#: (any case), integers of 16 digits or more, exponents of 3 digits or more, and
#: whitespace before a colon (which would let a key escape the count of `":` in
#: engine.audit.unfitted_sql).
#: Matched anywhere in the line, strings included: a match only sends the line
#: to json_problem.
SCREEN = r",\s*[\]}]|[:,\[]\s*[+-]?(?i:nan|inf)|[0-9]{16}|[eE][+-]?[0-9]{3}|\s:"


def screened_batches(path: str, rows: int = 65_536, block: int = BLOCK):
    """The lines of a JSON-lines file as Arrow record batches (line_number, line,
    lawful_problem, screened), split by Arrow, not line by line in Python:

    - a block of whole lines that is valid UTF-8 and holds no line longer than
      MAX_LINE gives its lines unscreened (`screened` false, no problem yet): the
      SQL of engine.audit.lines_table leaves out the blank ones, and
      engine.audit.unfitted_sql finds which need json_problem; a final `\r` is
      stripped here;
    - any other block is read by split_lines (every line checked here, `screened`
      true), as is a line longer than a block, kept only by its head.

    Line numbers count every line, blank or not, as read_lines does."""
    import numpy
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = pa.schema([("line_number", pa.int64()), ("line", pa.large_string()),
                        ("lawful_problem", pa.string()), ("screened", pa.bool_())])

    def checked(rows_: list[tuple[int, str, str | None]]):
        return pa.RecordBatch.from_arrays([
            pa.array([r[0] for r in rows_], pa.int64()), pa.array([r[1] for r in rows_], pa.large_string()),
            pa.array([r[2] for r in rows_], pa.string()), pa.array([True] * len(rows_), pa.bool_())], schema=schema)

    def whole(data: bytes, start: int):
        """Batches of the complete lines in `data` (no final line break), the first
        numbered start + 1."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            lines = pc.list_flatten(pc.split_pattern(pa.array([text], pa.large_string()), "\n"))
            if len(lines) and pc.max(pc.binary_length(lines)).as_py() <= MAX_LINE:
                if pc.any(pc.ends_with(lines, "\r")).as_py():  # one `\r` stripped, as split_lines does
                    lines = pc.replace_substring_regex(lines, "\r$", "")
                numbers = pa.array(numpy.arange(start + 1, start + 1 + len(lines), dtype=numpy.int64))
                for offset in range(0, len(lines), rows):
                    part = lines.slice(offset, rows)
                    yield pa.RecordBatch.from_arrays([
                        numbers.slice(offset, rows), part,
                        pa.nulls(len(part), pa.string()), pa.repeat(False, len(part))], schema=schema)
                return
        found = list(split_lines([data], start))
        for offset in range(0, len(found), rows):
            yield checked(found[offset:offset + rows])

    def batches():
        number = 0  # lines before the pending data
        pending = b""
        skipping = b""  # the head of a line longer than MAX_LINE, until its end
        for chunk in file_blocks(path, block):
            if skipping:
                cut = chunk.find(b"\n")
                if cut < 0:
                    continue
                number += 1
                yield checked([(number, skipping[:200].decode("utf-8", "replace") + "…", TOO_LONG)])
                skipping, chunk = b"", chunk[cut + 1:]
            data = pending + chunk if pending else chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                pending = data
            else:
                yield from whole(data[:cut], number)
                number += data.count(b"\n", 0, cut) + 1
                pending = data[cut + 1:]
            if len(pending) > MAX_LINE + 1:
                skipping, pending = pending[:200], b""
        if skipping:
            yield checked([(number + 1, skipping[:200].decode("utf-8", "replace") + "…", TOO_LONG)])
        elif pending:
            found = list(split_lines([pending], number))
            if found:
                yield checked(found)

    return pa.RecordBatchReader.from_batches(schema, batches())


__all__ = ["MAX_LINE", "SCREEN", "json_problem", "read_lines", "screened_batches", "split_lines"]
