"""The exact analysis (engine/decide/analysis): decision diagrams, the classes of
the event space, remedies, the diff and redundant rules.

The central property: the diagram of a policy decides every event as the
reference does (effect and obligations), for events drawn far outside the
policies' own constants. Remedies, diffs and lint all read that diagram.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

import engine
from engine.decide.analysis import mdd
from engine.decide.analysis.diff import render_markdown, render_text
from engine.decide.analysis.redundancy import redundant
from engine.decide.analysis.remedies import analysis
from engine.decide.analysis.space import event_values
from engine.core.countries import iso_codes

SHOP = engine.load_policy("rules/examples/shop")
HEALTH = engine.load_policy("rules/examples/health")
#: a policy with recipients: their countries are destinations, their holdings safeguards
RECIPIENTS = engine.load_policy_text("""use gdpr
category contact.email
category usage
purpose support basis contract
purpose newsletter basis consent
recipient acme_cloud processor in US holds "dpf"
recipient maple controller in CA holds "pipeda", "scc"
recipient north controller in CA
recipient berlin processor in DE
permit support, newsletter
permit support on usage to {US, CA} when recipient.role == "processor" or "scc" in recipient.holds
forbid newsletter when recipient in {"north", "berlin"} and not explicit consent
""", name="recipients.law")
#: a policy that reads its controller (constants the checker folds) beside event fields
CONTROLLER = engine.load_policy_text("""use gdpr
controller acme in FR
category contact.email
category usage
purpose support basis contract
purpose newsletter basis consent
permit support, newsletter to eea
permit support on usage when destination == controller.country or subject.country == controller.country
forbid newsletter when subject.country != controller.country and not explicit consent
""", name="controller.law")
AT = "2026-11-23T09:00:00Z"


# ---- decision diagrams ---------------------------------------------------------------------


SIZES = {0: 2, 1: 3, 2: 2}
POINTS = list(itertools.product(*[range(SIZES[level]) for level in sorted(SIZES)]))


def build(manager: mdd.Manager, table: tuple[bool, ...]) -> int:
    truth = dict(zip(POINTS, table))
    return manager.table((0, 1, 2), lambda chosen: mdd.TRUE if truth[chosen] else mdd.FALSE)


def truth_of(manager: mdd.Manager, node: int) -> tuple[bool, ...]:
    return tuple(manager.value(node, dict(enumerate(point))) for point in POINTS)


tables = st.tuples(*[st.booleans() for _ in POINTS])


@settings(max_examples=200)
@given(tables, tables)
def test_diagram_operations_agree_with_truth_tables(left, right):
    manager = mdd.Manager(SIZES)
    a, b = build(manager, left), build(manager, right)
    assert truth_of(manager, manager.both(a, b)) == tuple(x and y for x, y in zip(left, right))
    assert truth_of(manager, manager.either(a, b)) == tuple(x or y for x, y in zip(left, right))
    assert truth_of(manager, manager.differ(a, b)) == tuple(x != y for x, y in zip(left, right))
    assert truth_of(manager, manager.negate(a)) == tuple(not x for x in left)
    assert (a == b) == (left == right)  # hash-consed: equal functions are one node
    simplified = manager.simplify(a, b)
    assert all(s == x for s, x, care in zip(truth_of(manager, simplified), left, right) if care)
    cubes = list(manager.cubes(a))
    covered = [point for point in POINTS
               if any(all(point[level] in values for level, values in cube.items()) for cube in cubes)]
    assert covered == [point for point, x in zip(POINTS, left) if x]
    assert manager.count(a, [0, 1, 2]) == sum(left)
    fixed = manager.restrict(a, {1: 2})
    assert truth_of(manager, fixed) == tuple(left[POINTS.index((p[0], 2, p[2]))] for p in POINTS)


# ---- the diagram decides as the reference ----------------------------------------------------


def events(policy):
    vocabulary = policy.vocabulary
    purposes = sorted(vocabulary.purposes.ancestors)
    categories = vocabulary.categories.names()
    countries = sorted(iso_codes())
    timestamp = st.integers(0, 800).map(
        lambda days: (datetime(2026, 11, 23, 9, tzinfo=timezone.utc) - timedelta(days=days, seconds=days * 7))
        .isoformat())
    consent = st.fixed_dictionaries(
        {"purpose": st.sampled_from(purposes), "given_at": timestamp},
        optional={"withdrawn_at": timestamp, "explicit": st.booleans(), "parental": st.booleans()})
    subject = st.fixed_dictionaries({}, optional={
        "age": st.integers(0, 200), "country": st.sampled_from(countries),
        "kind": st.sampled_from(["customer", "employee", "x"]), "id": st.just("u-1"),
        "consents": st.lists(consent, max_size=3), "objections": st.lists(st.sampled_from(purposes), max_size=2)})
    grounds = st.sampled_from(["a", "b", "g", "j", "official_authority", "zzz", 3, True, None, [], ["b"], {}])
    context = st.dictionaries(st.sampled_from(["art9_ground", "art49_derogation", "art22_ground", "art10_basis",
                                               "other"]), grounds, max_size=3)
    return st.fixed_dictionaries({
        "purpose": st.sampled_from(purposes),
        "categories": st.lists(st.sampled_from(categories), min_size=1, max_size=3),
        "destination": st.sampled_from(countries + ["DE", "FR", "US", "US", "JP", "IN"]),
        "at": st.just(AT)}, optional={
        "subject": subject, "context": context, "automated": st.booleans(), "collected_at": timestamp,
        "exporter": st.sampled_from(["controller", "subject"]),
        "safeguards": st.lists(st.sampled_from(["scc", "bcr", "dpf", "ad_hoc_clauses", "other"]), max_size=3)}).flatmap(
        lambda event: _with_recipient(policy, event))


def _with_recipient(policy, event):
    """The event, or (for a policy with recipients) one naming a recipient: its
    destination left out, or kept (then it may disagree: an invalid event)."""
    names = sorted(policy.vocabulary.recipients)
    if not names:
        return st.just(event)
    return st.tuples(st.sampled_from([None, *names]), st.booleans()).map(
        lambda choice: event if choice[0] is None else {
            **{k: v for k, v in event.items() if k != "destination" or choice[1]}, "recipient": choice[0]})


def diagram_decision(policy, event):
    """(allowed, obligations) read from the policy's diagram."""
    space, model = analysis(policy)
    evaluation = policy.explain(event)
    valid = evaluation.event
    assert valid is not None
    values = space.assignment(event_values(space, policy.checked, valid, valid.at))
    assert values is not None, "every value of a valid event has a class"
    manager = space.manager
    category = space.by_name["category"]
    points = [{**values, category.level: space.classify("category", c)} for c in valid.categories]
    allowed = all(manager.value(model.allow, point) for point in points)
    obligations = sorted(name for name, node in model.obligations.items()
                         if allowed and any(manager.value(node, point) for point in points))
    return allowed, obligations


