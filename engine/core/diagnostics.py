"""Diagnostics: stable codes, severities, spans, and their rendering with carets.

Every problem the tools report about policy text is a :class:`Diagnostic`.
Codes are stable and never reused; ``REGISTRY`` is the one table of them (title and fix), and
``docs/language.md`` lists them with examples.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum

from .source import Span


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Code:
    """One entry of the registry: what the code means (its title; the message
    says what happened in each instance) and how to fix it (SARIF `help`,
    docs/diagnostics.md)."""

    title: str
    fix: str


#: The registry of diagnostic codes, each with its title and its fix, in one table
#: (stable, never reused; `tests/diagnostics/` has a golden example of each).
REGISTRY: dict[str, Code] = {
    # files and libraries
    "E0001": Code("a policy file cannot be read",
                   "Check the path, the file's permissions, and that it is saved as UTF-8."),
    "E0002": Code("a policy path holds no `.law` files",
                   "Point at a `.law` file or a directory that holds some; policy"
                   " files end in `.law`."),
    "E0003": Code("`use` names an unknown library",
                   "Use a library that exists (`use gdpr`), or remove the `use`."),
    # syntax
    "E0101": Code("a character that cannot start any token",
                   "Remove the character. Statements need no `;`; write "
                   "`and`/`or` for `&&`/`||`, `==` to compare, and double quotes "
                   "for strings."),
    "E0102": Code("a token where the grammar does not allow it",
                   "Follow the grammar the help line gives; a rule's clauses go "
                   "in the order `when`, `unless`, `with`, `because`, `cite`."),
    "E0103": Code("the file ends in the middle of a statement",
                   "Finish the statement the file ends in."),
    "E0104": Code("a reserved word used as a name",
                   "Reserved words cannot be names or parts of names; choose "
                   "another word (`permit_`, `inbox` instead of `in`)."),
    "E0105": Code("an unterminated string",
                   "Close the string with `\"` on the same line."),
    "E0106": Code("an escape other than `\\\"` or `\\\\` in a string",
                   "Write `\\\"` for a quote and `\\\\` for a backslash; no other "
                   "escapes exist in policy strings."),
    "E0107": Code("a name that is not lower-case",
                   "Write names in lower case: `contact`, not `Contact`."),
    "E0108": Code("a test event that is not valid JSON",
                   "Write the event as standard JSON: strings, numbers, `true`, "
                   "`false`, `null`, objects, arrays."),
    "E0109": Code("an integer or a duration too large",
                   "Use a smaller number; integers go up to 10^12, durations to 10000 years."),
    "E0110": Code("an expression nested too deeply",
                   "Split the condition over several rules, or flatten it: a "
                   "chain of `and` or of `or` counts as one level."),
    "E0111": Code("a name too long or with too many dotted segments",
                   "Shorten the name: at most 32 dotted segments and 200 characters."),
    "E0112": Code("a control character in text a document shows (a detail, `because`, `cite`, a name)",
                   "Remove the character; write the text with printable characters only."),
    # names
    "E0201": Code("an undefined name",
                   "Declare the name, or fix its spelling (the help line suggests"
                   " the closest known name)."),
    "E0202": Code("a name declared twice",
                   "Keep one declaration, or rename one; names `use gdpr` "
                   "declares cannot be declared again."),
    "E0203": Code("a rule label used twice",
                   "Give each rule its own label."),
    "E0204": Code("the reserved label `consent_required`",
                   "Choose another label; `consent_required` names the built-in consent rule."),
    "E0205": Code("a declared name that starts with an event field",
                   "Rename it: `destination`, `safeguards`, `automated`, "
                   "`data_age`, `subject` and `context` are read from events (and "
                   "`controller` names the controller in a policy that declares one)."),
    "E0206": Code("more than one `policy` declaration",
                   "Keep one `policy` declaration for the whole policy."),
    "E0207": Code("a name of the wrong kind",
                   "Use the name where its kind belongs: purposes first in a "
                   "rule, categories after `on`, regions after `to` or `in`, "
                   "tables as `table[country]`."),
    "E0208": Code("more than one `controller` declaration",
                   "Keep one `controller` declaration: a policy decides for one controller."),
    # hierarchies and bases
    "E0301": Code("a cycle in the category hierarchy",
                   "Remove one `is` on the cycle the message names."),
    "E0302": Code("a cycle in the purpose hierarchy",
                   "Remove one `is` on the cycle the message names."),
    "E0303": Code("a purpose with no basis",
                   "Give the purpose a basis (`basis contract`), or a parent that has one."),
    "E0304": Code("a purpose that inherits two different bases",
                   "Give the purpose a basis of its own."),
    "E0305": Code("a clause repeated in a purpose declaration",
                   "Give `basis` once, `marker` once, and list all parents after one `is`."),
    "E0306": Code("a region defined in terms of itself",
                   "Define the region from countries and other regions that do "
                   "not lead back to it."),
    "E0307": Code("a category or purpose hierarchy more than 64 levels deep",
                   "Flatten the hierarchy: at most 64 levels from a name to its root."),
    "E0308": Code("a recipient with an unknown role",
                   "A recipient is a `processor`, a `controller` or a `joint_controller`."),
    # types
    "E0401": Code("operands of different types",
                   "Compare values of one type; write country codes without quotes (`DE`)."),
    "E0402": Code("a condition that is not true or false",
                   "Make it a condition: compare the value (`subject.age >= 16`)."),
    "E0403": Code("a duration compared with a plain number",
                   "Give the number a unit: `30 days`, `2 years`."),
    "E0404": Code("an unknown event field",
                   "Use a field events have: `subject.age`, `subject.country`, "
                   "`destination`, `safeguards`, `automated`, `data_age`, "
                   "`context.KEY`…"),
    "E0405": Code("a right-hand side of `in` that is not a region, purpose or set",
                   "Put a region, a set, `safeguards`, or (after `purpose`) a "
                   "purpose name right of `in`."),
    "E0406": Code("`+` or `-` on values that are not regions or country sets",
                   "Join regions and country sets only: `eea + {CH}`."),
    "E0407": Code("a set whose items are not literals of one type",
                   "Make the set hold literals of one type: `{DE, FR}` or `{\"scc\", \"bcr\"}`."),
    "E0408": Code("a table lookup whose key is not a country",
                   "Look tables up by a country: `table[subject.country]`."),
    "E0409": Code("an ordering comparison of values that have no order",
                   "Order integers or durations only; compare strings with `==` or `in`."),
    "E0410": Code("`has` on something that is not an optional event field",
                   "Test an optional field: `has subject.age`, `has context.KEY`, "
                   "`has data_age`; the others are always present."),
    "E0411": Code("a string that `recipient`, `recipient.role` or `exporter` can never be",
                   "Name a declared recipient, one of the roles processor, controller, "
                   "joint_controller, or an exporter `controller` or `subject`."),
    "E0412": Code("`controller` or `controller.country` read in a policy that declares no controller",
                   "Declare the controller and the country of its (main) establishment: "
                   "`controller NAME in COUNTRY`."),
    # countries and tables
    "E0501": Code("an unknown country code",
                   "Use an ISO 3166-1 alpha-2 code (`GB` for the United Kingdom, "
                   "`GR` for Greece)."),
    "E0502": Code("a country listed twice in a table",
                   "Keep one entry per country."),
    # rules
    "E0601": Code("obligations on a `forbid`",
                   "Remove `with …` from the forbid, or make the rule a permit."),
    # tests
    "E0701": Code("a test event with an unknown or malformed field",
                   "Give the test event only event fields, with the right types "
                   "(`lawful schema event`)."),
    "E0702": Code("a test expecting an unknown rule label",
                   "Name a rule label the policy has, or `consent_required`."),
    "W0703": Code("two tests with the same name",
                   "Give each test a name of its own."),
    # lint: analysis of the policy
    "W0801": Code("a category no rule uses",
                   "Remove the category, or write the rule that uses it (or a "
                   "category related to it)."),
    "W0802": Code("a purpose no rule uses",
                   "Remove the purpose, or write the rule that uses it."),
    "W0803": Code("a region never used",
                   "Remove the region, or use it in `to`, `in` or `residency`."),
    "W0804": Code("a table never looked up",
                   "Remove the table, or look it up in a condition."),
    "W0805": Code("an obligation never handed out",
                   "Remove the obligation, or hand it out with `with` in a permit."),
    "W0806": Code("a permit an unconditional forbid always overrides",
                   "Narrow the forbid (with `on`, `to` or `when`) or remove the "
                   "permit that can never apply."),
    "W0807": Code("a rule that repeats another",
                   "Remove one of the two rules."),
    "W0808": Code("a rule subsumed by a wider one with no condition",
                   "Remove the narrower rule, or give the wider one the condition it lacks."),
    "W0809": Code("a purpose no permit covers",
                   "Add a permit for the purpose, or remove it; silence with `# "
                   "lawful: ignore[W0809]` when another policy permits it."),
    "W0810": Code("a condition that is always true",
                   "Remove the condition, or correct it: the rule's own target "
                   "already decides it."),
    "W0811": Code("a condition that is always false",
                   "Correct the condition or the target: as written the rule never applies."),
    "W0812": Code("a rule whose removal changes no decision",
                   "Remove the rule: the policy decides every event the same without it "
                   "(`lawful diff` of the two shows no change)."),
    "W0813": Code("a marker purpose with no purpose under it",
                   "Declare the purposes the marker groups (`purpose newsletter is "
                   "direct_marketing`), or remove `marker`."),
    "W0814": Code("an `oblige` rule whose target no permit allows",
                   "Widen the oblige's target (purposes, `on`, `to`), or write the permit "
                   "it is meant to add obligations to."),
    "W0815": Code("a national layer of another country than the controller's establishment",
                   "Use the national layer of the country the controller is established in "
                   "(GDPR Art. 3(1)), or correct the `controller` declaration; silence it with "
                   "`# lawful: ignore[W0815]` where that country's law applies for another reason."),
    # lint: GDPR hints for a policy that does not `use gdpr`
    "W0901": Code("special-category data permitted without explicit consent",
                   "Require `explicit consent` (or an Art. 9(2) ground) for the "
                   "special categories, or `use gdpr`."),
    "W0902": Code("a transfer outside the EEA permitted with no safeguard",
                   "Limit the destinations (`to eea`), check `safeguards`, or `use gdpr`."),
    "W0903": Code("a consent-based purpose with no rule for children",
                   "Require `parental consent` below the age of digital consent, or `use gdpr`."),
    # facts: `fact` declarations and the conditions that read declared fields
    "E1001": Code("a fact about a field that cannot be declared",
                   "Declare only `subject.kind` and `context.KEY`; the other event fields "
                   "have their types already."),
    "E1002": Code("a fact declared twice",
                   "Declare each field once, with every allowed value in one `in {…}`."),
    "E1003": Code("facts that overlap (`context.a` and `context.a.b`)",
                   "Declare either the field or the keys under it, not both."),
    "E1004": Code("an unknown fact type",
                   "Write one of `string`, `integer`, `number`, `boolean`, `country`, or "
                   "`list of` one of them."),
    "E1005": Code("a fact's values that are empty, not literals of one kind, or of the wrong kind",
                   "List strings, integers or countries after `in`; `subject.kind` takes strings."),
    "W1006": Code("a declared field compared with a value its fact does not declare",
                   "Correct the value (a typo?) or add it to the fact's `in {…}`: no valid "
                   "event holds it."),
    "W1007": Code("a `context` key that no fact declares, in a policy that declares some",
                   "Correct the key (a typo?) or declare it with `fact context.KEY is …`."),
    # the details the DPO's documents read (Art. 30 record, Arts. 13-14 notice)
    "E1101": Code("a detail word on a declaration it does not describe",
                   "Move the detail to the declaration it describes (`interest` to a purpose, "
                   "`source` to a category, `dpo` to the controller…)."),
    "E1102": Code("a detail, or `on behalf of`, given twice where one is allowed",
                   "Keep one; join the texts into one string."),
    "E1103": Code("`subjects` naming a kind of subject `fact subject.kind` does not declare",
                   "Correct the kind (a typo?) or add it to the fact's `in {…}`."),
    "E1104": Code("`on behalf of` a client the policy does not declare",
                   "Declare the client: `client NAME named \"…\" contact \"…\"`."),
    "E1105": Code("an `interest` on a purpose whose basis is not `legitimate_interest`",
                   "Remove `interest`, or give the purpose `basis legitimate_interest`."),
    "E1106": Code("an empty detail text",
                   "Write what the document should say, or remove the detail."),
    # lint: items the DPO's documents need that the policy does not state
    "W1101": Code("a `legitimate_interest` purpose that states no interest",
                   "Add `interest \"…\"` to the purpose: the notice tells the subjects the interest "
                   "pursued (Arts. 6(1)(f), 13(1)(d))."),
    "W1102": Code("a recipient outside the EEA with no adequacy decision and no safeguard",
                   "Say what the recipient holds: `holds \"scc\"`, `\"bcr\"`, `\"dpf\"` (a certified US "
                   "recipient)…, or choose a recipient in the EEA."),
    "W1103": Code("a controller with no contact details",
                   "Add `contact \"…\"` to the controller (Arts. 13(1)(a), 30(1)(a))."),
    "W1104": Code("a controller outside the EEA with no representative in the Union",
                   "Add `representative \"…\"` to the controller (Art. 27)."),
    "W1105": Code("a purpose that states no kind of data subject, in a policy with a controller",
                   "Add `subjects \"…\"` to the purpose (Art. 30(1)(c)), or to a parent purpose."),
    "W1106": Code("a controller with no security measures",
                   "Add `security \"…\"` to the controller: a general description of the measures "
                   "(Arts. 30(1)(g), 32(1))."),
    "W1107": Code("a recipient no purpose is for, in a policy with a controller",
                   "Add `for PURPOSE, …` to the recipient: the record lists recipients per purpose."),
    "W1108": Code("a purpose whose data no `retain` rule limits, in a policy with a controller",
                   "Add `retain CATEGORY for DURATION` for its categories (Arts. 5(1)(e), 30(1)(f))."),
}

#: code -> title and code -> fix: views of the registry
CODES: dict[str, str] = {code: entry.title for code, entry in REGISTRY.items()}
FIXES: dict[str, str] = {code: entry.fix for code, entry in REGISTRY.items()}


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


#: suggestions compare a name with every candidate: per compile, at most this many
#: comparisons are made (then no more suggestions), so that a policy with thousands of
#: misspelled names does not cost thousands of times its vocabulary
MAX_SUGGESTION_WORK = 50_000
_suggestions = threading.local()


@contextmanager
def suggestion_budget(limit: int = MAX_SUGGESTION_WORK):
    """Within this block, `did_you_mean` compares at most `limit` candidates in all."""
    before = getattr(_suggestions, "left", None)
    _suggestions.left = limit
    try:
        yield
    finally:
        _suggestions.left = before


def did_you_mean(name: str, candidates) -> str | None:
    import difflib

    left = getattr(_suggestions, "left", None)
    if left is not None and left <= 0:
        return None
    unique = set(candidates)
    if left is not None:
        if len(unique) > left:
            _suggestions.left = 0
            return None
        _suggestions.left = left - len(unique)
    # no sort needed: the best match is chosen by (score, text), whatever the order
    close = difflib.get_close_matches(name, unique, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


