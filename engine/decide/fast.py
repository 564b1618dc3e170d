"""The compiled fast path: decisions in microseconds, flat in the number of rules.

- Rules are indexed by purpose, then by category (`Reachable`): a plan for a
  (purpose, categories, destination) key is built from the rules that can match
  it, and a decision touches only those. Plans are built on first use and
  memoised (bounded), so compiling stays cheap; a key's first plan is light (its
  conditions whole), built again with the key folded in once it is in use.
- Conditions are compiled to Python closures: names and constants are captured
  by value. A plan in steady use (`generated.PROMOTE_AFTER` decisions) has its
  conditions compiled again, each into one generated function (`generated`),
  built from fixed templates: no policy text is ever part of generated code
  or executed; the policy's names and constants are bound variables.
- Validation of a plain dict is fused into the path: no pydantic model is built.
  Anything the fast validator is not sure about (an invalid event, an unusual
  timestamp format, a model instance) goes to the reference evaluator, which is
  the meaning; the fast path must agree with it (tests/test_differential.py),
  and `handovers` counts what it passed on: the tests hold valid events to zero.
"""

from __future__ import annotations

import operator
import threading
from datetime import datetime, timezone
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from .. import ir
from . import reference
from ..ir import CheckedPolicy
from ..core.countries import iso_codes
from ..event import fields
from ..event.values import flat_json, is_text, json_problems
from ..event.timestamps import parse_timestamp
from .decision import Decision, Reason, built_decision, built_reason
from . import reasons as words
from .generated import PROMOTE_AFTER, REFOLD_AFTER, STATIC_TYPES as _STATIC, generated, plain_comparison
from .values import (EvaluationError, bad_table_key, compare, missing, no_data_age, no_table_entry,
                     not_a_list, not_a_truth, not_single, same, source_text)

# the event's shape, from its one description (computed once, here)
EVENT_KEYS = fields.keys()
SUBJECT_KEYS = fields.keys("subject")
CONSENT_KEYS = fields.keys("subject", "consents")
_AGE = fields.at("subject", "age")
_EXPORTER = fields.at("exporter")
assert _AGE.minimum is not None and _AGE.maximum is not None
MIN_AGE, MAX_AGE = _AGE.minimum, _AGE.maximum
_UTC = timezone.utc
MAX_PLANS = 100_000
#: invalid events whose denies are remembered, and the largest such event (values
#: and containers counted): a bound on the memo's memory and on the cost of its key
MAX_INVALID = 1024
MAX_INVALID_NODES = 256
_NOTHING = object()
_NO_SAFEGUARDS: frozenset = frozenset()
_NO_OBLIGATIONS: frozenset = frozenset()  # one object, not one per plan
_NO_CONTEXT: dict = {}


class _Unsure(Exception):
    """The fast validator cannot vouch for this event: use the reference path."""


_PARSED: dict[str, datetime] = {}


def _timestamp(value) -> datetime | None:
    """A timestamp of the one grammar (`events.parse_timestamp`), memoised; else _Unsure."""
    if value is None:
        return None
    if type(value) is not str:
        raise _Unsure
    parsed = _PARSED.get(value)
    if parsed is not None:
        return parsed
    try:
        parsed = parse_timestamp(value)
    except ValueError:
        raise _Unsure from None
    if len(_PARSED) >= MAX_PLANS:
        _PARSED.clear()
    _PARSED[value] = parsed
    return parsed


class Facts:
    """What conditions read, taken from a plain dict without building a model.
    What an event leaves out keeps the class's value, so a plain event sets few
    attributes."""

    purpose: str
    ancestors: frozenset[str]  # the purpose's
    basis: str
    destination: str
    at: datetime
    safeguards: frozenset[str]
    automated: bool
    collected_at: datetime | None
    age: int | None
    country: str | None
    kind: str | None
    id: str | None
    #: (purpose, given, withdrawn, explicit, parental, age)
    consents: Sequence[tuple[str, datetime, datetime | None, bool, bool, int | None]]
    objections: Sequence[str]
    context: dict[str, Any]
    recipient: ir.Recipient | None  # the declared recipient the event names
    exporter: str

    safeguards = _NO_SAFEGUARDS
    automated = False
    exporter = _EXPORTER.default
    collected_at = age = country = kind = id = recipient = None
    consents = objections = ()
    context = _NO_CONTEXT

    def consent(self, kind: str | None) -> bool:
        at, ancestors = self.at, self.ancestors
        for purpose, given, withdrawn, explicit, parental, _ in self.consents:
            if given <= at and (withdrawn is None or withdrawn > at) and purpose in ancestors:
                if kind is None or (explicit if kind == "explicit" else parental):
                    return True
        return False

    def consent_ages(self) -> list[int | None]:
        """As `reference.Facts.consent_ages`."""
        at, ancestors = self.at, self.ancestors
        return [age for purpose, given, withdrawn, _, parental, age in self.consents
                if given <= at and (withdrawn is None or withdrawn > at) and purpose in ancestors
                and not parental]

    def known_consent_age(self) -> int | None:
        """`reference.consent_age` of these facts, None where it raises (missing)."""
        ages = self.consent_ages()
        if ages and None not in ages:
            given: int = max(ages)  # type: ignore[type-var, assignment]  # no None in them
            return given if self.age is None else min(given, self.age)
        return self.age

    def objected(self) -> bool:
        ancestors = self.ancestors
        return any(o in ancestors for o in self.objections)


