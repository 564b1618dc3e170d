"""Recipients (language item 3): declarations, the event's `recipient`, the
destination and safeguards it gives, the fields conditions read, and the checker."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import engine
from engine.event.schema import event_schema
from helpers import AT, fast_and_reference, policy

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

RECIPIENTS = """
## The CRM's cloud provider.
recipient acme_cloud processor in US holds "dpf"
recipient maple controller in CA holds "pipeda", "scc"
recipient partner joint_controller in FR
"""


def checked(rules: str) -> engine.Policy:
    return policy(RECIPIENTS + rules)


def sent(recipient=None, **fields) -> dict:
    data = {"purpose": "billing", "categories": ["contact.email"], "at": AT, **fields}
    if recipient is not None:
        data["recipient"] = recipient
    return data


def problems(decision) -> list[str]:
    assert not decision.allowed
    return [r.message for r in decision.reasons if r.kind == "invalid-event"]


def decide(p: engine.Policy, data: dict):
    """The decision, the same on the fast path (which decides a valid event itself)."""
    fast_and_reference(p, data, NOW)
    return p.evaluate(data, now=NOW)


def test_the_recipient_s_country_is_the_destination():
    p = checked("permit billing to {US}\n")
    assert decide(p, sent("acme_cloud")).allowed
    assert decide(p, sent("acme_cloud", destination="US")).allowed
    assert not decide(p, sent("partner")).allowed
    [reason] = decide(p, sent("partner")).reasons
    assert reason.kind == "not-permitted" and "to `FR`" in reason.message


def test_a_destination_that_disagrees_with_the_recipient_is_an_invalid_event():
    p = checked("permit billing\n")
    assert problems(decide(p, sent("acme_cloud", destination="DE"))) == [
        "`destination` (DE) is not the country of the recipient `acme_cloud` (US): leave `destination` out, "
        "or name the recipient that receives it there"]


@pytest.mark.parametrize("name", ["nobody", "Acme_cloud", ""])
def test_an_unknown_recipient_is_an_invalid_event(name):
    p = checked("permit billing\n")
    assert problems(decide(p, sent(name))) == [
        f"`recipient`: the policy has no recipient `{name}` (it declares `acme_cloud`, `maple`, `partner`)"]


def test_a_recipient_that_is_not_a_string_is_an_invalid_event():
    p = checked("permit billing\n")
    assert problems(decide(p, sent(3, destination="DE"))) == ["`recipient`: input should be a valid string"]


def test_an_event_without_destination_or_recipient_is_invalid_as_before():
    p = checked("permit billing\n")
    assert problems(decide(p, sent())) == ["`destination` is required"]
    assert problems(decide(p, sent(destination=None))) == ["`destination`: input should be a valid string"]
    assert decide(p, {**sent(destination="DE"), "recipient": None}).allowed  # null is absent


def test_what_the_recipient_holds_counts_as_the_event_s_safeguards():
    p = checked('permit billing when "dpf" in safeguards and "bcr" in safeguards\n')
    assert not decide(p, sent("acme_cloud")).allowed
    assert decide(p, sent("acme_cloud", safeguards=["bcr"])).allowed
    assert not decide(p, sent("partner", safeguards=["dpf"])).allowed
    assert decide(p, sent("partner", safeguards=["dpf", "bcr"])).allowed


@pytest.mark.parametrize("condition, recipient, holds", [
    ('recipient == "maple"', "maple", True),
    ('recipient in {"maple", "partner"}', "partner", True),
    ('recipient != "maple"', "acme_cloud", True),
    ('recipient.role == "processor"', "acme_cloud", True),
    ('recipient.role == "joint_controller"', "maple", False),
    ("recipient.country == CA", "maple", True),
    ("recipient.country in home", "partner", True),
    ('"scc" in recipient.holds', "maple", True),
    ('"scc" in recipient.holds', "acme_cloud", False),
])
def test_conditions_read_the_recipient(condition, recipient, holds):
    p = checked(f"permit billing when {condition}\n")
    assert decide(p, sent(recipient)).allowed is holds


@pytest.mark.parametrize("name", ["recipient", "recipient.role", "recipient.country", "recipient.holds"])
def test_an_event_without_a_recipient_fails_closed_on_its_fields(name):
    p = checked(f"rule r: forbid billing when not ({name} == {name})\npermit billing\n")
    decision = decide(p, sent(destination="DE"))
    assert [r.rule for r in decision.reasons] == ["r"]
    assert decision.reasons[0].message == "forbidden by r (fail closed: the event has no `recipient`)"


def test_the_schema_lists_the_policy_s_recipients():
    schema = event_schema(checked("permit billing\n"))
    recipient = [o for o in schema["properties"]["recipient"]["anyOf"] if o.get("type") == "string"]
    assert recipient[0]["enum"] == ["acme_cloud", "maple", "partner"]
    assert "destination" not in schema.get("required", [])


def test_the_declaration_keeps_its_doc_comment_and_facts():
    recipients = checked("permit billing\n").vocabulary.recipients
    assert recipients["maple"].holds == frozenset({"pipeda", "scc"})
    assert (recipients["acme_cloud"].role, recipients["acme_cloud"].country) == ("processor", "US")
    assert recipients["acme_cloud"].doc == "The CRM's cloud provider."


def codes(text: str) -> list[str]:
    with pytest.raises(engine.PolicyError) as error:
        policy(text)
    return [d.code for d in error.value.diagnostics]


@pytest.mark.parametrize("text, expected", [
    ("recipient x procesor in US\n", ["E0308"]),
    ("recipient x processor in XX\n", ["E0501"]),
    ("recipient x processor in US\nrecipient x controller in DE\n", ["E0202"]),
    ('recipient x processor in US\npermit billing when recipient == "y"\n', ["E0411"]),
    ('recipient x processor in US\npermit billing when recipient in {"x", "y"}\n', ["E0411"]),
    ('permit billing when recipient.role == "procesor"\n', ["E0411"]),
    ("recipient x processor in US\npermit billing when recipient.role == 1\n", ["E0401"]),
    ("recipient x processor in US\npermit billing when recipient.name == 1\n", ["E0404"]),
    ("recipient x processor in US\ncategory recipient.data\n", ["E0205"]),
    ("recipient x processor in US holds dpf\n", ["E0102"]),
])
def test_the_checker_s_diagnostics(text, expected):
    assert codes(text) == expected


@pytest.mark.parametrize("root", ["recipient", "exporter"])
def test_names_starting_with_a_new_field_keep_their_meaning_without_recipients(root):
    p = policy(f"category {root}.data\nregion {root} = {{DE}}\nregion {root}.far = {{US}}\n"
               f"permit billing on {root} when destination in {root} + {root}.far and not (destination == JP)\n")
    assert p.evaluate(sent(categories=[f"{root}.data"], destination="DE")).allowed
    assert p.evaluate(sent(categories=[f"{root}.data"], destination="US")).allowed
    assert not p.evaluate(sent(categories=[f"{root}.data"], destination="FR")).allowed


def test_fmt_prints_the_declaration_canonically():
    from engine.tools.fmt import format_text

    text = 'recipient   maple controller  in CA holds "pipeda" ,"scc"\n'
    assert format_text(text) == 'recipient maple controller in CA holds "pipeda", "scc"\n'


@pytest.mark.parametrize("exporter, allowed", [(None, False), ("controller", False), ("subject", True)])
def test_the_exporter_says_who_sends_the_data(exporter, allowed):
    p = policy('permit billing when destination in home or exporter == "subject"\n')
    data = sent(destination="US") if exporter is None else sent(destination="US", exporter=exporter)
    assert decide(p, data).allowed is allowed


@pytest.mark.parametrize("value", ["Subject", "processor", 1, True, ["subject"]])
def test_an_exporter_that_is_not_one_of_its_values_is_an_invalid_event(value):
    p = policy("permit billing\n")
    [problem] = problems(decide(p, sent(destination="DE", exporter=value)))
    assert problem.startswith("`exporter`: input should be 'controller' or 'subject'")


def test_a_condition_on_an_exporter_value_it_never_has_is_an_error():
    assert codes('permit billing when exporter == "subjet"\n') == ["E0411"]
    assert codes('permit billing when exporter in {"controller", "me"}\n') == ["E0411"]
