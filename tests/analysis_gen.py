"""Small generated policies, their mutations, and a grid of events over what
they read: the brute force that tests/test_analysis_properties.py checks the
exact analysis (`engine.diff`, `Policy.remedies`) against.

A policy is a `Spec` (declarations and rules as data), so that a mutation can
drop, add or change one rule and the grid can be built from the constants the
policy names, without asking the analysis under test what it reads."""

from __future__ import annotations

import dataclasses
import itertools
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

AT = "2026-01-01T00:00:00Z"
BASES = ["consent", "contract", "legitimate_interest"]
REGIONS = {"west": "{DE, FR}", "north": "{SE, DE, NO}", "far": "{US, JP}"}
TABLE_KEYS = ["DE", "FR"]
SAFEGUARDS = ["scc", "bcr"]
#: the recipients a spec may declare: (name, role, country, holds)
RECIPIENTS = (("cloud", "processor", "US", ("scc",)), ("local", "controller", "DE", ()))
GROUNDS = ["x", "y"]


@dataclasses.dataclass(frozen=True)
class Rule:
    kind: str  # permit forbid require residency retain oblige
    purposes: tuple[str, ...] = ("*",)
    categories: tuple[str, ...] | None = None  # None: no `on`
    to: str | None = None
    when: Any = None  # condition trees (tuples), see `render`
    unless: Any = None
    require: Any = None
    obligations: tuple[str, ...] = ()
    days: int = 30  # retain

    def text(self) -> str:
        targets = ", ".join(self.purposes)
        if self.categories is not None:
            targets += " on " + ", ".join(self.categories)
        if self.to is not None:
            targets += " to " + self.to
        if self.kind == "residency":
            return f"residency {self.categories[0] if self.categories else '*'} in {self.to or 'west'}"
        if self.kind == "retain":
            return f"retain {self.categories[0] if self.categories else '*'} for {self.days} days"
        if self.kind == "require":
            text = f"require {render(self.require)} for {targets}"
            return text + (f" when {render(self.when)}" if self.when is not None else "")
        text = f"{self.kind} {targets}"
        if self.kind == "oblige":
            text = f"oblige {', '.join(self.obligations)} for {targets}"
        if self.when is not None:
            text += f" when {render(self.when)}"
        if self.unless is not None:
            text += f" unless {render(self.unless)}"
        if self.obligations and self.kind == "permit":
            text += " with " + ", ".join(self.obligations)
        return text


@dataclasses.dataclass(frozen=True)
class Spec:
    purposes: tuple[tuple[str, str | None], ...]  # (name, basis or None: inherited)
    categories: tuple[str, ...]
    regions: tuple[str, ...]
    table: tuple[tuple[str, int], ...] | None  # entries; the default is DEFAULT_AGE
    table_default: bool
    obligations: tuple[str, ...]
    rules: tuple[Rule, ...]
    gdpr: bool = False
    markers: tuple[str, ...] = ()  # marker purposes (groups: `p` over `p.s`)
    recipients: tuple[tuple[str, str, str, tuple[str, ...]], ...] = ()
    facts: tuple[str, ...] = ()  # `fact` declarations, as written (FACTS)
    controller: str | None = None  # the country of `controller acme in …`, or no declaration

    def text(self) -> str:
        lines = ["use gdpr"] if self.gdpr else []
        lines += list(self.facts)
        for name, basis in self.purposes:
            lines.append(f"purpose {name}" + (f" basis {basis}" if basis else "")
                         + (" marker" if name in self.markers else ""))
        lines += [f"category {c}" for c in self.categories]
        lines += [f"region {r} = {REGIONS[r]}" for r in self.regions]
        if self.table is not None:
            entries = ", ".join(f"{k}: {v}" for k, v in self.table)
            lines.append("table t " + ("default 16 " if self.table_default else "") + "{ " + entries + " }")
        lines += [f'obligation {o} "duty {o}"' for o in self.obligations]
        for name, role, country, holds in self.recipients:
            lines.append(f"recipient {name} {role} in {country}" + (
                " holds " + ", ".join(f'"{h}"' for h in holds) if holds else ""))
        if self.controller is not None:
            lines.append(f"controller acme in {self.controller}")
        lines += [rule.text() for rule in self.rules]
        return "\n".join(lines) + "\n"

    @property
    def purpose_names(self) -> list[str]:
        return [name for name, _ in self.purposes]


