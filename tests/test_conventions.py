"""CI gates (`eval --fail-on-deny`, `audit --max-denied/--max-invalid`) and command-line
conventions (`-V`, shell completion, NO_COLOR/FORCE_COLOR, the LICENSE), through the real CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
SHOP = "rules/examples/shop"
EVENTS = ROOT / "examples/shop/events"
ALLOWED = str(EVENTS / "01-billing-allowed.json")
DENIED = str(EVENTS / "02-billing-to-us-denied.json")
WARNS = "tests/diagnostics/W0806-shadowed-permit.law"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- eval --fail-on-deny -----------------------------------------------------------------------------

def test_eval_exits_0_on_a_deny_by_default_and_1_with_fail_on_deny(capsys):
    assert run(capsys, "eval", SHOP, ALLOWED, DENIED)[0] == 0
    code, out, err = run(capsys, "eval", SHOP, ALLOWED, DENIED, "--fail-on-deny")
    assert code == 1 and "DENY" in out and "ALLOW" in out  # every decision is still printed
    assert "1 event(s) denied (--fail-on-deny)" in err


def test_eval_fail_on_deny_passes_when_all_are_allowed(capsys):
    code, out, err = run(capsys, "eval", SHOP, ALLOWED, "--fail-on-deny", "--json")
    assert code == 0 and err == "" and json.loads(out)["effect"] == "allow"


def test_eval_fail_on_deny_counts_an_unreadable_line_as_a_deny(capsys, tmp_path):
    lines = tmp_path / "events.jsonl"
    lines.write_text(json.dumps(json.loads(Path(ALLOWED).read_text())) + "\nnot json\n")
    code, out, err = run(capsys, "eval", SHOP, str(lines), "--fail-on-deny", "--json")
    effects = [json.loads(line)["effect"] for line in out.splitlines()]
    assert code == 1 and effects == ["allow", "deny"] and "1 event(s) denied" in err


# ---- audit --max-denied / --max-invalid ------------------------------------------------------------

@pytest.fixture
def log4(tmp_path) -> str:
    """Four events: two allowed, one denied, one unreadable (invalid, so also denied)."""
    events = [json.loads((EVENTS / name).read_text()) for name in
              ("01-billing-allowed.json", "02-billing-to-us-denied.json", "03-delivery-allowed.json")]
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in events) + "not json\n")
    return str(path)


def test_audit_thresholds_that_hold_exit_0(capsys, tmp_path, log4):
    code, out, err = run(capsys, "audit", SHOP, log4, "--out", str(tmp_path / "a"), "--quiet",
                         "--max-denied", "2", "--max-invalid", "25%")
    assert code == 0 and err == "" and "2 denied (1 unreadable or invalid)" in out


def test_audit_exceeded_thresholds_exit_1_name_each_and_still_write(capsys, tmp_path, log4):
    out_dir = tmp_path / "a"
    code, out, err = run(capsys, "audit", SHOP, log4, "--out", str(out_dir), "--quiet", "--json",
                         "--max-denied", "1", "--max-invalid", "20%")
    assert code == 1
    assert json.loads(out)["deny"] == 2  # the summary is printed as usual
    assert "audit failed: --max-denied 1: 2 denied event(s) (50.0% of 4)" in err
    assert "audit failed: --max-invalid 20%: 1 invalid event(s) (25.0% of 4)" in err
    assert {p.name for p in out_dir.iterdir()} == {"decisions.parquet", "summary.json", "report.html"}


def test_audit_max_denied_zero_fails_on_any_deny(capsys, tmp_path, log4):
    code, _, err = run(capsys, "audit", SHOP, log4, "--out", str(tmp_path / "a"), "--quiet", "--max-denied", "0")
    assert code == 1 and "--max-denied 0: 2 denied" in err and "--max-invalid" not in err


@pytest.mark.parametrize("value, message", [
    ("x", "argument --max-denied: `x` is not a count (10) or a share of the events (2.5%)"),
    ("-1", "argument --max-denied: `-1`: a count is 0 or more"),
    ("1.5", "argument --max-denied: `1.5` is not a count"),
    ("101%", "argument --max-denied: `101%`: a share is from 0% to 100%"),
    ("nan%", "argument --max-denied: `nan%`: a share is from 0% to 100%"),
])
def test_audit_a_bad_threshold_is_a_usage_error(capsys, tmp_path, value, message):
    out_dir = tmp_path / "a"
    code, _, err = run(capsys, "audit", SHOP, "events.jsonl", "--out", str(out_dir), "--max-denied", value)
    assert code == 2 and f"lawful: error: {message}" in err
    assert not out_dir.exists()  # refused before anything ran


# ---- -V / --version --------------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(capsys, flag):
    from engine.core import __version__

    code, out, _ = run(capsys, flag)
    assert code == 0 and out == f"lawful {__version__}\n"


# ---- shell completion ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shell_env(tmp_path_factory):
    """PATH with a `lawful` that runs this checkout, as the completion scripts call `lawful`."""
    import os

    bin_dir = tmp_path_factory.mktemp("bin")
    wrapper = bin_dir / "lawful"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m engine.cli "$@"\n')
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("_ARC", "_ARGCOMPLETE", "COMP_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    return env


def _shell(shell: str, script: str, env) -> subprocess.CompletedProcess:
    return subprocess.run([shell, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_for_each_shell(capsys, shell):
    code, out, err = run(capsys, "completion", shell)
    assert code == 0 and err == "" and "lawful" in out and "_ARGCOMPLETE" in out


def test_completion_for_another_shell_is_a_usage_error(capsys):
    code, _, err = run(capsys, "completion", "tcsh")
    assert code == 2 and "invalid choice: 'tcsh'" in err


def test_bash_loads_the_script_and_completes_commands_and_options(shell_env):
    loaded = _shell("bash", "source <(lawful completion bash) && complete -p lawful", shell_env)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip().endswith("-F _python_argcomplete lawful")
    ask = ('source <(lawful completion bash) && COMP_LINE="{line}" COMP_POINT={point} '
           'COMP_WORDS=({line}) COMP_CWORD={cword} && _python_argcomplete lawful && printf "%s\\n" "${{COMPREPLY[@]}}"')
    for line, expected in (("lawful ev", ["eval"]), ("lawful audit --max-", ["--max-denied", "--max-invalid"]),
                           ("lawful completion ", ["--help", "-h", "bash", "fish", "zsh"])):
        words = line.split()
        result = _shell("bash", ask.format(line=line, point=len(line), cword=len(words) - (not line.endswith(" "))),
                        shell_env)
        assert result.returncode == 0, result.stderr
        assert sorted(word.strip() for word in result.stdout.split()) == expected, (line, result.stdout)


def test_zsh_loads_the_script(shell_env):
    """zsh and fish are test requirements like tmux (README; .ci/run installs them)."""
    assert shutil.which("zsh"), "the tests need zsh: apt-get install zsh"
    result = _shell("zsh", "autoload -U compinit && compinit -u && source <(lawful completion zsh) "
                           "&& print -r -- ${_comps[lawful]}", shell_env)
    assert result.returncode == 0 and result.stdout.strip() == "_python_argcomplete", result.stderr


def test_fish_loads_the_script_and_completes(shell_env):
    assert shutil.which("fish"), "the tests need fish: apt-get install fish"
    result = _shell("fish", 'lawful completion fish | source; complete -C "lawful ev"; '
                            'complete -C "lawful audit --max-i"', shell_env)
    assert result.returncode == 0, result.stderr
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["eval", "--max-invalid"]


# ---- NO_COLOR / FORCE_COLOR ----------------------------------------------------------------------

def _colour_env(monkeypatch, **env):
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("env, coloured", [
    ({}, False),                                    # not a terminal
    ({"FORCE_COLOR": "1"}, True),                   # colour into a pipe
    ({"FORCE_COLOR": "1", "TERM": "dumb"}, True),   # an editor's compile buffer
    ({"FORCE_COLOR": ""}, False),                   # set but empty: as if unset
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),  # NO_COLOR wins
    ({"NO_COLOR": ""}, False),
])
def test_lint_and_eval_honour_no_color_and_force_color(capsys, monkeypatch, env, coloured):
    _colour_env(monkeypatch, **env)
    code, out, _ = run(capsys, "lint", WARNS)
    assert code == 1 and "W0806" in out
    assert ("\x1b[" in out) == coloured
    code, out, _ = run(capsys, "eval", SHOP, DENIED)
    assert code == 0 and "DENY" in out
    assert ("\x1b[" in out) == coloured


def test_force_color_colours_errors_on_stderr_too(capsys, monkeypatch, tmp_path):
    bad = tmp_path / "bad.law"
    bad.write_text("purpose p basis nonsense\n")
    _colour_env(monkeypatch, FORCE_COLOR="1")
    code, _, err = run(capsys, "eval", str(bad), DENIED)
    assert code == 2 and "\x1b[" in err
    _colour_env(monkeypatch, NO_COLOR="1", FORCE_COLOR="1")
    code, _, err = run(capsys, "eval", str(bad), DENIED)
    assert code == 2 and "\x1b[" not in err and "error" in err


# ---- LICENSE ---------------------------------------------------------------------------------------

def test_the_license_file_is_the_one_pyproject_names():
    import tomllib

    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License\n                           Version 2.0, January 2004")
    assert "END OF TERMS AND CONDITIONS" in text and len(text.splitlines()) > 200
