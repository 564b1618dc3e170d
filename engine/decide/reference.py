"""The reference evaluator: spec sections 6 and 7, to the letter, plainly.

This is the meaning of a policy. It is written to be read, not to be fast;
faster paths are tested against it. It never raises for a bad event: an
invalid event is denied with one `invalid-event` reason per problem (strict
mode raises `InvalidEvent` instead).

Conditions are three-valued: True, False, or an EvaluationError. `and`/`or`
absorb an error when the other operand decides; a rule whose whole condition
is an error fails closed (a forbid applies, a permit does not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from pydantic import ValidationError

from .. import ir
from ..ir import CheckedPolicy
from ..core.countries import is_country
from ..event import fields
from ..event.values import is_text, json_path, json_problems, kind_of, printable
from .decision import Decision, Reason
from ..event.model import Event, describe_problem
from . import reasons as words
from .reasons import CONSENT_CITE, CONSENT_LABEL, unreadable
from .values import (EvaluationError, bad_table_key, compare, missing, no_data_age, no_table_entry,
                     not_a_list, not_a_truth, not_single, same, source_text)

_TIMESTAMPS = frozenset(f.name for _, f in fields.walk() if f.kind == fields.TIMESTAMP)


class InvalidEvent(ValueError):
    """Raised by strict evaluation of an invalid event; `.problems` lists them."""

    def __init__(self, problems: list[str]):
        self.problems = [printable(p) for p in problems]
        super().__init__("invalid event: " + "; ".join(self.problems))


# ---- step 1: is the event valid? --------------------------------------------


def validate(policy: CheckedPolicy, data: Any, now: datetime | None = None) -> tuple[Event | None, list[str]]:
    """The event as a model, or the list of every problem with it (spec section 6,
    as `engine.event.values` states it). `now` is the evaluation time, which a
    `collected_at` may not be later than when the event has no `at`."""
    if isinstance(data, Event):  # a model built by a Python caller: judged as its JSON would be
        data = data.model_dump(exclude_defaults=True)
        for holder in [data, *data.get("subject", {}).get("consents", ())]:
            for name in _TIMESTAMPS:
                if isinstance(holder.get(name), datetime):
                    holder[name] = holder[name].isoformat()
    if not isinstance(data, Mapping):
        return None, [f"an event is a JSON object, not {kind_of(data)}"]
    found = json_problems(data)
    problems = [f"`{json_path(path) or 'event'}` {problem}" for path, problem in found]
    unsound = [path for path, _ in found]
    event = None
    try:
        event = Event.model_validate(data)  # null is absent: the model's own rule
    except ValidationError as error:  # what the model finds, less what was named above
        problems += [describe_problem(p) for p in error.errors()
                     if not any(tuple(p["loc"][:len(path)]) == path for path in unsound)]
    if found:
        event = None  # the model takes tuples and the like: JSON does not
    if event is not None and event.collected_at is not None:
        at = event.at or now
        if at is not None and event.collected_at > at:
            problems.append(f"`collected_at` ({event.collected_at.isoformat()}) is later than `at` "
                            f"({at.isoformat()})")
    problems += _policy_problems(policy, data)
    problems += _destination_problems(policy, data)
    if problems:
        return None, problems
    assert event is not None
    return resolved(policy, event), []


def _destination_problems(policy: CheckedPolicy, data: Mapping) -> list[str]:
    """`destination` is required unless a `recipient` gives it; given both, they agree."""
    recipient, destination = data.get("recipient"), data.get("destination")
    if recipient is None:
        if "destination" not in data:
            return ["`destination` is required"]
        return ["`destination`: input should be a valid string"] if destination is None else []
    declared = policy.vocabulary.recipients.get(recipient) if type(recipient) is str else None
    if declared is not None and type(destination) is str and destination != declared.country:
        return [f"`destination` ({destination}) is not the country of the recipient `{recipient}` "
                f"({declared.country}): leave `destination` out, or name the recipient that receives it there"]
    return []


def resolved(policy: CheckedPolicy, event: Event) -> Event:
    """A valid event with its recipient's facts in place: `destination` is the
    recipient's country, and `safeguards` also holds what the recipient holds."""
    if event.recipient is None:
        return event
    declared = policy.vocabulary.recipients[event.recipient]
    safeguards = list(event.safeguards or ())
    safeguards += sorted(declared.holds.difference(safeguards))
    return event.model_copy(update={"destination": declared.country, "safeguards": safeguards})


