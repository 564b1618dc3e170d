"""The exact analysis against brute force, on generated small policies
(tests/analysis_gen.py).

The grid: every purpose × every single category and three category sets × one
destination per class of region membership × each field the policies read (by
their text), with a value of every class of it: the consent states (records on
the event's purpose), objected, automated, each safeguard named, `context.g`
absent / "x" / "y" / another string / a number, ages around every constant
(tables' included), the subject's country absent / a table key / another, the
data's age absent / a second either side of every constant. When that product
has more than `LIMIT` points, `LIMIT` are drawn from it with a fixed seed (the
first ones walk every value of every axis). Hypothesis runs derandomized.

- diff: on a single-category event, the reference decisions of the two
  policies differ (allowed flag, or the obligations where both allow) exactly
  when `Diff.find` returns changes, and their kinds (and obligations) are
  exactly the differences. On a multi-category event the classes are per
  category, so every difference is found with its kind (find may also name a
  category's change that another category's deny hides).
- remedies: brute force over the controllable changes the grid holds; the
  minimal change sets (which fields change; a dropped category is a field)
  equal those of `remedies`. The grid has a value of every class of each
  controllable field the generator can write, so the comparison is exact in
  both directions for these policies.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json

import duckdb
import pytest
from analysis_gen import (
    CONSENT_STATES,
    CONTEXT_VALUES,
    Spec,
    grid,
    grid_axes,
    grid_points,
    mutated,
    specs,
)
from analysis_gen import event as to_event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine

LIMIT = 600
FAST = {"derandomize": True, "deadline": None, "database": None,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


def load(spec: Spec) -> engine.Policy:
    return engine.load_policy_text(spec.text())


def differences(old: engine.Decision, new: engine.Decision) -> set[tuple[str, str | None]]:
    if old.allowed != new.allowed:
        return {("allow-to-deny" if old.allowed else "deny-to-allow", None)}
    if not old.allowed:
        return set()
    before, after = set(old.obligations), set(new.obligations)
    return ({("obligation-added", o) for o in after - before}
            | {("obligation-removed", o) for o in before - after})


def check_changes(result: engine.Diff, old: engine.Policy, new: engine.Policy) -> None:
    for change in result.changes:
        assert change.verified, change.description
        decided = differences(old.evaluate_reference(change.example), new.evaluate_reference(change.example))
        assert (change.kind, change.obligation) in decided, change


def check_diff(old_spec: Spec, new_spec: Spec) -> int:
    old, new = load(old_spec), load(new_spec)
    result = engine.diff(old, new)
    check_changes(result, old, new)
    events = grid(grid_axes([old_spec, new_spec], [old, new]), LIMIT)
    for event in events:
        expected = differences(old.evaluate_reference(event), new.evaluate_reference(event))
        found = {(c.kind, c.obligation) for c in result.find(event)}
        if len(event["categories"]) == 1:
            assert found == expected, (old_spec.text(), new_spec.text(), event, found, expected)
        else:
            assert expected <= found, (old_spec.text(), new_spec.text(), event, found, expected)
    return len(events)


@settings(max_examples=60, **FAST)
@given(st.data())
def test_the_diff_equals_brute_force_over_the_grid(data):
    old_spec = data.draw(specs(gdpr=None), label="old")
    new_spec = data.draw(mutated(old_spec), label="new")
    assert check_diff(old_spec, new_spec) > 0


@settings(max_examples=10, **FAST)
@given(specs(gdpr=None))
def test_an_identical_pair_has_an_empty_diff(spec):
    result = engine.diff(load(spec), load(spec))
    assert result.empty and result.changes == [] and set(result.counts.values()) == {0}


# ---- remedies --------------------------------------------------------------------------------------

CONTROLLABLE = ("destination", "consent", "automated", "context.g")


def field_of(action) -> str:
    kind = action.kind
    if kind == "change-destination":
        return "destination"
    if kind in ("obtain-consent", "replace-consent", "drop-consent"):
        return "consent"
    if kind in ("add-safeguard", "remove-safeguard"):
        return "safeguard:" + action.safeguard
    if kind in ("state-ground", "remove-ground"):
        return action.field
    if kind in ("involve-human", "automate"):
        return "automated"
    assert kind == "drop-category"
    return "drop:" + action.category


def consent_state(event: dict) -> str:
    records = event.get("subject", {}).get("consents") or []
    if not records:
        return "none"
    flags = [f for f in ("explicit", "parental") if any(r.get(f) for r in records)]
    return "+".join(flags) or "consent"


def fields_of(event: dict, original: dict) -> dict[str, object]:
    """The controllable fields of an event, by the names `field_of` gives."""
    out: dict[str, object] = {"destination": event["destination"], "consent": consent_state(event),
                              "automated": bool(event.get("automated")),
                              "context.g": (event.get("context") or {}).get("g", "absent")}
    for name in ("scc", "bcr"):
        out["safeguard:" + name] = name in (event.get("safeguards") or [])
    for category in original["categories"]:
        out["drop:" + category] = category not in event["categories"]
    return out


def with_fields(original: dict, changed: dict, names) -> dict:
    """`original` with the fields `names` taken from `changed`."""
    event = copy.deepcopy(original)
    for name in names:
        if name == "destination":
            event["destination"] = changed["destination"]
        elif name == "consent":
            event.setdefault("subject", {})["consents"] = changed.get("subject", {}).get("consents", [])
        elif name == "automated":
            event["automated"] = bool(changed.get("automated"))
        elif name == "context.g":
            context = changed.get("context") or {}
            event["context"] = {"g": context["g"]} if "g" in context else {}
        elif name.startswith("safeguard:"):
            safeguard = name.split(":", 1)[1]
            present = [s for s in event.get("safeguards", []) if s != safeguard]
            event["safeguards"] = present + ([safeguard] if safeguard in (changed.get("safeguards") or []) else [])
        elif name.startswith("drop:"):
            event["categories"] = [c for c in event["categories"] if c != name[5:]]
    return event


def brute_force(policy: engine.Policy, point: dict, axes: dict) -> set[frozenset[str]]:
    """Every minimal set of fields whose change (to grid values) allows the event."""
    options: list[tuple[str, list]] = []
    for name, values in axes.items():
        if name in CONTROLLABLE or name.startswith("safeguard:"):
            options.append((name, [v for v in values if v != point[name] or type(v) is not type(point[name])]))
    categories = list(point["categories"])
    allowed: list[frozenset[str]] = []
    names = [n for n, _ in options] + ["drop:" + c for c in categories]
    for size in range(len(names) + 1):
        for chosen in itertools.combinations(names, size):
            if any(found <= set(chosen) for found in allowed):
                continue  # not minimal
            picks = [next(values for n, values in options if n == name) for name in chosen
                     if not name.startswith("drop:")]
            dropped = {name[5:] for name in chosen if name.startswith("drop:")}
            if dropped == set(categories):
                continue  # an event needs a category
            for combo in itertools.product(*picks):
                variant = dict(point)
                variant.update(zip([c for c in chosen if not c.startswith("drop:")], combo))
                variant["categories"] = [c for c in categories if c not in dropped]
                if policy.evaluate_reference(to_event(variant)).allowed:
                    allowed.append(frozenset(chosen))
                    break
    return set(allowed)


def check_remedies(spec: Spec, per_policy: int = 6) -> int:
    policy = load(spec)
    axes = grid_axes([spec], [policy])
    points = [(point, to_event(point)) for point in grid_points(axes, LIMIT)]
    decisions = [(p, policy.evaluate_reference(p[1])) for p in points]
    denied = [p for p, d in decisions if not d.allowed and all(r.kind != "invalid-event" for r in d.reasons)]
    for point, event in [p for p, d in decisions if any(r.kind == "invalid-event" for r in d.reasons)][:2]:
        answer = policy.remedies(event)  # a `fact` the event breaks: invalid, no remedy
        assert not answer.valid and answer.no_remedy and answer.remedies == []
    step = max(1, len(denied) // per_policy)
    for point, event in denied[::step][:per_policy]:
        answer = policy.remedies(event)
        assert answer.valid and not answer.allowed and answer.exact
        expected = brute_force(policy, point, axes)
        got = set()
        for remedy in answer.remedies:
            changes = frozenset(field_of(a) for a in remedy.actions)
            assert len(changes) == len(remedy.actions), remedy
            got.add(changes)
            decision = policy.evaluate_reference(remedy.event)
            assert decision.allowed, (spec.text(), event, remedy)
            assert list(decision.obligations) == remedy.obligations
            now, before = fields_of(remedy.event, event), fields_of(event, event)
            assert {n for n in now if now[n] != before[n]} == changes, (event, remedy)
            for size in range(len(changes)):
                for subset in itertools.combinations(sorted(changes), size):
                    assert not policy.evaluate_reference(with_fields(event, remedy.event, subset)).allowed, \
                        (spec.text(), event, remedy, subset)
        assert got == expected, (spec.text(), event, got, expected)
        assert answer.no_remedy == (not expected), (spec.text(), event)
        assert answer.no_remedy == (answer.remedies == [])
    return len(denied)


SHRUNK = [
    # obtaining a plain consent where an explicit one is held must replace the
    # explicit record (the remedy used to add a record, kept the explicit one and
    # failed its own check: no remedy and yet `no_remedy` false)
    ("purpose p basis consent\ncategory a\npermit *\nforbid * when explicit consent\n",
     {"consent": "explicit"}, {frozenset({"consent"})}),
    # a ground stated as "any other string" must be a plain JSON string in the
    # remedy's event (it was the analysis's own str subclass, an invalid event)
    ("purpose p basis consent\ncategory a\npermit *\nforbid * when context.g == \"x\"\n",
     {"consent": "none", "context.g": None}, {frozenset({"consent", "context.g"})}),
]


@pytest.mark.parametrize("text, values, minimal", SHRUNK)
def test_remedies_on_the_shrunk_counterexamples(text, values, minimal):
    policy = engine.load_policy_text(text)
    point = {"purpose": "p", "categories": ["a"], "destination": "AD", **values}
    axes = {"purpose": ["p"], "categories": [["a"]], "destination": ["AD"], "consent": list(CONSENT_STATES),
            **({"context.g": list(CONTEXT_VALUES)} if "context.g" in values else {})}
    assert brute_force(policy, point, axes) == minimal
    answer = policy.remedies(to_event(point))
    assert {frozenset(field_of(a) for a in r.actions) for r in answer.remedies} == minimal
    assert all(policy.evaluate_reference(r.event).allowed for r in answer.remedies)


@settings(max_examples=60, **FAST)
@given(specs(gdpr=False, recipients=False))  # the grid's remedies change the destination, not a recipient
def test_remedies_equal_brute_force_over_the_controllable_changes(spec):
    check_remedies(spec)
    assert spec.rules


# ---- the audit's comparison finds nothing the diff missed -----------------------------------------

DECLARATIONS = """
purpose shop basis contract
purpose ads basis consent
purpose ads.mail
purpose stats basis legitimate_interest
category contact.email
category usage
category health
region west = {DE, FR}
table t default 16 { DE: 16, FR: 15 }
obligation mask "mask identifiers"
"""

OLD = DECLARATIONS + """permit shop on contact, usage to west
permit ads on contact.email when subject.age >= t[subject.country] or parental consent with mask
permit stats on usage unless objected with mask
forbid * on health when not ("scc" in safeguards)
retain usage for 365 days
"""

NEW = DECLARATIONS + """permit shop on contact, usage
permit ads on contact.email when subject.age >= 18 or parental consent with mask
permit stats on usage unless objected or context.g == "x"
permit * on health when explicit consent
forbid * on health when not ("scc" in safeguards) and destination in west
retain usage for 30 days
require explicit consent for ads when automated
"""


def test_audit_compare_finds_no_change_the_diff_missed(tmp_path, capsys):
    from engine.cli import main

    specs_ = [_HandWritten(OLD), _HandWritten(NEW)]
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    for folder, text in ((old_dir, OLD), (new_dir, NEW)):
        folder.mkdir()
        (folder / "policy.law").write_text(text)
    old, new = engine.load_policy(old_dir), engine.load_policy(new_dir)
    events = grid(grid_axes(specs_, [old, new]), 3000)
    log = tmp_path / "events.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    now = ["--now", "2026-01-01T00:00:00Z"]
    assert main(["audit", str(old_dir), str(log), "--out", str(tmp_path / "a-old"), "--quiet", *now]) == 0
    capsys.readouterr()
    assert main(["audit", str(new_dir), str(log), "--compare", str(old_dir), "--out", str(tmp_path / "a-new"),
                 "--json", *now]) == 0
    summary = json.loads(capsys.readouterr().out)

    def effects(folder):
        rows = duckdb.sql(f"SELECT line_number, effect FROM read_parquet('{folder / 'decisions.parquet'}')")
        return dict(rows.fetchall())
    before, after = effects(tmp_path / "a-old"), effects(tmp_path / "a-new")
    assert len(before) == len(after) == len(events)
    result = engine.diff(old, new)
    changed: dict[tuple[str, str], int] = {}
    for line, event in enumerate(events, 1):
        if before[line] == after[line]:
            continue
        changed[(before[line], after[line])] = changed.get((before[line], after[line]), 0) + 1
        kind = "allow-to-deny" if before[line] == "allow" else "deny-to-allow"
        assert kind in {c.kind for c in result.find(event)}, event
    reported = {(c["old"], c["new"]): c["events"] for c in summary["compare"]["changes"]}
    assert reported == changed and set(changed) == {("allow", "deny"), ("deny", "allow")}
    for change in summary["compare"]["changes"]:
        example = change["example"]["event"]
        example = json.loads(example) if isinstance(example, str) else example
        kind = "allow-to-deny" if change["old"] == "allow" else "deny-to-allow"
        assert kind in {c.kind for c in result.find(example)}


@dataclasses.dataclass
class _HandWritten:
    """A policy written by hand, as `grid_axes` reads it (its text)."""

    source: str

    def text(self) -> str:
        return self.source

    gdpr = False
    recipients = ()


def test_the_hand_written_pair_reads_what_the_grid_varies():
    specs_ = [_HandWritten(OLD), _HandWritten(NEW)]
    axes = grid_axes(specs_, [engine.load_policy_text(OLD), engine.load_policy_text(NEW)])
    assert {"consent", "objected", "automated", "safeguard:scc", "context.g", "age", "country",
            "data_age"} <= set(axes)
    assert 15 in axes["age"] and 17 in axes["age"]

