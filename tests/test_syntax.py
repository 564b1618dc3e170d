"""Grammar and lowering: every construct of spec sections 1-8 to the typed AST."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.syntax import ast
from engine.core.source import Source
from engine.syntax import parse_module
from engine.syntax.parser import KEYWORDS, parser


def parse(text: str) -> list:
    module, diagnostics = parse_module(Source("t.law", text))
    assert diagnostics == [], [str(d) for d in diagnostics]
    return list(module.statements)


def test_parser_is_built_once_per_process():
    assert parser() is parser()


def test_declarations():
    statements = parse(
        'policy "acme"\nuse gdpr\nregion safe = eea + adequate - {US}\n'
        "category health is special, sensitive\n"
        "purpose fraud basis legitimate_interest is security\n"
        "purpose fraud2 is security basis legitimate_interest\n"
        "table t default 16 { DE: 16, FR: 15, }\n"
        'obligation pseudonymize "Replace identifiers"\nobligation log\n')
    N = ast.Name
    assert statements == [
        ast.PolicyDecl(ast.StringLit("acme")),
        ast.UseDecl(N("gdpr")),
        ast.RegionDecl(N("safe"), ast.BinaryOp("-", ast.BinaryOp(
            "+", ast.NameRef("eea"), ast.NameRef("adequate")), ast.SetLit((ast.CountryLit("US"),)))),
        ast.CategoryDecl(N("health"), (N("special"), N("sensitive"))),
        ast.PurposeDecl(N("fraud"), (N("legitimate_interest"),), ((N("security"),),)),
        ast.PurposeDecl(N("fraud2"), (N("legitimate_interest"),), ((N("security"),),)),
        ast.TableDecl(N("t"), ast.IntLit(16), (
            ast.TableEntry(ast.CountryLit("DE"), ast.IntLit(16)),
            ast.TableEntry(ast.CountryLit("FR"), ast.IntLit(15)))),
        ast.ObligationDecl(N("pseudonymize"), ast.StringLit("Replace identifiers")),
        ast.ObligationDecl(N("log"), None),
    ]


def test_rules_and_clauses():
    [rule] = parse('rule r: permit a, b on c to eea when x.y >= 18 unless objected with o '
                   'because "why" cite "Art. 1"')
    assert rule.kind == "permit" and rule.label == ast.Name("r")
    assert rule.target == ast.Target((ast.Name("a"), ast.Name("b")), (ast.Name("c"),), ast.NameRef("eea"))
    assert rule.when == ast.Compare(">=", ast.NameRef("x.y"), ast.IntLit(18))
    assert rule.unless == ast.ObjectedAtom()
    assert rule.obligations == (ast.Name("o"),)
    assert (rule.because.value, rule.cite.value) == ("why", "Art. 1")


def test_sugar_statements():
    require, residency, retain = parse(
        'require explicit consent for * on special when subject.age < 16 because "9(2)(a)"\n'
        "residency health in eu\nretain * for 2 years\n")
    assert require.kind == "require" and require.requirement == ast.ConsentAtom("explicit")
    assert require.target.purposes is None and require.when is not None
    assert residency.kind == "residency" and residency.region == ast.NameRef("eu")
    assert retain.kind == "retain" and retain.target.categories is None
    assert retain.period.days == 730


def test_expression_precedence():
    [rule] = parse("permit a when not x.a == 1 or x.b in eea and purpose in m")
    assert rule.when == ast.Or(
        ast.Not(ast.Compare("==", ast.NameRef("x.a"), ast.IntLit(1))),
        ast.And(ast.In(ast.NameRef("x.b"), ast.NameRef("eea")), ast.In(ast.PurposeField(), ast.NameRef("m"))))


def test_expression_atoms():
    [rule] = parse('permit a when basis in {contract, consent} and "scc" not in safeguards '
                   "and t[subject.country] <= 3 and data_age > 30 days and true != false "
                   "and parental consent and destination in eu + {CH}")
    text = repr(rule.when)
    for piece in ("BasisLit(name='contract')", "BasisLit(name='consent')", "negated=True",
                  "Lookup(table=Name(value='t')", "DurationLit(amount=30, unit='days')",
                  "BoolLit(value=True)", "ConsentAtom(kind='parental')", "CountryLit(code='CH')"):
        assert piece in text


def test_keywords_are_always_keywords_but_prefixes_are_names():
    statements = parse("category permits\ncategory consented.data\npurpose rule_x basis contract")
    assert [s.name.value for s in statements] == ["permits", "consented.data", "rule_x"]
    for word in ("permit", "consent", "years", "basis"):
        _, diagnostics = parse_module(Source("t.law", f"category {word}"))
        assert [d.code for d in diagnostics] == ["E0104"]


def test_purpose_the_field_and_purpose_the_declaration():
    statements = parse("permit a when purpose in b\npurpose b basis contract\n")
    assert isinstance(statements[1], ast.PurposeDecl)


def test_test_blocks_with_json_events():
    [test] = parse('test "t" {\n event {"purpose": "x", "n": [1, -2.5, 1e3, null, true, false, "\\u00e9\\n"],'
                   ' "o": {}}\n expect deny by a, consent_required\n}')
    assert test.event == {"purpose": "x", "n": [1, -2.5, 1000.0, None, True, False, "é\n"], "o": {}}
    assert test.expect == "deny" and [n.value for n in test.names] == ["a", "consent_required"]
    [allow] = parse('test "u" { event {} expect allow with o1, o2 }')
    assert allow.expect == "allow" and len(allow.names) == 2


def test_strings_escapes():
    [decl] = parse(r'obligation o "say \"hi\" \\ bye"')
    assert decl.description.value == 'say "hi" \\ bye'


def test_spans_are_ignored_by_equality_and_doc_comments_attach():
    a = parse("## The billing purpose.\n## Second line.\npurpose billing basis contract")
    b = parse("purpose   billing\n  basis contract  # trailing")
    assert a == b
    assert a[0].doc == "The billing purpose.\nSecond line."
    assert b[0].doc is None
    assert (a[0].name.span.line, a[0].name.span.column) == (3, 9)


def test_doc_comment_must_be_directly_above():
    [decl] = parse("## detached\n\npurpose billing basis contract")
    assert decl.doc is None


def test_recovery_reports_one_error_per_broken_statement():
    text = "category a b\npurpose p basis\ncategory ok\npermit p on when\ncategory fine\n"
    module, diagnostics = parse_module(Source("t.law", text))
    assert [d.line for d in diagnostics] == [1, 2, 4]
    assert [s.name.value for s in module.statements if isinstance(s, ast.CategoryDecl)] == ["ok", "fine"]


def test_a_fact_declaration_after_an_incomplete_statement_begins_the_next_one():
    # `fact` is a name after `when`, but `fact NAME is` cannot continue the condition:
    # the statement before it ended early, reported once where it ends, and the fact is kept
    for broken in ("permit p on c when", "permit p on c when subject.age > 3 and", "permit p on c,"):
        text = f"category c\n{broken}\nfact context.x is string\ncategory ok\n"
        module, diagnostics = parse_module(Source("t.law", text))
        assert [(d.code, d.line) for d in diagnostics] == [("E0102", 2)], broken
        assert diagnostics[0].message.startswith("the statement is incomplete after"), broken
        assert [type(s).__name__ for s in module.statements] == ["CategoryDecl", "FactDecl", "CategoryDecl"]
    # a fact left incomplete before another: one error, no statement read twice
    module, diagnostics = parse_module(Source("t.law", "category c\nfact context.x is\nfact context.y is string\n"))
    assert [d.line for d in diagnostics] == [2]
    assert [type(s).__name__ for s in module.statements] == ["CategoryDecl", "FactDecl"]
    # `fact` as a name where a name goes on is no statement start
    assert not parse_module(Source("t.law", "recipient fact processor in US\ncategory fact\n"))[1]


def test_every_keyword_of_the_spec_is_reserved():
    spec = ("policy use region category purpose basis is table default permit forbid require "
            "residency retain rule on to for when unless with because cite in not and or true "
            "false consent explicit parental objected test event expect allow deny by obligation "
            "contract legal_obligation vital_interest public_task legitimate_interest "
            "day days month months year years").split()
    assert set(spec) == set(KEYWORDS)


policy_alphabet = string.ascii_letters + string.digits + ' \n\t{}[]()",.:=<>!+-*#\\_é'
tokens = st.sampled_from(sorted(KEYWORDS) + ["a", "b.c", "DE", "US", "12", '"s"', "{", "}", "(",
                                             ")", ",", ":", "==", ">=", "+", "-", "*", "\n", "["])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(policy_alphabet, max_size=80),
                 st.lists(tokens, max_size=25).map(" ".join)))
def test_no_text_raises_anything_but_policy_error(text):
    try:
        engine.load_policy_text(text, name="fuzz.law")
    except engine.PolicyError as error:
        assert error.diagnostics
        for diagnostic in error.diagnostics:
            assert diagnostic.render()


def test_long_and_or_chains_compile_and_decide():
    event = {"purpose": "p", "categories": ["c"], "destination": "DE"}
    for operator, last, allowed in (("and", "false", False), ("or", "true", True)):
        chain = f" {operator} ".join(["subject.age > 200"] * 5000 + [last])
        policy = engine.load_policy_text(f"category c\npurpose p basis contract\npermit p when {chain}\n")
        # an `and` chain with a false operand is false; an `or` chain with a true one is true,
        # although every other operand is an evaluation error (no subject.age)
        assert policy.evaluate(event).allowed is allowed


def test_deep_nesting_is_a_diagnostic_not_a_crash():
    text = "category c\npurpose p basis contract\npermit p when " + "not " * 500 + "true\n"
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy_text(text)
    assert [d.code for d in raised.value.diagnostics] == ["E0110"]


# ---- hostile text: a diagnostic or a policy, never a traceback -------------------------

from engine.tools.lint import lint_text
from engine.syntax.parser import MAX_LEXER_ERRORS, MAX_SYNTAX_ERRORS
from fuzz.policies import BASE, check, generate, mutate  # noqa: E402

HEAD = "category c\npurpose p basis contract\npermit p on c\n"


def codes_of(text: str) -> set[str]:
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy_text(text, "t.law")
    assert lint_text(text, "t.law").policy is None  # lint reports the same, no traceback
    return {d.code for d in raised.value.diagnostics}


def event_text(fields: str) -> str:
    return (HEAD + 'test "t" { event {"purpose": "p", "categories": ["c"], "destination": "DE"'
            + fields + "} expect allow }\n")


@pytest.mark.parametrize("text, code", [
    ("table t default " + "9" * 5000 + " { DE: 1 }\n", "E0109"),
    (HEAD + "permit p on c when subject.age > " + "9" * 4301 + "\n", "E0109"),
    (HEAD + "retain c for 1000000000 days\n", "E0109"),
    (HEAD + "retain c for 999999999999 years\n", "E0109"),
    (HEAD + "permit p on c when data_age > 10001 years\n", "E0109"),
    (HEAD + "permit p on c when " + "not " * 5000 + "true\n", "E0110"),
    (HEAD + "permit p on c when " + ("(" + "true or " * 15 + "not ") * 45 + "true"
     + ")" * 45 + "\n", "E0110"),
    ("category " + ".".join(["a"] * 4000) + "\n", "E0111"),
    ("category " + "a" * 201 + "\n", "E0111"),
    (event_text(', "context": {"a": ' + "[" * 3000 + "]" * 3000 + "}"), "E0108"),
    (HEAD + 'test "t" { event ' + '{"a": ' * 3000 + "1" + "}" * 3000 + " expect allow }\n", "E0108"),
    (event_text(', "context": {"a": ' + "9" * 5000 + "}"), "E0108"),
    (event_text(', "context": {"a": -' + "9" * 17 + "}"), "E0108"),
    (event_text(', "context": {"a": 1e999}'), "E0108"),
    (event_text(', "context": {"a": 012}'), "E0108"),
    (event_text(', "context": {"a": NaN}'), "E0108"),
    (event_text(', "context": {"a": 1, "a": 2}'), "E0108"),
    (event_text(', "subject": {"id": "\\ud800"}'), "E0108"),
    (event_text(', "at": "9999-12-31T23:00:00-05:00"'), "E0701"),
    (event_text(', "at": "0001-01-01T00:00:00+05:00"'), "E0701"),
    (HEAD + "obligation o \"\ud800\"\n", "E0101"),
])
def test_hostile_literals_get_located_diagnostics(text, code):
    assert code in codes_of(text)


def test_zero_and_leading_zeros_are_integers():
    [table] = parse("table t default 0 { DE: 000, FR: 007 }")
    assert (table.default.value, [e.value.value for e in table.entries]) == (0, [0, 7])


def test_test_event_nesting_up_to_64_levels_is_read():
    nested = '{"a": ' * 63 + "1" + "}" * 63  # the event is level 1, `context` 2, the last 64
    text = event_text(', "context": ' + nested)
    module, diagnostics = parse_module(Source("t.law", text))
    assert [d.code for d in diagnostics] == []
    assert codes_of(event_text(', "context": ' + '{"a": ' + nested + "}")) >= {"E0108"}


def test_unreadable_runs_are_one_diagnostic_each_and_capped():
    module, diagnostics = parse_module(Source("t.law", "category c\n" + "@ " * 5000 + "\ncategory d\n"))
    assert [d.code for d in diagnostics] == ["E0101"]
    assert [s.name.value for s in module.statements] == ["c", "d"]
    module, diagnostics = parse_module(Source("t.law", "@a\n" * 500))
    assert len(diagnostics) == MAX_LEXER_ERRORS + 1
    assert diagnostics[-1].message.startswith(f"{500 - MAX_LEXER_ERRORS} more")


def test_syntax_errors_are_capped_and_counted():
    module, diagnostics = parse_module(Source("t.law", "category a b\ncategory ok\n" * 300))
    assert len(diagnostics) == MAX_SYNTAX_ERRORS + 1
    assert diagnostics[-1].message.startswith(f"{300 - MAX_SYNTAX_ERRORS} more")
    assert len(module.statements) == 300  # every good statement is kept


@settings(max_examples=300, deadline=None)
@given(st.randoms(use_true_random=False))
def test_hostile_policies_compile_or_raise_policy_error(rng):
    """The fuzzer's inputs (fuzz/policies.py): compiled or PolicyError, nothing else."""
    assert check(generate(rng, [BASE, HEAD])) in ("compiled", "policy-error")