def _policy_problems(policy: CheckedPolicy, data: Mapping) -> list[str]:
    """Names the policy does not know, read from the raw event where well-formed:
    the fields `event.fields` marks as names."""
    vocabulary = policy.vocabulary
    problems: list[str] = []
    for where, described, name in fields.named(data):
        if type(name) is not str or not is_text(name):
            continue  # the model names what is wrong with it
        if described.names == fields.RECIPIENT:
            if name not in vocabulary.recipients:
                known = ", ".join(f"`{r}`" for r in sorted(vocabulary.recipients)) or "none"
                problems.append(f"`{where}`: the policy has no recipient `{name}` (it declares {known})")
        elif described.names == fields.COUNTRY:
            if not is_country(name):
                problems.append(f"`{where}`: `{name}` is not an ISO 3166-1 country code")
        elif described.names == fields.CATEGORY:
            if name not in vocabulary.categories:
                problems.append(f"`{where}`: the policy has no category `{name}`")
        elif name not in vocabulary.purposes:
            problems.append(f"`{where}`: the policy has no purpose `{name}`")
        elif described.names == fields.BASED_PURPOSE and name in vocabulary.markers:
            problems.append(f"`{where}`: `{name}` is a marker, a group of purposes: an event "
                            "is for one of the purposes in it")
        elif described.names == fields.BASED_PURPOSE and name not in vocabulary.bases:
            problems.append(f"`{where}`: `{name}` has no basis, so no event can name it")
    problems += fact_problems(policy, data)
    return problems


def fact_problems(policy: CheckedPolicy, data: Mapping) -> list[str]:
    """What the policy's `fact` declarations find wrong with a raw event: a declared
    field that is present with a value the fact does not admit (absent is fine)."""
    problems = []
    for fact in policy.vocabulary.facts:
        present, value = ir.fact_value(fact.path, data)
        if present:
            problem = fact.problem(value)
            if problem is not None:
                problems.append(problem)
    return problems


# ---- conditions ---------------------------------------------------------------


@dataclass
class Facts:
    """What conditions read: the valid event and the time it is judged at."""

    policy: CheckedPolicy
    event: Event
    at: datetime

    def ancestors(self, purpose: str) -> frozenset[str]:
        return self.policy.vocabulary.purposes.ancestors.get(purpose, frozenset({purpose}))

    def in_force(self, record) -> bool:
        return record.given_at <= self.at and (record.withdrawn_at is None or record.withdrawn_at > self.at)

    def consent(self, kind: str | None) -> bool:
        """A consent record in force covers the event's purpose: its purpose is that one or
        an ancestor, and not a marker (a consent to a group covers nothing: no blanket consent)."""
        covering = self.ancestors(self.event.purpose) - self.policy.vocabulary.markers
        subject = self.event.subject
        assert subject is not None and subject.consents is not None  # the model reads null as absent
        for record in subject.consents:
            if self.in_force(record) and record.purpose in covering and (kind is None or getattr(record, kind)):
                return True
        return False

    def marker_consents(self) -> list[str]:
        """The markers above the event's purpose that a consent in force names: consents
        that cover nothing (for explanations)."""
        markers = self.ancestors(self.event.purpose) & self.policy.vocabulary.markers
        subject = self.event.subject
        assert subject is not None and subject.consents is not None
        return list(dict.fromkeys(r.purpose for r in subject.consents if r.purpose in markers and self.in_force(r)))

    def consent_ages(self) -> list[int | None]:
        """The `age` of each valid consent covering the purpose that the subject gave
        themselves (not `parental`), None where a record gives none. A consent to a
        marker covers nothing, so its age does not count either."""
        covering = self.ancestors(self.event.purpose) - self.policy.vocabulary.markers
        subject = self.event.subject
        assert subject is not None and subject.consents is not None  # the model reads null as absent
        return [record.age for record in subject.consents
                if record.given_at <= self.at and (record.withdrawn_at is None or record.withdrawn_at > self.at)
                and record.purpose in covering and not record.parental]

    def objected(self) -> bool:
        covering = self.ancestors(self.event.purpose)
        subject = self.event.subject
        assert subject is not None and subject.objections is not None  # the model reads null as absent
        return any(objection in covering for objection in subject.objections)


