"""Capacity at consent time: a consent record's `age` and `subject.consent_age`."""

from __future__ import annotations

import json

import pytest

import engine
from engine.audit import audit_duckdb
from engine.decide import reference
from engine.event.schema import event_schema
from helpers import event

TEXT = """category c
purpose p basis consent
purpose p.q
permit p when subject.consent_age >= 16
"""
P = engine.load_policy_text(TEXT)
GIVEN = "2026-01-01T00:00:00Z"


def record(age=None, **extra) -> dict:
    found = {"purpose": "p", "given_at": GIVEN, **extra}
    if age is not None:
        found["age"] = age
    return found


def decide(subject: dict, purpose: str = "p") -> engine.Decision:
    data = event(purpose, ["c"], subject=subject)
    decision = P.evaluate(data)
    assert decision == reference.evaluate(P.checked, P.digest, data).decision
    assert P.compiled.handovers == 0
    return decision


@pytest.mark.parametrize("subject,allowed", [
    ({"age": 17, "consents": [record()]}, True),  # no age on the record: the current age
    ({"age": 17, "consents": [record(14)]}, False),  # given at 14
    ({"age": 17, "consents": [record(16)]}, True),
    ({"consents": [record(16)]}, True),  # the record's age is enough without subject.age
    ({"consents": [record()]}, False),  # neither: an error, the permit does not apply
    ({"age": 15, "consents": [record(18)]}, False),  # never above the current age
    ({"age": 17, "consents": [record(14), record()]}, True),  # a record without an age: the current age
    ({"age": 17, "consents": [record(14), record(16)]}, True),  # one consent given with capacity is enough
    ({"age": 17, "consents": [record(14), record(18, parental=True)]}, False),  # a parent's age is not theirs
    ({"age": 17, "consents": [record(14, withdrawn_at=GIVEN), record(16, purpose="p.q")]}, True),
    ({"age": 17, "consents": [record(14), record(16, given_at="2027-01-01T00:00:00Z")]}, False),  # not yet given
])
def test_consent_age_is_the_age_on_the_subject_s_own_valid_covering_consents(subject, allowed):
    if subject["consents"][-1]["purpose"] == "p.q":  # a consent to p.q does not cover p
        assert decide(subject).allowed is False
        assert decide(subject, "p.q").allowed is allowed
        return
    assert decide(subject).allowed is allowed


def test_an_unknown_consent_age_names_the_missing_age():
    p = engine.load_policy_text(TEXT + "forbid p when subject.consent_age < 16\n")
    decision = p.evaluate(event("p", ["c"], subject={"consents": [record()]}))
    assert "(fail closed: the event has no `subject.age`)" in decision.reasons[0].message


@pytest.mark.parametrize("age", ["14", 14.5, -1, 201, True])
def test_a_consent_age_is_an_integer_from_0_to_200(age):
    data = event("p", ["c"], subject={"age": 17, "consents": [record(age)]})
    decision = P.evaluate(data)
    assert not decision.allowed and decision.reasons[0].kind == "invalid-event"
    assert "subject.consents[0].age" in decision.reasons[0].message
    assert P.evaluate(event("p", ["c"], subject={"age": 17, "consents": [record(None)]})).allowed


def test_the_schema_and_the_checker_know_the_new_fields():
    age = event_schema()["$defs"]["ConsentRecord"]["properties"]["age"]
    assert {"type": "integer", "minimum": 0, "maximum": 200} in age["anyOf"]
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy_text(TEXT + 'permit p when subject.consent_age == "x"\n')
    assert raised.value.diagnostics[0].code == "E0401"
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy_text(TEXT + "permit p when subject.consent_agee > 1\n")
    assert "subject.consent_age" in (raised.value.diagnostics[0].help or "")


def test_the_audit_sql_reads_consent_ages_as_the_reference_does(tmp_path):
    subjects = [{"age": 17, "consents": [record()]}, {"age": 17, "consents": [record(14)]},
                {"consents": [record(16)]}, {"consents": [record()]}, {"age": 15, "consents": [record(18)]},
                {"age": 17, "consents": [record(14), record(16)]}, {"age": 17, "consents": [record(14), record()]},
                {"age": 17, "consents": [record(14), record(18, parental=True)]}, {"age": 17},
                {"age": 17, "consents": [record("14")]}]
    events = [event("p", ["c"], subject=s) for s in subjects]
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    relation = audit_duckdb(P, [str(path)]).decisions
    rows = [dict(zip(relation.columns, values)) for values in relation.order("eid").fetchall()]
    assert [r["effect"] for r in rows] == [P.evaluate(e).effect for e in events]
    assert [r["effect"] for r in rows] == ["allow", "deny", "allow", "deny", "deny", "allow", "allow", "deny",
                                           "deny", "deny"]


def test_remedies_keep_the_consent_age_a_fact():
    p = engine.load_policy_text("use gdpr\ncategory c\npurpose news basis consent\npermit news\n")
    data = {"purpose": "news", "categories": ["c"], "destination": "DE", "at": "2026-11-23T09:00:00Z",
            "subject": {"age": 17, "country": "DE",
                        "consents": [{"purpose": "news", "given_at": GIVEN, "age": 14}]}}
    assert not p.evaluate(data).allowed
    remedies = p.remedies(data)
    assert [[a.kind for a in r.actions] for r in remedies.remedies] == [["obtain-consent"]]
    assert remedies.remedies[0].actions[0].consent in ("parental", "explicit+parental")
    assert not [f for f in remedies.facts if f.field == "subject.consent_age"]


def test_diff_finds_what_reading_the_consent_age_changes():
    old = engine.load_policy_text("category c\npurpose p basis consent\npermit p\n")
    new = engine.load_policy_text("category c\npurpose p basis consent\npermit p unless subject.consent_age < 16\n")
    result = engine.diff(old, new)
    assert result.changes and all(c.kind == "allow-to-deny" and c.verified for c in result.changes)
    assert any(c.example.get("subject", {}).get("consents", [{}])[-1].get("age") is not None
               for c in result.changes)


def test_a_consent_to_a_marker_gives_no_consent_age(tmp_path):
    """A consent to a marker covers nothing, so its `age` does not count for
    `subject.consent_age` on any path (reference, compiled, audit SQL)."""
    p = engine.load_policy_text("category c\npurpose dm basis consent marker\npurpose news is dm\n"
                                "permit news when subject.consent_age >= 16\n")
    to_news = {"purpose": "news", "given_at": GIVEN, "age": 14}
    subjects = [{"age": 17, "consents": [to_news, {"purpose": "dm", "given_at": GIVEN, "age": 16}]},
                {"age": 17, "consents": [to_news, {"purpose": "dm", "given_at": GIVEN}]}]
    events = [event("news", ["c"], subject=s) for s in subjects]
    for data in events:
        assert reference.evaluate(p.checked, p.digest, data).decision.effect == "deny"
        assert p.evaluate(data).effect == "deny"
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    relation = audit_duckdb(p, [str(path)]).decisions
    assert [row[0] for row in relation.order("eid").select("effect").fetchall()] == ["deny", "deny"]
