"""`oblige` rules: obligations a rule adds to an allow, without allowing or denying."""

from __future__ import annotations

import json

import pytest

import engine
from engine.decide import reference
from engine.decide.explain import explanation, render_explanation
from engine.tools.testing import run_tests
from helpers import event, kinds, policy

OBLIGATIONS = """
obligation review "offer a human review"
obligation log "keep a record"
obligation mask "pseudonymise"
"""


def obliging(text: str) -> engine.Policy:
    return policy(OBLIGATIONS + text)


def test_an_oblige_adds_its_obligations_to_an_allow_and_names_itself():
    p = obliging('permit billing with log\n'
                 'rule human: oblige review for billing when automated because "Art. 22(3)" cite "GDPR Art. 22(3)"')
    decision = p.evaluate(event(automated=True))
    assert decision.allowed and decision.obligations == ("log", "review")
    assert kinds(decision) == ["permitted", "obliged"]
    added = decision.reasons[1]
    assert (added.rule, added.cite, added.because) == ("human", "GDPR Art. 22(3)", "Art. 22(3)")
    assert added.location == "test.law:16:1" and added.message == "`review`: Art. 22(3)"
    assert added.category is None
    plain = p.evaluate(event(automated=False))
    assert plain.allowed and plain.obligations == ("log",) and kinds(plain) == ["permitted"]


def test_allows_of_unconditional_permits_are_shared_per_set_of_obliges_that_apply():
    """Permits without conditions, obliges with them (every `use gdpr` policy): each way
    the obliges come out is one decision object, in policy order, as the reference says."""
    p = obliging('permit billing with log\n'
                 'rule human: oblige review for billing when automated\n'
                 'rule always: oblige mask for billing\n'
                 'rule aged: oblige review for billing when subject.age < 16\n')
    cases = {"none": event(subject={"age": 30}), "automated": event(automated=True, subject={"age": 30}),
             "failed": event()}  # no subject.age: `aged` applies, fail closed
    first = {name: p.evaluate(data) for name, data in cases.items()}
    assert first["none"].obligations == ("log", "mask")
    assert first["automated"].obligations == ("log", "mask", "review")
    assert first["failed"].obligations == ("log", "mask", "review")
    assert [r.rule for r in first["automated"].reasons[1:]] == ["human", "always"]
    assert len({id(d) for d in first.values()}) == 3
    for name, data in cases.items():
        assert p.evaluate(data) is first[name]
        assert first[name].model_dump() == p.evaluate_reference(data).model_dump()


def test_an_oblige_never_allows_or_denies():
    p = obliging("oblige review for *")
    assert not p.evaluate(event()).allowed  # no permit: default deny stays
    denied = obliging("permit billing\nforbid billing when automated\noblige review for *").evaluate(
        event(automated=True))
    assert not denied.allowed and denied.obligations == () and "obliged" not in kinds(denied)
    assert obliging("permit billing\noblige review for *").evaluate(event()).allowed


def test_obligations_are_a_sorted_set_and_reasons_follow_policy_order():
    p = obliging("rule b: oblige review, log for *\npermit billing with log, mask\nrule a: oblige log for billing")
    decision = p.evaluate(event())
    assert decision.obligations == ("log", "mask", "review")
    assert [r.rule for r in decision.reasons if r.kind == "obliged"] == ["b", "a"]
    assert decision.reasons[1].message == "`review`, `log`: obliged by b"


def test_target_matches_like_a_forbid_an_event_category_that_holds_the_target():
    # an event on `contact` carries contact data of every kind: the oblige on contact.email applies
    p = obliging("permit billing\noblige mask for billing on contact.email\noblige log for billing to {US}")
    assert p.evaluate(event(categories=["contact"])).obligations == ("mask",)
    assert p.evaluate(event(categories=["usage"])).obligations == ()
    assert p.evaluate(event(categories=["usage"], destination="US")).obligations == ("log",)
    assert p.evaluate(event(purpose="analytics", categories=["contact.email"])).allowed is False


def test_an_error_in_the_condition_adds_the_obligations_fail_closed():
    p = obliging("permit billing\nrule r: oblige review for billing when context.score > 3 unless objected")
    decision = p.evaluate(event())
    assert decision.allowed and decision.obligations == ("review",)
    assert decision.reasons[-1].message == "`review`: obliged by r (fail closed: the event has no `context.score`)"
    assert p.evaluate(event(context={"score": 1})).obligations == ()
    assert p.evaluate(event(context={"score": 5})).obligations == ("review",)


def test_the_fast_path_agrees_with_the_reference():
    p = obliging("permit billing on contact, usage with log\n"
                 "rule r: oblige review for billing on contact when context.n > 1\n"
                 "oblige mask for *\n")
    for data in (event(), event(context={"n": 2}), event(context={"n": 0}), event(categories=["usage"]),
                 event(context={"n": "x"}), event(purpose="analytics")):
        for _ in range(2):  # the second time from the plan's memo
            assert p.evaluate(data) == reference.evaluate(p.checked, p.digest, data).decision


