"""The Record builder: what the DPO's documents say, read from the policy that is
enforced (engine/records/build.py), on the identity-provider example and on
small policies for each rule of the builder."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.records.build import gap_diagnostics, record
from engine.records.model import Record
from fuzz.policies import BASE, HEADER, generate

IDENTITY = "rules/examples/identity"


@pytest.fixture(scope="module")
def identity() -> Record:
    return record(engine.load_policy(IDENTITY))


def test_the_example_states_every_item_so_it_has_no_gaps(identity):
    assert identity.gaps == []
    assert gap_diagnostics(engine.load_policy(IDENTITY)) == []


def test_the_controller_with_its_contacts_dpo_authority_and_measures(identity):
    controller = identity.controller
    assert controller is not None and controller.id == "keyhole" and controller.country_name == "Germany"
    assert controller.label == "Keyhole Identity GmbH"
    assert [t.text for t in controller.contact][1] == "privacy@keyhole.example"
    assert controller.dpo[0].text.startswith("Dr. Jana Richter")
    assert controller.authority is not None and "Berlin" in controller.authority.text
    assert len(controller.security) == 4
    # every statement points at the line that says it
    lines = engine.load_policy(IDENTITY).authored.modules[0].source.text.splitlines()
    for text in controller.contact + controller.dpo + controller.security:
        assert text.source is not None and text.text in lines[text.source.line - 1]


def test_processor_purposes_are_those_on_behalf_of_a_client_and_their_children(identity):
    assert [p.id for p in identity.processor_purposes] == ["login", "login.risk", "mfa", "signup"]
    assert {p.on_behalf_of for p in identity.processor_purposes} == {"tenants"}
    assert identity.client("tenants").label == "Business customers (tenants)"
    assert "billing" in [p.id for p in identity.controller_purposes]


def test_a_child_purpose_inherits_basis_subjects_and_the_permits_of_its_parent(identity):
    risk = next(p for p in identity.purposes if p.id == "login.risk")
    assert risk.basis == "contract" and risk.basis_article == "Art. 6(1)(b)"
    assert [s.text for s in risk.subjects] == ["users of the tenants' apps"]
    assert risk.automated is not None and "risk score" in risk.automated.text
    rules = {(u.category, u.rule) for u in risk.categories}
    assert ("risk.signals", "risk_signals") in rules and ("account.password_hash", "login_data") in rules


def test_transfers_carry_their_mechanism_and_article(identity):
    billing = next(p for p in identity.purposes if p.id == "billing")
    (stripe,) = billing.transfers
    assert (stripe.to, stripe.mechanism, stripe.safeguards) == ("stripe", "adequacy", ["dpf"])
    assert "Data Privacy Framework" in stripe.article
    mfa = next(p for p in identity.purposes if p.id == "mfa")
    (sms,) = mfa.transfers
    assert (sms.mechanism, sms.safeguards) == ("safeguard", ["scc"]) and "Art. 46(2)(c)" in sms.article
    hosting = identity.recipient("nordwolke")
    assert hosting.transfer is None and "support" in hosting.purposes


def test_retention_and_residency_follow_the_categories_a_purpose_uses(identity):
    tax = next(p for p in identity.purposes if p.id == "tax_records")
    assert {(r.duration, tuple(r.categories)) for r in tax.retention} == {
        ("10 years", ("billing.invoice",)), ("3 years", ("billing.contact",))}  # what the purpose uses
    analytics = next(p for p in identity.purposes if p.id == "product_analytics")
    assert [r.duration for r in analytics.retention] == ["13 months"] and analytics.residency == []
    login = next(p for p in identity.purposes if p.id == "login")
    (stay,) = login.residency
    assert stay.region == "eu" and "DE" in stay.countries and "NO" not in stay.countries


def test_the_record_is_json_that_reads_back_and_is_the_same_each_time(identity):
    text = identity.model_dump_json()
    assert Record.model_validate_json(text) == identity
    again = record(engine.load_policy(IDENTITY))
    assert again.model_dump_json() == text
    assert json.loads(text)["digest"] == engine.load_policy(IDENTITY).digest


def test_a_policy_without_controller_or_details_gives_a_record_without_them():
    policy = engine.load_policy_text("purpose p basis consent\ncategory c\npermit p on c\n")
    found = record(policy)
    assert found.controller is None and found.clients == [] and found.recipients == []
    (purpose,) = found.purposes
    assert purpose.subjects == [] and purpose.interest is None and purpose.provision.text
    # without a controller no document gaps are reported but the legitimate interest one
    assert gap_diagnostics(policy) == []


def test_library_purposes_and_markers_are_not_rows_of_the_record():
    policy = engine.load_policy_text("use gdpr\npurpose news basis consent is direct_marketing\n"
                                     "category email\npermit news on email to eea\n")
    assert [p.id for p in record(policy).purposes] == ["news"]


def test_an_interest_stated_on_a_parent_serves_its_children():
    policy = engine.load_policy_text('purpose fraud basis legitimate_interest interest "Safe payments"\n'
                                     "purpose fraud.cards\ncategory card\npermit fraud on card\n")
    found = record(policy)
    assert [p.interest.text for p in found.purposes if p.interest] == ["Safe payments", "Safe payments"]
    assert gap_diagnostics(policy) == []


def test_a_recipient_outside_the_eea_with_nothing_is_a_gap_and_a_transfer_without_mechanism():
    policy = engine.load_policy_text("recipient cloud processor in IN for p\npurpose p basis contract\n"
                                     "category c\npermit p on c\n")
    found = record(policy)
    assert found.recipient("cloud").transfer.mechanism == "none"
    assert [g.code for g in found.gaps] == ["W1102"]
    assert found.purposes[0].transfers[0].to == "cloud"


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False))
def test_every_policy_that_compiles_has_a_record(rng):
    text = generate(rng, [BASE, HEADER])
    try:
        policy = engine.load_policy_text(text, "fuzz.law")
    except engine.PolicyError:
        return
    found = record(policy)
    assert Record.model_validate_json(found.model_dump_json()) == found


# ---- what the documents say follows what the policy says (review findings' classes) ----


def _record(text: str):
    return record(engine.load_policy_text(text, "t.law"))


def test_destinations_a_permit_sends_data_to_are_transfers_with_what_they_need():
    found = _record('use gdpr\ncontroller c in DE contact "x" security "y"\npurpose p basis contract subjects "s"\n'
                    "category k\npermit p on k to {US, IN, CH, FR}\nretain k for 1 year\n")
    transfers = {t.to: (t.mechanism, t.article) for t in found.purposes[0].transfers}
    assert set(transfers) == {"US", "IN", "CH"}  # France is in the EEA
    assert transfers["CH"][0] == "adequacy"
    assert transfers["IN"][0] == "safeguard" and "gdpr_transfers" in transfers["IN"][1]
    assert all(t.source is not None and t.source.line == 5 for t in found.purposes[0].transfers)
    # without the library nothing checks the transfer: no mechanism
    bare = _record("purpose p basis contract\ncategory k\npermit p on k to {IN}\n")
    assert [(t.to, t.mechanism) for t in bare.purposes[0].transfers] == [("IN", "none")]


def test_a_destination_a_recipient_of_the_purpose_receives_in_is_its_transfer_only():
    found = _record('recipient pay processor in US holds "dpf" for p\npurpose p basis contract\ncategory k\n'
                    "permit p on k to {DE, US}\n")
    assert [t.to for t in found.purposes[0].transfers] == ["pay"]


def test_special_categories_are_found_under_a_parent_and_under_every_category():
    found = _record("use gdpr\ncategory patient\ncategory patient.diagnosis is special.health\n"
                    "purpose p basis contract\npurpose q basis contract\npurpose r basis contract\ncategory other\n"
                    "permit p on patient to eea when explicit consent\npermit q to eea when explicit consent\n"
                    "permit r on other to eea\n")
    assert {p.id: p.special for p in found.purposes} == {"p": True, "q": True, "r": False}


def test_a_child_on_another_basis_does_not_state_its_parent_s_interest():
    found = _record('purpose sec basis legitimate_interest interest "Stopping attacks"\n'
                    "purpose sec.marketing basis consent\ncategory k\npermit sec on k\n")
    assert {p.id: p.interest is not None for p in found.purposes} == {"sec": True, "sec.marketing": False}


def test_the_basis_is_traced_to_the_nearest_declaration_that_gives_it():
    found = _record("purpose a basis consent\npurpose a.b basis contract\npurpose a.b.c\ncategory k\n"
                    "permit a.b.c on k\n")
    c = next(p for p in found.purposes if p.id == "a.b.c")
    assert c.basis == "contract" and c.basis_source.line == 2 and c.provision.source.line == 2