class Known:
    """What a plan's key fixes, for folding conditions when the plan is built:
    reading anything else raises AttributeError (decided per event)."""

    __slots__ = ("purpose", "ancestors", "basis", "destination")
    purpose: str
    ancestors: frozenset[str]
    basis: str
    destination: str


class CompiledRule:
    __slots__ = ("rule", "forbidden", "permitted", "obliged", "leaves", "decidable", "folded", "generated",
                 "unfolded")

    def __init__(self, rule: ir.CheckedRule):
        self.rule = rule
        self.leaves: dict[int, Truth] | None = None  # the condition's leaves, by id(node)
        # for each leaf, whether it reads only what a plan's key fixes (`_decidable`)
        self.decidable: tuple[bool, ...] = ()
        self.folded: dict[tuple, Truth | bool] = {}  # by what a plan's key decides of the leaves
        self.generated: dict[tuple, Truth] = {}  # the same, as one generated function
        self.unfolded: Any = _NOTHING  # `whole`, once asked
        self.forbidden = built_reason(
            kind="forbidden", rule=rule.label, message=words.forbidden(rule),
            cite=rule.cite, location=rule.location, category=None, because=rule.because,
            sugar=rule.sugar)
        self.permitted: dict[str, Reason] = {}
        self.obliged = built_reason(
            kind="obliged", rule=rule.label, message=words.obliged(rule), cite=rule.cite,
            location=rule.location, category=None, because=rule.because, sugar=rule.sugar)

    def condition_for(self, known: "Known | None", vocabulary) -> "Truth | bool":
        """The condition with what `known` decides folded in. Plans whose keys decide
        the same leaves the same way share one closure (fewer objects, warmer caches)."""
        rule = self.rule
        if rule.when is None and rule.unless is None:
            return True
        leaves = self.leaves
        if leaves is None:  # built whole, then published: other threads see all or nothing
            leaves, decidable = {}, []
            for root in (rule.when, rule.unless):
                if root is not None:
                    for leaf in _leaf_nodes(root):
                        if id(leaf) not in leaves:
                            leaves[id(leaf)] = _leaf(leaf, vocabulary)
                            decidable.append(_decidable(leaf))
            self.decidable = tuple(decidable)
            self.leaves = leaves
        signature = self.signature(known)
        condition = self.folded.get(signature)
        if condition is None:
            condition = self.folded[signature] = _condition(
                rule, vocabulary, known, leaves, dict(zip(leaves, signature)))
        return condition

    def signature(self, known: "Known | None") -> tuple:
        """What `known` decides of each leaf (True, False, or None: per event). A leaf
        that reads the event is not even tried: that costs an exception."""
        assert self.leaves is not None  # condition_for built them
        return tuple([_decide(leaf, known) if decidable else None
                      for leaf, decidable in zip(self.leaves.values(), self.decidable)])

    def generated_for(self, known: "Known", condition: "Truth", vocabulary) -> "Truth":
        """`condition_for(known)` (which gave `condition`) as one generated function
        (`generated`), shared like it; `condition` itself when it is not worth one."""
        leaves = self.leaves
        assert leaves is not None  # condition_for built them
        signature = self.signature(known)
        function = self.generated.get(signature)
        if function is None:
            made = generated(self.rule, leaves, dict(zip(leaves, signature)), vocabulary)
            # a constant here would mean the closures folded differently: keep them
            function = condition if made is None or made is True or made is False else made
            self.generated[signature] = function
        return function

    def whole(self, vocabulary) -> "tuple | None":
        """The rule with its condition, nothing folded in, as a light plan holds it
        (`CompiledPolicy._plan`): one pair for every plan (fewer objects for the
        collector), its condition None when it always holds; None when it never does."""
        pair = self.unfolded
        if pair is _NOTHING:
            condition = self.condition_for(None, vocabulary)
            pair = self.unfolded = None if condition is False else (self, None if condition is True else condition)
        return pair

    def failed(self, memo: dict, problem: str) -> Reason:
        """The forbid's (or oblige's) reason when its condition failed (it applies:
        fail closed), kept in the plan's memo: the same problem gets the same reason."""
        base = self.obliged if self.rule.effect == "oblige" else self.forbidden
        reason = memo[(self, problem)] = built_reason(
            kind=base.kind, rule=base.rule, cite=base.cite, location=base.location,
            category=None, because=base.because, sugar=base.sugar,
            message=words.fail_closed(base.message, problem))
        return reason

    def permitted_for(self, category: str) -> Reason:
        reason = self.permitted.get(category)
        if reason is None:
            rule = self.rule
            reason = built_reason(
                kind="permitted", rule=rule.label, category=category, cite=rule.cite,
                location=rule.location, because=rule.because, sugar=rule.sugar,
                message=words.permitted(rule, category))
            self.permitted[category] = reason
        return reason


