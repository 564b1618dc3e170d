"""The REPL: its core as a library (`Session.one_shot`), script mode, the Pygments
lexer, and one end-to-end session in a real terminal (tmux)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from pygments import lex
from pygments.lexers import get_lexer_by_name
from pygments.token import Error

import engine
from engine.tools.repl import Quit, Session, is_complete, transcript

SHOP = "rules/examples/shop"
EVENT = json.dumps({"purpose": "billing", "categories": ["payment.card"], "destination": "DE",
                    "at": "2026-11-23T09:00:00Z"})


@pytest.fixture
def session():
    return Session([SHOP])


# ---- statements and events -------------------------------------------------------------


def test_statements_join_the_policy(session):
    before = len(session.policy.rules)
    out = session.one_shot('obligation audit "Keep a record"\nrule audit_billing: permit billing on contact to eea with audit')
    assert out == "added obligation audit\nadded permit rule audit_billing"
    assert len(session.policy.rules) == before + 1


def test_an_error_shows_the_caret_and_keeps_the_last_good_state(session):
    digest = session.policy.digest
    out = session.one_shot("permit billing on contcat")
    assert "error[E0201]: undefined category `contcat`" in out and "^^^^^^^" in out
    assert "did you mean `contact`?" in out and "keeps its last good policy" in out
    assert session.policy.digest == digest
    syntax = session.one_shot("permit billing on")
    assert "E0103" in syntax and session.policy.digest == digest


def test_events_are_decided_with_every_reason(session):
    out = session.one_shot(EVENT)
    assert out.startswith("ALLOW  billing on payment.card → DE")
    assert "rule billing_data" in out and "obligations: tokenize_card" in out
    denied = session.one_shot(EVENT.replace('"DE"', '"US"'))
    assert denied.startswith("DENY") and "gdpr_transfers" in denied


def test_bad_json_and_invalid_events(session):
    assert "not a JSON event at line 1" in session.one_shot('{"purpose": }')
    assert "invalid-event" in session.one_shot('{"purpose": "nope"}')


def test_explain_traces_the_last_event(session):
    assert "no event yet" in session.one_shot(":explain")
    session.one_shot(EVENT)
    out = session.one_shot(":explain")
    assert "rules considered" in out and "applies        rule billing_data" in out


def test_why_not_shows_the_remedies_of_the_last_event(session):
    assert "no event yet" in session.one_shot(":why-not")
    session.one_shot(EVENT.replace('"DE"', '"US"'))
    out = session.one_shot(":why-not")
    assert out.startswith("1 remedy") and "1. send the data to a destination in eea" in out
    assert "obligations: tokenize_card" in out
    session.one_shot('{"purpose": "newsletter", "categories": ["contact.email"], "destination": "DE", '
                     '"subject": {"age": 30, "country": "DE", "objections": ["newsletter"]}}')
    blocked = session.one_shot(":why-not")
    assert blocked.startswith("no lawful remedy") and "rule gdpr_direct_marketing_objection" in blocked
    session.one_shot(EVENT)
    assert session.one_shot(":why-not") == "allowed: the event needs no remedy"


def test_completion_reads_a_command_with_a_dash():
    from prompt_toolkit.document import Document

    from engine.tools.repl import _WORD

    assert Document(":why-n").get_word_before_cursor(pattern=_WORD) == ":why-n"
    assert Document("permit a when x-subject.a").get_word_before_cursor(pattern=_WORD) == "subject.a"


def test_starting_empty():
    session = Session()
    assert session.one_shot("category c\npurpose p basis contract\npermit p on c") == (
        "added category c\nadded purpose p (basis contract)\nadded permit rule")
    assert session.one_shot('{"purpose": "p", "categories": ["c"], "destination": "DE"}').startswith("ALLOW")


# ---- commands ---------------------------------------------------------------------------------


def test_rules_vocab_show(session):
    assert "no_payment_analytics" in session.one_shot(":rules analytics")
    assert "billing_data" not in session.one_shot(":rules analytics")
    assert session.one_shot(":rules nothing-matches") == "no rule matches `nothing-matches`"
    vocab = session.one_shot(":vocab")
    assert "purposes: analytics (legitimate_interest), billing (contract)" in vocab
    assert "obligations: gdpr_human_intervention, gdpr_research_safeguards, pseudonymize, tokenize_card" in vocab
    shown = session.one_shot(":show newsletter")
    assert "purpose newsletter  rules/examples/shop/shop.law:27:1" in shown
    assert "## Marketing e-mails" in shown and "basis: consent" in shown
    assert "named by 2 rules:" in shown and "newsletter_email" in shown
    assert "covered by 12 rules for every purpose" in shown
    assert "implied by contact.email" in session.one_shot(":show contact")
    assert "nothing is called `tokenise_card`; did you mean `tokenize_card`?" in session.one_shot(
        ":show tokenise_card")


def test_test_command(session):
    out = session.one_shot(":test")
    assert out.endswith("19 passed, 0 failed")
    session.one_shot("forbid billing")
    assert "expected: allow" in session.one_shot(":test")


def test_save_writes_the_additions_formatted(session, tmp_path):
    assert "nothing to save" in session.one_shot(f":save {tmp_path / 'x.law'}")
    session.one_shot("obligation   audit")
    session.one_shot("rule a: permit   billing on contact to eea   with audit")
    assert session.one_shot(f":save {tmp_path / 'x.law'}") == f"saved 2 input(s) to {tmp_path / 'x.law'}"
    assert (tmp_path / "x.law").read_text() == (
        "obligation audit\n\nrule a:\npermit billing on contact to eea with audit\n")
    assert engine.load_policy([SHOP, str(tmp_path / "x.law")]).digest
    assert "cannot be written" in session.one_shot(f":save {tmp_path / 'no' / 'x.law'}")
    # saving over a file replaces it whole (a temporary file renamed over it), keeping its mode
    (tmp_path / "x.law").chmod(0o600)
    session.one_shot("obligation second")
    assert session.one_shot(f":save {tmp_path / 'x.law'}") == f"saved 3 input(s) to {tmp_path / 'x.law'}"
    assert (tmp_path / "x.law").read_text().endswith("obligation second\n")
    assert (tmp_path / "x.law").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.law"]


def test_load_and_reload(tmp_path):
    policy = tmp_path / "p.law"
    policy.write_text("category c\npurpose p basis contract\n")
    session = Session()
    assert session.one_shot(f":load {policy}") == f"loaded {policy}: 0 rules, 0 tests"
    session.one_shot("permit p on c")
    policy.write_text("category c\npurpose p basis contract\npermit p on c to {DE}\n")
    assert session.one_shot(":reload") == f"loaded {policy}: 2 rules, 0 tests"
    policy.write_text("category c\n")  # breaks the session's addition: the old state stays
    out = session.one_shot(":reload")
    assert "undefined purpose `p`" in out and len(session.policy.rules) == 2
    assert "does not exist" in session.one_shot(":load nowhere.law")


def test_help_quit_and_unknown_commands(session):
    out = session.one_shot(":help")
    for command in (":load", ":reload", ":rules", ":vocab", ":show", ":explain", ":why-not", ":test", ":save",
                    ":quit"):
        assert command in out
    assert "did you mean `:rules`?" in session.one_shot(":rule")
    assert session.one_shot(":show") == "usage: :show NAME"
    with pytest.raises(Quit):
        session.one_shot(":quit")


def test_completion_candidates(session):
    names = session.names()
    for word in ("permit", "oblige", ":explain", ":why-not", "newsletter.weekly", "contact.email", "eea", "digital_consent_age",
                 "tokenize_card", "billing_data", "subject.age", '"categories"', "consent_required"):
        assert word in names
    assert "marker" in names  # a contextual word: `purpose outreach basis consent marker`


def test_vocab_and_show_say_which_purposes_are_markers(session):
    from engine.tools.repl import show

    vocab = session.cmd_vocab("").plain()
    assert "direct_marketing (consent, marker)" in vocab and "employment (marker)" in vocab
    assert "marker: a group of purposes" in show(session.policy, "direct_marketing").plain()


@pytest.mark.parametrize("text,complete", [
    ("permit billing", True), ("permit billing on", False), ("permit billing when a and", False),
    ('{"purpose": "x",', False), ('{"purpose": "x"}', True), ('{"a": "}"', False),
    (":rules", True), ('test "t" { event {"a": 1}', False), ("permit billing on ;", True), ("", True),
    ("oblige log for", False), ("oblige log for billing", True), ("oblige log, audit", False),
])
def test_is_complete(text, complete):
    assert is_complete(text) is complete


# ---- script mode ---------------------------------------------------------------------------------


def test_script_mode_reads_statements_and_events_without_prompts(tmp_path):
    script = ("rule kids: forbid newsletter\n  when subject.age < 13\n  because \"too young\"\n"
              + EVENT + "\n" + '{"purpose": "newsletter",\n "categories": ["contact.email"],\n'
              ' "destination": "DE", "subject": {"age": 12, "country": "DE"}}\n:rules kids\n')
    result = subprocess.run([sys.executable, "-m", "engine", "repl", SHOP], input=script,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "loaded rules/examples/shop: 19 rules, 19 tests"
    assert lines[1] == "added forbid rule kids"
    assert lines[2].startswith("ALLOW  billing")
    assert "too young" in result.stdout and "law>" not in result.stdout
    assert "\x1b[" not in result.stdout


def test_script_mode_exit_code_reports_failures():
    result = subprocess.run([sys.executable, "-m", "engine", "repl"], input="permit nothing\n",
                            capture_output=True, text=True)
    assert result.returncode == 1 and "E0201" in result.stdout


def test_transcript_helper(session):
    text = transcript(session, ["obligation audit", ":rules analytics"])
    assert text.startswith("law> obligation audit\nadded obligation audit\nlaw> :rules analytics\n")


# ---- the lexer --------------------------------------------------------------------------------


def test_lexer_is_registered_and_reads_every_shipped_file():
    lexer = get_lexer_by_name("lawful")
    assert get_lexer_by_name("law").name == "Lawful"
    for path in Path("rules").rglob("*.law"):
        tokens = list(lex(path.read_text(encoding="utf-8"), lexer))
        assert not [value for token, value in tokens if token is Error], path


def test_lexer_token_kinds():
    tokens = {value: str(token) for token, value in lex(
        '## doc\nrule r: permit billing on contact when subject.age >= 16 and consent\n'
        'retain usage for 2 years  # note\n', get_lexer_by_name("lawful")) if value.strip()}
    assert tokens["## doc"] == "Token.Literal.String.Doc"
    assert tokens["r"] == "Token.Name.Label"
    assert tokens["permit"] == "Token.Keyword.Reserved"
    assert tokens["subject.age"] == "Token.Name.Builtin"
    assert tokens["consent"] == "Token.Name.Constant"
    assert tokens["years"] == "Token.Keyword.Type"
    assert tokens["# note"] == "Token.Comment.Single"


def test_the_lexer_marks_oblige_as_a_keyword_only_where_a_rule_begins():
    lexer = get_lexer_by_name("lawful")
    rule = [(str(t), v) for t, v in lex("oblige review, log for * on contact\n", lexer) if v.strip()]
    assert rule[0] == ("Token.Keyword.Reserved", "oblige")
    named = [(str(t), v) for t, v in lex("category oblige\npermit oblige on c\n", lexer) if v.strip()]
    assert ("Token.Name", "oblige") in named and ("Token.Keyword.Reserved", "oblige") not in named


# ---- a real terminal --------------------------------------------------------------------------


class Tmux:
    def __init__(self, command: list[str], cwd: Path):
        self.server = f"lawful-{uuid.uuid4().hex[:8]}"
        self.run("new-session", "-d", "-s", "repl", "-x", "160", "-y", "50",
                 " ".join(command), cwd=cwd)

    def run(self, *args, cwd=None) -> str:
        return subprocess.run(["tmux", "-L", self.server, *args], cwd=cwd, check=True,
                              capture_output=True, text=True).stdout

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "repl", "-l", text)

    def key(self, *keys: str) -> None:
        self.run("send-keys", "-t", "repl", *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-t", "repl", "-p", "-J")

    def wait_for(self, text: str, seconds: float = 15) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared on the screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True)


@pytest.fixture
def terminal(tmp_path):
    assert shutil.which("tmux"), "tmux is needed for the terminal test (.ci/run installs it)"
    history = tmp_path / "history"
    root = Path(__file__).resolve().parent.parent
    tmux = Tmux(["env", "NO_COLOR=", sys.executable, "-m", "engine", "repl", SHOP,
                 "--history", str(history)], cwd=root)
    yield tmux, history
    tmux.close()


def test_a_session_in_a_real_terminal(terminal):
    tmux, history = terminal
    tmux.wait_for("law>")
    # a rule over two lines: the first line is incomplete, so Enter continues it
    tmux.type("rule kids: forbid newsletter when")
    tmux.key("Enter")
    tmux.wait_for("\n...")
    tmux.type("subject.age < 13")
    tmux.key("Enter")
    tmux.wait_for("added forbid rule kids")
    # an event
    tmux.type('{"purpose": "newsletter", "categories": ["contact.email"], "destination": "DE", '
              '"subject": {"age": 12, "country": "DE"}}')
    tmux.key("Enter")
    screen = tmux.wait_for("DENY  newsletter on contact.email")
    assert "rule kids" in screen
    # Tab completes a declared name
    tmux.type(":show tokeni")
    tmux.key("Tab")
    tmux.wait_for(":show tokenize_card")
    tmux.key("Enter")
    screen = tmux.wait_for("obligation tokenize_card  rules/examples/shop/shop.law")
    assert "named by 1 rule:" in screen
    tmux.type(":quit")
    tmux.key("Enter")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "rule kids" not in (history.read_text() if history.exists() else ""):
        time.sleep(0.1)
    assert "rule kids: forbid newsletter when" in history.read_text()


def test_the_transcript_in_the_docs_is_real():
    text = Path("docs/repl.md").read_text(encoding="utf-8")
    block = text.split("<!-- transcript -->\n```\n", 1)[1].split("```\n<!-- /transcript -->", 1)[0]
    inputs = []
    for line in block.splitlines():
        if line.startswith("law> "):
            inputs.append(line[5:])
        elif line.startswith("...  "):
            inputs[-1] += "\n" + line[5:]
    assert len(inputs) >= 8
    assert transcript(Session([SHOP]), inputs) == block


def test_recipients_in_the_vocabulary_show_and_completion(session):
    out = session.one_shot('## The mail provider.\nrecipient mailer processor in US holds "dpf"')
    assert "mailer" in session.one_shot(":vocab") and "recipients: mailer (processor in US)" in session.one_shot(":vocab")
    shown = session.one_shot(":show mailer")
    assert "recipient mailer" in shown and "processor in US; holds \"dpf\"" in shown, (out, shown)
    names = session.names()
    for word in ("recipient", "holds", "processor", "joint_controller", '"mailer"', '"recipient"',
                 "recipient.role", "recipient.holds"):
        assert word in names
    decided = session.one_shot('{"purpose": "billing", "categories": ["contact.email"], "recipient": "mailer", '
                               '"at": "2026-11-23T09:00:00Z"}')
    assert decided.startswith("DENY  billing on contact.email → mailer\n"), decided
    assert "for the purpose `billing` to `US`" in decided  # the recipient's country


def test_the_lexer_marks_a_recipient_declaration():
    tokens = list(lex('recipient mailer processor in US holds "dpf"\npermit x when recipient.role == "p"\n',
                      get_lexer_by_name("lawful")))
    kinds = {value: str(kind) for kind, value in tokens if value.strip()}
    assert kinds["recipient"] == "Token.Keyword.Declaration" and kinds["processor"] == "Token.Keyword.Type"
    assert kinds["holds"] == "Token.Keyword" and kinds["recipient.role"] == "Token.Name.Builtin"
    assert not any(kind is Error for kind, _ in tokens)


def test_completion_of_fact_declarations(session):
    assert "fact" in session.names()
    assert session.candidates("fact ") == ["context.", "subject.kind"]
    assert session.candidates("fact su") == ["context.", "subject.kind"]
    assert session.candidates("fact context.ticket is ") == ["boolean", "country", "integer", "list", "number",
                                                             "string"]
    assert session.candidates("fact context.tags is list ") == ["of"]
    assert session.candidates("fact context.tags is list of st") == ["boolean", "country", "integer", "number",
                                                                     "string"]
    assert "permit" in session.candidates("permit billing when ")
    out = session.one_shot('fact context.ticket is string')
    assert "fact" in out and "context.ticket" in out
    assert "context.ticket" in session.candidates("fact con")
    assert "context.ticket" in session.names()
    assert "facts: context.ticket (a string)" in session.one_shot(":vocab")