GDPR_DE = engine.load_policy("rules/gdpr_national_tests/de")  # markers and the national layer


@pytest.mark.parametrize("policy", [SHOP, HEALTH, GDPR_DE, RECIPIENTS, CONTROLLER],
                         ids=["shop", "health", "gdpr-de", "recipients", "controller"])
@settings(max_examples=300)
@given(data=st.data())
def test_the_diagram_decides_every_event_as_the_reference(policy, data):
    event = data.draw(events(policy))
    decision = policy.evaluate_reference(event)
    if any(r.kind == "invalid-event" for r in decision.reasons):
        return
    assert diagram_decision(policy, event) == (decision.allowed, list(decision.obligations))


FACTS = engine.load_policy_text("""
use gdpr
category a
category b.c
purpose p basis contract
purpose q basis consent
fact subject.kind in {"customer", "x"}
fact context.art9_ground in {"a", "b"}
fact context.art49_derogation is string
fact context.art22_ground is string
fact context.other is list of string
fact context.art10_basis.j is boolean
permit p, q when context.art9_ground == "a" or subject.kind == "customer" or context.art10_basis.j
forbid q when context.art49_derogation == "g"
""", name="facts.law")


@settings(max_examples=300)
@given(data=st.data())
def test_the_diagram_judges_declared_facts_as_the_reference(data):
    """With `fact` declarations, the diagram's validity is the reference's (an event
    the event model admits is invalid exactly when a declared field holds another
    value) and the decisions of valid events are the reference's."""
    from engine.event.model import Event

    policy = FACTS
    event = data.draw(events(policy))
    if data.draw(st.booleans()):
        event.setdefault("context", {})["art10_basis"] = data.draw(st.sampled_from([{"j": True}, {"j": 1}, {}]))
    decision = policy.evaluate_reference(event)
    try:
        model_event = Event.model_validate(event)
    except ValueError:
        return
    names_ok = not [p for p in engine.decide.reference.validate(policy.checked, event)[1] if not p.startswith("`subject.kind`")
                    and not p.startswith("`context.")]
    space, model = analysis(policy)
    values = space.assignment(event_values(space, policy.checked, model_event, model_event.at))
    invalid = any(r.kind == "invalid-event" for r in decision.reasons)
    if values is None:  # only an event for a marker purpose is outside the space: it is invalid
        assert model_event.purpose in policy.vocabulary.markers and invalid
        return
    category = space.by_name["category"]
    for name in model_event.categories:
        point = {**values, category.level: space.classify("category", name)}
        if names_ok:
            assert space.manager.value(model.valid, point) == (not invalid), (event, decision.reasons)
    if not invalid:
        assert diagram_decision(policy, event) == (decision.allowed, list(decision.obligations))


