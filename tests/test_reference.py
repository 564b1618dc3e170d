"""The reference evaluator against the spec, section by section (§6, §7)."""

from __future__ import annotations

import pytest

import engine
from helpers import AT, event, kinds, policy, rules


def consent(purpose="marketing", given="2026-01-01T00:00:00Z", **kw):
    return {"purpose": purpose, "given_at": given, **kw}


# ---- §7 steps: default deny, forbid overrides, coverage --------------------------


def test_default_deny_when_no_rule_permits():
    decision = policy("").evaluate(event())
    assert decision.effect == "deny" and not decision.allowed
    assert kinds(decision) == ["not-permitted"]
    assert decision.reasons[0].category == "contact.email"


def test_a_permit_allows_and_names_itself():
    decision = policy("rule ok: permit billing on contact").evaluate(event())
    assert decision.allowed and decision.effect == "allow"
    assert kinds(decision) == ["permitted"] and rules(decision) == ["ok"]
    assert decision.reasons[0].location == "test.law:11:1"


def test_forbid_overrides_permit_whatever_the_order():
    for text in ("permit billing\nrule no: forbid billing on contact",
                 "rule no: forbid billing on contact\npermit billing"):
        decision = policy(text).evaluate(event())
        assert not decision.allowed and "no" in rules(decision)


def test_every_category_must_be_covered():
    decision = policy("permit billing on contact").evaluate(
        event(categories=["contact.email", "health"]))
    assert kinds(decision) == ["not-permitted"]
    assert decision.reasons[0].category == "health"


def test_a_forbid_matches_when_any_category_matches():
    decision = policy("permit billing\nrule h: forbid billing on health").evaluate(
        event(categories=["contact.email", "health"]))
    assert rules(decision) == ["h"]


def test_deny_lists_all_reasons():
    text = "rule a: forbid billing\nrule b: forbid * on contact"
    decision = policy(text).evaluate(event(categories=["contact.email", "usage"]))
    assert kinds(decision) == ["forbidden", "forbidden", "not-permitted", "not-permitted"]


def test_hierarchy_and_star_targets():
    p = policy("permit marketing on contact\npermit * on usage")
    allowed = p.evaluate(event("marketing.email", ["contact.email", "usage"],
                               subject={"consents": [consent()]}))
    assert allowed.allowed


def test_is_adds_parents_for_matching():
    p = engine.load_policy_text(
        "category biometrics is sensitive\ncategory sensitive\npurpose p basis contract\n"
        "permit p\nrule s: forbid p on sensitive\n")
    decision = p.evaluate(event("p", ["biometrics"]))
    assert rules(decision) == ["s"]


def test_destination_matching():
    p = policy("permit billing to home - {FR}")
    assert p.evaluate(event(destination="DE")).allowed
    assert not p.evaluate(event(destination="FR")).allowed


def test_obligations_are_the_union_over_covering_permits():
    p = policy('obligation a "A"\nobligation b "B"\npermit billing with b\n'
               "permit billing on contact with a\npermit billing on health")
    decision = p.evaluate(event(categories=["contact.email", "health"]))
    assert decision.allowed and decision.obligations == ("a", "b")


def test_a_permit_whose_condition_fails_adds_no_obligation():
    p = policy('obligation a "A"\npermit billing\npermit billing when false with a')
    assert p.evaluate(event()).obligations == ()


# ---- consent --------------------------------------------------------------------------


def test_consent_required_for_consent_based_purposes():
    p = policy("permit marketing")
    decision = p.evaluate(event("marketing"))
    assert kinds(decision) == ["no-consent"] and rules(decision) == ["consent_required"]
    assert p.evaluate(event("marketing", subject={"consents": [consent()]})).allowed


def test_consent_to_an_ancestor_covers_a_descendant_not_the_reverse():
    p = policy("permit marketing")
    assert p.evaluate(event("marketing.email", subject={"consents": [consent()]})).allowed
    assert not p.evaluate(event("marketing", subject={"consents": [consent("marketing.email")]})).allowed


