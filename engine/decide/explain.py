"""Explanations: how every rule fared against an event, and which clause decided.

`explanation(policy, event)` gives a stable JSON-ready dict; `render_*` turn
decisions and explanations into rich Text for terminals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from ..event.values import printable
from .decision import Decision
from .policy import Policy
from .reference import Evaluation, RuleOutcome
from .values import EvaluationError

if TYPE_CHECKING:
    from .analysis.remedies import Remedies


def _truth(value) -> Any:
    if isinstance(value, EvaluationError):
        return {"error": value.message}
    return value


def deciding_clause(outcome: RuleOutcome) -> str:
    """What settled the rule: purpose, categories or destination (the target did
    not match), when, unless, error (fail closed), or target (no conditions)."""
    if not outcome.purpose_matches:
        return "purpose"
    if not outcome.categories:
        return "categories"
    if not outcome.destination_matches:
        return "destination"
    if isinstance(outcome.holds, EvaluationError):
        return "error"
    if outcome.when is False:
        return "when"
    if outcome.unless is True:
        return "unless"
    if outcome.when is not None:
        return "when"
    if outcome.unless is not None:
        return "unless"
    return "target"


def rule_record(outcome: RuleOutcome) -> dict:
    rule = outcome.rule
    return {
        "rule": rule.label,
        "name": rule.name,
        "effect": rule.effect,
        "sugar": rule.sugar,
        "text": rule.text,
        "location": rule.location,
        "matched": outcome.matches,
        "purpose_matches": outcome.purpose_matches,
        "categories": list(outcome.categories),
        "destination_matches": outcome.destination_matches,
        "when": _truth(outcome.when),
        "unless": _truth(outcome.unless),
        "applies": outcome.applies,
        "decided_by": deciding_clause(outcome),
        "because": rule.because,
        "cite": rule.cite,
    }


def explanation(evaluation: Evaluation) -> dict:
    consent: dict[str, Any] | None = None if evaluation.consent_required is None else {
        "required": evaluation.consent_required, "held": evaluation.consent_held}
    if consent is not None and evaluation.marker_consents:  # consents that did not count
        consent["marker_consents"] = list(evaluation.marker_consents)
    return {
        "decision": evaluation.decision.model_dump(),
        "event_valid": evaluation.event is not None,
        "consent_required": consent,
        "rules": [rule_record(o) for o in evaluation.outcomes],
    }


def marker_note(markers: list[str]) -> str:
    """Why consents to markers did not count."""
    named = ", ".join(f"`{m}`" for m in markers)
    return (f"consent for {named} is held, but {'it is a marker' if len(markers) == 1 else 'they are markers'} "
            "(a group of purposes) and covers nothing: consent is given purpose by purpose")


def explain(policy: Policy, event: Any) -> dict:
    return explanation(policy.explain(event))


# ---- terminal rendering -------------------------------------------------------------

_KIND_STYLE = {"permitted": "green", "forbidden": "red", "no-consent": "red",
               "not-permitted": "yellow", "invalid-event": "magenta", "obliged": "cyan"}
_KIND_MARK = {"permitted": "✓", "obliged": "+"}


def render_decision(decision: Decision, event: Any = None) -> Text:
    text = Text()
    style = "bold green" if decision.allowed else "bold red"
    text.append(decision.effect.upper(), style=style)
    if isinstance(event, dict):
        summary = _event_summary(event)
        if summary:
            text.append("  " + summary, style="dim")
    text.append("\n")
    for reason in decision.reasons:
        mark = _KIND_MARK.get(reason.kind, "✗")
        text.append(f"  {mark} ", style=_KIND_STYLE[reason.kind])
        text.append(f"{reason.kind:<14}", style=_KIND_STYLE[reason.kind])
        text.append(reason.message)
        extras = [e for e in (reason.rule and f"rule {reason.rule}", reason.cite,
                              reason.location) if e]
        if extras:
            text.append("  [" + " · ".join(extras) + "]", style="dim")
        text.append("\n")
    if decision.obligations:
        text.append("  obligations: ", style="bold")
        text.append(", ".join(decision.obligations) + "\n")
    return text


def _event_summary(event: dict) -> str:
    purpose = event.get("purpose")
    categories = event.get("categories")
    destination = event.get("destination")
    if not isinstance(purpose, str):
        return ""
    cats = ", ".join(c for c in categories if isinstance(c, str)) if isinstance(categories, list) else "?"
    recipient = event.get("recipient")
    where = destination if isinstance(destination, str) else "" if isinstance(recipient, str) else "?"
    if isinstance(recipient, str):  # the recipient gives the destination
        where = f"{recipient} {where}".rstrip()
    return printable(f"{purpose} on {cats} → {where}")


def _mark(record: dict) -> tuple[str, str]:
    if not record["matched"]:
        return "·", "dim"
    if record["applies"]:
        return "●", {"forbid": "red", "oblige": "cyan"}.get(record["effect"], "green")
    return "○", "yellow"


def _why(record: dict) -> str:
    clause = record["decided_by"]
    if clause == "purpose":
        return "the event's purpose is not among the rule's purposes"
    if clause == "categories":
        return "no event category is among the rule's categories"
    if clause == "destination":
        return "the destination is outside the rule's `to` region"
    if clause == "error":
        error = record["when"] if isinstance(record["when"], dict) else record["unless"]
        verdict = {"forbid": "so the forbid applies (fail closed)",
                   "oblige": "so its obligations are added to an allow (fail closed)"}.get(
            record["effect"], "so the permit does not apply (fail closed)")
        return f"the condition cannot be evaluated: {error['error']}; {verdict}"
    if clause == "target":
        return "the target matches and the rule has no condition"
    value = record[clause]
    if isinstance(value, dict):  # an error absorbed by the other clause
        value = "an error"
    return f"`{clause}` is {str(value).lower()}"


def render_explanation(data: dict) -> Text:
    decision = Decision.model_validate(data["decision"])
    text = render_decision(decision)
    text.append("\nrules considered\n", style="bold")
    if not data["event_valid"]:
        text.append("  none: the event is invalid, so no rule was evaluated\n", style="dim")
    for record in data["rules"]:
        mark, style = _mark(record)
        state = ("applies" if record["applies"] else "does not apply") if record["matched"] \
            else "does not match"
        text.append(f"  {mark} ", style=style)
        text.append(f"{state:<15}", style=style)
        shown = record["text"]
        text.append(shown if len(shown) <= 100 else shown[:99] + "…")
        if record["location"]:
            text.append(f"  {record['location']}", style="dim")
        text.append("\n")
        text.append(f"      {_why(record)}", style="dim" if not record["matched"] else "")
        if record["matched"]:
            text.append(f"; categories: {', '.join(record['categories'])}", style="dim")
        text.append("\n")
    consent = data["consent_required"]
    if consent is not None:
        held = consent["held"]
        text.append("  ● " if not held else "  ○ ", style="red" if not held else "green")
        text.append("consent_required: the purpose's basis is consent; a valid consent "
                    + ("is held\n" if held else "is NOT held\n"))
        if consent.get("marker_consents"):
            text.append(f"      {marker_note(consent['marker_consents'])}\n", style="dim")
    return text


def render_remedies(result: "Remedies") -> Text:
    """What would make the event allowed (`Policy.remedies`), for a terminal: each
    minimal remedy numbered (its actions joined by " + ", its obligations), the
    facts to supply, or "no lawful remedy" and the rules that make it so."""
    text = Text()
    if not result.valid:
        text.append("the event is invalid: correct it first\n", style="bold magenta")
        for reason in result.reasons:
            if reason.kind == "invalid-event":
                text.append("  ✗ ", style="magenta")
                text.append(reason.message + "\n")
        return text
    if result.allowed:
        text.append("allowed: ", style="bold green")
        text.append("the event needs no remedy\n")
        return text
    if result.remedies:
        count = len(result.remedies)
        text.append(f"{count} remed{'y' if count == 1 else 'ies'}", style="bold")
        text.append(" (each a minimal set of changes after which the event is allowed)\n", style="dim")
        for number, remedy in enumerate(result.remedies, 1):
            text.append(f"  {number}. ", style="bold green")
            text.append(" + ".join(action.message for action in remedy.actions) + "\n")
            if remedy.obligations:
                text.append("       obligations: ", style="dim")
                text.append(", ".join(remedy.obligations) + "\n")
    elif result.no_remedy:
        text.append("no lawful remedy", style="bold red")
        text.append(": no change a controller can make allows the event\n", style="dim")
        for blocker in result.blocked_by:
            text.append("  ✗ ", style="red")
            text.append(blocker.message)
            extras = [e for e in (blocker.rule and f"rule {blocker.rule}", blocker.cite, blocker.location) if e]
            if extras:
                text.append("  [" + " · ".join(extras) + "]", style="dim")
            text.append("\n")
    else:
        text.append("no remedy found", style="bold yellow")
        text.append(": the analysis could not place the event's values, or verify a remedy\n", style="dim")
    if result.facts:
        text.append("missing facts", style="bold")
        text.append(" (the decision depends on them; they are not a controller's choice)\n", style="dim")
    for fact in result.facts:
        text.append("  ? ", style="yellow")
        text.append(fact.message)
        if fact.allowing:
            text.append(f" (with {fact.allowing} the event is allowed as it is)", style="dim")
        text.append("\n")
    if not result.exact:
        text.append("note: the classes may not be exact (a condition compares two open-ended fields, "
                    "or nested context objects were too many to enumerate): a remedy may be missing\n",
                    style="dim")
    return text