def test_classes_cut_where_the_policy_cuts():
    space, _ = analysis(SHOP)
    ages = space.by_name["subject.age"]
    # the Art. 8 table has ages 13..16: each is a class of its own, below and above too
    assert [sorted(c)[0] for c in ages.classes[1:]] == [0, 13, 14, 15, 16]
    countries = space.by_name["subject.country"]
    assert {len(c) for c in countries.classes} != {1}  # countries with one age share a class
    assert sum(len(c) for c in countries.classes) == len(iso_codes()) + 1  # and absent


def brute_force_classes(space, name):
    """A variable's raw values merged by what every atom reading it says for every
    combination of the raw values of the other variables it reads (no shortcut)."""
    raw = {v.name: [m for c in v.classes for m in c] for v in space.variables}
    atoms = [atom for atom in space.atoms if name in atom.reads]
    grouped: dict[tuple, list] = {}
    for value in raw[name]:
        signature = []
        for atom in atoms:
            others = [n for n in atom.reads if n != name]
            signature.append(tuple(atom.judge({**dict(zip(others, combo)), name: value})
                                   for combo in itertools.product(*(raw[o] for o in others))))
        grouped.setdefault(tuple(signature), []).append(value)
    return grouped.values()


def test_the_countries_are_cut_as_judging_every_combination_cuts_them():
    # `subject.consent_age < digital_consent_age[subject.country]` reads four variables;
    # the country is cut through the table's side alone, into the same classes
    space, _ = analysis(SHOP)
    assert any(len(atom.reads) == 4 and atom.sides for atom in space.atoms if "subject.country" in atom.reads)
    countries = space.by_name["subject.country"]
    assert 1 < len(countries.classes) < 20
    as_sets = lambda classes: {frozenset(map(repr, members)) for members in classes}  # noqa: E731
    assert as_sets(countries.classes) == as_sets(brute_force_classes(space, "subject.country"))


