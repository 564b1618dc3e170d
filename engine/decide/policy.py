"""The compiled policy: what `engine.load_policy` returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import reference
from ..event.values import json_error
from ..check import Authored
from ..ir import CheckedPolicy
from ..core.diagnostics import Diagnostic
from .guard import Guarding
from .decision import Decision


class Policy(Guarding):
    """A checked policy, ready to decide. Immutable and safe to share between threads.
    `guard` and `check` (from `Guarding`) protect functions and blocks with it."""

    digest: str

    def __init__(self, checked: CheckedPolicy, authored: Authored, digest: str,
                 diagnostics: list[Diagnostic]):
        from .fast import CompiledPolicy

        #: the checked policy (IR): all the evaluators read
        self.checked = checked
        #: the modules, tests and declarations with their spans: what the tools read
        self.authored = authored
        self.digest = digest
        #: warnings found while compiling (errors raise PolicyError instead)
        self.diagnostics = diagnostics
        self.compiled = CompiledPolicy(checked, digest)
        # `policy.evaluate` is the compiled path's own bound method, one call less per
        # decision than the method below (0.4 µs of 3.3 on bench.py's events); the
        # method stays for the class's documentation and for `Policy.evaluate(policy, …)`
        self.__dict__["evaluate"] = self.compiled.evaluate

    @property
    def name(self) -> str | None:
        return self.checked.name

    @property
    def rules(self):
        return self.checked.rules

    @property
    def tests(self):
        return self.authored.tests

    @property
    def vocabulary(self):
        return self.checked.vocabulary

    def evaluate(self, event: Any, strict: bool = False, now: datetime | None = None) -> Decision:
        """Decide one event (a mapping or an `engine.Event`) on the compiled fast
        path. Never raises on a bad event unless `strict`, which raises
        `engine.InvalidEvent`. `now` stands in for a missing `at`."""
        return self.compiled.evaluate(event, strict, now)

    def evaluate_many(self, events, now: datetime | None = None) -> list[Decision]:
        """Decide many events: a list or any iterable of events (see also
        `evaluate_lines` for JSON lines)."""
        evaluate = self.compiled.evaluate
        return [evaluate(event, False, now) for event in events]

    def evaluate_lines(self, lines, now: datetime | None = None):
        """Decide JSON lines: a file object (binary, or text opened with
        `newline=""`), or any iterable of lines as bytes or strings. One decision
        per non-blank line, lines split on `\\n` only; a line that is not UTF-8 or
        not JSON is denied, naming it."""
        from ..event.values import loads, split_lines

        evaluate = self.compiled.evaluate
        for number, text, problem in split_lines(lines):
            if problem is not None:
                yield self.unreadable(problem)
                continue
            assert text is not None  # a line without a problem has its text
            try:
                event = loads(text)
            except (ValueError, RecursionError) as error:
                yield self.unreadable(not_json(number, error))
                continue
            yield evaluate(event, False, now)

    def unreadable(self, problem: str) -> Decision:
        """The deny for an event that cannot even be read, naming the problem."""
        return reference.unreadable(self.digest, problem)

    def evaluate_reference(self, event: Any, strict: bool = False,
                           now: datetime | None = None) -> Decision:
        """The reference evaluator's decision: the meaning of the policy."""
        return self.explain(event, strict=strict, now=now).decision

    def explain(self, event: Any, strict: bool = False,
                now: datetime | None = None) -> reference.Evaluation:
        """The decision with how every rule fared (see `engine.decide.explain`)."""
        return reference.explain_safely(self.checked, self.digest, event, strict=strict, now=now)

    def remedies(self, event: Any, now: datetime | None = None):
        """For a denied event, the minimal sets of changes a controller can make
        that would allow it, each verified by the reference; the facts it leaves
        out that the decision depends on; or, when nothing a controller can change
        helps, the rules that make it so (`engine.decide.analysis.remedies`)."""
        from .analysis.remedies import remedies

        return remedies(self, event, now=now)

    def __repr__(self) -> str:
        return f"<Policy {self.name or ''} {len(self.rules)} rules {self.digest[:19]}>"


def not_json(number: int, error: Exception) -> str:
    """How a JSON-lines input that is not JSON is named in its deny."""
    return f"line {number} is not JSON: {json_error(error, one_line=True)}"