@pytest.mark.parametrize("given,withdrawn,valid", [
    ("2026-11-23T09:00:00Z", None, True),          # given exactly at `at`
    ("2026-11-23T09:00:01Z", None, False),         # given after `at`
    ("2026-01-01T00:00:00Z", "2026-11-23T09:00:00Z", False),  # withdrawn at `at`
    ("2026-01-01T00:00:00Z", "2026-11-23T09:00:01Z", True),   # withdrawn later
    ("2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z", False),  # withdrawn before
])
def test_consent_validity_in_time(given, withdrawn, valid):
    p = policy("permit marketing")
    record = consent(given=given, withdrawn_at=withdrawn)
    assert p.evaluate(event("marketing", subject={"consents": [record]})).allowed is valid


def test_explicit_and_parental_consent_conditions():
    p = policy("permit marketing when explicit consent\nrule kids: forbid marketing "
               "when subject.age < 16 and not parental consent")
    adult = {"age": 30, "consents": [consent(explicit=True)]}
    assert p.evaluate(event("marketing", subject=adult)).allowed
    plain = {"age": 30, "consents": [consent()]}
    assert kinds(p.evaluate(event("marketing", subject=plain))) == ["not-permitted"]
    child = {"age": 12, "consents": [consent(explicit=True)]}
    assert rules(p.evaluate(event("marketing", subject=child))) == ["kids"]
    child_with_parent = {"age": 12, "consents": [consent(explicit=True, parental=True)]}
    assert p.evaluate(event("marketing", subject=child_with_parent)).allowed


def test_consent_condition_beside_basis_is_the_basis_name():
    p = policy("permit * when basis == consent or basis in {contract}")
    assert p.evaluate(event("billing")).allowed
    assert p.evaluate(event("marketing", subject={"consents": [consent()]})).allowed
    assert not p.evaluate(event("analytics")).allowed


# ---- objections ---------------------------------------------------------------------------


def test_objection_to_the_purpose_or_an_ancestor():
    p = policy("permit marketing unless objected")
    base = {"consents": [consent()]}
    assert p.evaluate(event("marketing.email", subject=base)).allowed
    for objection in ("marketing", "marketing.email"):
        subject = {**base, "objections": [objection]}
        assert not p.evaluate(event("marketing.email", subject=subject)).allowed
    # an objection to a descendant does not reach the parent purpose
    assert p.evaluate(event("marketing", subject={**base, "objections": ["marketing.email"]})).allowed


# ---- tables, regions, durations, context ------------------------------------------------


def test_table_lookup_with_and_without_default():
    p = policy("table age default 16 { FR: 15 }\npermit billing when subject.age >= age[subject.country]")
    assert p.evaluate(event(subject={"age": 15, "country": "FR"})).allowed
    assert not p.evaluate(event(subject={"age": 15, "country": "DE"})).allowed
    strict = policy("table age { FR: 15 }\nrule t: forbid billing when subject.age < age[subject.country]\n"
                    "permit billing")
    decision = strict.evaluate(event(subject={"age": 30, "country": "DE"}))
    assert rules(decision) == ["t"] and "no entry for `DE`" in decision.reasons[0].message


def test_region_algebra():
    p = policy("region west = home + {ES, PT} - ({FR})\npermit billing when destination in west")
    assert [p.evaluate(event(destination=c)).allowed for c in ("DE", "ES", "FR", "IT")] == [
        True, True, False, False]


def test_durations_and_data_age():
    p = policy("rule r: forbid billing when data_age > 1 month\npermit billing")
    fresh = event(collected_at="2026-10-24T09:00:00Z")  # exactly 30 days
    assert p.evaluate(fresh).allowed
    old = event(collected_at="2026-10-24T08:59:59Z")
    assert rules(p.evaluate(old)) == ["r"]
    assert policy("permit billing when data_age <= 1 year").evaluate(
        event(collected_at="2025-11-23T09:00:00Z")).allowed  # 365 days


