"""The GDPR library (`use gdpr`): its in-language tests, the Art. 8 age table at
the boundary for every EEA state, and its public names."""

from __future__ import annotations

from pathlib import Path

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
    assert not {"US", "CA"} & regions["adequate"]  # partial decisions: "dpf", "pipeda" (transfers.law)
    assert {"CH", "GB", "JP", "KR", "BR"} <= regions["adequate"]
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
    assert set(vocabulary.purposes.names()) == {"direct_marketing", "employment"}
    assert vocabulary.markers == {"direct_marketing", "employment"}  # groups, not purposes
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


# ---- `has` in the library: the reasons say the law's words, the decisions are those of before -----

import re
from pathlib import Path

from hypothesis import given, settings, strategies as st

_GUARD = re.compile(r"has (context\.[a-z0-9_.]+)\s+and\s+")


def _flattened(policy_dir: str, unguarded: bool) -> engine.Policy:
    """A policy with the library's text pasted in instead of `use gdpr`; `unguarded`
    drops every `has context.X and` of the library: the rules as they were written
    before `has`, failing closed on a missing key."""
    texts = []
    for path in sorted(Path("rules/gdpr").glob("*.law")):
        text = path.read_text(encoding="utf-8")
        texts.append(_GUARD.sub("", text) if unguarded else text)
    for path in sorted(Path(policy_dir).glob("*.law")):
        texts.append(re.sub(r"^use gdpr$", "", path.read_text(encoding="utf-8"), flags=re.M))
    return engine.load_policy_text("\n".join(texts), name=Path(policy_dir).name + ".law")


POLICIES = ["rules/gdpr_tests", "rules/examples/shop", "rules/examples/health"]
GUARDED = {p: _flattened(p, False) for p in POLICIES}
UNGUARDED = {p: _flattened(p, True) for p in POLICIES}


def test_the_library_guards_every_optional_key_it_reads():
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(Path("rules/gdpr").glob("*.law")))
    read = set(re.findall(r"context\.[a-z0-9_]+", re.sub(r"(?m)#.*$", "", text)))
    guarded = set(_GUARD.findall(text))
    assert read and read == guarded
    assert "has" not in re.sub(r"(?m)#.*$", "", _GUARD.sub("", text)).split()


@pytest.mark.parametrize("policy", POLICIES)
def test_the_guards_change_no_decision_over_every_event(policy):
    result = engine.diff(UNGUARDED[policy], GUARDED[policy])
    assert result.exact and result.empty, [c.description for c in result.changes]


CONTEXT = {
    "art9_ground": ["b", "g", "j", "a", "z", 9, None, True],
    "art10_basis": ["official_authority", "authorised_by_law", "x", 1, None],
    "art21_ground": ["compelling_legitimate_grounds", "legal_claims", "x", None, []],
    "art22_ground": ["b", "a", 2, None],
    "art49_derogation": ["a", "b", "c", "d", "g", "compelling_interests", "h", 3, None, {}],
    "transfer_impact_assessment": ["essentially_equivalent", "equivalent_with_supplementary_measures",
                                   "not_equivalent", None, False],
}
PURPOSES = ["newsletter", "service", "fraud", "fraud.cards", "mailing", "registry", "screening"]


