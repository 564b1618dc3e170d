"""Lawful: a policy-as-code engine for GDPR data processing.

    import engine
    policy = engine.load_policy("rules/examples/shop")
    decision = policy.evaluate({"purpose": "billing", ...})
"""

from .core.diagnostics import Diagnostic, Severity
from .decide.guard import Denied, current_decision
from .load import PolicyError, load_policy, load_policy_text
from .runtime.log import DecisionLog, LogError
from .event.model import ConsentRecord, Event, Subject
from .decide.decision import Decision, Reason
from .decide.policy import Policy
from .decide.reference import InvalidEvent
from .runtime.store import PolicyStore
from .runtime import log  # `from engine import log`: verify, query and stats of decision logs

from .core import __version__ as __version__

__all__ = [
    "ConsentRecord", "Decision", "DecisionLog", "Denied", "Diagnostic", "Diff", "Event", "InvalidEvent",
    "LogError", "Policy", "PolicyError", "PolicyStore", "Reason", "Remedies", "Severity", "Subject",
    "current_decision", "diff", "load_policy", "load_policy_text", "log",
]


def __getattr__(name: str):
    """`engine.diff`, `engine.Diff` and `engine.Remedies`, imported when first used:
    the analysis is not needed to decide, and `import engine` stays quick."""
    if name in ("Diff", "Remedies", "diff"):
        from .decide import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