class Reachable:
    """The rules reachable from one purpose (policy order), indexed by the categories
    they name, so that a plan is built from the rules that can match its key: its
    cost grows with them, not with the policy."""

    __slots__ = ("permits_anywhere", "permits_on", "limits_anywhere", "limits_on", "limits_under")

    def __init__(self, rules: list[CompiledRule], ancestry: Mapping[str, frozenset[str]]):
        self.permits_anywhere: list[CompiledRule] = []  # on every category
        self.permits_on: dict[str, list[CompiledRule]] = {}  # by each category named
        # forbids and obliges: also matched by an event category that is an ancestor of
        # a category they name (`reference.forbid_overlap`), by each such ancestor
        self.limits_anywhere: list[CompiledRule] = []
        self.limits_on: dict[str, list[CompiledRule]] = {}
        self.limits_under: dict[str, list[CompiledRule]] = {}
        for compiled in rules:
            rule = compiled.rule
            permit = rule.effect == "permit"
            if rule.categories is None:
                (self.permits_anywhere if permit else self.limits_anywhere).append(compiled)
                continue
            for name in rule.categories:
                (self.permits_on if permit else self.limits_on).setdefault(name, []).append(compiled)
            if not permit:
                for above in set().union(*(ancestry[name] for name in rule.categories)):
                    self.limits_under.setdefault(above, []).append(compiled)

    def permits(self, ancestors: frozenset[str], destination: str) -> list[CompiledRule]:
        """The permits matching an event category (`ancestors`: its own, itself included)."""
        return _in_order(destination, self.permits_anywhere,
                         *(self.permits_on.get(name, ()) for name in ancestors))

    def limits(self, categories: list[tuple[str, frozenset[str]]], destination: str) -> list[CompiledRule]:
        """The forbids and obliges matching any of the event's categories."""
        return _in_order(destination, self.limits_anywhere,
                         *(self.limits_on.get(name, ()) for _, ancestors in categories for name in ancestors),
                         *(self.limits_under.get(category, ()) for category, _ in categories))


def _in_order(destination: str, *groups) -> list[CompiledRule]:
    """The rules of `groups` allowing `destination`, each once, in policy order."""
    found = {compiled.rule.index: compiled for group in groups for compiled in group
             if compiled.rule.destination is None or destination in compiled.rule.destination}
    return [found[index] for index in sorted(found)]