# ---- remedies -------------------------------------------------------------------------------------


def shop_test(name):
    return next(t.event for t in SHOP.tests if t.name.value == name)


def kinds(remedy):
    return [(a.kind, a.consent or a.safeguard or a.category or a.field) for a in remedy.actions]


def test_every_remedy_allows_and_none_is_wider_than_needed():
    for policy in (SHOP, HEALTH):
        for test in policy.tests:
            found = policy.remedies(test.event)
            decision = policy.evaluate_reference(test.event)
            assert found.allowed == decision.allowed
            for remedy in found.remedies:
                assert policy.evaluate_reference(remedy.event).allowed, (test.name, remedy)
                assert remedy.actions
            if not decision.allowed and found.valid:
                assert found.no_remedy == (not found.remedies)
                assert found.no_remedy == bool(found.blocked_by)
            sizes = [len(r.actions) for r in found.remedies]
            assert sizes == sorted(sizes)  # fewest changes first


def test_remedies_name_the_controllers_actions():
    consent = SHOP.remedies(shop_test("newsletter without consent denied"))
    assert [kinds(r) for r in consent.remedies] == [[("obtain-consent", "consent")]]
    child = SHOP.remedies(shop_test("newsletter child without parent denied"))
    assert [kinds(r) for r in child.remedies] == [[("obtain-consent", "parental")]]
    transfer = SHOP.remedies(shop_test("support us without safeguard denied"))
    found = [kinds(r) for r in transfer.remedies]
    assessed = ("state-ground", "context.transfer_impact_assessment")  # Schrems II
    for expected in ([("add-safeguard", "scc"), assessed], [("add-safeguard", "dpf")],
                     [("add-safeguard", "bcr"), assessed],
                     [("change-destination", None)], [("state-ground", "context.art49_derogation")]):
        assert expected in found
    ground = next(r for r in transfer.remedies if r.actions[0].kind == "state-ground").actions[0]
    # Art. 49(1)(a) needs an explicit consent as well, so stating "a" alone is no remedy
    assert "gdpr_transfers" in ground.rules and "b" in ground.values and "a" not in ground.values
    billing = SHOP.remedies(shop_test("billing to us denied"))
    (destination,) = [a for r in billing.remedies for a in r.actions]
    assert destination.kind == "change-destination" and "DE" in destination.countries
    assert "US" not in destination.countries and "in eea" in destination.message
    payment = SHOP.remedies(shop_test("analytics on payment denied"))
    assert [kinds(r) for r in payment.remedies] == [[("drop-category", "payment.card")]]


def test_facts_are_never_changed_and_missing_ones_are_asked_for():
    objected = SHOP.remedies(shop_test("newsletter objected denied"))
    assert objected.no_remedy and not objected.remedies
    assert "gdpr_direct_marketing_objection" in [b.rule for b in objected.blocked_by]
    old = SHOP.remedies(shop_test("analytics old data denied"))
    assert old.no_remedy and [b.rule for b in old.blocked_by] == ["usage_retention"]
    unknown = SHOP.remedies(shop_test("newsletter age unknown denied"))
    (fact,) = unknown.facts
    assert fact.field == "subject.age" and "16 or more" in fact.allowing
    for remedy in [r for f in (objected, old, unknown) for r in f.remedies]:
        assert not any(a.field and a.field.startswith("subject.") for a in remedy.actions)


def test_remedies_never_raise_and_answer_allowed_and_invalid_events():
    allowed = SHOP.remedies(shop_test("billing allowed"))
    assert allowed.allowed and not allowed.remedies and not allowed.no_remedy
    for bad in (None, [], {"purpose": 1}, {"purpose": "nope", "categories": [], "destination": "XX"}, "{"):
        answer = SHOP.remedies(bad)
        assert not answer.valid and answer.no_remedy and not answer.allowed
    answer = json.loads(SHOP.remedies(shop_test("newsletter without consent denied")).to_json())
    assert set(answer) == {"allowed", "valid", "reasons", "remedies", "facts", "no_remedy", "blocked_by",
                           "exact", "digest"}
    assert answer["remedies"][0]["actions"][0]["kind"] == "obtain-consent"