def field_value(facts: Facts, node: ir.Field) -> Any:
    event = facts.event
    head = node.path[0]
    if head == "purpose":
        return event.purpose
    if head == "basis":
        return facts.policy.vocabulary.bases[event.purpose]
    if head == "destination":
        return event.destination
    if head == "recipient":
        if event.recipient is None:  # what is missing is the recipient, whichever fact is read
            raise missing("recipient", node.span)
        declared = facts.policy.vocabulary.recipients[event.recipient]
        return getattr(declared, node.path[1] if len(node.path) > 1 else "name")  # name, role, country, holds
    if head == "safeguards":
        assert event.safeguards is not None  # the model reads null as absent
        return frozenset(event.safeguards)
    if head == "automated":
        return event.automated
    if head == "exporter":
        return event.exporter
    if head == "data_age":
        if event.collected_at is None:
            raise no_data_age(node.span)
        return facts.at - event.collected_at
    if node.path == ("subject", "consent_age"):
        return consent_age(facts.consent_ages(), event.subject.age if event.subject else None, node.span)
    if head == "subject":
        value: Any = getattr(event.subject, node.path[1])
        if value is None:
            raise missing(node.name, node.span)
        return value
    # context.KEY...
    value = event.context
    for depth, key in enumerate(node.path[1:], start=2):
        if not isinstance(value, dict) or key not in value:
            raise missing('.'.join(node.path[:depth]), node.span)
        value = value[key]
    return value


def consent_age(ages: list[int | None], age: int | None, span=None) -> int:
    """`subject.consent_age`: the subject's age when they gave the consent that counts.
    When every valid covering consent of their own (`ages`, none parental) gives its
    `age`, the greatest of them (one consent given with capacity is enough), never
    above `subject.age`; else (no such consent, or one without an age) `subject.age`,
    as before consents carried ages. An evaluation error when that is needed and absent."""
    if ages and all(a is not None for a in ages):
        given = max(a for a in ages if a is not None)
        return given if age is None else min(given, age)
    if age is None:
        raise missing("subject.age", span)
    return age


def value(facts: Facts, node: ir.Node) -> Any:
    """The value of an expression; raises EvaluationError."""
    if isinstance(node, ir.Const):
        return node.value
    if isinstance(node, ir.Field):
        return field_value(facts, node)
    if isinstance(node, ir.Present):  # absent is what reading it would fail on
        assert isinstance(node.operand, ir.Field)  # the checker builds no other
        try:
            field_value(facts, node.operand)
        except EvaluationError:
            return False
        return True
    if isinstance(node, ir.Consent):
        return facts.consent(node.kind)
    if isinstance(node, ir.Objected):
        return facts.objected()
    if isinstance(node, ir.PurposeIn):
        return (node.purpose in facts.ancestors(facts.event.purpose)) != node.negated
    if isinstance(node, ir.Member):
        left, right = value(facts, node.left), value(facts, node.right)
        if not isinstance(right, (frozenset, list)):
            raise not_a_list(source_text(node.right), right, node.right.span)
        if isinstance(left, (dict, list, frozenset)) or left is None:
            raise not_single(source_text(node.left), left, node.left.span)
        return any(same(left, item) for item in right) != node.negated
    if isinstance(node, ir.Compare):
        return compare(node, value(facts, node.left), value(facts, node.right))
    if isinstance(node, ir.Lookup):
        key = value(facts, node.key)
        table = facts.policy.vocabulary.tables[node.table]
        if not isinstance(key, str):
            raise bad_table_key(node.table, key, node.span)
        if key in table.entries:
            return table.entries[key]
        if table.default is None:
            raise no_table_entry(node.table, key, node.span)
        return table.default
    truth = condition(facts, node)
    if isinstance(truth, EvaluationError):
        raise truth
    return truth


