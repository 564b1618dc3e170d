"""The formatter: golden files, idempotence and meaning kept (Hypothesis), comments
kept, refusal of unsound output, and the `lawful fmt` command."""

from __future__ import annotations

import difflib
import os
import random
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.syntax import ast, printer
from engine.tools import fmt
from engine.cli import main
from engine.core.source import Source
from engine.syntax import parse_module
from engine.syntax.parser import lex
from helpers import BASE
from strategies import rules

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz import fmt as fuzz_fmt  # noqa: E402

HERE = Path(__file__).parent / "fmt"
CASES = sorted(HERE.glob("*.law"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden_formatting(case, golden):
    formatted = fmt.format_text(case.read_text(encoding="utf-8"), case.name)
    golden(case.with_suffix(".formatted"), formatted)
    assert fmt.format_text(formatted, case.name) == formatted


IDENTITY = HERE / "identity" / "statements.law"


def identity_statements() -> list[str]:
    """The statements of the identity file, each with the lines it takes: a line
    indented, a closing `}` or after `rule NAME:` continues the one before."""
    statements: list[str] = []
    for line in IDENTITY.read_text(encoding="utf-8").splitlines(keepends=True):
        if statements and (line[:1] in (" ", "}") or statements[-1].endswith(":\n")):
            statements[-1] += line
        else:
            statements.append(line)
    return statements


@pytest.mark.parametrize("statement", identity_statements())
def test_a_canonical_statement_is_its_own_format(statement):
    assert fmt.format_text(statement, IDENTITY.name) == statement


def test_the_identity_file_is_its_own_format_and_covers_every_statement_form():
    text = IDENTITY.read_text(encoding="utf-8")
    assert fmt.format_text(text, IDENTITY.name) == text
    module, diagnostics = parse_module(Source(IDENTITY.name, text))
    assert not diagnostics
    forms = set()
    for statement in module.statements:
        if isinstance(statement, ast.Rule):
            forms |= {statement.kind, "labelled rule" if statement.label else "rule"}
        elif isinstance(statement, ast.TestDecl):
            forms.add(f"test, expect {statement.expect}" + (" (named)" if statement.names else ""))
        else:
            forms.add(type(statement).__name__)
    declarations = {form.__name__ for form in typing.get_args(ast.Statement)} - {"Rule", "TestDecl"}
    rules = {"permit", "forbid", "require", "residency", "retain", "oblige", "rule", "labelled rule"}  # spec section 4
    tests = {f"test, expect {e}{n}" for e in ("allow", "deny") for n in ("", " (named)")}  # spec section 8
    assert forms == declarations | rules | tests
    assert module.comments  # comments and doc comments keep their place too


def test_comments_stay_in_place():
    formatted = fmt.format_text((HERE / "comments.law").read_text())
    lines = formatted.splitlines()
    assert lines[0] == "# A file-level comment stays at the top."
    assert "purpose billing basis contract  # trailing after a statement" in lines
    assert "  # a comment on its own line inside a rule" in lines
    assert "  when subject.age >= 18  # adults only" in lines
    assert lines[-1] == "# the end"


def test_shipped_rules_are_formatted():
    for path in sorted(Path("rules").rglob("*.law")):
        text = path.read_text(encoding="utf-8")
        assert fmt.format_text(text, str(path)) == text, f"run `lawful fmt {path}`"


# ---- properties ----------------------------------------------------------------------

DECLARATIONS = BASE + """table age default 16 { FR: 15, DE: 16 }
test "t" { event {"purpose": "billing", "categories": ["contact"], "destination": "DE",
                  "subject": {"age": 3, "consents": []}} expect deny by consent_required }
"""
SEPARATORS = [" ", "  ", "\n", "\n  ", "\n\n", "\t"]


def relayout(text: str, seed: int) -> str:
    """The same tokens with random spacing, line breaks and comments."""
    chooser = random.Random(seed)
    pieces = []
    for token in lex(text):
        if token.type == "COMMENT" or token.type.startswith("__"):
            continue
        pieces.append(token.value)
        separator = chooser.choice(SEPARATORS)
        if "\n" in separator and chooser.random() < 0.3:
            separator = f"  # note {chooser.randint(0, 9)}" + separator
        pieces.append(separator)
    return "".join(pieces) + "\n"


@settings(max_examples=150, deadline=None)
@given(st.lists(rules(), min_size=1, max_size=6), st.integers(0, 10**6))
def test_format_is_idempotent_and_keeps_the_meaning(texts, seed):
    original = relayout(DECLARATIONS + "\n".join(texts), seed)
    once = fmt.format_text(original)  # raises FormatError if the meaning changed
    assert fmt.format_text(once) == once
    before, _ = parse_module(Source("a", original))
    after, _ = parse_module(Source("b", once))
    assert before.statements == after.statements
    assert sorted(c.text.rstrip() for c in before.comments) == sorted(c.text.rstrip() for c in after.comments)


def test_unsound_output_is_refused(monkeypatch, tmp_path, capsys):
    path = tmp_path / "p.law"
    path.write_text("category   c\n")
    monkeypatch.setattr(fmt, "format_module", lambda module: "category d\n")
    with pytest.raises(fmt.FormatError):
        fmt.format_text(path.read_text())
    assert main(["fmt", str(path)]) == 2
    assert path.read_text() == "category   c\n"
    assert "would change its meaning" in capsys.readouterr().err


# ---- comments anywhere: the class of inputs fmt refused or did not format idempotently ----

SHIPPED = fuzz_fmt.shipped_policies()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, len(SHIPPED)), st.integers(0, 10**6), st.sampled_from([0.05, 0.3, 1.0]))
def test_comments_between_any_tokens_are_kept_and_formatting_is_idempotent(which, seed, density):
    """Comments in random gaps (or every gap) of a shipped or generated policy: the
    text is formatted, once is enough, and the statements, doc comments, comments
    (in order), digest and compile outcome are those of the input."""
    chooser = random.Random(seed)
    base = SHIPPED[which][1] if which < len(SHIPPED) else fuzz_fmt.generate_policy(chooser, 6)
    text, _ = fuzz_fmt.with_comments(base, chooser, density)
    assert fuzz_fmt.check(text, compile_too=seed % 4 == 0) is None