def render(node) -> str:
    op = node[0]
    if op == "and" or op == "or":
        return f"({render(node[1])} {op} {render(node[2])})"
    if op == "not":
        return f"not ({render(node[1])})"
    if op == "atom":
        return node[1]
    if op == "age":
        return f"subject.age {node[1]} {node[2]}"
    if op == "consent_age":
        return f"subject.consent_age {node[1]} {node[2]}"
    if op == "data_age":
        return f"data_age > {node[1]} days"
    raise AssertionError(node)


# ---- strategies ----------------------------------------------------------------------------------


@st.composite
def atoms(draw, spec_regions, purposes, table, recipients=False, controller=False):
    choices = ['recipient.role == "processor"', 'recipient == "local"', '"scc" in recipient.holds'] \
        if recipients else []
    if controller:  # constants the checker folds, beside event fields
        choices += ["destination == controller.country", "subject.country != controller.country"]
        choices += [f"controller.country in {r}" for r in spec_regions]
    choices += ["consent", "explicit consent", "parental consent", "objected", "automated",
               '"scc" in safeguards', '"bcr" in safeguards', 'context.g == "x"', 'context.g in {"x", "y"}',
               "basis == consent", "age", "data_age", "purpose", 'exporter == "subject"']
    choices += [f"destination in {r}" for r in spec_regions]
    choices.append("consent_age")
    if table is not None:
        choices += ["subject.age >= t[subject.country]", "subject.consent_age < t[subject.country]"]
    choice = draw(st.sampled_from(choices))
    if choice == "age":
        return ("age", draw(st.sampled_from(["<", ">="])), draw(st.sampled_from([13, 16, 18])))
    if choice == "consent_age":
        return ("consent_age", draw(st.sampled_from(["<", ">="])), draw(st.sampled_from([13, 16])))
    if choice == "data_age":
        return ("data_age", draw(st.sampled_from([30, 365])))
    if choice == "purpose":
        return ("atom", f"purpose in {draw(st.sampled_from(purposes))}")
    return ("atom", choice)


@st.composite
def conditions(draw, regions, purposes, table, depth: int = 2, recipients: bool = False,
               controller: bool = False):
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(atoms(regions, purposes, table, recipients, controller))
    op = draw(st.sampled_from(["and", "or", "not"]))
    if op == "not":
        return ("not", draw(conditions(regions, purposes, table, depth - 1, recipients, controller)))
    return (op, draw(conditions(regions, purposes, table, depth - 1, recipients, controller)),
            draw(conditions(regions, purposes, table, depth - 1, recipients, controller)))


@st.composite
def rules(draw, spec: Spec):
    purposes = spec.purpose_names
    cats = list(spec.categories) + ["c"]
    cond = conditions(spec.regions, purposes, spec.table, recipients=bool(spec.recipients),
                      controller=spec.controller is not None)
    kind = draw(st.sampled_from(["permit", "permit", "permit", "forbid", "require", "residency", "retain",
                                 "oblige"]))
    if kind == "oblige" and not spec.obligations:
        kind = "permit"
    targets = draw(st.one_of(st.just(("*",)), st.lists(st.sampled_from(purposes), min_size=1, max_size=2,
                                                       unique=True).map(tuple)))
    on = draw(st.one_of(st.none(), st.lists(st.sampled_from(cats), min_size=1, max_size=2, unique=True).map(tuple)))
    to = draw(st.one_of(st.none(), st.sampled_from(spec.regions)))
    if kind in ("residency", "retain"):
        return Rule(kind, categories=(draw(st.sampled_from(cats + ["*"])),), to=draw(st.sampled_from(spec.regions)),
                    days=draw(st.sampled_from([30, 365])))
    when = draw(cond if kind == "forbid" else st.one_of(st.none(), cond))  # an unconditional forbid hides all
    if kind == "require":
        return Rule(kind, targets, on, to, when=when, require=draw(cond))
    unless = draw(st.one_of(st.none(), cond)) if draw(st.integers(0, 2)) == 0 else None
    with_ = draw(st.lists(st.sampled_from(spec.obligations), min_size=int(kind == "oblige"), max_size=2,
                          unique=True).map(tuple)) if kind in ("permit", "oblige") and spec.obligations else ()
    return Rule(kind, targets, on, to, when=when, unless=unless, obligations=with_)


