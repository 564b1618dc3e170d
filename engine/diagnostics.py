"""Diagnostics: stable codes, severities, spans, and their rendering with carets.

Every problem the tools report about policy text is a :class:`Diagnostic`.
Codes are stable and never reused; ``CODES`` is the registry, and
``docs/language.md`` lists them with examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .source import Span


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


#: code -> short title. The title is what the code means, the message says
#: what happened in this instance.
CODES: dict[str, str] = {
    # files and libraries
    "E0001": "a policy file cannot be read",
    "E0002": "a policy path holds no `.law` files",
    "E0003": "`use` names an unknown library",
    # syntax
    "E0101": "a character that cannot start any token",
    "E0102": "a token where the grammar does not allow it",
    "E0103": "the file ends in the middle of a statement",
    "E0104": "a reserved word used as a name",
    "E0105": "an unterminated string",
    "E0106": "an escape other than `\\\"` or `\\\\` in a string",
    "E0107": "a name that is not lower-case",
    "E0108": "a test event that is not valid JSON",
    "E0109": "an integer too large",
    "E0110": "an expression nested too deeply",
    # names
    "E0201": "an undefined name",
    "E0202": "a name declared twice",
    "E0203": "a rule label used twice",
    "E0204": "the reserved label `consent_required`",
    "E0205": "a declared name that starts with an event field",
    "E0206": "more than one `policy` declaration",
    "E0207": "a name of the wrong kind",
    # hierarchies and bases
    "E0301": "a cycle in the category hierarchy",
    "E0302": "a cycle in the purpose hierarchy",
    "E0303": "a purpose with no basis",
    "E0304": "a purpose that inherits two different bases",
    "E0305": "a clause repeated in a purpose declaration",
    "E0306": "a region defined in terms of itself",
    # types
    "E0401": "operands of different types",
    "E0402": "a condition that is not true or false",
    "E0403": "a duration compared with a plain number",
    "E0404": "an unknown event field",
    "E0405": "a right-hand side of `in` that is not a region, purpose or set",
    "E0406": "`+` or `-` on values that are not regions or country sets",
    "E0407": "a set whose items are not literals of one type",
    "E0408": "a table lookup whose key is not a country",
    "E0409": "an ordering comparison of values that have no order",
    # countries and tables
    "E0501": "an unknown country code",
    "E0502": "a country listed twice in a table",
    # rules
    "E0601": "obligations on a `forbid`",
    # tests
    "E0701": "a test event with an unknown or malformed field",
    "E0702": "a test expecting an unknown rule label",
    "W0703": "two tests with the same name",
}


@dataclass(frozen=True)
class Note:
    """A secondary place shown with a diagnostic ("first declared here")."""

    message: str
    span: Span | None = None


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None
    help: str | None = None
    notes: tuple[Note, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.code not in CODES:  # a programming error, caught by the tests
            raise ValueError(f"unregistered diagnostic code {self.code}")

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self.code.startswith("W") else Severity.ERROR

    @property
    def file(self) -> str | None:
        return self.span.file if self.span else None

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    @property
    def hint(self) -> str | None:
        return self.help

    def sort_key(self) -> tuple:
        if self.span is None:
            return ("", 0, self.code, self.message)
        return (self.span.file, self.span.start, self.code, self.message)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.span.source.position(self.span.end)[0] if self.span else None,
            "end_column": self.span.source.position(self.span.end)[1] if self.span else None,
            "help": self.help,
            "notes": [
                {"message": n.message, "location": n.span.location if n.span else None}
                for n in self.notes
            ],
        }

    def render(self, color: bool = False) -> str:
        return render(self, color)

    def __str__(self) -> str:
        where = f"{self.span.location}: " if self.span else ""
        return f"{where}{self.severity.value}[{self.code}]: {self.message}"


_STYLE = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "blue": "\x1b[1;34m",
          "bold": "\x1b[1m", "reset": "\x1b[0m"}


def _snippet(span: Span, gutter: int, paint, mark: str) -> list[str]:
    line, column = span.source.position(span.start)
    end_line, end_column = span.source.position(span.end)
    text = span.source.line_text(line).expandtabs(1)
    width = (end_column - column) if end_line == line else len(text) - column + 1
    width = max(1, width)
    pad = " " * gutter
    return [
        f"{pad} {paint('blue', '|')}",
        f"{paint('blue', str(line).rjust(gutter))} {paint('blue', '|')} {text}",
        f"{pad} {paint('blue', '|')} {' ' * (column - 1)}{paint(mark, '^' * width)}",
    ]


def render(diagnostic: Diagnostic, color: bool = False) -> str:
    """Rust-style rendering: header, location, source line, caret, notes, help."""

    def paint(style: str, text: str) -> str:
        return f"{_STYLE[style]}{text}{_STYLE['reset']}" if color else text

    severity = diagnostic.severity.value
    lines = [paint(severity, f"{severity}[{diagnostic.code}]") + paint("bold", f": {diagnostic.message}")]
    spans = [diagnostic.span] + [n.span for n in diagnostic.notes]
    gutter = max((len(str(s.line)) for s in spans if s is not None), default=1)
    pad = " " * gutter
    if diagnostic.span is not None:
        lines.append(f"{pad}{paint('blue', '-->')} {diagnostic.span.location}")
        if diagnostic.span.source.text:
            lines.extend(_snippet(diagnostic.span, gutter, paint, severity))
    for note in diagnostic.notes:
        where = f" at {note.span.location}" if note.span else ""
        lines.append(f"{pad} {paint('blue', '=')} note: {note.message}{where}")
        if note.span is not None:
            lines.extend(_snippet(note.span, gutter, paint, "blue"))
    if diagnostic.help:
        lines.append(f"{pad} {paint('blue', '=')} help: {diagnostic.help}")
    return "\n".join(lines)


def render_all(diagnostics, color: bool = False, limit: int = 100) -> str:
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    parts = [render(d, color) for d in ordered[:limit]]
    if len(ordered) > limit:
        parts.append(f"... and {len(ordered) - limit} more")
    errors = sum(d.severity is Severity.ERROR for d in ordered)
    warnings = len(ordered) - errors
    summary = []
    if errors:
        summary.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        summary.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    if summary:
        parts.append(", ".join(summary))
    return "\n\n".join(parts)


def did_you_mean(name: str, candidates) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