@pytest.mark.parametrize("text", [
    "category a\nrule # between rule and its label\n x: permit * on a\n",
    "category a\nrule x # after the label\n: # after the colon\n permit * on a\n",
    "category a\npermit # c1\n * # c2\n on # c3\n a # c4\n",
    "category a\npermit * when # c1\n subject.age > 1 and # c2\n (\n # c3\n subject.age < 9)\n",
    "table t default # d\n 1 { # open\n DE # key\n : 2, # after\n FR: 3, # last\n } # end\n",
    "region r = { # open\n DE, # one\n FR # two\n}\n",
    "permit * when consent # c\n## not a doc comment\n and objected\ncategory a\n",
    "## d\ncategory a category b\n",
    'test "t" { # c\n event { # open\n "a": # key\n [1, # in\n 2], "b.c": 1e300 } # c2\n expect # c3\n allow }\n',
    'test "t" { event {"s": "\\u00e9\\ud83d\\ude00", "n": -0.0} expect deny }',
    "category a\r\npurpose p basis contract # crlf\r\n",
    "# only a comment",
    "",
])
def test_odd_comment_places(text):
    assert fuzz_fmt.check(text, compile_too=True) is None
    once = fmt.format_text(text)
    before, _ = parse_module(Source("a", text))
    assert [c.text.rstrip() for c in parse_module(Source("b", once))[0].comments] == [
        c.text.rstrip() for c in before.comments]


def test_a_comment_between_rule_and_label_stays_after_the_label():
    once = fmt.format_text("category a\nrule # why\n x: permit * on a\n")
    assert once == "category a\nrule x:  # why\npermit * on a\n"
    assert fmt.format_text(once) == once


def test_formatting_time_is_linear_in_the_input():
    """Twice the rules, about twice the work: counted in lines printed and comments
    placed, not timed (timings are in benchmarks/fmt-results.md)."""
    small = fuzz_fmt.with_comments(fuzz_fmt.generate_policy(random.Random(1), 200), random.Random(2), 0.1)[0]
    large = fuzz_fmt.with_comments(fuzz_fmt.generate_policy(random.Random(1), 1600), random.Random(2), 0.1)[0]
    calls = {"n": 0}
    original = printer._own_line

    def counting(source, comment):
        calls["n"] += 1
        return original(source, comment)

    printer._own_line = counting
    try:
        fmt.format_text(small)
        few = calls["n"]
        calls["n"] = 0
        fmt.format_text(large)
        many = calls["n"]
    finally:
        printer._own_line = original
    assert many < 12 * few  # 8x the input


# ---- the command ------------------------------------------------------------------------


def test_fmt_check_diff_and_write(tmp_path, capsys):
    messy = tmp_path / "a.law"
    messy.write_text("category   c\n")
    clean = tmp_path / "b.law"
    clean.write_text("category c\n")
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    assert capsys.readouterr().out == f"would reformat {messy}\n"
    assert main(["fmt", "--diff", str(messy)]) == 1
    diff = capsys.readouterr().out
    assert f"--- a/{messy}" in diff and "-category   c" in diff and "+category c" in diff
    assert messy.read_text() == "category   c\n"
    assert main(["fmt", str(tmp_path)]) == 0
    assert messy.read_text() == "category c\n"
    assert main(["fmt", "--check", str(tmp_path)]) == 0