@st.composite
def specs(draw, gdpr: bool | None = False, recipients: bool = True):
    count = draw(st.integers(2, 3))
    bases = draw(st.lists(st.sampled_from(BASES), min_size=count, max_size=count))
    purposes = [(name, basis) for name, basis in zip(["p", "q", "r"], bases)]
    markers: tuple[str, ...] = ()
    if draw(st.booleans()):
        purposes.append(("p.s", None))
        if draw(st.integers(0, 2)) == 0:  # `p` only groups: no event for it, a consent to it covers nothing
            markers = ("p",)
    categories = ["a", "c.d"] + draw(st.lists(st.sampled_from(["b", "e"]), max_size=2, unique=True))
    regions = tuple(draw(st.lists(st.sampled_from(sorted(REGIONS)), min_size=1, max_size=2, unique=True)))
    table = None
    if draw(st.booleans()):
        table = tuple((k, draw(st.sampled_from([13, 15, 16]))) for k in TABLE_KEYS)
    obligations = tuple(draw(st.lists(st.sampled_from(["o1", "o2"]), max_size=2, unique=True)))
    facts = tuple(draw(st.lists(st.sampled_from(FACTS), max_size=1)))
    spec = Spec(tuple(purposes), tuple(categories), regions, table, draw(st.booleans()), obligations, (),
                gdpr=draw(st.booleans()) if gdpr is None else gdpr, markers=markers, facts=facts,
                recipients=RECIPIENTS if recipients and draw(st.integers(0, 2)) == 0 else (),
                controller=draw(st.sampled_from([None, None, "DE", "FR", "US"])))
    found = draw(st.lists(rules(spec), min_size=2, max_size=6, unique_by=Rule.text))
    if draw(st.booleans()):  # a broad permit, so that many events are allowed and changes show
        found.insert(0, Rule("permit", obligations=obligations[:1]))
    return dataclasses.replace(spec, rules=tuple(found))


MUTATIONS = ("drop", "add", "widen", "narrow", "constant", "obligation", "holds", "fact", "controller")

#: declarations of the one context key the rules read, each telling CONTEXT_VALUES apart
#: its own way (an event with another value is invalid)
FACTS = ('fact context.g in {"x", "y"}', 'fact context.g is string', 'fact context.g in {"x", "z"}',
         'fact context.g in {"y"}')


@st.composite
def mutated(draw, spec: Spec):
    """`spec` with one random change (which may happen to change no decision):
    a rule dropped or added, a target widened or narrowed, a constant changed,
    an obligation dropped (or added)."""
    kind = draw(st.sampled_from(MUTATIONS))
    found = list(spec.rules)
    index = draw(st.integers(0, len(found) - 1))
    rule = found[index]
    if kind == "drop" and len(found) > 1:
        del found[index]
    elif kind == "add":
        found.insert(draw(st.integers(0, len(found))), draw(rules(spec)))
    elif kind == "widen":
        rule = dataclasses.replace(rule, purposes=("*",)) if draw(st.booleans()) or rule.kind in (
            "residency", "retain") else dataclasses.replace(rule, categories=None, to=None)
        found[index] = rule
    elif kind == "narrow":
        found[index] = dataclasses.replace(rule, purposes=(spec.purpose_names[0],)) if rule.kind not in (
            "residency", "retain") else dataclasses.replace(rule, categories=("a",))
    elif kind == "constant":
        found[index] = dataclasses.replace(rule, when=_shift(rule.when), unless=_shift(rule.unless),
                                           require=_shift(rule.require), days=rule.days + 335 * (rule.days == 30)
                                           or 30)
    elif kind == "obligation":  # drop one, or add one to a permit without (an oblige keeps one)
        given = rule.obligations[1:] if rule.obligations else spec.obligations[-1:]
        if rule.kind == "oblige" and not given:
            given = spec.obligations[:1] if rule.obligations[:1] != spec.obligations[:1] else spec.obligations[-1:]
        found[index] = dataclasses.replace(rule, obligations=given)
    elif kind == "holds" and spec.recipients:  # what the first recipient holds: "scc" or nothing
        (name, role, country, holds), *rest = spec.recipients
        changed = ((name, role, country, () if holds else ("scc",)), *rest)
        return dataclasses.replace(spec, recipients=tuple(changed), rules=tuple(found))
    elif kind == "fact":  # declare the key another way, or not at all
        facts = tuple(draw(st.lists(st.sampled_from([f for f in FACTS if f not in spec.facts]), max_size=1)))
        return dataclasses.replace(spec, facts=facts)
    elif kind == "controller" and spec.controller is not None:  # established elsewhere
        return dataclasses.replace(spec, controller={"DE": "FR", "FR": "US", "US": "DE"}[spec.controller])
    if [r.text() for r in found] == [r.text() for r in spec.rules]:  # nothing changed: add a rule
        found.append(draw(rules(spec)))
    return dataclasses.replace(spec, rules=tuple(found))