class CompiledPolicy:
    """A checked policy compiled for speed. Immutable after construction, apart
    from the memo of plans, whose updates are single dict assignments."""

    def __init__(self, checked: CheckedPolicy, digest: str):
        self.checked = checked
        self.digest = digest
        vocabulary = checked.vocabulary
        self.bases = vocabulary.event_bases  # what an event can be for: markers are not
        self.markers = vocabulary.markers
        self.purpose_ancestors = vocabulary.purposes.ancestors
        self.category_ancestors = vocabulary.categories.ancestors
        self.known_purposes = frozenset(vocabulary.purposes.ancestors)
        self.countries = iso_codes()
        self.recipients = vocabulary.recipients
        # each `fact`: its path, the Python types a plain value of it has (None: ask
        # `ir.Fact.admits`, for countries and lists) and its values
        self.fact_checks = [(fact.path, _FACT_TYPES.get(fact.type), fact.values, fact.admits)
                            for fact in vocabulary.facts]
        self.rules = [CompiledRule(rule) for rule in checked.rules]
        # rules by the purposes they name; `*` rules apply to every purpose
        self.naming: dict[str, list[CompiledRule]] = {}
        self.every_purpose: list[CompiledRule] = []
        for compiled in self.rules:
            if compiled.rule.purposes is None:
                self.every_purpose.append(compiled)
            else:
                for name in compiled.rule.purposes:
                    self.naming.setdefault(name, []).append(compiled)
        self.by_purpose: dict[str, Reachable] = {}
        self.plans: dict[tuple, tuple] = {}
        self.not_permitted: dict[tuple, Reason] = {}  # `unpermitted`'s memo
        # events the fast validator handed to the reference (not counting `strict`):
        # counted on that path alone, so the fast path pays nothing; tests read it
        self.handovers = 0
        self.handing_over = threading.Lock()
        # the denies of invalid plain events, by `invalid_key`: the reference's problems
        # are a function of the event alone, except a `collected_at` judged at `now`
        self.invalid: dict[tuple, Decision] = {}
        self.no_consent = {p: built_reason(
            kind="no-consent", rule=words.CONSENT_LABEL, cite=words.CONSENT_CITE, location=None,
            category=None, because=None, sugar=None,
            message=words.no_consent(p)) for p, basis in self.bases.items() if basis == "consent"}

    # ---- plans -------------------------------------------------------------------------

    def plan(self, purpose: str, categories: tuple, destination: str, key=None) -> tuple:
        key = key or (purpose, categories[0] if len(categories) == 1 else categories, destination)
        plan = self.plans.get(key)
        if plan is None:
            plan = self._plan(purpose, categories, destination, light=True)
            if len(self.plans) >= MAX_PLANS:
                self.plans.clear()
            self.plans[key] = plan
        return plan

    def reachable(self, purpose: str) -> "Reachable":
        """The rules whose purposes match `purpose`, indexed by the categories they name."""
        reach = self.by_purpose.get(purpose)
        if reach is None:
            found = {id(r): r for r in self.every_purpose}
            for ancestor in self.purpose_ancestors[purpose]:
                for compiled in self.naming.get(ancestor, ()):
                    found[id(compiled)] = compiled
            reach = Reachable(sorted(found.values(), key=lambda r: r.rule.index), self.category_ancestors)
            self.by_purpose[purpose] = reach
        return reach

    def _plan(self, purpose: str, categories: tuple, destination: str, light: bool = False,
              shared: dict | None = None) -> tuple:
        """A plan for a key: the rules that can match it with their conditions, its
        reasons and its memo of decisions. A `light` plan (a key's first) takes each
        condition whole, the cheapest to build; one in use (`REFOLD_AFTER`
        decisions) is built again with what the key fixes folded in, `shared` the
        light plan's decisions, so every decision it gave stays valid (its reasons
        are the rules' and `unpermitted`'s, the same objects)."""
        reach = self.reachable(purpose)
        ancestry = self.category_ancestors
        ancestors = [(c, ancestry[c]) for c in categories]
        limits = reach.limits(ancestors, destination)

        vocabulary = self.checked.vocabulary
        known = None if light else self.known(purpose, destination)

        conditions: dict[int, Any] = {}  # rule index -> True, False or a closure

        def folded(rules):
            """(rule, condition) pairs: each condition compiled with what the key fixes
            folded in; a rule that cannot hold is dropped, None for one that always holds."""
            kept = []
            for compiled in rules:
                if known is None:
                    pair = compiled.whole(vocabulary)
                    if pair is not None:
                        kept.append(pair)
                    continue
                index = compiled.rule.index
                condition = conditions.get(index)
                if condition is None:
                    condition = conditions[index] = compiled.condition_for(known, vocabulary)
                if condition is not False:
                    kept.append((compiled, None if condition is True else condition))
            return tuple(kept)

        forbids = folded(r for r in limits if r.rule.effect == "forbid")
        obliges = folded(r for r in limits if r.rule.effect == "oblige")
        decisions: dict = {} if shared is None else shared
        permits = tuple((category, folded(reach.permits(a, destination)))
                        for category, a in ancestors)
        # when no permit has a condition, what the permits grant (their reasons and
        # obligations) is fixed by the key; when no oblige has one either, the allow is
        # built once, here, else it is memoised by the obliges that apply (`obliged`)
        fixed = allow = None
        if all(candidates and all(condition is None for _, condition in candidates)
               for _, candidates in permits):
            fixed = (tuple(candidates[0][0].permitted_for(category) for category, candidates in permits),
                     frozenset(o for _, candidates in permits for compiled, _ in candidates
                               for o in compiled.rule.obligations) or _NO_OBLIGATIONS)
            if all(condition is None for _, condition in obliges):
                granted = fixed[0] + tuple(compiled.obliged for compiled, _ in obliges)
                obligations = tuple(sorted(fixed[1].union(*(compiled.rule.obligations for compiled, _ in obliges))))
                # kept as `evaluate` keeps an allow: a light plan may have given it already
                memo = (id(granted[0]), obligations) if len(granted) == 1 else (*map(id, granted), obligations)
                allow = decisions.get(memo) or decisions.setdefault(
                    memo, built_decision("allow", True, granted, obligations, self.digest))
        # the plan's decisions (`{}` below) are kept by the identities of their reasons (all
        # owned by the plan or its rules, so alive as long as the plan): decisions are immutable.
        # a count of decisions until the conditions are compiled (`promote`); None: none to compile
        conditional = any(condition is not None for _, condition in forbids + obliges) or any(
            condition is not None for _, candidates in permits for _, condition in candidates)
        # a light plan counts to its refolding (`promote` tells the two apart by `known`)
        uses = [PROMOTE_AFTER - REFOLD_AFTER] if light else [0] if conditional else None
        return (forbids, self.no_consent.get(purpose), permits, decisions, allow, obliges, uses, fixed, known)

    def unpermitted(self, category: str, purpose: str, destination: str) -> Reason:
        """The not-permitted reason of a category for a key, the same object every
        time while the memo holds it (a decision's memo key is its reasons' ids)."""
        key = (category, purpose, destination)
        reason = self.not_permitted.get(key)
        if reason is None:
            if len(self.not_permitted) >= MAX_PLANS:
                self.not_permitted.clear()
            reason = self.not_permitted[key] = built_reason(
                kind="not-permitted", rule=None, cite=None, location=None, category=category,
                because=None, sugar=None, message=words.not_permitted(category, purpose, destination))
        return reason

    def known(self, purpose: str, destination: str) -> Known:
        known = Known()
        known.purpose, known.ancestors = purpose, self.purpose_ancestors[purpose]
        known.basis, known.destination = self.bases[purpose], destination
        return known

    def promote(self, key: tuple, plan: tuple) -> None:
        """A light plan in use, built again with its key folded in; a folded plan in
        steady use, its conditions compiled (`generated`) in place of their closures.
        The rest (its reasons, its decisions) stay the same objects."""
        if self.plans.get(key) is not plan:
            return  # promoted already, or the memo was cleared
        forbids, no_consent, permits, decisions, allow, obliges, _, fixed, known = plan
        if known is None:
            categories = (key[1],) if type(key[1]) is str else key[1]
            self.plans[key] = self._plan(key[0], categories, key[2], shared=decisions)
            return
        vocabulary = self.checked.vocabulary

        def compiled(pairs: tuple) -> tuple:
            return tuple((rule, None if condition is None else rule.generated_for(known, condition, vocabulary))
                         for rule, condition in pairs)

        self.plans[key] = (compiled(forbids), no_consent,
                           tuple((category, compiled(candidates)) for category, candidates in permits),
                           decisions, allow, compiled(obliges), None, fixed, known)

    # ---- facts -----------------------------------------------------------------------------

    def facts(self, event: dict, now: datetime | None) -> Facts:
        """Validate a plain dict and read its facts, or raise _Unsure. It vouches
        only for events that `engine.event.values` calls valid; anything else (and
        anything unusual, such as a `null` for an optional field) goes to the
        reference, which names the problems."""
        if type(event) is not dict:
            raise _Unsure
        get = event.get
        purpose = get("purpose")
        categories = get("categories")
        destination = get("destination")
        recipient = get("recipient")
        declared = None
        if recipient is not None:  # the recipient gives the destination, or agrees with it
            declared = self.recipients.get(recipient) if type(recipient) is str else None
            if declared is None or (destination is not None and destination != declared.country):
                raise _Unsure
            destination = declared.country
        bases = self.bases
        if (type(purpose) is not str or purpose not in bases or type(categories) is not list
                or not categories or type(destination) is not str or destination not in self.countries):
            raise _Unsure
        known = self.category_ancestors
        for category in categories:
            if type(category) is not str or category not in known:
                raise _Unsure
        facts = Facts()
        facts.purpose = purpose
        facts.ancestors = self.purpose_ancestors[purpose]
        facts.basis = bases[purpose]
        facts.destination = destination
        at = get("at")
        # _timestamp gives None only for None, excluded here
        facts.at = (_PARSED.get(at) or _timestamp(at)) if at is not None else (now or datetime.now(_UTC))  # type: ignore[assignment]
        subject = get("subject", _NOTHING)
        # the usual event holds no more than these: the rest is read only when there
        if len(event) > 3 + (at is not None) + (subject is not _NOTHING):
            if not EVENT_KEYS.issuperset(event):
                raise _Unsure
            self.optional_facts(event, facts)
        if declared is not None:
            facts.recipient = declared
            if declared.holds:
                facts.safeguards = facts.safeguards | declared.holds
        if subject is _NOTHING:
            return facts
        if type(subject) is not dict:
            raise _Unsure
        sget = subject.get
        age = sget("age")
        if age is not None:
            if type(age) is not int or not MIN_AGE <= age <= MAX_AGE:
                raise _Unsure
            facts.age = age
        country = sget("country")
        if country is not None:
            if type(country) is not str or country not in self.countries:
                raise _Unsure
            facts.country = country
        consents = sget("consents", _NOTHING)
        if len(subject) > (age is not None) + (country is not None) + (consents is not _NOTHING):
            if not SUBJECT_KEYS.issuperset(subject):
                raise _Unsure
            self.optional_subject(subject, facts)
        if consents is _NOTHING or consents == []:
            return facts
        if type(consents) is not list:
            raise _Unsure
        known_purposes, markers = self.known_purposes, self.markers
        records = []
        for record in consents:
            if type(record) is not dict or not CONSENT_KEYS.issuperset(record):
                raise _Unsure
            rget = record.get
            consent_purpose = rget("purpose")
            explicit, parental = rget("explicit", False), rget("parental", False)
            given = rget("given_at")
            given = _PARSED.get(given) or _timestamp(given) if type(given) is str else None
            withdrawn = rget("withdrawn_at")
            given_age = rget("age")
            if (given is None or type(consent_purpose) is not str or consent_purpose not in known_purposes
                    or (explicit is not False and explicit is not True)
                    or (parental is not False and parental is not True)
                    or (given_age is not None and (type(given_age) is not int
                                                   or not MIN_AGE <= given_age <= MAX_AGE))):
                raise _Unsure
            withdrawn = None if withdrawn is None else _timestamp(withdrawn)
            if consent_purpose not in markers:  # a consent to a marker covers nothing
                records.append((consent_purpose, given, withdrawn, explicit, parental, given_age))
        facts.consents = records
        return facts

    @staticmethod
    def optional_facts(event: dict, facts: Facts) -> None:
        """The event's optional fields, or raise _Unsure."""
        get = event.get
        safeguards = get("safeguards", _NOTHING)
        if safeguards is not _NOTHING and safeguards != []:
            if type(safeguards) is not list or not all(type(s) is str and is_text(s) for s in safeguards):
                raise _Unsure
            facts.safeguards = frozenset(safeguards)
        exporter = get("exporter", _NOTHING)
        if exporter is not _NOTHING:
            if type(exporter) is not str or exporter not in _EXPORTER.choices:
                raise _Unsure
            facts.exporter = exporter
        automated = get("automated", False)
        if automated is not False:
            if automated is not True:
                raise _Unsure
            facts.automated = True
        collected = get("collected_at")
        if collected is not None:
            facts.collected_at = _timestamp(collected)
            if facts.collected_at > facts.at:  # type: ignore[operator]  # not None: `collected` is not
                raise _Unsure
        context = get("context", _NOTHING)
        if context is not _NOTHING:
            if type(context) is not dict or (context and not flat_json(context) and json_problems(context, 2)):
                raise _Unsure
            facts.context = context

    def optional_subject(self, subject: dict, facts: Facts) -> None:
        """The subject's optional fields, or raise _Unsure."""
        sget = subject.get
        kind, id_ = sget("kind"), sget("id")
        if ((kind is not None and (type(kind) is not str or not is_text(kind)))
                or (id_ is not None and (type(id_) is not str or not is_text(id_)))):
            raise _Unsure
        facts.kind, facts.id = kind, id_
        objections = sget("objections", _NOTHING)
        if objections is not _NOTHING and objections != []:
            if type(objections) is not list or not all(
                    type(o) is str and o in self.known_purposes for o in objections):
                raise _Unsure
            facts.objections = objections

    def facts_hold(self, event: dict) -> bool:
        """Whether every declared fact's field of a plain event is absent or admitted
        (`reference.fact_problems` finds none): the same test, on dicts only."""
        for path, types, values, admits in self.fact_checks:
            value: Any = event
            for key in path:
                if type(value) is not dict or key not in value:
                    break
                value = value[key]
            else:
                if value is None and path[0] == "subject":
                    continue  # null is absent in `subject`
                if types is None:
                    if not admits(value):
                        return False
                elif type(value) not in types or (values is not None and value not in values):
                    return False
        return True

    # ---- the decision ----------------------------------------------------------------------

    def evaluate(self, event: Any, strict: bool = False, now: datetime | None = None) -> Decision:
        """Decide one event (a mapping or an `engine.Event`). Never raises on a bad
        event unless `strict`, which raises `engine.InvalidEvent`. `now` stands in
        for a missing `at`."""
        if strict:
            return reference.explain_safely(self.checked, self.digest, event, True, now).decision
        try:
            facts = self.facts(event, now)
            if self.fact_checks and not self.facts_hold(event):
                raise _Unsure  # a declared fact's field holds another value: the reference names it
        except Exception:  # _Unsure, or a value the checks above did not expect: the reference decides
            with self.handing_over:
                self.handovers += 1
            return self.handed_over(event, now)
        categories = event["categories"]
        key: tuple = (facts.purpose, categories[0] if len(categories) == 1 else tuple(categories),
               facts.destination)
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plan(facts.purpose, tuple(categories), facts.destination, key)
        forbids, no_consent, permits, decisions, allow, obliges, uses, fixed, _ = plan
        if uses is not None:  # counted, not locked: a lost count only delays the promotion
            uses[0] += 1
            if uses[0] >= PROMOTE_AFTER:
                self.promote(key, plan)
        reasons = []
        for compiled, condition in forbids:
            if condition is None:
                reasons.append(compiled.forbidden)
                continue
            holds = condition(facts)
            if holds is True:
                reasons.append(compiled.forbidden)
            elif holds is not False:  # an error: the forbid applies, fail closed
                reasons.append(decisions.get((compiled, holds.message))
                               or compiled.failed(decisions, holds.message))
        if no_consent is not None and not facts.consent(None):
            reasons.append(no_consent)
        if not reasons:
            if allow is not None:
                return allow
            if fixed is not None:
                return self.obliged(fixed, obliges, decisions, facts)
        permitted = []
        obligations: set[str] = set()
        for category, candidates in permits:
            first = None
            for compiled, condition in candidates:
                if condition is None or condition(facts) is True:
                    if first is None:
                        first = compiled
                    if compiled.rule.obligations:
                        obligations.update(compiled.rule.obligations)
            if first is None:
                # made when a decision first needs it: most keys are allowed
                reasons.append(self.unpermitted(category, facts.purpose, facts.destination))
            else:
                permitted.append(first.permitted.get(category) or first.permitted_for(category))
        if reasons:
            key = tuple(map(id, reasons))
            decision = decisions.get(key)
            if decision is None:
                decision = decisions[key] = built_decision("deny", False, tuple(reasons), (), self.digest)
            return decision
        for compiled, condition in obliges:  # an allow: each oblige that applies adds to it
            holds = True if condition is None else condition(facts)
            if holds is True:
                permitted.append(compiled.obliged)
            elif holds is not False:  # an error: the obligations are added, fail closed
                permitted.append(decisions.get((compiled, holds.message))
                                 or compiled.failed(decisions, holds.message))
            else:
                continue
            obligations.update(compiled.rule.obligations)
        granted = tuple(sorted(obligations)) if obligations else ()
        key = (id(permitted[0]), granted) if len(permitted) == 1 else (*map(id, permitted), granted)
        decision = decisions.get(key)
        if decision is None:
            decision = decisions[key] = built_decision("allow", True, tuple(permitted), granted,
                                                       self.digest)
        return decision

    def handed_over(self, event: Any, now: datetime | None) -> Decision:
        """The reference's decision on an event the fast validator did not vouch for.
        The deny of an invalid plain event is remembered: its problems depend on the
        event alone (`reference.validate`), unless it has a `collected_at` and no
        `at`, which is judged at `now`; a valid event handed over (a `null` for an
        optional field, say) is decided afresh, at its time."""
        key = None
        if type(event) is dict and ("at" in event or "collected_at" not in event):
            key = invalid_key(event)
            if key is not None:
                decision = self.invalid.get(key)
                if decision is not None:
                    return decision
        decision = reference.explain_safely(self.checked, self.digest, event, False, now).decision
        if key is not None and decision.reasons and all(r.kind == "invalid-event" for r in decision.reasons):
            if len(self.invalid) >= MAX_INVALID:
                self.invalid = {}
            self.invalid[key] = decision
        return decision

    def obliged(self, fixed: tuple, obliges: tuple, decisions: dict, facts: Facts) -> Decision:
        """The allow of a plan whose permits have no condition (`fixed`: their reasons and
        obligations), with each oblige that applies to this event, in policy order."""
        applied, rules = [], []
        for compiled, condition in obliges:
            holds = True if condition is None else condition(facts)
            if holds is True:
                applied.append(compiled.obliged)
            elif holds is not False:  # an error: the obligations are added, fail closed
                applied.append(decisions.get((compiled, holds.message)) or compiled.failed(decisions, holds.message))
            else:
                continue
            rules.append(compiled.rule)
        key = ("obliged", *map(id, applied))  # oblige reasons: no other key holds them
        decision = decisions.get(key)
        if decision is None:
            permitted, obligations = fixed
            granted = obligations.union(*(rule.obligations for rule in rules))
            decision = decisions[key] = built_decision("allow", True, permitted + tuple(applied),
                                                       tuple(sorted(granted)), self.digest)
        return decision