def test_fmt_on_broken_text_shows_diagnostics_and_changes_nothing(tmp_path, capsys):
    path = tmp_path / "bad.law"
    path.write_text("category Contact\n")
    assert main(["fmt", str(path)]) == 2
    assert "E0107" in capsys.readouterr().err
    assert path.read_text() == "category Contact\n"


def test_fmt_usage_errors(capsys):
    assert main(["fmt", "nowhere.law"]) == 2
    assert "nowhere.law: no such file or directory" in capsys.readouterr().err
    assert main(["fmt", "-", "rules"]) == 2  # standard input goes alone
    assert "cannot be given with other paths" in capsys.readouterr().err
    assert main(["fmt", "--check", "--diff", "rules"]) == 0  # together: a diff, and the list on stderr


def test_fmt_formats_the_others_when_one_file_does_not_parse(tmp_path, capsys):
    bad = tmp_path / "a_bad.law"
    bad.write_text("category c\npermit *\n  when\n")
    good = tmp_path / "b_good.law"
    good.write_text("category   c\n")
    assert main(["fmt", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert f"{bad}:3" in captured.err  # located
    assert bad.read_text() == "category c\npermit *\n  when\n"
    assert good.read_text() == "category c\n"
    assert captured.out == f"reformatted {good}\n"


def test_check_and_diff_agree_with_what_fmt_writes(tmp_path, capsys):
    chooser = random.Random(5)
    originals = {}
    for index, (_, text) in enumerate(SHIPPED[:4]):
        path = tmp_path / f"p{index}.law"
        originals[path] = fuzz_fmt.with_comments(text, chooser, 0.2)[0]
        path.write_text(originals[path], encoding="utf-8", newline="")
    assert main(["fmt", "--diff", str(tmp_path)]) == 1
    diff = capsys.readouterr().out
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == [f"would reformat {p}" for p in sorted(originals)]
    assert main(["fmt", str(tmp_path)]) == 0
    capsys.readouterr()
    expected = ""
    for path, before in sorted(originals.items()):
        after = path.read_bytes().decode("utf-8")
        assert after == fmt.format_text(before, str(path))
        expected += "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                                 after.splitlines(keepends=True),
                                                 fromfile=f"a/{path}", tofile=f"b/{path}"))
    assert diff == expected
    assert main(["fmt", "--check", str(tmp_path)]) == 0


def test_fmt_keeps_permissions_and_formats_through_a_symlink(tmp_path):
    target = tmp_path / "real.law"
    target.write_text("category   c\n")
    os.chmod(target, 0o640)
    link = tmp_path / "link.law"
    link.symlink_to(target)
    assert main(["fmt", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "category c\n"
    assert oct(target.stat().st_mode & 0o7777) == oct(0o640)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.law", "real.law"]


def test_a_failed_replace_leaves_the_file_and_no_temporary(tmp_path, monkeypatch, capsys):
    path = tmp_path / "p.law"
    path.write_text("category   c\n")

    def broken(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    assert main(["fmt", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"lawful: error: {path}: cannot be written: No space left on device; the file is unchanged\n")
    assert path.read_text() == "category   c\n"
    assert [p.name for p in tmp_path.iterdir()] == ["p.law"]


def test_a_write_cut_short_by_a_file_size_limit_leaves_the_policy_intact(tmp_path):
    """A real short write: `lawful fmt` in a process whose files may not grow past
    200 bytes (RLIMIT_FSIZE, SIGXFSZ ignored), on a policy that formats to more."""
    shop = Path("rules/examples/shop")
    path = tmp_path / "shop.law"
    text = "\n\n".join(p.read_text() for p in sorted(shop.glob("*.law"))).replace("\n", "\n\n\n")
    assert fmt.format_text(text) != text and len(text.encode()) > 200
    path.write_text(text)
    original = path.read_bytes()
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))\n"
        "from engine.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n")
    env = {**os.environ, "PYTHONPATH": str(Path.cwd()), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", script, "fmt", str(path)], capture_output=True,
                          text=True, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"lawful: error: {path}: cannot be written: File too large; the file is unchanged\n"
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["shop.law"]


def test_text_nested_too_deeply_is_one_error_not_a_traceback(tmp_path, capsys):
    path = tmp_path / "deep.law"
    text = 'test "t" { event {"a": ' + "[" * 5000 + "]" * 5000 + "} expect allow }\n"
    path.write_text(text)
    assert main(["fmt", str(path)]) == 2
    err = capsys.readouterr().err
    # a located diagnostic (the test event nests too deeply), never a traceback
    assert err.startswith("error[E0108]") and str(path) in err and "Traceback" not in err
    assert path.read_text() == text