def condition(facts: Facts, node: ir.Node) -> bool | EvaluationError:
    """Three-valued truth of a condition: True, False or the error."""
    if isinstance(node, (ir.And, ir.Or)):
        decisive = isinstance(node, ir.Or)  # true decides `or`, false decides `and`
        return absorb(condition(facts, node.left), condition(facts, node.right), decisive)
    if isinstance(node, ir.Not):
        operand = condition(facts, node.operand)
        return operand if isinstance(operand, EvaluationError) else not operand
    try:
        result = value(facts, node)
    except EvaluationError as error:
        return error
    if not isinstance(result, bool):
        return not_a_truth(source_text(node), result, node.span)
    return result


# ---- rules ----------------------------------------------------------------------


@dataclass
class RuleOutcome:
    """How one rule fared against the event (for explanations)."""

    rule: ir.CheckedRule
    purpose_matches: bool
    destination_matches: bool
    categories: tuple[str, ...]  # event categories the rule's `on` matches
    when: bool | EvaluationError | None = None  # None when not evaluated or absent
    unless: bool | EvaluationError | None = None
    holds: bool | EvaluationError | None = None  # `when and not unless`

    @property
    def matches(self) -> bool:
        return self.purpose_matches and self.destination_matches and bool(self.categories)

    @property
    def applies(self) -> bool:
        """A forbid or an oblige applies when its condition holds or is an error (fail
        closed: an obligation added when unsure never allows more); a permit only when it holds."""
        if not self.matches:
            return False
        if isinstance(self.holds, EvaluationError):
            return self.rule.effect != "permit"
        return bool(self.holds)


def judge_rule(facts: Facts, rule: ir.CheckedRule) -> RuleOutcome:
    vocabulary = facts.policy.vocabulary
    event = facts.event
    purpose_matches = rule.purposes is None or bool(rule.purposes & facts.ancestors(event.purpose))
    destination_matches = rule.destination is None or event.destination in rule.destination
    ancestors = vocabulary.categories.ancestors
    categories = tuple(
        c for c in event.categories
        if rule.categories is None or rule.categories & ancestors[c] or forbid_overlap(rule, c, ancestors)
    )
    outcome = RuleOutcome(rule, purpose_matches, destination_matches, categories)
    if outcome.matches:
        outcome.when = condition(facts, rule.when) if rule.when is not None else None
        outcome.unless = condition(facts, rule.unless) if rule.unless is not None else None
        when = True if outcome.when is None else outcome.when
        not_unless: bool | EvaluationError
        if outcome.unless is None:
            not_unless = True
        elif isinstance(outcome.unless, EvaluationError):
            not_unless = outcome.unless
        else:
            not_unless = not outcome.unless
        outcome.holds = absorb(when, not_unless, False)
    return outcome


def forbid_overlap(rule: ir.CheckedRule, category: str, ancestors: Mapping[str, frozenset[str]]) -> bool:
    """A forbid (and an oblige) also matches an event category that is an *ancestor*
    of one of its categories (spec section 7.2): an event on `contact` carries
    `contact.phone`. (Its categories themselves and their descendants match as for a permit.)"""
    return rule.effect != "permit" and rule.categories is not None and any(
        category in ancestors[target] for target in rule.categories)


def absorb(left, right, decisive: bool):
    """`and` (decisive False) or `or` (decisive True) of three-valued operands:
    an operand equal to `decisive` decides even when the other is an error."""
    if left is decisive or right is decisive:
        return decisive
    return left if isinstance(left, EvaluationError) else right


# ---- the decision ------------------------------------------------------------------


@dataclass
class Evaluation:
    decision: Decision
    event: Event | None
    outcomes: list[RuleOutcome] = field(default_factory=list)
    consent_required: bool | None = None  # None when the purpose's basis is not consent
    consent_held: bool | None = None
    #: markers above the purpose that a consent in force names, when no consent is held:
    #: consents that did not count (a consent to a marker covers nothing)
    marker_consents: tuple[str, ...] = ()


