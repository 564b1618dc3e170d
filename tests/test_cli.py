"""The command line: eval, explain, schema, exit codes, and bad input."""

from __future__ import annotations

import json

import pytest

from engine.cli import main

SHOP = "rules/examples/shop"
EVENT = "examples/shop/events/01-billing-allowed.json"
DENIED = "examples/shop/events/13-analytics-on-payment-denied.json"


def run(capsys, *argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        import io

        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_one_event_text(capsys):
    code, out, err = run(capsys, "eval", SHOP, EVENT)
    assert code == 0 and err == ""
    assert out.startswith("ALLOW  billing on contact.email, payment.card → DE")
    assert "obligations: tokenize_card" in out
    assert "\x1b[" not in out  # not a terminal, and NO_COLOR is set


def test_eval_exit_code_is_0_for_a_deny(capsys):
    code, out, _ = run(capsys, "eval", SHOP, DENIED)
    assert code == 0 and out.startswith("DENY")


def test_eval_json_is_the_decision_model(capsys):
    code, out, _ = run(capsys, "eval", SHOP, DENIED, "--json")
    decision = json.loads(out)
    assert code == 0 and decision["effect"] == "deny" and decision["allowed"] is False
    assert {r["kind"] for r in decision["reasons"]} == {"forbidden", "not-permitted"}
    assert set(decision) == {"effect", "allowed", "reasons", "obligations", "digest"}


def test_eval_json_lines_on_stdin(capsys, monkeypatch):
    lines = [json.dumps(json.load(open(EVENT))), "", "{not json", json.dumps(json.load(open(DENIED)))]
    code, out, _ = run(capsys, "eval", SHOP, "--json", stdin="\n".join(lines) + "\n",
                       monkeypatch=monkeypatch)
    decisions = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [d["effect"] for d in decisions] == ["allow", "deny", "deny"]
    assert decisions[1]["reasons"][0]["kind"] == "invalid-event"
    assert "line 3 is not JSON" in decisions[1]["reasons"][0]["message"]


def test_eval_several_files_names_each(capsys):
    code, out, _ = run(capsys, "eval", SHOP, EVENT, DENIED)
    assert code == 0 and EVENT in out and DENIED in out


def test_explain_lists_every_rule(capsys):
    code, out, _ = run(capsys, "explain", SHOP, DENIED)
    assert code == 0
    assert "rules considered" in out
    assert "applies        rule no_payment_analytics:" in out
    assert out.count("rules/examples/shop/shop.law:") >= 8


def test_explain_json_is_stable(capsys):
    code, out, _ = run(capsys, "explain", SHOP, "examples/shop/events/11-newsletter-age-unknown-denied.json",
                       "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"decision", "event_valid", "consent_required", "rules"}
    children = next(r for r in data["rules"] if r["rule"] == "gdpr_child_consent")
    assert children["applies"] and children["decided_by"] == "error"
    assert "subject.age" in children["when"]["error"]
    assert data["consent_required"] == {"required": True, "held": True}
    assert set(children) == {"rule", "name", "effect", "sugar", "text", "location", "matched",
                             "purpose_matches", "categories", "destination_matches", "when",
                             "unless", "applies", "decided_by", "because", "cite"}


def test_a_policy_that_does_not_compile_exits_2_with_carets(capsys, tmp_path):
    bad = tmp_path / "bad.law"
    bad.write_text("category contact\npermit billing on contact\n")
    code, out, err = run(capsys, "eval", str(bad), EVENT)
    assert code == 2 and out == ""
    assert "error[E0201]: undefined purpose `billing`" in err and "^^^^^^^" in err


@pytest.mark.parametrize("argv,message", [
    (["eval", SHOP, "missing.json"], "missing.json: no such file"),
    (["eval"], "the following arguments are required"),
    (["frobnicate"], "invalid choice"),
    (["explain", SHOP], "required"),
    (["eval", SHOP, EVENT, "--colour"], "unrecognized arguments"),
])
def test_usage_errors_exit_2_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_event_file_that_is_not_json_names_line_and_column(capsys, tmp_path):
    bad = tmp_path / "e.json"
    bad.write_text('{"purpose": billing}')
    code, _, err = run(capsys, "eval", SHOP, str(bad))
    assert code == 2 and f"{bad}:1:13: not valid JSON" in err


def test_eval_event_with_a_huge_integer_is_a_message(capsys, tmp_path):
    bad = tmp_path / "e.json"
    bad.write_text('{"purpose": ' + "1" * 5000 + "}")
    code, _, err = run(capsys, "eval", SHOP, str(bad))
    assert code == 2 and f"{bad}: not valid JSON: Exceeds the limit" in err


def test_missing_policy_exits_2(capsys):
    code, _, err = run(capsys, "eval", "nowhere/", EVENT)
    assert code == 2 and "error[E0001]: `nowhere/` does not exist" in err


def test_schema_event(capsys):
    code, out, _ = run(capsys, "schema", "event")
    schema = json.loads(out)
    assert code == 0 and schema["additionalProperties"] is False
    assert set(schema["required"]) == {"purpose", "categories"}  # and a destination, or a recipient that gives it
    assert schema["anyOf"] == [{"required": ["destination"]}, {"required": ["recipient"]}]


def test_no_command_prints_help_and_exits_2(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "eval" in err


def test_colour_on_a_terminal_unless_no_color(monkeypatch):
    from rich.console import Console

    from engine.decide.explain import render_decision
    import engine

    decision = engine.load_policy(SHOP).evaluate(json.load(open(EVENT)))
    console = Console(force_terminal=True, color_system="standard", no_color=False)
    with console.capture() as captured:
        console.print(render_decision(decision))
    assert "\x1b[" in captured.get()
    plain = Console(force_terminal=True, color_system="standard", no_color=True)
    with plain.capture() as captured:
        plain.print(render_decision(decision))
    assert "\x1b[3" not in captured.get()


# ---- JSON lines on the command line: one decision per line, as the lines arrive --------------------

def _lawful(*argv, **kwargs):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "engine", *argv], capture_output=True, **kwargs)


def _line(**fields) -> str:
    data = {"purpose": "billing", "categories": ["payment.card"], "destination": "DE"}
    data.update(fields)
    return json.dumps(data, ensure_ascii=False)


def test_eval_splits_lines_on_newline_only(tmp_path):
    """U+2028, U+2029 and U+0085 inside a JSON string are characters, not line breaks."""
    lines = [_line(context={"note": f"a{sep}b"}) if i % 2 else _line(destination="XX")
             for i, sep in enumerate(["\u2028", "\u2029", "\u0085", "\u2028", "\x0c", "\u2029"])]
    file = tmp_path / "events.jsonl"
    file.write_bytes(("\r\n".join(lines) + "\n").encode())
    for argv, stdin in (([SHOP, str(file)], None), ([SHOP, "-"], file.read_bytes())):
        result = _lawful("eval", *argv, "--json", input=stdin)
        assert result.returncode == 0, result.stderr
        effects = [json.loads(line)["effect"] for line in result.stdout.decode().split("\n") if line]
        assert effects == ["deny", "allow"] * 3


def test_eval_piped_into_head_exits_quietly(tmp_path):
    import subprocess
    import sys

    file = tmp_path / "events.jsonl"
    file.write_text((_line() + "\n") * 20000)
    result = subprocess.run(f"{sys.executable} -m engine eval {SHOP} {file} --json | head -1",
                            shell=True, capture_output=True, text=True, executable="/bin/bash")
    assert result.returncode == 0
    assert json.loads(result.stdout)["effect"] == "allow"
    assert result.stderr == ""
    piped = subprocess.run(f"set -o pipefail; {sys.executable} -m engine eval {SHOP} {file} | head -1",
                           shell=True, capture_output=True, text=True, executable="/bin/bash")
    assert piped.returncode == 0 and piped.stderr == ""


def test_eval_with_stdin_closed_is_one_clear_error():
    import subprocess
    import sys

    result = subprocess.run(f"{sys.executable} -m engine eval {SHOP} <&-", shell=True, capture_output=True,
                            text=True, executable="/bin/bash")
    assert result.returncode == 2
    assert result.stderr.strip() == ("lawful: error: standard input is closed: name an event file, "
                                     "or pipe JSON lines in")


def test_eval_decides_each_line_as_it_arrives():
    """`tail -f log | lawful eval POLICY --json`: a decision is written before the next
    line comes (the test waits, bounded, for the first decision with the pipe still open)."""
    import subprocess
    import sys
    import threading

    process = subprocess.Popen([sys.executable, "-m", "engine", "eval", SHOP, "--json"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        process.stdin.write((_line() + "\n").encode())
        process.stdin.flush()
        first: list = []
        reader = threading.Thread(target=lambda: first.append(process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=60)
        assert first and json.loads(first[0])["effect"] == "allow"
        process.stdin.write((_line(destination="US") + "\n").encode())
        process.stdin.close()
        assert json.loads(process.stdout.readline())["effect"] == "deny"
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()


def test_eval_a_line_that_is_not_utf8_is_one_denied_line(tmp_path):
    file = tmp_path / "events.jsonl"
    file.write_bytes(_line().encode() + b"\n" + b'{"purpose": "\xff"}\n' + _line().encode() + b"\n")
    result = _lawful("eval", SHOP, str(file), "--json")
    assert result.returncode == 0
    decisions = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [d["effect"] for d in decisions] == ["allow", "deny", "allow"]
    assert decisions[1]["reasons"][0]["message"] == "line 2 is not UTF-8 (byte 14 of the line)"
