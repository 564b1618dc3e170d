"""The GDPR library (`use gdpr`): its in-language tests, the Art. 8 age table at
the boundary for every EEA state, and its public names."""

from __future__ import annotations

import pytest

import engine
from engine.tools.testing import run_tests

LIBRARY_TESTS = engine.load_policy("rules/gdpr_tests")
RESULTS = run_tests(LIBRARY_TESTS)

# Art. 8 ages from the fact sheet (checked November 2026): a second source for the table.
AGES = {
    "AT": 14, "BE": 13, "BG": 14, "HR": 16, "CY": 14, "CZ": 15, "DK": 15, "EE": 13, "FI": 13,
    "FR": 15, "DE": 16, "GR": 15, "HU": 16, "IE": 16, "IT": 14, "LV": 13, "LT": 14, "LU": 16,
    "MT": 13, "NL": 16, "PL": 16, "PT": 13, "RO": 16, "SK": 16, "SI": 15, "ES": 14, "SE": 13,
    "IS": 13, "LI": 16, "NO": 13,
}
EEA_ONLY = {"IS", "LI", "NO"}
# EU territories with ISO codes of their own, with the state whose age they carry
TERRITORIES = {"RE": "FR", "GP": "FR", "MQ": "FR", "GF": "FR", "YT": "FR", "MF": "FR", "AX": "FI"}


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: r.name)
def test_in_language_tests_pass(result):
    assert result.passed, f"{result.location}: {'; '.join(result.problems)}"


def test_every_library_rule_is_tested_on_both_sides():
    labels = {r.label for r in LIBRARY_TESTS.rules if r.label and r.label.startswith("gdpr_")}
    denied_by = {n.value for t in LIBRARY_TESTS.tests if t.expect == "deny" for n in t.names}
    # an oblige never denies: its applying side is an allow test expecting its obligations
    obliges = {r.label: set(r.obligations) for r in LIBRARY_TESTS.rules if r.effect == "oblige"}
    for test in LIBRARY_TESTS.tests:
        expected = {n.value for n in test.names}
        if test.expect == "allow" and expected:
            for outcome in LIBRARY_TESTS.explain(test.event).outcomes:
                if outcome.rule.label in obliges and outcome.applies and obliges[outcome.rule.label] <= expected:
                    denied_by.add(outcome.rule.label)
    assert labels - denied_by == set(), "rules with no deny test (or, for an oblige, no test of what it adds)"
    # the allow side: a test where the rule's target matched but the rule did not apply
    spared = set()
    for test in LIBRARY_TESTS.tests:
        if test.expect != "allow":
            continue
        for outcome in LIBRARY_TESTS.explain(test.event).outcomes:
            if outcome.matches and not outcome.applies:
                spared.add(outcome.rule.label)
    assert labels - spared == set(), "rules with no allow test"


def test_regions():
    regions = LIBRARY_TESTS.vocabulary.regions
    assert len(regions["eu"]) == 27
    assert regions["eea"] == regions["eu"] | EEA_ONLY
    assert set(AGES) == regions["eea"]
    assert set(TERRITORIES) == regions["eu_outermost"]
    assert "US" not in regions["adequate"]
    assert {"CH", "GB", "JP", "KR", "CA", "BR"} <= regions["adequate"]
    assert not regions["adequate"] & regions["eea"]
    assert not regions["eu_outermost"] & regions["eu"]


def test_age_table_matches_the_facts():
    table = LIBRARY_TESTS.vocabulary.tables["digital_consent_age"]
    assert table.entries == {**AGES, **{t: AGES[state] for t, state in TERRITORIES.items()}}
    assert table.default == 16
    assert all(13 <= age <= 16 for age in AGES.values())


def _child_event(country: str, age: int, parental: bool = False) -> dict:
    return {"purpose": "newsletter", "categories": ["contact.email"], "destination": "DE",
            "at": "2026-11-23T09:00:00Z",
            "subject": {"age": age, "country": country,
                        "consents": [{"purpose": "newsletter", "given_at": "2026-01-01T00:00:00Z",
                                      "parental": parental}]}}


@pytest.mark.parametrize("country", sorted(AGES) + sorted(TERRITORIES))
def test_age_of_digital_consent_at_the_boundary(country):
    age = AGES[TERRITORIES.get(country, country)]
    below = LIBRARY_TESTS.evaluate(_child_event(country, age - 1))
    assert not below.allowed and [r.rule for r in below.reasons] == ["gdpr_child_consent"]
    assert LIBRARY_TESTS.evaluate(_child_event(country, age - 1, parental=True)).allowed
    assert LIBRARY_TESTS.evaluate(_child_event(country, age)).allowed


@pytest.mark.parametrize("age", [16, 17, 40])
def test_from_16_no_country_is_needed(age):
    event = _child_event("DE", age)
    del event["subject"]["country"]
    assert LIBRARY_TESTS.evaluate(event).allowed


@pytest.mark.parametrize("age", [0, 12, 13, 15])
def test_below_16_an_unknown_country_fails_closed(age):
    event = _child_event("DE", age)
    del event["subject"]["country"]
    decision = LIBRARY_TESTS.evaluate(event)
    assert not decision.allowed and [r.rule for r in decision.reasons] == ["gdpr_child_consent"]
    assert LIBRARY_TESTS.evaluate({**event, "subject": {**event["subject"], "consents": [
        {"purpose": "newsletter", "given_at": "2026-01-01T00:00:00Z", "parental": True}]}}).allowed