# ---- the diff -------------------------------------------------------------------------------------


OLD = SHOP
NEW = engine.load_policy_text(
    re.sub("retain usage for 13 months", "retain usage for 12 months",
           re.sub(r"permit billing on contact, payment to eea", "permit billing on contact, payment to eea + adequate",
                  open("rules/examples/shop/shop.law", encoding="utf-8").read()))
    + "\n" + open("rules/examples/shop/tests.law", encoding="utf-8").read(), name="shop-new.law")


def test_a_policy_against_itself_has_no_diff():
    assert engine.diff(SHOP, SHOP).empty
    assert engine.diff(HEALTH, HEALTH).changes == []


def test_the_diff_finds_each_change_with_a_verified_example():
    result = engine.diff(OLD, NEW)
    assert result.counts["allow-to-deny"] >= 1 and result.counts["deny-to-allow"] >= 1
    for change in result.changes:
        assert change.verified
        old, new = OLD.evaluate_reference(change.example), NEW.evaluate_reference(change.example)
        if change.kind == "allow-to-deny":
            assert old.allowed and not new.allowed
        elif change.kind == "deny-to-allow":
            assert new.allowed and not old.allowed
        assert change in result.find(change.example)
    widening = [c for c in result.changes if c.kind == "deny-to-allow"]
    assert any("destination in adequate" in c.description for c in widening)
    shortening = [c for c in result.changes if c.kind == "allow-to-deny"]
    assert any("data_age more than 360 days, at most 390 days" in c.description for c in shortening)
    # events outside every class are decided alike
    same = {"purpose": "billing", "categories": ["contact.email"], "destination": "DE", "at": AT}
    assert result.find(same) == [] and OLD.evaluate(same).allowed == NEW.evaluate(same).allowed


def test_the_diff_has_json_text_and_markdown():
    result = engine.diff(OLD, NEW)
    data = json.loads(result.to_json())
    assert data["counts"] == result.counts and len(data["changes"]) == len(result.changes)
    text, markdown = render_text(result), render_markdown(result)
    for change in result.changes:
        assert change.description in text
    assert markdown.startswith("### Policy change") and "| change | events | old | new |" in markdown


# ---- redundant rules --------------------------------------------------------------------------------


def test_removing_every_redundant_rule_changes_no_decision():
    text = """
category contact.email
category contact.phone
purpose billing basis contract
purpose news basis consent
permit billing on contact.email to {DE}
permit billing on contact.phone to {DE} when subject.age >= 18
permit billing on contact.phone to {DE} unless subject.age >= 18
permit billing on contact to {DE} when subject.age >= 18
permit billing on contact to {DE} when subject.age >= 18
forbid news when not consent
forbid billing on contact.email to {FR}
permit news on contact.email to {DE}
"""
    policy = engine.load_policy_text(text)
    found = redundant(policy)
    # 1: `contact` (rules 3 and 4) covers contact.phone for adults; 4 repeats 3 (the later
    # of the two is the one reported); 6 is a guard: no permit sends billing data to FR
    assert [(r.rule.index, r.kind) for r in found] == [(1, "permit"), (4, "permit"), (5, "forbid"),
                                                       (6, "guard")]
    assert found[2].consent  # the consent rule denies what `forbid news when not consent` does
    lines = text.strip().splitlines()
    kept = [line for number, line in enumerate(lines) if number - 4 not in {r.rule.index for r in found}]
    assert engine.diff(policy, engine.load_policy_text("\n".join(kept) + "\n")).empty
    # while removing a rule that is not redundant shows in the diff
    assert not engine.diff(policy, engine.load_policy_text("\n".join(lines[:-1]) + "\n")).empty


