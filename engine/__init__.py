"""Lawful: a policy-as-code engine for GDPR data processing.

    import engine
    policy = engine.load_policy("rules/examples/shop")
    decision = policy.evaluate({"purpose": "billing", ...})
"""

from .diagnostics import Diagnostic, Severity
from .guard import Denied, current_decision
from .load import PolicyError, load_policy, load_policy_text
from .log import DecisionLog, LogError
from .model import ConsentRecord, Decision, Event, Reason, Subject
from .policy import Policy
from .reference import InvalidEvent
from .store import PolicyStore

__version__ = "0.1.0"

__all__ = [
    "ConsentRecord", "Decision", "DecisionLog", "Denied", "Diagnostic", "Event", "InvalidEvent",
    "LogError", "Policy", "PolicyError", "PolicyStore", "Reason", "Severity", "Subject",
    "current_decision", "load_policy", "load_policy_text",
]