@settings(max_examples=200, deadline=None)
@given(st.randoms(use_true_random=False))
def test_mutated_policies_compile_or_raise_policy_error(rng):
    assert check(mutate(BASE, rng)) in ("compiled", "policy-error")


def test_soft_keywords_are_names_wherever_a_name_goes():
    # words added after 0.2 must not change the meaning of older policies
    from engine.core.resources import grammar_text
    from engine.syntax.parser import SOFT_KEYWORDS

    # the words of `!_name` and of the word rules it takes in (`_detail_word`), each
    # rule as written up to the next blank line or comment
    grammar = grammar_text()
    words = set()
    for head in ("!_name:", "!_detail_word:"):
        rule = grammar[grammar.index(head):].split("\n\n")[0].split("\n//")[0]
        words |= set(re.findall(r"\"(\w+)\"", rule))
    assert words == set(SOFT_KEYWORDS)
    assert not SOFT_KEYWORDS & KEYWORDS
    from engine.event import fields

    # a word that is also an event field's root (`automated`) is no declarable name,
    # for the checker's reason (E0205), not the grammar's
    roots = fields.roots() - fields.CONTEXTUAL_ROOTS
    assert SOFT_KEYWORDS & roots == {"automated"}
    for word in sorted(SOFT_KEYWORDS - roots):
        text = (
            f"category {word}\ncategory {word}.x is {word}\npurpose {word} basis contract\n"
            f"region {word} = {{DE}}\ntable {word} default 1 {{ DE: 2 }}\nobligation {word}\n"
            f"rule {word}: permit {word} on {word} to {word} when {word}[destination] > 1 "
            f"and destination in {word} with {word}\n"
            f'test "{word}" {{ event {{"purpose": "{word}", "categories": ["{word}.x"], '
            f'"destination": "DE"}} expect allow with {word} }}\n'
        )
        policy = engine.load_policy_text(text)
        decision = policy.evaluate({"purpose": word, "categories": [f"{word}.x"], "destination": "DE"})
        assert decision.allowed, (word, decision)
        assert decision.obligations == (word,)


