"""Typed facts (`fact` declarations): an event whose declared field holds another
value is invalid on every path that decides, and the checker types declared fields."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import engine
from engine.core.diagnostics import Severity
from engine.syntax import ast

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

TEXT = """
category contact
purpose support basis contract
fact subject.kind in {"customer", "employee", "minor"}
fact context.ticket is string
fact context.order.total is number
fact context.count is integer
fact context.vip is boolean
fact context.origin is country
fact context.tags is list of string
fact context.tier in {1, 2}
fact context.home in {DE, FR}
permit support on contact
rule no_minors: forbid support on contact when subject.kind == "minor"
"""
POLICY = engine.load_policy_text(TEXT, name="facts.law")
BASE = {"purpose": "support", "categories": ["contact"], "destination": "DE", "at": "2026-11-23T09:00:00Z"}

#: (extra fields, whether a fact makes the event invalid)
CASES = [
    ({}, False),
    ({"subject": {"kind": "customer"}}, False),
    ({"subject": {"kind": "Minor"}}, True),
    ({"subject": {"kind": "minor "}}, True),
    ({"subject": {"kind": "m\u0456nor"}}, True),  # a Cyrillic і
    ({"subject": {"kind": "m\u043enor"}}, True),  # a Cyrillic о
    ({"subject": {"kind": None}}, False),  # null is absent in `subject`
    ({"context": {"ticket": "T-1"}}, False),
    ({"context": {"ticket": 3}}, True),
    ({"context": {"ticket": None}}, True),  # inside `context`, null is a value
    ({"context": {"order": {"total": 12.5}}}, False),
    ({"context": {"order": {"total": "12.5"}}}, True),
    ({"context": {"order": {"total": True}}}, True),
    ({"context": {"order": 3}}, False),  # `context.order.total` is absent
    ({"context": {"order": {}}}, False),
    ({"context": {"count": 3}}, False),
    ({"context": {"count": 3.0}}, True),
    ({"context": {"count": True}}, True),
    ({"context": {"vip": False}}, False),
    ({"context": {"vip": 0}}, True),
    ({"context": {"origin": "JP"}}, False),
    ({"context": {"origin": "XX"}}, True),
    ({"context": {"origin": "de"}}, True),
    ({"context": {"tags": []}}, False),
    ({"context": {"tags": ["a", "b"]}}, False),
    ({"context": {"tags": ["a", 1]}}, True),
    ({"context": {"tags": "a"}}, True),
    ({"context": {"tier": 2}}, False),
    ({"context": {"tier": 3}}, True),
    ({"context": {"tier": 2.0}}, True),
    ({"context": {"tier": "2"}}, True),
    ({"context": {"home": "FR"}}, False),
    ({"context": {"home": "IT"}}, True),
    ({"context": {"undeclared": [1, {"x": None}]}}, False),  # undeclared keys stay free
]


def event(extra: dict) -> dict:
    return {**BASE, **extra}


@pytest.mark.parametrize("extra, invalid", CASES, ids=lambda c: json.dumps(c, ensure_ascii=True)[:60])
def test_a_declared_field_with_another_value_makes_the_event_invalid(extra, invalid):
    reference = POLICY.evaluate_reference(event(extra), now=NOW)
    fast = POLICY.evaluate(event(extra), now=NOW)
    assert fast.model_dump() == reference.model_dump()
    kinds = {r.kind for r in reference.reasons}
    assert (kinds == {"invalid-event"}) is invalid, reference.reasons
    if invalid:
        with pytest.raises(engine.InvalidEvent) as raised:
            POLICY.evaluate(event(extra), strict=True, now=NOW)
        [problem] = raised.value.problems
        field = next(iter(extra))
        assert f"`{field}." in problem and "facts.law" in problem
    else:
        POLICY.evaluate(event(extra), strict=True, now=NOW)  # raises nothing


def test_the_problem_names_the_field_the_value_and_what_was_declared():
    decision = POLICY.evaluate(event({"subject": {"kind": "m\u0456nor"}}))
    [reason] = decision.reasons
    assert reason.message.endswith('`subject.kind` is "m\\u0456nor", but the policy declares it one of '
                                   '"customer", "employee", "minor" (fact at facts.law:4:1)')
    decision = POLICY.evaluate(event({"context": {"tags": ["a", 1], "count": 1.5}}))
    messages = sorted(r.message for r in decision.reasons)
    assert len(messages) == 2
    assert "`context.count` is 1.5, but the policy declares it an integer" in messages[0]
    assert '`context.tags` is ["a", 1], but the policy declares it a list of strings' in messages[1]


def test_a_fact_does_not_make_the_field_required():
    decision = POLICY.evaluate(event({}))
    assert [r.rule for r in decision.reasons] == ["no_minors"]  # fails closed, as without the fact
    assert "fail closed" in decision.reasons[0].message
    assert POLICY.evaluate(event({"subject": {"kind": "customer"}})).allowed


def test_json_lines_the_repl_and_lawful_eval_judge_alike(tmp_path, capsys):
    from engine.cli import main
    from engine.tools.repl import Session

    lines = [json.dumps(event(extra)) for extra, _ in CASES]
    expected = [POLICY.evaluate_reference(event(extra), now=NOW).model_dump() for extra, _ in CASES]
    assert [d.model_dump() for d in POLICY.evaluate_lines(lines, now=NOW)] == expected
    (tmp_path / "facts.law").write_text(TEXT)
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["eval", "--json", "--fail-on-deny", str(tmp_path / "facts.law"), str(tmp_path / "events.jsonl")]) == 1
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["effect"] for d in printed] == [d["effect"] for d in expected]
    assert [[r["kind"] for r in d["reasons"]] for d in printed] == [[r["kind"] for r in d["reasons"]]
                                                                  for d in expected]
    session = Session([str(tmp_path / "facts.law")])
    assert "invalid-event" in session.one_shot(json.dumps(event({"subject": {"kind": "Minor"}})))
    assert "ALLOW" in session.one_shot(json.dumps(event({"subject": {"kind": "customer"}})))


@pytest.mark.parametrize("columnar", [False, True], ids=["json-lines", "parquet"])
def test_the_audit_classifies_events_as_the_reference(tmp_path, columnar):
    from engine.audit import audit_duckdb

    events = [event(extra) for extra, _ in CASES]
    if columnar:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from test_audit import _event_columns

        rows = [{**e, "context": json.dumps(e["context"]) if "context" in e else None} for e in events]
        path = tmp_path / "events.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=_event_columns()), path)
    else:
        path = tmp_path / "events.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in events))
    relation = audit_duckdb(POLICY, [str(path)], now=NOW).decisions
    found = [dict(zip(relation.columns, values)) for values in relation.order("eid").fetchall()]
    for (extra, invalid), row in zip(CASES, found):
        reference = POLICY.evaluate_reference(event(extra), now=NOW)
        assert row["effect"] == reference.effect, extra
        assert (not row["valid"]) is invalid, (extra, row["problem"])


def test_the_checker_types_declared_fields():
    def diagnostics(text: str) -> list:
        try:
            policy = engine.load_policy_text("category c\npurpose p basis contract\n" + text, name="t.law")
        except engine.PolicyError as error:
            return [(d.code, d.help) for d in error.diagnostics]
        return [(d.code, d.help) for d in policy.diagnostics]

    assert diagnostics('fact context.ticket is string\npermit p on c when context.ticket > 3\n')[0][0] == "E0409"
    [(code, help)] = diagnostics('fact context.ticket is string\npermit p on c when context.ticket == 3\n')
    assert code == "E0401" and "declared a string by the fact at t.law:3:1" in help
    assert diagnostics('fact context.ok is boolean\npermit p on c when context.ok\n') == []
    assert diagnostics('fact context.home is country\npermit p on c when context.home in {DE}\n') == []
    [(code, help)] = diagnostics('fact subject.kind in {"minor"}\npermit p on c when subject.kind == "minr"\n')
    assert code == "W1006" and "did you mean `minor`?" in help
    [(code, _)] = diagnostics('fact subject.kind in {"minor"}\npermit p on c when subject.kind != "adult"\n')
    assert code == "W1006"
    [(code, help)] = diagnostics('fact context.ticket is string\npermit p on c when context.tiket == "x"\n')
    assert code == "W1007" and help == "did you mean `context.ticket`?"
    # without a context fact (or with only `subject.kind`), context keys are free
    assert diagnostics('permit p on c when context.tiket == "x"\n') == []
    assert diagnostics('fact subject.kind in {"a"}\npermit p on c when context.tiket == "x"\n') == []
    # nested keys of a declared key are read without a warning
    assert diagnostics('fact context.order.total is number\npermit p on c when context.order != 1\n') == []


def test_every_diagnostic_of_a_fact_is_an_error_or_a_named_warning():
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy_text("fact context.a is string\nfact context.a.b is string\nfact subject.id is string\n"
                                "fact context.c is strin\nfact context.d in {}\n", name="bad.law")
    codes = sorted(d.code for d in raised.value.diagnostics)
    assert codes == ["E1001", "E1003", "E1004", "E1005"]
    assert all(d.severity is Severity.ERROR for d in raised.value.diagnostics)


def test_fact_stays_a_name_elsewhere_and_policies_without_facts_keep_their_meaning():
    policy = engine.load_policy_text("category fact\npurpose fact basis contract\nregion has = {DE}\n"
                                     "permit fact on fact to has\n")
    assert policy.vocabulary.facts == ()
    assert policy.evaluate({"purpose": "fact", "categories": ["fact"], "destination": "DE",
                            "context": {"ticket": 3}}).allowed
    module, diagnostics = engine.syntax.parse_module(engine.core.source.Source(
        "x.law", 'fact context.a in {"x"}\nfact subject.kind is string\n'))
    assert not diagnostics
    assert [type(s) for s in module.statements] == [ast.FactDecl, ast.FactDecl]


def test_the_event_schema_stays_policy_independent():
    from engine.event.schema import event_schema

    assert "fact" not in json.dumps(event_schema())


def test_a_region_is_not_checked_against_declared_countries():
    policy = engine.load_policy_text("use gdpr\ncategory c\npurpose p basis contract\n"
                                     "fact context.home in {DE, FR}\n"
                                     "permit p on c when context.home in eea and context.home in {DE, IT}\n",
                                     name="t.law")
    [warning] = [d for d in policy.diagnostics if d.code == "W1006"]
    assert warning.message == "`context.home` is never IT: no valid event has it"


def test_spark_classifies_events_as_the_reference(tmp_path):
    from engine.audit.spark import audit_spark, spark_session

    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(event(extra)) + "\n" for extra, _ in CASES))
    session = spark_session("local[2]")
    try:
        found = sorted(audit_spark(POLICY, [str(path)], now=NOW, session=session).query(
            "SELECT * FROM {decisions}"), key=lambda row: row["eid"])
    finally:
        session.stop()
    assert len(found) == len(CASES)
    for (extra, invalid), row in zip(CASES, found):
        assert (not row["valid"]) is invalid, (extra, row["problem"])
        assert row["effect"] == POLICY.evaluate_reference(event(extra), now=NOW).effect, extra