def test_public_names_are_the_documented_contract():
    library = engine.load_policy_text("use gdpr\n")
    vocabulary = library.vocabulary
    assert set(vocabulary.regions) == {"eu", "eu_outermost", "eea", "adequate"}
    assert set(vocabulary.tables) == {"digital_consent_age"}
    assert set(vocabulary.categories.names()) == {"criminal", "criminal.register", "special"} | {
        f"special.{n}" for n in ("racial_ethnic_origin", "political_opinion", "religious_belief",
                                 "trade_union", "genetic", "biometric", "health", "sex_life",
                                 "sexual_orientation")}
    assert set(vocabulary.purposes.names()) == {"direct_marketing"}
    assert set(vocabulary.obligations) == {"gdpr_human_intervention", "gdpr_research_safeguards"}
    assert all(r.label and r.label.startswith("gdpr_") and r.because and r.cite
               for r in library.rules)


def test_common_user_names_never_clash():
    text = "use gdpr\n" + "".join(f"category {c}\n" for c in (
        "contact.email", "payment", "health.vitals", "usage", "identity", "location", "biometrics",
        "employee", "customer", "sensitive")) + "".join(f"purpose {p} basis contract\n" for p in (
            "billing", "marketing", "analytics", "support", "security", "fraud", "research",
            "newsletter", "hr", "delivery")) + (
        "region home = {DE}\nregion europe = eea\ntable min_age default 16 { DE: 16 }\n"
        'obligation pseudonymize "x"\nobligation human_intervention "x"\nobligation safeguards_89 "x"\n'
        'obligation research_safeguards "x"\nrule children: permit billing on contact\n'
        "rule transfers: permit billing on payment\n")
    assert engine.load_policy_text(text).digest


def test_redeclaring_a_library_name_is_an_error_showing_both_places():
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy_text("use gdpr\nregion eea = {DE}\n", name="mine.law")
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.code == "E0202" and diagnostic.file == "mine.law"
    assert "already declared by `use gdpr`" in diagnostic.message
    assert diagnostic.notes[0].span.file == "<gdpr>/regions.law"


def _automated(purpose: str, **extra) -> dict:
    return {"purpose": purpose, "categories": ["contact.email"], "destination": "DE", "automated": True,
            "at": "2026-11-23T09:00:00Z", **extra}


def test_art_22_3_safeguards_come_with_a_contract_or_explicit_consent_only():
    explicit = {"consents": [{"purpose": "fraud", "given_at": "2026-01-05T10:00:00Z", "explicit": True}]}
    contract = LIBRARY_TESTS.evaluate(_automated("service"))
    consented = LIBRARY_TESTS.evaluate(_automated("fraud", subject=explicit))
    for decision in (contract, consented):
        assert decision.allowed and decision.obligations == ("gdpr_human_intervention",)
        [added] = [r for r in decision.reasons if r.kind == "obliged"]
        assert added.rule == "gdpr_automated_safeguards" and added.cite == "GDPR Art. 22(3)"
        assert added.location and added.location.endswith("automated.law:25:1")
    by_law = LIBRARY_TESTS.evaluate(_automated("fraud", context={"art22_ground": "b"}))
    not_automated = LIBRARY_TESTS.evaluate({**_automated("service"), "automated": False})
    for decision in (by_law, not_automated):
        assert decision.allowed and decision.obligations == ()
        assert not [r for r in decision.reasons if r.kind == "obliged"]
    # a deny hands out nothing
    denied = LIBRARY_TESTS.evaluate(_automated("fraud"))
    assert not denied.allowed and denied.obligations == ()


def _health(**extra) -> dict:
    return {"purpose": "service", "categories": ["patient.record"], "destination": "DE",
            "subject": {"age": 30, "country": "DE"}, "at": "2026-11-23T09:00:00Z", **extra}


def test_art_89_safeguards_come_with_the_research_ground_only():
    research = LIBRARY_TESTS.evaluate(_health(context={"art9_ground": "j"}))
    assert research.allowed and research.obligations == ("gdpr_research_safeguards",)
    care = LIBRARY_TESTS.evaluate(_health(context={"art9_ground": "h"}))
    assert care.allowed and care.obligations == ()
    consent = {"age": 30, "country": "DE", "consents": [
        {"purpose": "service", "given_at": "2026-01-05T10:00:00Z", "explicit": True}]}
    consented = LIBRARY_TESTS.evaluate(_health(subject=consent, context={"art9_ground": "j"}))
    assert consented.allowed and consented.obligations == ()
    plain = LIBRARY_TESTS.evaluate({**_health(), "categories": ["contact.email"], "context": {"art9_ground": "j"}})
    assert plain.allowed and plain.obligations == ()


@pytest.mark.parametrize("country", sorted(AGES))
def test_a_consent_given_alone_below_the_age_stays_invalid_when_the_subject_comes_of_age(country):
    age = AGES[country]
    given_below = _child_event(country, 30)
    given_below["subject"]["consents"][0]["age"] = age - 1
    decision = LIBRARY_TESTS.evaluate(given_below)
    assert not decision.allowed and [r.rule for r in decision.reasons] == ["gdpr_child_consent"]
    at_age = _child_event(country, 30)
    at_age["subject"]["consents"][0]["age"] = age
    assert LIBRARY_TESTS.evaluate(at_age).allowed
    parental = _child_event(country, 30, parental=True)
    parental["subject"]["consents"].append({"purpose": "newsletter", "given_at": "2026-01-01T00:00:00Z",
                                            "age": age - 1})
    assert LIBRARY_TESTS.evaluate(parental).allowed


def test_a_consent_age_above_the_subject_s_age_is_capped_by_it():
    event = _child_event("DE", 15)
    event["subject"]["consents"][0]["age"] = 18  # the current age is what counts then
    assert not LIBRARY_TESTS.evaluate(event).allowed