class _NotPlain(Exception):
    pass


def invalid_key(event: dict) -> tuple | None:
    """A key equal for two events only when they are the same JSON: every value
    with its exact type (`True` is not `1`, a `DuplicateKeys` or a tuple is not
    plain), floats by their repr (`-0.0` is not `0.0`); None for an event of
    anything else or of more than MAX_INVALID_NODES values and containers."""
    budget = [MAX_INVALID_NODES]

    def key(value: Any) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise _NotPlain
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return kind, value
        if kind is float:
            return kind, repr(value)
        if kind is dict:
            if not all(type(name) is str for name in value):
                raise _NotPlain
            return kind, tuple([(name, key(item)) for name, item in value.items()])
        if kind is list:
            return kind, tuple([key(item) for item in value])
        raise _NotPlain

    try:
        return key(event)
    except (_NotPlain, RecursionError):  # RecursionError: called from deep in a caller's stack
        return None


#: the Python types of a plain value of a fact's type (`ir.Fact.admits` says the same)
_FACT_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


# ---- conditions to closures -----------------------------------------------------------------

Value = Callable[[Facts], Any]
Truth = Callable[[Facts], "bool | EvaluationError"]
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
          "==": operator.eq, "!=": operator.ne}


def _leaf_nodes(node: ir.Node):
    """The operands of a condition's and/or/not tree, in order."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (ir.And, ir.Or)):
            stack += [current.right, current.left]
        elif isinstance(current, ir.Not):
            stack.append(current.operand)
        else:
            yield current


def _decide(leaf: Truth, known: Known | None) -> bool | None:
    """True or False when what a plan's key fixes decides the leaf; else None."""
    try:
        # deliberate: a Known (or None) reads like Facts, raising AttributeError for the rest
        value = leaf(known)  # type: ignore[arg-type]
    except AttributeError:  # reads the event: decided per event
        return None
    return value if value is True or value is False else None