def _shift(node):
    if node is None:
        return None
    if node[0] in ("and", "or"):
        return (node[0], _shift(node[1]), _shift(node[2]))
    if node[0] == "not":
        return ("not", _shift(node[1]))
    if node[0] == "age":
        return ("age", node[1], {13: 16, 16: 18, 18: 13}[node[2]])
    if node[0] == "consent_age":
        return ("consent_age", node[1], 16 if node[2] == 13 else 13)
    if node[0] == "data_age":
        return ("data_age", 365 if node[1] == 30 else 30)
    return node


# ---- the grid --------------------------------------------------------------------------------------

CONSENT_STATES = ("none", "consent", "explicit", "parental", "explicit+parental")
CONTEXT_VALUES = (None, "x", "y", "z", 1)  # None: absent; "z": any other string; 1: not a string


def _reads(specs: list[Spec]) -> dict[str, Any]:
    """What the policies read (from their text), and the constants of each field."""
    texts = "\n".join(s.text() for s in specs)
    gdpr = any(s.gdpr for s in specs)
    ages = {int(n) for n in re.findall(r"subject\.(?:consent_)?age\s*[<>=!]+\s*(\d+)", texts)}
    days = {int(n) for n in re.findall(r"(\d+) days?\b", texts)}
    for table in re.findall(r"^table \w+ (.*)$", texts, flags=re.MULTILINE):
        ages.update(int(n) for n in re.findall(r"\d+", table))
    if "t[" in texts or gdpr:
        ages.update((13, 14, 15, 16))  # the gdpr library's digital_consent_age
    consent = "consent" in texts.replace("basis == consent", "") or gdpr
    return {
        "consent": consent,
        "objected": "objected" in texts or gdpr,
        "automated": "automated" in texts or gdpr,
        "exporter": "exporter" in texts or gdpr,
        "safeguards": sorted({s for s in SAFEGUARDS if f'"{s}"' in texts} | ({"scc", "dpf"} if gdpr else set())),
        "context": "context.g" in texts,  # read by a rule or declared by a fact
        "age": sorted({a + d for a in ages for d in (-1, 0, 1)})
        if "subject.age" in texts or "subject.consent_age" in texts or gdpr else [],
        # the age on the subject's own consents (`subject.consent_age` reads it)
        "consent_age": sorted({a + d for a in ages for d in (-1, 0, 1)})
        if "subject.consent_age" in texts or gdpr else [],
        "country": "subject.country" in texts or gdpr,
        "days": sorted(days) if ("data_age" in texts or "retain" in texts) else [],
    }


def destinations(policies) -> list[str]:
    """One country per class of membership in every region of the policies, and
    of equality with the countries they name (gdpr's included)."""
    from engine.core.countries import iso_codes

    regions = {}
    for policy in policies:
        regions.update(policy.vocabulary.regions)
    names = sorted(regions)
    controllers = sorted({p.vocabulary.controller.country for p in policies if p.vocabulary.controller})
    seen: dict[tuple, str] = {}
    for country in sorted(iso_codes()):
        # the gdpr library's transfer rule names US itself
        signature = tuple(country in regions[n] for n in names) + (country == "US" and "adequate" in regions,) \
            + tuple(country == c for c in controllers)
        seen.setdefault(signature, country)
    return sorted(seen.values())