@st.composite
def library_events(draw):
    subject: dict = {}
    if draw(st.booleans()):
        subject["age"] = draw(st.sampled_from([10, 13, 15, 16, 40]))
    if draw(st.booleans()):
        subject["country"] = draw(st.sampled_from(["DE", "FR", "US", "IN"]))
    subject["consents"] = [
        {"purpose": draw(st.sampled_from(PURPOSES)), "given_at": "2026-01-01T00:00:00Z",
         "explicit": draw(st.booleans()), "parental": draw(st.booleans())}
        for _ in range(draw(st.integers(0, 2)))]
    subject["objections"] = draw(st.lists(st.sampled_from(PURPOSES + ["direct_marketing"]), max_size=2,
                                          unique=True))
    return {
        "purpose": draw(st.sampled_from(PURPOSES)),
        "categories": draw(st.lists(st.sampled_from(
            ["contact.email", "patient.record", "conviction", "conviction_register", "criminal"]),
            min_size=1, max_size=2, unique=True)),
        "destination": draw(st.sampled_from(["DE", "US", "IN", "JP", "CH"])),
        "safeguards": draw(st.lists(st.sampled_from(["scc", "bcr", "dpf", "other"]), max_size=2, unique=True)),
        "automated": draw(st.booleans()),
        "subject": subject,
        "context": {key: draw(st.sampled_from(values)) for key, values in CONTEXT.items()
                    if draw(st.booleans())},
        "at": "2026-11-23T09:00:00Z",
    }


@settings(max_examples=400, deadline=None)
@given(event=library_events())
def test_the_guarded_library_decides_as_before_in_its_own_words(event):
    before = UNGUARDED["rules/gdpr_tests"].evaluate(event)
    after = GUARDED["rules/gdpr_tests"].evaluate(event)
    assert after.allowed == before.allowed
    assert [(r.kind, r.rule, r.category) for r in after.reasons] == [
        (r.kind, r.rule, r.category) for r in before.reasons]
    for reason in after.reasons:
        assert "fail closed: the event has no `context." not in reason.message
        if reason.kind == "forbidden" and "fail closed" not in reason.message:
            assert reason.message == reason.because


@pytest.mark.parametrize("event,rule", [
    ({"purpose": "service", "categories": ["contact.email"], "destination": "CN"}, "gdpr_transfers"),
    ({"purpose": "service", "categories": ["contact.email"], "destination": "CN", "safeguards": ["scc"]},
     "gdpr_transfer_impact_assessment"),
    ({"purpose": "fraud", "categories": ["contact.email"], "destination": "DE",
      "subject": {"objections": ["fraud"]}}, "gdpr_objection"),
    ({"purpose": "service", "categories": ["patient.record"], "destination": "DE"}, "gdpr_special_categories"),
    ({"purpose": "screening", "categories": ["conviction"], "destination": "DE"}, "gdpr_criminal_data"),
    ({"purpose": "fraud", "categories": ["contact.email"], "destination": "DE", "automated": True},
     "gdpr_automated_decisions"),
])
def test_a_ground_left_out_is_denied_in_the_rules_own_words(event, rule):
    decision = LIBRARY_TESTS.evaluate({**event, "at": "2026-11-23T09:00:00Z"})
    (reason,) = [r for r in decision.reasons if r.rule == rule]
    assert not decision.allowed and reason.message == reason.because and "fail closed" not in reason.message
# ---- marker purposes and national layers ---------------------------------------------------


def _marketing(consent_to: str, purpose: str = "newsletter") -> dict:
    return {"purpose": purpose, "categories": ["contact.email"], "destination": "DE",
            "subject": {"age": 30, "country": "DE",
                        "consents": [{"purpose": consent_to, "given_at": "2026-01-05T10:00:00Z"}]},
            "at": "2026-11-23T09:00:00Z"}


def test_a_consent_to_direct_marketing_covers_nothing_and_explanations_say_why():
    decision = LIBRARY_TESTS.evaluate(_marketing("direct_marketing"))
    assert [r.rule for r in decision.reasons] == ["consent_required"]
    from engine.decide.explain import explain

    data = explain(LIBRARY_TESTS, _marketing("direct_marketing"))
    assert data["consent_required"] == {"required": True, "held": False, "marker_consents": ["direct_marketing"]}
    assert LIBRARY_TESTS.evaluate(_marketing("newsletter")).allowed


def test_no_event_is_for_a_marker():
    decision = LIBRARY_TESTS.evaluate(_marketing("newsletter", purpose="direct_marketing"))
    assert [r.kind for r in decision.reasons] == ["invalid-event"]
    assert "`direct_marketing` is a marker" in decision.reasons[0].message