def _condition(rule: ir.CheckedRule, vocabulary, known: Known | None, leaves: dict, decided: dict) -> Truth | bool:
    """`when and not unless`: True when it always holds, False when it never does,
    else one closure. `known` is what the plan's key fixes; `decided` what it decides
    of each leaf (`CompiledRule.signature`), folded away."""
    when = True if rule.when is None else _truth(rule.when, vocabulary, known, leaves, decided)
    unless = False if rule.unless is None else _truth(rule.unless, vocabulary, known, leaves, decided)
    if when is False or unless is True:
        return False
    if unless is False:
        return when

    def holds(facts: Facts):
        first = True if when is True else when(facts)
        if first is False:
            return False
        excluded = unless(facts)
        if excluded is True:
            return False
        if excluded is False:
            return first
        return first if first is not True else excluded  # the error, unless `when` decided

    return holds


def _truth(node: ir.Node, vocabulary, known: Known | None, leaves: dict | None = None,
           decided: dict | None = None) -> Truth | bool:
    """A condition as a closure giving True, False or an EvaluationError, or as
    True/False when `known` decides it (absorption: `false and error` is false).
    `leaves` holds closures already built for the operands, by id(node), and
    `decided` what `known` decides of them (else each is tried on `known`)."""
    if isinstance(node, (ir.And, ir.Or)):
        decisive = isinstance(node, ir.Or)
        left = _truth(node.left, vocabulary, known, leaves, decided)
        right = _truth(node.right, vocabulary, known, leaves, decided)
        if left is decisive or right is decisive:
            return decisive
        if left is (not decisive):
            return right
        if right is (not decisive):
            return left

        # left and right are closures here (the constant cases returned above; mypy cannot
        # narrow on `is decisive`, a bool known only at run time)
        def combine(facts: Facts):
            a = left(facts)  # type: ignore[operator]
            if a is decisive:
                return decisive
            b = right(facts)  # type: ignore[operator]
            if b is decisive:
                return decisive
            return a if a is not (not decisive) else b

        return combine
    if isinstance(node, ir.Not):
        inner = _truth(node.operand, vocabulary, known, leaves, decided)
        if inner is True or inner is False:
            return not inner

        def negate(facts: Facts):
            value = inner(facts)
            return (not value) if value is True or value is False else value

        return negate
    truth = (leaves or {}).get(id(node)) or _leaf(node, vocabulary)
    value = decided[id(node)] if decided is not None else _decide(truth, known)
    return truth if value is None else value


