"""The presence test `has FIELD` (docs/language.md, Expressions): true or false,
never an evaluation error; the checker admits only fields an event may leave out."""

from __future__ import annotations

import pytest

import engine
from engine.tools.repl import Session

HEAD = "category c\npurpose p basis contract\nregion has = {DE}\n"
BASE = {"purpose": "p", "categories": ["c"], "destination": "DE", "at": "2026-11-23T09:00:00Z"}


def allowed(condition: str, event: dict) -> bool:
    policy = engine.load_policy_text(HEAD + f"permit p on c when {condition}\n")
    decision = policy.evaluate({**BASE, **event})
    assert decision.allowed == policy.evaluate_reference({**BASE, **event}).allowed
    return decision.allowed


@pytest.mark.parametrize("condition,event,expected", [
    ("has subject.age", {"subject": {"age": 3}}, True),
    ("has subject.age", {"subject": {"age": None}}, False),  # null is absent for subject fields
    ("has subject.age", {}, False),
    ("has subject.country", {"subject": {"country": "FR"}}, True),
    ("has subject.kind", {"subject": {"kind": "customer"}}, True),
    ("has subject.id", {"subject": {"id": None}}, False),
    ("has data_age", {"collected_at": "2026-01-01T00:00:00Z"}, True),
    ("has data_age", {"collected_at": None}, False),
    ("has context.x", {"context": {"x": None}}, True),  # null in context is a value: present
    ("has context.x", {"context": {}}, False),
    ("has context.order.total", {"context": {"order": {"total": 0}}}, True),
    ("has context.order.total", {"context": {"order": {}}}, False),
    ("has context.order.total", {"context": {"order": [1]}}, False),
    ("has context.order.total", {"context": {"order": "total"}}, False),
    ("has context.order.total", {"context": {"order": None}}, False),
    ("not has context.x", {}, True),
    # binds like an operand: absent makes `and` false, not an error
    ('has context.x and context.x == "a"', {}, False),
    ('has context.x and context.x == "a"', {"context": {"x": "a"}}, True),
    ("has subject.age == true", {"subject": {"age": 1}}, True),
    ("destination in has", {}, True),  # `has` alone stays a name
])
def test_has_is_true_or_false(condition, event, expected):
    assert allowed(condition, event) is expected


def test_a_forbid_on_has_never_fails_closed():
    policy = engine.load_policy_text(
        HEAD + 'permit p on c\nrule needs_x: forbid p on c when not has context.x because "x is needed"\n')
    (reason,) = policy.evaluate(BASE).reasons
    assert reason.message == "x is needed" and "fail closed" not in reason.message
    assert policy.evaluate({**BASE, "context": {"x": 1}}).allowed


def codes(condition: str, head: str = HEAD) -> list[tuple[str, str]]:
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy_text(head + f"permit p on c when {condition}\n")
    return [(d.code, d.message) for d in raised.value.diagnostics]


@pytest.mark.parametrize("condition", ["has destination", "has safeguards", "has automated", "has basis",
                                       "has consent", "has objected", "has context"])
def test_has_on_a_field_always_present_is_e0410(condition):
    ((code, message),) = codes(condition)
    assert code == "E0410" and "always present" in message


def test_has_recipient_role_says_whether_the_event_names_a_recipient():
    # (`has recipient` would read `recipient` as the start of a declaration)
    policy = engine.load_policy_text(HEAD + "recipient r processor in US\npermit p on c when has recipient.role\n")
    assert policy.evaluate({**BASE, "destination": "US", "recipient": "r"}).allowed
    assert not policy.evaluate(BASE).allowed


def test_has_on_what_is_not_a_field():
    ((code, message),) = codes("has eea_like")
    assert code == "E0410" and "`eea_like` is not one" in message
    assert codes("has subject.birthday")[0][0] == "E0404"
    # `has` then a `purpose` declaration: the name `has`, undefined here
    (undefined, *_) = codes("has purpose in p", "category c\npurpose p basis contract\n")
    assert undefined[0] == "E0201" and "`has`" in undefined[1]


def test_fmt_keeps_has():
    from engine.tools.fmt import format_text

    text = HEAD + "permit p on c when not has context.a.b and (has subject.age or has data_age)\n"
    assert format_text(text, "x.law") == text


def test_completion_after_has_offers_the_optional_fields():
    session = Session()
    assert session.completions("permit p when has ", "") == [
        "subject.id", "subject.age", "subject.country", "subject.kind", "context.", "data_age",
        "recipient.role", "recipient.country", "recipient.holds", "subject.consent_age"]
    assert session.completions("permit p when has sub", "sub") == [
        "subject.id", "subject.age", "subject.country", "subject.kind", "subject.consent_age"]
    assert "destination" not in session.completions("permit p when has d", "d")
    assert "has" in session.completions("permit p when ha", "ha")
    assert "destination" in session.completions("permit p when d", "d")
    assert session.completions("permit p when ", "") == []


def test_the_highlighter_marks_has_before_a_field_only():
    from pygments.token import Keyword, Name

    from engine.tools.highlight import LawfulLexer

    tokens = list(LawfulLexer().get_tokens("permit p when has context.x and destination in has\n"))
    assert (Keyword, "has") in tokens and (Name.Builtin, "context.x") in tokens
    assert tokens[-2] == (Name, "has")


def test_a_repl_line_ending_in_the_has_of_a_condition_continues():
    from engine.tools.repl import is_complete

    assert not is_complete("permit p when not has")
    assert not is_complete("permit p when (has")
    assert is_complete("permit p when has context.x")
    assert is_complete("permit p to has")  # the region `has`


def test_completion_after_has_offers_the_declared_context_facts():
    session = Session()
    session.one_shot("fact context.ticket is string")
    assert session.completions("permit p when has context.t", "context.t") == ["context.ticket"]
    assert session.completions("permit p when has ", "")[-1] == "context.ticket"
