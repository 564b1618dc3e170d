"""Every reason a decision can give, and its message, worded once.

The reference evaluator, the fast path and the audit's SQL all build their
reasons' texts here, so the same event gets the same words on every path.
"""

from __future__ import annotations

from string import Formatter

from .. import ir
from ..event.values import printable
from .decision import Decision, Reason

#: The label and citation of the built-in consent rule (spec section 7).
CONSENT_LABEL = ir.RESERVED_LABEL
CONSENT_CITE = "GDPR Art. 6(1)(a), Art. 7"

#: The kinds of reasons, in the order the spec lists them.
KINDS = ("invalid-event", "forbidden", "no-consent", "not-permitted", "permitted", "obliged")


def forbidden(rule: ir.CheckedRule) -> str:
    """The message of a forbid that applies."""
    return rule.because or f"forbidden by {rule.name}"


def fail_closed(message: str, problem: str) -> str:
    """A rule's message when its condition could not be evaluated (it applies anyway)."""
    return f"{message} (fail closed: {problem})"


def permitted_by(rule: ir.CheckedRule) -> str:
    """What a permit says for itself (the rest of a `permitted` message)."""
    return rule.because or f"permitted by {rule.name}"


def obliged(rule: ir.CheckedRule) -> str:
    """What an oblige that applies to an allow says: the obligations it adds, and why."""
    added = ", ".join(f"`{name}`" for name in rule.obligations)
    return f"{added}: {rule.because or f'obliged by {rule.name}'}"


#: The messages that name parts of the event, as templates: Python fills them in
#: (below), the audit's SQL concatenates their pieces (`pieces`) with columns.
PERMITTED = "`{category}`: {permit}"
NO_CONSENT = "the purpose `{purpose}` is based on consent, and the subject holds no valid consent covering it"
NOT_PERMITTED = "no permit covers the category `{category}` for the purpose `{purpose}` to `{destination}`"


def permitted(rule: ir.CheckedRule, category: str) -> str:
    return PERMITTED.format(category=category, permit=permitted_by(rule))


def no_consent(purpose: str) -> str:
    return NO_CONSENT.format(purpose=purpose)


def not_permitted(category: str, purpose: str, destination: str) -> str:
    return NOT_PERMITTED.format(category=category, purpose=purpose, destination=destination)


def pieces(template: str) -> list[tuple[str, str]]:
    """A template as ("text", words) and ("field", name) pieces, in order."""
    found: list[tuple[str, str]] = []
    for text, name, _, _ in Formatter().parse(template):
        if text:
            found.append(("text", text))
        if name:
            found.append(("field", name))
    return found


def unreadable(digest: str, problem: str) -> Decision:
    """The deny for an event that cannot even be read, naming the problem."""
    return Decision(effect="deny", allowed=False, digest=digest,
                    reasons=[Reason(kind="invalid-event", message=printable(problem))])