# ---- marker purposes ------------------------------------------------------------------------


def test_marker_is_a_purpose_clause_in_any_order_and_still_a_name():
    forms = ["purpose dm basis consent marker", "purpose dm marker basis consent",
             "purpose dm marker is group", "purpose dm is group marker basis consent"]
    for text in forms:
        module, diagnostics = parse_module(Source("m.law", "purpose group basis consent\n" + text + "\n"))
        assert not diagnostics, text
        assert module.statements[-1].marker and module.statements[-1].name.value == "dm"
    # `marker` names a purpose, a parent and a marker purpose all at once
    module, diagnostics = parse_module(Source("m.law", "purpose marker marker\npurpose x is marker, y\n"))
    assert not diagnostics
    first, second = module.statements
    assert first.name.value == "marker" and first.marker
    assert [p.value for p in second.parents] == ["marker", "y"] and not second.marker


def test_the_checker_reads_markers():
    policy = engine.load_policy_text(
        "category c\npurpose dm basis consent marker\npurpose news is dm\n"
        "purpose hr marker\npurpose hiring basis contract is hr\npermit * on c\n")
    vocabulary = policy.vocabulary
    assert vocabulary.markers == {"dm", "hr"}
    assert vocabulary.bases["news"] == "consent" and vocabulary.bases["hiring"] == "contract"
    assert "hr" not in vocabulary.bases  # a marker needs no basis: no event is for it
    assert set(vocabulary.event_bases) == {"news", "hiring"}
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy_text("purpose hr marker marker\npurpose hiring is hr\n")
    assert sorted(d.code for d in raised.value.diagnostics) == ["E0303", "E0305"]  # nothing to inherit
    twice = next(d for d in raised.value.diagnostics if d.code == "E0305")
    assert "gives `marker` twice" in twice.message and twice.notes