def test_remedies_from_many_threads_are_the_single_threaded_answers():
    from concurrent.futures import ThreadPoolExecutor

    denied = [t.event for t in HEALTH.tests if not HEALTH.evaluate(t.event).allowed]
    fresh = engine.load_policy("rules/examples/health")  # its diagrams are built under the threads
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda event: fresh.remedies(event).to_json(), denied * 6))
    assert answers == [HEALTH.remedies(event).to_json() for event in denied * 6]


@pytest.mark.parametrize("text", [
    "", "category a\n", "purpose p basis contract\n", "use gdpr\n", "category a\npurpose p.x basis contract\n",
    "category a\npurpose p basis consent\nforbid p when subject.age < context.limit\npermit p\n",
])
def test_degenerate_policies_are_analysed_without_raising(text):
    """Policies with no purpose, no category or no rule (a class the policy fuzzer
    found: an empty variable domain) still have a space; every event is denied."""
    from engine.tools.lint import lint

    policy = engine.load_policy_text(text, "d.law")
    assert engine.diff(policy, policy).empty
    lint(policy)
    event = {"purpose": "p", "categories": ["a"], "destination": "DE", "at": AT}
    answer = policy.remedies(event)
    assert answer.allowed == policy.evaluate_reference(event).allowed
    assert engine.diff(policy, SHOP).counts["deny-to-allow"] >= 1


# ---- found by review: each a class of its own ---------------------------------------------------


def test_nested_context_numbers_are_not_truths():
    """`{"j": 1}` and `{"j": true}` are different values (Python's == says otherwise)."""
    once = engine.load_policy_text("category c\npurpose a basis contract\npermit a on c when context.k.j == 1\n")
    assert redundant(once) == []
    old = engine.load_policy_text("category c\npurpose a basis contract\npermit a on c when context.k.j == 2\n")
    new = engine.load_policy_text("category c\npurpose a basis contract\n"
                                  "permit a on c when context.k.j == 1 or context.k.j == 2\n")
    event = {"purpose": "a", "categories": ["c"], "destination": "DE", "context": {"k": {"j": 1}}, "at": AT}
    found = engine.diff(old, new).find(event)
    assert [c.kind for c in found] == ["deny-to-allow"] and new.evaluate(event).allowed
    (remedy,) = once.remedies({**event, "context": {}}).remedies
    assert remedy.event["context"] == {"k": {"j": 1}}


def test_a_field_compared_with_the_safeguards_is_open_ended():
    from engine.tools.lint import lint

    policy = engine.load_policy_text("category c\npurpose a basis contract\n"
                                     "permit a on c when \"scc\" in safeguards\n"
                                     "permit a on c when context.x in safeguards\n")
    assert not engine.diff(policy, policy).exact
    assert "W0812" not in [d.code for d in lint(policy)]  # no claim without its proof


def test_many_categories_still_get_remedies_that_drop_none():
    text = "region eea = {DE, FR}\n" + "".join(f"category k{i}\n" for i in range(9))
    policy = engine.load_policy_text(text + "purpose a basis contract\npermit a on * to eea\n")
    answer = policy.remedies({"purpose": "a", "categories": [f"k{i}" for i in range(9)],
                              "destination": "US", "at": AT})
    assert [[a.kind for a in r.actions] for r in answer.remedies] == [["change-destination"]]


def test_a_purpose_only_one_policy_knows_is_noted():
    old = engine.load_policy_text("category c\npurpose a basis contract\npurpose b basis contract\npermit a on c\n")
    new = engine.load_policy_text("category c\npurpose a basis contract\npermit a on c\n")
    (note,) = engine.diff(old, new).notes
    assert "`b` is known to the old policy only" in note


# ---- the presence test `has` ---------------------------------------------------------------------


def _presence(condition: str):
    return engine.load_policy_text(f"category c\npurpose a basis contract\npermit a on c when {condition}\n")