#: the fields a plan's key fixes (`Known`)
_KNOWN_FIELDS = frozenset({"purpose", "basis", "destination"})


def _decidable(node: ir.Node) -> bool:
    """Whether an operand reads nothing but what a plan's key fixes (`Known`): only
    those are tried on it. (One that reads more but is decided anyway, by an `or`
    inside a comparison, say, is left to each event: folding is only a saving.)"""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (ir.Const, ir.PurposeIn)):
            continue
        if isinstance(current, ir.Field):
            if current.path[0] not in _KNOWN_FIELDS:
                return False
        elif isinstance(current, (ir.Member, ir.Compare, ir.And, ir.Or)):
            stack += [current.left, current.right]
        elif isinstance(current, (ir.Not, ir.Present)):
            stack.append(current.operand)
        elif isinstance(current, ir.Lookup):
            stack.append(current.key)
        else:  # consent, objections: the event's
            return False
    return True


def _leaf(node: ir.Node, vocabulary) -> Truth:
    """An operand of and/or/not as a closure giving True, False or an EvaluationError."""
    value = _value(node, vocabulary)
    text, span = source_text(node), node.span

    def truth(facts: Facts):
        try:
            result = value(facts)
        except EvaluationError as error:
            return error
        if result is True or result is False:
            return result
        return not_a_truth(text, result, span)

    return truth