def test_explanations_show_what_the_oblige_did():
    p = obliging("permit billing\nrule r: oblige review for billing when context.n > 1")
    record = next(r for r in explanation(p.explain(event()))["rules"] if r["rule"] == "r")
    assert record["effect"] == "oblige" and record["applies"] and record["decided_by"] == "error"
    shown = render_explanation(explanation(p.explain(event()))).plain
    assert "obliged" in shown and "so its obligations are added to an allow (fail closed)" in shown


def test_in_language_tests_see_the_obligations(tmp_path):
    text = (OBLIGATIONS + "category c\npurpose p basis contract\npermit p\noblige review for p when automated\n"
            'test "automated" { event {"purpose": "p", "categories": ["c"], "destination": "DE", '
            '"automated": true} expect allow with review }\n'
            'test "not automated" { event {"purpose": "p", "categories": ["c"], "destination": "DE"} '
            "expect allow with review }\n")
    results = run_tests(engine.load_policy_text(text))
    assert [r.passed for r in results] == [True, False]
    assert "missing obligations: review" in results[1].problems


def test_checker_diagnostics():
    with pytest.raises(engine.PolicyError) as raised:
        obliging("oblige reveiw for billing on nothing\noblige log for contact.email")
    found = {(d.code, d.message) for d in raised.value.diagnostics}
    assert ("E0201", "undefined obligation `reveiw`") in found
    assert ("E0201", "undefined category `nothing`") in found
    assert ("E0207", "`contact.email` is a category, not a purpose") in found
    with pytest.raises(engine.PolicyError) as raised:
        obliging("oblige log for billing with mask")
    assert raised.value.diagnostics[0].code == "E0102"


def test_lint_finds_an_oblige_no_permit_can_reach():
    from engine.tools.lint import lint_text

    base = OBLIGATIONS + "category c\ncategory d\npurpose p basis contract\npurpose q basis contract\n"
    unreachable = [d.code for d in lint_text(base + "permit p on c to {DE}\noblige log for q\n").diagnostics]
    assert "W0814" in unreachable
    for target in ("p", "* on c", "p to {DE, FR}", "* on c to {DE}"):
        found = [d.code for d in lint_text(base + f"permit p on c to {{DE}}\noblige log for {target}\n").diagnostics]
        assert "W0814" not in found, target
    assert "W0814" not in [d.code for d in lint_text(base + "oblige log for q\n").diagnostics]  # a library
    # no event is for a marker: an oblige on a marker with nothing under it never applies
    marker = base + "purpose m basis contract marker\npermit m on c\npermit p on c\n"
    assert "W0814" in [d.code for d in lint_text(marker + "oblige log for m\n").diagnostics]
    grouped = marker + "purpose n is m\n"
    assert "W0814" not in [d.code for d in lint_text(grouped + "oblige log for m\n").diagnostics]


def test_lint_calls_an_oblige_redundant_only_when_its_obligations_come_anyway():
    from engine.tools.lint import lint_text

    base = OBLIGATIONS + "category c\npurpose p basis contract\n"
    given = lint_text(base + "permit p with log\noblige log for p when automated\n").diagnostics
    assert [d.code for d in given if d.code == "W0812"] == ["W0812"]
    assert "oblige changes no decision" in next(d.message for d in given if d.code == "W0812")
    needed = lint_text(base + "permit p\noblige log for p when automated\n").diagnostics
    assert "W0812" not in [d.code for d in needed]


def test_diff_reports_the_obligations_an_oblige_adds():
    old = obliging("permit billing")
    new = obliging("permit billing\noblige review for billing when automated")
    result = engine.diff(old, new)
    assert [(c.kind, c.obligation) for c in result.changes] == [("obligation-added", "review")]
    assert result.changes[0].example["automated"] is True


def test_audit_sql_agrees_with_the_reference(tmp_path):
    from engine.audit import audit_duckdb

    p = obliging("permit billing on contact, usage with log\n"
                 "rule r: oblige review for billing on contact when context.n > 1\n"
                 "rule all: oblige mask for *\n")
    events = [event(), event(context={"n": 2}), event(context={"n": 0}), event(categories=["usage"]),
              event(purpose="analytics")]
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    relation = audit_duckdb(p, [str(path)]).decisions
    rows = [dict(zip(relation.columns, values)) for values in relation.order("eid").fetchall()]
    assert len(rows) == len(events)
    for row, data in zip(rows, events):
        expected = p.evaluate(data)
        assert row["effect"] == expected.effect
        assert list(row["obligations"]) == list(expected.obligations)
        assert [(r["kind"], r["rule"]) for r in row["reasons"]] == [(r.kind, r.rule) for r in expected.reasons]


def test_oblige_is_a_name_where_a_name_goes_and_recovery_resumes_at_an_oblige_rule():
    from engine.core.source import Source
    from engine.syntax import parse_module

    p = policy("category oblige\nobligation log\npermit billing on oblige with log\noblige log for billing on oblige")
    assert p.evaluate(event(categories=["oblige"])).obligations == ("log",)
    text = "obligation log\nregion r = {DE\noblige log for billing\ncategory oblige\npermit billing on\n"
    module, diagnostics = parse_module(Source("x.law", text))
    assert [getattr(s, "kind", type(s).__name__) for s in module.statements] == [
        "ObligationDecl", "oblige", "CategoryDecl"]
    assert [d.code for d in diagnostics] == ["E0102", "E0103"]