def test_context_values_nested_and_typed():
    p = policy('permit billing when context.order.total >= 10 and context.channel == "web"')
    assert p.evaluate(event(context={"order": {"total": 12}, "channel": "web"})).allowed
    assert not p.evaluate(event(context={"order": {"total": 9}, "channel": "web"})).allowed
    # a string where a number is compared: an evaluation error, so the permit fails closed
    assert not p.evaluate(event(context={"order": {"total": "12"}, "channel": "web"})).allowed
    assert not p.evaluate(event(context={"order": 12, "channel": "web"})).allowed


def test_context_membership_and_safeguards():
    p = policy('permit billing when "scc" in safeguards and context.tier in {"gold", "silver"}')
    assert p.evaluate(event(safeguards=["scc"], context={"tier": "gold"})).allowed
    assert not p.evaluate(event(safeguards=[], context={"tier": "gold"})).allowed
    assert not p.evaluate(event(safeguards=["scc"], context={"tier": True})).allowed


def test_purpose_in_tests_descent():
    p = policy("permit * when purpose in marketing\n")
    assert p.evaluate(event("marketing.email", subject={"consents": [consent()]})).allowed
    assert not p.evaluate(event("billing")).allowed


# ---- errors: absorption and fail-closed ----------------------------------------------------


@pytest.mark.parametrize("condition,allowed", [
    ("false and subject.age > 1", False),
    ("subject.age > 1 and false", False),
    ("true or subject.age > 1", True),
    ("subject.age > 1 or true", True),
    ("true and subject.age > 1", False),   # the error decides: permit does not apply
    ("false or subject.age > 1", False),
    ("not (subject.age > 1)", False),
])
def test_absorption_in_and_or_for_permits(condition, allowed):
    assert policy(f"permit billing when {condition}").evaluate(event()).allowed is allowed


def test_a_forbid_whose_condition_errors_applies_and_says_why():
    p = policy("permit billing\nrule adult: forbid billing when subject.age < 18")
    decision = p.evaluate(event())
    assert rules(decision) == ["adult"]
    assert "fail closed" in decision.reasons[0].message and "subject.age" in decision.reasons[0].message


def test_an_absorbed_error_does_not_fail_closed():
    p = policy("permit billing\nrule r: forbid billing when false and subject.age < 18")
    assert p.evaluate(event()).allowed


def test_unless_error_fails_closed():
    assert not policy("permit billing unless subject.age < 18").evaluate(event()).allowed
    assert not policy("permit billing\nforbid billing unless subject.age >= 18").evaluate(event()).allowed


# ---- sugar -----------------------------------------------------------------------------------


def test_require_residency_retain_are_forbids():
    p = policy("permit *\n"
               "rule r1: require explicit consent for marketing on contact when subject.age >= 0\n"
               "rule r2: residency health in home\n"
               "rule r3: retain usage for 30 days\n")
    marketing = p.evaluate(event("marketing", subject={"age": 20, "consents": [consent()]}))
    assert rules(marketing) == ["r1"] and marketing.reasons[0].sugar == "require"
    assert rules(p.evaluate(event(categories=["health"], destination="US"))) == ["r2"]
    assert p.evaluate(event(categories=["health"], destination="FR")).allowed
    assert rules(p.evaluate(event(categories=["usage"], collected_at="2026-01-01T00:00:00Z"))) == ["r3"]


def test_require_without_when_applies_always():
    p = policy("permit *\nrule r: require subject.age >= 18 for * on contact")
    assert rules(p.evaluate(event(subject={"age": 12}))) == ["r"]
    assert p.evaluate(event(subject={"age": 18})).allowed


# ---- §6 event validity ------------------------------------------------------------------------