def grid_axes(specs: list[Spec], policies) -> dict[str, list[Any]]:
    """Each event field the policies read, with a value of every class of it."""
    reads = _reads(specs)
    purposes = sorted({p for policy in policies for p in policy.vocabulary.event_bases})  # markers: no event
    cats = sorted({c for policy in policies for c in policy.vocabulary.categories.names()})
    category_sets = [[c] for c in cats] + [["a", "c.d"], ["a", "b"] if "b" in cats else ["a", "c"], cats[:3]]
    axes: dict[str, list[Any]] = {"purpose": purposes, "categories": category_sets,
                                  "destination": destinations(policies)}
    if any(spec.recipients for spec in specs):  # a recipient gives the destination
        axes["recipient"] = [None, *sorted({r[0] for spec in specs for r in spec.recipients})]
    if reads["consent"]:
        axes["consent"] = list(CONSENT_STATES)
    if reads["objected"]:
        axes["objected"] = [False, True]
    if reads["automated"]:
        axes["automated"] = [False, True]
    if reads["exporter"]:
        axes["exporter"] = ["controller", "subject"]
    for name in reads["safeguards"]:
        axes["safeguard:" + name] = [False, True]
    if reads["context"]:
        axes["context.g"] = list(CONTEXT_VALUES)
    if reads["age"]:
        axes["age"] = [None, *reads["age"]]
    if reads["consent_age"]:
        axes["consent_age"] = [None, *reads["consent_age"]]
    if reads["country"]:
        axes["country"] = [None, *TABLE_KEYS, "US"]
    if reads["days"]:
        axes["data_age"] = [None, *sorted({timedelta(days=d) + timedelta(seconds=s)
                                           for d in reads["days"] for s in (-1, 0, 1)})]
    return axes


def grid_points(axes: dict[str, list[Any]], limit: int, seed: int = 15) -> list[dict[str, Any]]:
    """The product of the axes when it has at most `limit` points, else `limit`
    points of it drawn with a fixed seed (the first ones walk every value of
    every axis, so each value occurs)."""
    names = list(axes)
    total = 1
    for values in axes.values():
        total *= len(values)
    if total <= limit:
        return [dict(zip(names, combo)) for combo in itertools.product(*axes.values())]
    rng = random.Random(seed)
    return [{n: (v[number] if number < len(v) else rng.choice(v)) for n, v in axes.items()}
            for number in range(limit)]


def grid(axes: dict[str, list[Any]], limit: int) -> list[dict[str, Any]]:
    """The grid's events (see `grid_points`)."""
    return [event(point) for point in grid_points(axes, limit)]


def event(point: dict[str, Any]) -> dict[str, Any]:
    """A JSON event from grid values (the consent records and objection on the event's purpose)."""
    purpose = point["purpose"]
    out: dict[str, Any] = {"purpose": purpose, "categories": list(point["categories"]),
                           "destination": point["destination"], "at": AT}
    if point.get("recipient") is not None:
        del out["destination"]
        out["recipient"] = point["recipient"]
    subject: dict[str, Any] = {}
    state = point.get("consent", "none")
    if state != "none":
        flags = state.split("+")
        subject["consents"] = [{"purpose": purpose, "given_at": "2025-06-01T00:00:00Z",
                                "explicit": "explicit" in flags, "parental": "parental" in flags}]
        if point.get("consent_age") is not None:  # on the subject's own record, beside a parent's
            if "parental" in flags:
                subject["consents"].append({"purpose": purpose, "given_at": "2025-06-01T00:00:00Z"})
            subject["consents"][-1]["age"] = point["consent_age"]
    if point.get("objected"):
        subject["objections"] = [purpose]
    if point.get("age") is not None:
        subject["age"] = point["age"]
    if point.get("country") is not None:
        subject["country"] = point["country"]
    if subject:
        out["subject"] = subject
    safeguards = [name.split(":", 1)[1] for name, on in point.items() if name.startswith("safeguard:") and on]
    if safeguards:
        out["safeguards"] = safeguards
    if point.get("automated"):
        out["automated"] = True
    if point.get("exporter") == "subject":
        out["exporter"] = "subject"
    if point.get("data_age") is not None:
        out["collected_at"] = (datetime(2026, 1, 1, tzinfo=UTC) - point["data_age"]).isoformat().replace("+00:00", "Z")
    if point.get("context.g") is not None:
        out["context"] = {"g": point["context.g"]}
    return out
