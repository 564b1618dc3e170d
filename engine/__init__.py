"""Lawful: a policy-as-code engine for GDPR data processing.

    import engine
    policy = engine.load_policy("rules/examples/shop")
    decision = policy.evaluate({"purpose": "billing", ...})
"""

from .diagnostics import Diagnostic, Severity
from .load import PolicyError, load_policy, load_policy_text
from .model import ConsentRecord, Decision, Event, Reason, Subject
from .policy import Policy
from .reference import InvalidEvent

__version__ = "0.1.0"

__all__ = [
    "ConsentRecord", "Decision", "Diagnostic", "Event", "InvalidEvent", "Policy",
    "PolicyError", "Reason", "Severity", "Subject", "load_policy", "load_policy_text",
]
