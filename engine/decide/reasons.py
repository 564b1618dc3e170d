"""Every reason a decision can give, and its message, worded once.

The reference evaluator, the fast path and the audit's SQL all build their
reasons' texts here, so the same event gets the same words on every path.
"""

from __future__ import annotations

from .. import ir
from ..event.values import printable
from .decision import Decision, Reason

#: The label and citation of the built-in consent rule (spec section 7).
CONSENT_LABEL = ir.RESERVED_LABEL
CONSENT_CITE = "GDPR Art. 6(1)(a), Art. 7"

#: The kinds of reasons, in the order the spec lists them.
KINDS = ("invalid-event", "forbidden", "no-consent", "not-permitted", "permitted")


def forbidden(rule: ir.CheckedRule) -> str:
    """The message of a forbid that applies."""
    return rule.because or f"forbidden by {rule.name}"


def fail_closed(message: str, problem: str) -> str:
    """A rule's message when its condition could not be evaluated (it applies anyway)."""
    return f"{message} (fail closed: {problem})"


def permitted_by(rule: ir.CheckedRule) -> str:
    """What a permit says for itself (the rest of a `permitted` message)."""
    return rule.because or f"permitted by {rule.name}"


def permitted(rule: ir.CheckedRule, category: str) -> str:
    return f"`{category}`: {permitted_by(rule)}"


def no_consent(purpose: str) -> str:
    return (f"the purpose `{purpose}` is based on consent, and the subject holds no valid consent "
            "covering it")


def not_permitted(category: str, purpose: str, destination: str) -> str:
    return f"no permit covers the category `{category}` for the purpose `{purpose}` to `{destination}`"


def unreadable(digest: str, problem: str) -> Decision:
    """The deny for an event that cannot even be read, naming the problem."""
    return Decision(effect="deny", allowed=False, digest=digest,
                    reasons=[Reason(kind="invalid-event", message=printable(problem))])