def evaluate(policy: CheckedPolicy, digest: str, data: Any, strict: bool = False,
             now: datetime | None = None) -> Evaluation:
    now = now or datetime.now(timezone.utc)
    event, problems = validate(policy, data, now)
    if event is None:
        if strict:
            raise InvalidEvent(problems)
        invalid = [Reason(kind="invalid-event", message=printable(p)) for p in problems]
        return Evaluation(Decision(effect="deny", allowed=False, reasons=invalid, digest=digest), None)
    at = event.at or now
    facts = Facts(policy, event, at)
    destination = event.destination
    assert destination is not None  # given, or the recipient's (`resolved`)
    outcomes = [judge_rule(facts, rule) for rule in policy.rules]
    reasons: list[Reason] = []

    # 2. every forbid that matches and holds (or fails closed)
    for outcome in outcomes:
        if outcome.rule.effect == "forbid" and outcome.applies:
            reasons.append(_forbidden(outcome))

    # 3. the built-in consent rule
    consent_required: bool | None = None  # None when the purpose's basis is not consent
    consent_held: bool | None = None
    marker_consents: tuple[str, ...] = ()
    if policy.vocabulary.bases[event.purpose] == "consent":
        consent_required = True
        consent_held = facts.consent(None)
        if not consent_held:
            marker_consents = tuple(facts.marker_consents())
            reasons.append(Reason(
                kind="no-consent", rule=CONSENT_LABEL, cite=CONSENT_CITE,
                message=words.no_consent(event.purpose)))

    # 4. every category must be covered by a permit that holds
    permitted: list[Reason] = []
    obligations: set[str] = set()
    for category in event.categories:
        covering = [o for o in outcomes
                    if o.rule.effect == "permit" and o.applies and category in o.categories]
        if not covering:
            reasons.append(Reason(
                kind="not-permitted", category=category,
                message=words.not_permitted(category, event.purpose, destination)))
            continue
        first = covering[0].rule
        permitted.append(Reason(
            kind="permitted", rule=first.label, category=category, cite=first.cite,
            location=first.location, because=first.because, sugar=first.sugar,
            message=words.permitted(first, category)))
        for outcome in covering:
            obligations.update(outcome.rule.obligations)

    # 5. allow only when nothing above denied; every oblige that applies adds its
    # obligations (a deny hands out none)
    if reasons:
        decision = Decision(effect="deny", allowed=False, reasons=reasons, digest=digest)
    else:
        for outcome in outcomes:
            if outcome.rule.effect == "oblige" and outcome.applies:
                permitted.append(_obliged(outcome))
                obligations.update(outcome.rule.obligations)
        decision = Decision(effect="allow", allowed=True, reasons=permitted,
                            obligations=sorted(obligations), digest=digest)
    return Evaluation(decision, event, outcomes, consent_required, consent_held, marker_consents)


def explain_safely(policy: CheckedPolicy, digest: str, data: Any, strict: bool = False,
                   now: datetime | None = None) -> Evaluation:
    """`evaluate`, with an event that cannot even be read (nested too deeply for
    the model, a mapping whose methods raise…) denied instead of raising: an
    error never allows. In strict mode it raises `InvalidEvent`."""
    try:
        return evaluate(policy, digest, data, strict=strict, now=now)
    except InvalidEvent:
        raise
    except RecursionError:
        problem = "the event is nested too deeply"
    except Exception as error:  # noqa: BLE001 - fail closed on anything
        problem = f"the event cannot be read: {type(error).__name__}: {error}"
    if strict:
        raise InvalidEvent([problem])
    return Evaluation(unreadable(digest, problem), None)


def _obliged(outcome: RuleOutcome) -> Reason:
    rule = outcome.rule
    message = words.obliged(rule)
    if isinstance(outcome.holds, EvaluationError):
        message = words.fail_closed(message, outcome.holds.message)
    return Reason(kind="obliged", rule=rule.label, message=message, cite=rule.cite,
                  location=rule.location, because=rule.because, sugar=rule.sugar)


def _forbidden(outcome: RuleOutcome) -> Reason:
    rule = outcome.rule
    message = words.forbidden(rule)
    if isinstance(outcome.holds, EvaluationError):
        message = words.fail_closed(message, outcome.holds.message)
    return Reason(kind="forbidden", rule=rule.label, message=message, cite=rule.cite,
                  location=rule.location, because=rule.because, sugar=rule.sugar)