def _value(node: ir.Node, vocabulary) -> Value:
    if isinstance(node, ir.Const):
        constant = node.value
        return lambda facts: constant
    if isinstance(node, ir.Field):
        return _field(node)
    if isinstance(node, ir.Present):
        return _present(node)
    if isinstance(node, ir.Consent):
        kind = node.kind
        return lambda facts: facts.consent(kind)
    if isinstance(node, ir.Objected):
        return lambda facts: facts.objected()
    if isinstance(node, ir.PurposeIn):
        purpose, negated = node.purpose, node.negated
        return lambda facts: (purpose in facts.ancestors) != negated
    if isinstance(node, ir.Member):
        return _member(node, vocabulary)
    if isinstance(node, ir.Compare):
        left, right = _value(node.left, vocabulary), _value(node.right, vocabulary)
        if plain_comparison(node):
            op = _ORDER[node.op]
            return lambda facts: op(left(facts), right(facts))
        return lambda facts: compare(node, left(facts), right(facts))
    if isinstance(node, ir.Lookup):
        return _lookup(node, vocabulary)
    truth = _truth(node, vocabulary, None)
    if truth is True or truth is False:  # constants only
        constant = truth
        return lambda facts: constant

    def logical(facts: Facts):
        result = truth(facts)
        if isinstance(result, EvaluationError):
            raise result
        return result

    return logical


def _field(node: ir.Field) -> Value:
    path, name, span = node.path, node.name, node.span
    head = path[0]
    if head == "purpose":
        return lambda facts: facts.purpose
    if head == "basis":
        return lambda facts: facts.basis
    if head == "destination":
        return lambda facts: facts.destination
    if head == "safeguards":
        return lambda facts: facts.safeguards
    if head == "automated":
        return lambda facts: facts.automated
    if head == "exporter":
        return lambda facts: facts.exporter
    if head == "data_age":
        def data_age(facts: Facts):
            if facts.collected_at is None:
                raise no_data_age(span)
            return facts.at - facts.collected_at
        return data_age
    if head == "recipient":
        part = path[1] if len(path) > 1 else "name"

        def recipient(facts: Facts):
            declared = facts.recipient
            if declared is None:
                raise missing("recipient", span)
            return getattr(declared, part)
        return recipient
    if path == ("subject", "consent_age"):
        return lambda facts: reference.consent_age(facts.consent_ages(), facts.age, span)
    if head == "subject":
        attribute = {"age": "age", "country": "country", "kind": "kind", "id": "id"}[path[1]]

        def subject(facts: Facts):
            value = getattr(facts, attribute)
            if value is None:
                raise missing(name, span)
            return value
        return subject
    keys = path[1:]

    def context(facts: Facts):
        value: Any = facts.context
        for depth, key in enumerate(keys, start=2):
            if not isinstance(value, dict) or key not in value:
                raise missing('.'.join(path[:depth]), span)
            value = value[key]
        return value
    return context


def _present(node: ir.Present) -> Value:
    assert isinstance(node.operand, ir.Field)  # the checker builds no other
    read = _field(node.operand)

    def present(facts: Facts):
        try:
            read(facts)
        except EvaluationError:
            return False
        return True
    return present


def _member(node: ir.Member, vocabulary) -> Value:
    left = _value(node.left, vocabulary)
    negated = node.negated
    if isinstance(node.right, ir.Const) and node.left.type in _STATIC and isinstance(node.right.value, frozenset):
        members = node.right.value
        return lambda facts: (left(facts) in members) != negated
    right = _value(node.right, vocabulary)
    left_text, right_text = source_text(node.left), source_text(node.right)
    left_span, right_span = node.left.span, node.right.span

    def member(facts: Facts):
        a, b = left(facts), right(facts)
        if not isinstance(b, (frozenset, list)):
            raise not_a_list(right_text, b, right_span)
        if type(a) is str:  # a string equals only a string: `in` is the language's equality
            return (a in b) != negated
        if isinstance(a, (dict, list, frozenset)) or a is None:
            raise not_single(left_text, a, left_span)
        return any(same(a, item) for item in b) != negated
    return member


def _lookup(node: ir.Lookup, vocabulary) -> Value:
    table = vocabulary.tables[node.table]
    entries, default, name, span = table.entries, table.default, node.table, node.span
    key = _value(node.key, vocabulary)

    def lookup(facts: Facts):
        country = key(facts)
        if not isinstance(country, str):
            raise bad_table_key(name, country, span)
        found = entries.get(country)
        if found is not None:
            return found
        if default is None:
            raise no_table_entry(name, country, span)
        return default
    return lookup


__all__ = ["CompiledPolicy"]