@pytest.mark.parametrize("change,message", [
    ({"purpose": "nope"}, "no purpose `nope`"),
    ({"categories": ["nope"]}, "no category `nope`"),
    ({"categories": []}, "categories"),
    ({"destination": "XX"}, "`XX` is not an ISO 3166-1 country code"),
    ({"destination": "de"}, "`de` is not an ISO 3166-1 country code"),
    ({"subject": {"country": "ZZ"}}, "subject.country"),
    ({"subject": {"consents": [{"purpose": "nope", "given_at": AT}]}}, "no purpose `nope`"),
    ({"subject": {"consents": [{"purpose": "marketing"}]}}, "given_at"),
    ({"subject": {"objections": ["nope"]}}, "no purpose `nope`"),
    ({"subject": {"age": "12"}}, "subject.age"),
    ({"subject": {"age": -1}}, "subject.age"),
    ({"automated": "yes"}, "automated"),
    ({"colour": "red"}, "`colour` is not an event field"),
    ({"at": "yesterday"}, "at"),
])
def test_invalid_events_are_denied_naming_the_problem(change, message):
    p = policy("permit *")
    decision = p.evaluate({**event(), **change})
    assert kinds(decision) and set(kinds(decision)) == {"invalid-event"}
    assert any(message in r.message for r in decision.reasons)
    with pytest.raises(engine.InvalidEvent) as raised:
        p.evaluate({**event(), **change}, strict=True)
    assert any(message in problem for problem in raised.value.problems)


def test_every_problem_is_named():
    decision = policy("permit *").evaluate({"purpose": "nope", "categories": ["x", "y"],
                                            "destination": "XX", "extra": 1})
    assert len(decision.reasons) == 5


def test_required_fields_and_non_objects():
    p = policy("permit *")
    assert len(p.evaluate({}).reasons) == 3
    for bad in (None, 1, "event", [event()], b"{}"):
        assert kinds(p.evaluate(bad)) == ["invalid-event"]


def test_implied_purpose_without_basis_is_not_an_event_purpose():
    p = engine.load_policy_text("category c\npurpose ads.display basis consent\npermit ads\n")
    assert "has no basis" in p.evaluate(event("ads", ["c"])).reasons[0].message


def test_implied_category_is_a_valid_event_category():
    assert policy("permit billing on contact").evaluate(event(categories=["contact"])).allowed


def test_models_are_accepted_as_events():
    p = policy("permit billing")
    model = engine.Event.model_validate(event())
    assert p.evaluate(model).allowed


def test_at_defaults_to_now():
    p = policy("permit marketing")
    data = event("marketing", subject={"consents": [consent(given="2999-01-01T00:00:00Z")]})
    del data["at"]
    assert not p.evaluate(data).allowed
    data["subject"]["consents"][0]["given_at"] = "2000-01-01T00:00:00Z"
    assert p.evaluate(data).allowed


def test_timestamps_without_zone_are_utc():
    p = policy("permit marketing")
    record = consent(given="2026-11-23T09:00:00")
    assert p.evaluate(event("marketing", subject={"consents": [record]})).allowed


def test_decision_carries_digest_and_is_json():
    p = policy("permit billing")
    decision = p.evaluate(event())
    assert decision.digest == p.digest and decision.digest.startswith("sha256:")
    assert engine.Decision.model_validate_json(decision.to_json()) == decision


def test_evaluation_errors_are_typed_with_kind_and_span():
    """An error in a condition says what kind it is and where in the policy it arose,
    on both paths (the reference's and the fast path's are the same values)."""
    import engine
    from engine.decide.values import EvaluationError

    policy = engine.load_policy_text(
        "category c\npurpose p basis contract\n"
        "rule r: forbid p on c when subject.age < 18\n"
        "rule t: forbid p on c when context.tier in context.tiers\npermit p on c\n")
    evaluation = policy.explain({"purpose": "p", "categories": ["c"], "destination": "DE",
                                 "context": {"tier": "a", "tiers": "a"}})
    errors = {o.rule.label: o.holds for o in evaluation.outcomes if isinstance(o.holds, EvaluationError)}
    assert errors["r"].kind == "missing" and errors["r"].span.text == "subject.age"
    assert errors["t"].kind == "type" and errors["t"].span.text == "context.tiers"
    assert errors["t"].kind in EvaluationError.KINDS
    fast = policy.evaluate({"purpose": "p", "categories": ["c"], "destination": "DE",
                            "context": {"tier": "a", "tiers": "a"}})
    assert [r.message for r in fast.reasons] == [r.message for r in evaluation.decision.reasons]