def test_plain_use_gdpr_reads_no_national_layer():
    labels = {r.label for r in engine.load_policy_text("use gdpr\n").rules}
    assert "gdpr_de_genetic_employment" not in labels


def test_a_national_layer_brings_the_gdpr_library_with_it():
    layer = engine.load_policy_text("use gdpr.de\n")
    base = engine.load_policy_text("use gdpr\n")
    labels = [r.label for r in layer.rules]
    assert {r.label for r in base.rules} < set(labels) and "gdpr_de_genetic_employment" in labels
    [rule] = [r for r in layer.rules if r.label == "gdpr_de_genetic_employment"]
    assert rule.location.startswith("<gdpr.de>/genetic.law") and "GenDG §19" in rule.cite
    # written with `use gdpr` too, each library is read once
    both = engine.load_policy_text("use gdpr\nuse gdpr.de\n")
    assert [r.label for r in both.rules] == labels


def test_an_unknown_national_layer_lists_those_there_are():
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy_text("use gdpr.fr\n", name="mine.law")
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.code == "E0003" and "`gdpr.fr`" in diagnostic.message
    assert "`gdpr.de`" in (diagnostic.help or "")


NATIONAL_TESTS = sorted(p.as_posix() for p in Path("rules/gdpr_national_tests").iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", NATIONAL_TESTS)
def test_national_layer_tests_run_both_sides(folder):
    layer = "gdpr." + Path(folder).name
    policy = engine.load_policy(folder)
    assert any(r.location.startswith(f"<{layer}>/") for r in policy.rules if r.location)
    results = run_tests(policy)
    assert results and all(r.passed for r in results)
    assert {r.decision.effect for r in results} == {"allow", "deny"}


def test_every_national_layer_has_its_tests():
    from engine.core.resources import national_layers

    assert {Path(folder).name for folder in NATIONAL_TESTS} == set(national_layers()) >= {"de"}


def test_the_library_declares_no_facts_and_a_policy_may_declare_the_grounds():
    """The library's `context` keys are free (an unknown ground is no ground where
    its rule applies, and does not matter elsewhere); a policy that declares them
    makes a misspelt or unknown ground an invalid event."""
    import re
    from pathlib import Path

    assert engine.load_policy_text("use gdpr\n").vocabulary.facts == ()
    text = Path("docs/gdpr.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```law\n(.*?)```", text, flags=re.S) if "fact context.art21_ground" in b)
    free = engine.load_policy_text("use gdpr\ncategory c\npurpose fraud basis legitimate_interest\n"
                                   "permit fraud on c\n", name="free.law")
    strict = engine.load_policy_text(block.replace("use gdpr\n", "use gdpr\ncategory c\n"
                                                   "purpose fraud basis legitimate_interest\npermit fraud on c\n"),
                                     name="strict.law")
    base = {"purpose": "fraud", "categories": ["c"], "destination": "DE", "at": "2026-11-23T09:00:00Z"}
    for ground, allowed in (("business_needs", True), ("Legal_claims", True), ("legal_claims", True)):
        event = {**base, "context": {"art21_ground": ground}}
        assert free.evaluate(event).allowed is allowed
        decision = strict.evaluate(event)
        assert decision.allowed is (ground == "legal_claims")
        if ground != "legal_claims":
            assert [r.kind for r in decision.reasons] == ["invalid-event"]
            assert f'"{ground}"' in decision.reasons[0].message
    objected = {**base, "subject": {"objections": ["fraud"]}, "context": {"art21_ground": "Legal_claims"}}
    assert [r.rule for r in free.evaluate(objected).reasons] == ["gdpr_objection"]
    assert [r.kind for r in strict.evaluate(objected).reasons] == ["invalid-event"]


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
        lines = Path("rules/gdpr/automated.law").read_text(encoding="utf-8").splitlines()
        line = lines.index("rule gdpr_automated_safeguards:") + 1
        assert added.location == f"<gdpr>/automated.law:{line}:1"
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
