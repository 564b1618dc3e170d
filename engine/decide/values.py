"""Run-time values of conditions: their kinds, equality and order, and the one
error a condition can end in (`EvaluationError`, with its kind and span).

Both evaluators (the reference and the fast path) and lint's constant folding
use these, so a comparison means the same everywhere and every error reads the
same wherever it arose.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .. import ir
from ..core.source import Span


class EvaluationError(Exception):
    """A condition could not be evaluated. `kind` is one of `KINDS`; `span` is
    where in the policy the failing expression is (None when not known)."""

    #: missing: the event lacks a field the condition reads; type: a value of the
    #: wrong kind (not a list, not true or false, compared with another kind…);
    #: order: an ordering of values that have none; table: a table lookup failed
    KINDS = ("missing", "type", "order", "table")

    def __init__(self, kind: str, message: str, span: Span | None = None):
        super().__init__(message)
        self.kind = kind
        self.span = span

    @property
    def message(self) -> str:
        return str(self.args[0])


def runtime_kind(value: Any) -> str:
    """How a run-time value is named in an error: `a number`, `a list`, `a duration`…
    (the language's words; `event.values.kind_of` names the JSON kinds of raw
    event values, arrays and Python types, for event problems)."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, timedelta):
        return "a duration"
    if isinstance(value, (frozenset, list, tuple)):
        return "a list"
    if value is None:
        return "null"
    return "an object"


def same(a: Any, b: Any) -> bool:
    """Equality of the language: values of different kinds are never equal (1 is not true)."""
    return runtime_kind(a) == runtime_kind(b) and a == b


def source_text(node: ir.Node) -> str:
    """An expression as written in the policy, on one line (for messages)."""
    return " ".join(node.span.text.split()) if node.span else type(node).__name__


def compare(node: ir.Compare, left: Any, right: Any) -> bool:
    """`left OP right` for a comparison node; raises EvaluationError for values of
    different kinds, or an order of values that have none."""
    kind_left, kind_right = runtime_kind(left), runtime_kind(right)
    if kind_left != kind_right:
        raise EvaluationError("type", f"`{source_text(node)}` compares {kind_left} with {kind_right}",
                              node.span)
    if node.op == "==":
        return left == right
    if node.op == "!=":
        return left != right
    if kind_left not in ("a number", "a duration"):
        raise EvaluationError("order", f"`{source_text(node)}` orders {kind_left}, which has no order",
                              node.span)
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[node.op]


# ---- the errors, worded once --------------------------------------------------------


def missing(path: str, span: Span | None = None) -> EvaluationError:
    return EvaluationError("missing", f"the event has no `{path}`", span)


def no_data_age(span: Span | None = None) -> EvaluationError:
    return EvaluationError("missing", "the event has no `collected_at`, so `data_age` is unknown", span)


def not_a_list(text: str, value: Any, span: Span | None = None) -> EvaluationError:
    return EvaluationError("type", f"`{text}` is {runtime_kind(value)}, not a list", span)


def not_single(text: str, value: Any, span: Span | None = None) -> EvaluationError:
    return EvaluationError("type", f"`{text}` is {runtime_kind(value)}, not a single value", span)


def not_a_truth(text: str, value: Any, span: Span | None = None) -> EvaluationError:
    return EvaluationError("type", f"`{text}` is {runtime_kind(value)}, not true or false", span)


def bad_table_key(table: str, key: Any, span: Span | None = None) -> EvaluationError:
    return EvaluationError("table", f"the table `{table}` is looked up by country, not {runtime_kind(key)}",
                           span)


def no_table_entry(table: str, key: str, span: Span | None = None) -> EvaluationError:
    return EvaluationError("table", f"the table `{table}` has no entry for `{key}` and no default", span)