def test_has_makes_absence_a_class_of_its_own():
    event = {"purpose": "a", "categories": ["c"], "destination": "DE", "at": AT}
    # an age is an integer 0..200: being present is being at least 0
    assert engine.diff(_presence("has subject.age"), _presence("subject.age >= 0")).empty
    # a null in context is present (and equal to itself)
    assert engine.diff(_presence("has context.x"), _presence("context.x == context.x")).empty
    # present but not a truth: reading it is an error where `has` is true
    result = engine.diff(_presence("has context.x"), _presence("context.x == true or context.x != true"))
    assert result.changes and {c.kind for c in result.changes} == {"allow-to-deny"}
    for change in result.changes:
        assert change.verified and "x" in change.example["context"]
        assert not isinstance(change.example["context"]["x"], bool)
    assert result.find({**event, "context": {"x": True}}) == result.find(event) == []
    # the remedy states the key, any value; nested keys are stated inside their object
    (remedy,) = _presence("has context.x").remedies(event).remedies
    (action,) = remedy.actions
    assert action.kind == "state-ground" and action.field == "context.x"
    assert action.message.startswith("state `context.x` (any value)")
    (nested,) = _presence("has context.order.total").remedies(event).remedies
    assert "total" in nested.event["context"]["order"]
    assert _presence("has context.order.total").evaluate(nested.event).allowed
    # a class of every value but absence is said so
    (change,) = engine.diff(_presence("true"), engine.load_policy_text(
        "category c\npurpose a basis contract\npermit a on c\nforbid a on c when has context.x\n")).changes
    assert change.kind == "allow-to-deny" and "context.x present (any value)" in change.description
    # facts of the case are asked for, never changed
    answer = _presence("has subject.age").remedies(event)
    assert not answer.remedies and [f.field for f in answer.facts] == ["subject.age"]


def test_a_consent_to_a_marker_is_no_remedy_and_is_kept():
    event = {"purpose": "newsletter", "categories": ["contact.email"], "destination": "DE", "at": AT,
             "subject": {"age": 30, "country": "DE",
                         "consents": [{"purpose": "direct_marketing", "given_at": "2026-01-05T10:00:00Z"}]}}
    found = SHOP.remedies(event)
    assert not found.allowed and [kinds(r) for r in found.remedies] == [[("obtain-consent", "consent")]]
    (remedy,) = found.remedies
    assert remedy.actions[0].purpose == "newsletter"
    records = remedy.event["subject"]["consents"]
    assert [r["purpose"] for r in records] == ["direct_marketing", "newsletter"]
    assert SHOP.evaluate_reference(remedy.event).allowed


def test_a_purpose_made_a_marker_is_noted_and_its_events_change():
    text = "category c\npurpose m basis consent{}\npurpose n is m\npermit * on c\n"
    old, new = (engine.load_policy_text(text.format(marker)) for marker in ("", " marker"))
    result = engine.diff(old, new)
    assert any("`m` is a marker in the new policy only" in note for note in result.notes)
    assert result.counts["allow-to-deny"] >= 1  # an event for `m` is invalid now
    assert all(change.verified for change in result.changes)


def test_an_example_with_another_subject_string_is_a_plain_valid_event():
    # `subject.kind` present and none of the policy's strings: the class's example
    # holds a plain string, so both policies decide it (the change is verified)
    old = engine.load_policy_text("category c\npurpose p basis contract\npermit p on c\n")
    new = engine.load_policy_text('category c\npurpose p basis contract\n'
                                  'permit p on c when not has subject.kind or subject.kind == "x"\n')
    (change,) = engine.diff(old, new).changes
    assert change.kind == "allow-to-deny" and change.verified
    kind = change.example["subject"]["kind"]
    assert type(kind) is str and kind != "x"
    assert old.evaluate(change.example).allowed and not new.evaluate(change.example).allowed
