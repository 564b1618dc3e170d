"""The VS Code extension (editors/vscode): its TextMate grammar is generated from
grammar/policy.lark and cannot drift from it, it holds every keyword of the
parser, and the real TextMate engine (vscode-textmate on vscode-oniguruma, as VS
Code runs it) tokenizes the repository's policies as the project's own Pygments
lexer (engine.tools.highlight) does.

The TextMate tests need the extension's npm devDependencies: a session fixture runs
`npm ci` in editors/vscode when they are missing, and fails (never skips) if it
cannot."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from pygments.token import Comment, Keyword, Name, String

from engine.ir import ROLES
from engine.syntax.parser import KEYWORDS, SOFT_KEYWORDS
from engine.tools import highlight

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "editors" / "vscode"
GENERATOR = EXTENSION / "syntaxes" / "generate.py"
TM_GRAMMAR = EXTENSION / "syntaxes" / "lawful.tmLanguage.json"
TOKENIZE = EXTENSION / "test" / "tokenize.js"
POLICIES = sorted((ROOT / "rules" / "examples").rglob("*.law")) + sorted(
    (ROOT / "rules" / "gdpr").rglob("*.law"))

#: a word as both lexers see one: a name (dotted or not), a keyword, a country
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
#: words the TextMate grammar makes keywords where the Pygments lexer does not:
#: `marker`, a clause of a purpose declaration (grammar rule purpose_clause), which
#: highlight.py leaves a name
TEXTMATE_ONLY_KEYWORDS = frozenset({"marker"})


# ---- the generator ---------------------------------------------------------------------

def run_generator(*args: str, generator: Path = GENERATOR) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(generator), *args], capture_output=True, text=True,
                          timeout=120)


def test_the_grammar_on_disk_is_the_one_generated_from_the_lark_grammar():
    result = run_generator("--check")
    assert result.returncode == 0, (
        f"{TM_GRAMMAR.relative_to(ROOT)} drifted from grammar/policy.lark: run "
        f"`python {GENERATOR.relative_to(ROOT)}`\n{result.stdout}{result.stderr}")
    assert "is up to date" in result.stdout


def test_the_check_fails_on_a_new_keyword_and_generating_adds_it(tmp_path):
    """A copy of the generator and the grammar in a scratch tree: a keyword added to
    the Lark grammar makes --check fail with a message, and generating puts it in the
    other keywords' pattern; the output is byte-for-byte stable."""
    (tmp_path / "grammar").mkdir()
    syntaxes = tmp_path / "editors" / "vscode" / "syntaxes"
    syntaxes.mkdir(parents=True)
    shutil.copy(GENERATOR, syntaxes / "generate.py")
    lark = (ROOT / "grammar" / "policy.lark").read_text(encoding="utf-8")
    generator = syntaxes / "generate.py"

    (tmp_path / "grammar" / "policy.lark").write_text(lark, encoding="utf-8")
    missing = run_generator("--check", generator=generator)
    assert missing.returncode == 1 and "is out of date" in missing.stderr  # no grammar yet
    assert run_generator(generator=generator).returncode == 0
    assert (syntaxes / "lawful.tmLanguage.json").read_bytes() == TM_GRAMMAR.read_bytes()
    assert run_generator("--check", generator=generator).returncode == 0

    added = lark.replace('because_clause: "because" STRING',
                         'because_clause: "because" STRING | "whereas" STRING')
    assert added != lark
    (tmp_path / "grammar" / "policy.lark").write_text(added, encoding="utf-8")
    check = run_generator("--check", generator=generator)
    assert check.returncode == 1 and "is out of date" in check.stderr
    assert "whereas" in check.stderr  # the diff shows the pattern that changes

    assert run_generator(generator=generator).returncode == 0
    written = (syntaxes / "lawful.tmLanguage.json").read_text(encoding="utf-8")
    assert written.endswith("}\n") and "    " in written  # indent 2, a trailing newline
    assert "whereas" in keyword_words(json.loads(written))["keyword.other.lawful"]
    assert run_generator("--check", generator=generator).returncode == 0
    assert (syntaxes / "lawful.tmLanguage.json").read_text(encoding="utf-8") == written


def test_a_contextual_word_the_generator_does_not_know_is_an_error(tmp_path):
    (tmp_path / "grammar").mkdir()
    syntaxes = tmp_path / "editors" / "vscode" / "syntaxes"
    syntaxes.mkdir(parents=True)
    shutil.copy(GENERATOR, syntaxes / "generate.py")
    lark = (ROOT / "grammar" / "policy.lark").read_text(encoding="utf-8")
    soft = lark.replace('!_name: NAME | "fact"', '!_name: NAME | "perhaps" | "fact"')
    assert soft != lark
    (tmp_path / "grammar" / "policy.lark").write_text(soft, encoding="utf-8")
    result = run_generator(generator=syntaxes / "generate.py")
    assert result.returncode == 2 and "perhaps" in result.stderr
    assert not (syntaxes / "lawful.tmLanguage.json").exists()


# ---- the keywords in the grammar's patterns ---------------------------------------------

def _groups(regex: str) -> tuple[dict[int, str], list[tuple[int, int]]]:
    """The capturing groups of a regex (number to body) and the spans of its
    lookarounds, read with escapes and character classes skipped."""
    groups: dict[int, str] = {}
    lookarounds: list[tuple[int, int]] = []
    stack: list[tuple[int, int | None, bool]] = []  # (start, group number, lookaround)
    number, i, in_class = 0, 0, False
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            if regex.startswith("?", i + 1):
                around = regex[i + 2:i + 4].startswith(("=", "!", "<=", "<!"))
                stack.append((i, None, around))
            else:
                number += 1
                stack.append((i, number, False))
        elif c == ")":
            start, group, around = stack.pop()
            if group is not None:
                groups[group] = regex[start + 1:i]
            if around:
                lookarounds.append((start, i + 1))
        i += 1
    return groups, lookarounds


def _literal_words(regex: str) -> set[str]:
    """The lower-case words a regex matches literally, outside its lookarounds."""
    _, lookarounds = _groups(regex)
    kept = list(regex)
    for start, end in lookarounds:
        kept[start:end] = [" "] * (end - start)
    text = re.sub(r"\\.", " ", "".join(kept))
    text = re.sub(r"\[[^\]]*\]", " ", text)
    return set(re.findall(r"[a-z_]+", text))


def keyword_words(grammar: dict) -> dict[str, set[str]]:
    """scope -> the words matched under it, for every pattern (and capture) of the
    grammar whose scope is a keyword's: keyword.*, storage.*, support.*, or
    constant.language.* (`true`, `false`)."""
    found: dict[str, set[str]] = defaultdict(set)

    def keywordish(scope: str) -> bool:
        return scope.startswith(("keyword.", "storage.", "support.", "constant.language."))

    def visit(pattern: dict) -> None:
        for regex_key, captures_key in (("match", "captures"), ("begin", "beginCaptures")):
            if regex_key not in pattern:
                continue
            regex = pattern[regex_key]
            if keywordish(pattern.get("name", "")) and regex_key == "match":
                found[pattern["name"]] |= _literal_words(regex)
            groups, _ = _groups(regex)
            for n, capture in pattern.get(captures_key, {}).items():
                if keywordish(capture.get("name", "")):
                    found[capture["name"]] |= _literal_words(groups[int(n)])
        for inner in pattern.get("patterns", []):
            visit(inner)

    for entry in grammar["repository"].values():
        visit(entry)
    return found


@pytest.fixture(scope="module")
def tm_grammar() -> dict:
    return json.loads(TM_GRAMMAR.read_text(encoding="utf-8"))


def test_every_keyword_of_the_parser_is_in_a_keyword_pattern(tm_grammar):
    found = keyword_words(tm_grammar)
    every = set().union(*found.values())
    missing = sorted((KEYWORDS | SOFT_KEYWORDS) - every)
    assert not missing, f"keywords no keyword pattern matches: {missing}"
    # and nothing else: the roles of `recipient` and JSON's `null` are the only extras
    extra = sorted(every - KEYWORDS - SOFT_KEYWORDS)
    assert extra == sorted({"null", *ROLES} - SOFT_KEYWORDS), extra


def test_each_kind_of_keyword_has_its_scope(tm_grammar):
    found = keyword_words(tm_grammar)
    declaration = found["storage.type.declaration.lawful"]
    assert set(highlight.DECLARATIONS) | {"recipient", "controller", "client", "fact"} == declaration
    assert found["keyword.control.effect.lawful"] == set(highlight.EFFECTS) | {"oblige"}
    assert found["support.constant.basis.lawful"] == set(highlight.BASES)
    assert found["constant.language.lawful"] == {"true", "false", "null"}
    assert found["keyword.other.unit.lawful"] == set(highlight.UNITS)
    assert found["support.type.role.lawful"] == set(ROLES)
    assert set(highlight.OTHER_KEYWORDS) | {"holds", "has", "on", "behalf", "of", "in"} \
        == found["keyword.other.lawful"]
    from engine.syntax.parser import DETAIL_WORDS
    assert found["keyword.other.detail.lawful"] == set(DETAIL_WORDS)
    assert found["keyword.other.marker.lawful"] == {"marker"}


# ---- the real TextMate engine on the repository's policies ---------------------------------

@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The extension's npm packages: `npm ci` (from package-lock.json) once, when
    vscode-textmate or vscode-oniguruma is not installed yet."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("the VS Code extension's tests need Node.js and npm on PATH "
                    f"(node: {node}, npm: {npm})")
    modules = EXTENSION / "node_modules"
    needed = [modules / "vscode-textmate" / "package.json",
              modules / "vscode-oniguruma" / "release" / "onig.wasm"]
    if not all(path.exists() for path in needed):
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=EXTENSION,
                                capture_output=True, text=True, timeout=900)
        if result.returncode != 0 or not all(path.exists() for path in needed):
            pytest.fail(f"`npm ci` in {EXTENSION.relative_to(ROOT)} failed (exit "
                        f"{result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return modules


def key(path: Path) -> str:
    """How tokenize.js names a file: as it is given, relative to the repository when inside."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def run_tokenize(paths: list[Path]) -> dict[str, dict]:
    """key(path) -> {"lines": count, "errors": [...], "tokens": {line: [token, ...]}}
    for each file, from one run of test/tokenize.js; "__run__" -> its exit status."""
    result = subprocess.run(["node", str(TOKENIZE), *map(key, paths)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    files: dict[str, dict] = {key(p): {"lines": None, "errors": [], "tokens": defaultdict(list)}
                              for p in paths}
    for line in result.stdout.splitlines():
        record = json.loads(line)
        entry = files[record["file"]]
        if "error" in record:
            entry["errors"].append(record)
        elif "lines" in record:
            entry["lines"] = record["lines"]
        else:
            entry["tokens"][record["line"]].append(record)
    files["__run__"] = {"returncode": result.returncode, "stderr": result.stderr}
    return files


@pytest.fixture(scope="module")
def textmate(node_modules) -> dict[str, dict]:
    """The TextMate tokens of every policy of rules/examples and rules/gdpr."""
    return run_tokenize(POLICIES)


def pygments_tokens(path: Path) -> list[tuple[int, int, int, object, str]]:
    """(line, start, end, token type, text) of every one-line token of the Pygments
    lexer (only whitespace spans lines), lines from 1 as tokenize.js counts them."""
    text = path.read_text(encoding="utf-8")
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    out: list[tuple[int, int, int, object, str]] = []
    line = 0
    for offset, ttype, value in highlight.LawfulLexer().get_tokens_unprocessed(text):
        while line + 1 < len(starts) and starts[line + 1] <= offset:
            line += 1
        if "\n" in value:
            assert not value.strip(), (path, offset, value)
            continue
        start = offset - starts[line]
        out.append((line + 1, start, start + len(value), ttype, value))
    return out


def covering(tokens: list[dict], start: int, end: int) -> list[dict]:
    """The TextMate tokens of a line that overlap [start, end)."""
    return [t for t in tokens if t["start"] < end and t["end"] > start]


def tiles(tokens: list[dict], start: int, end: int) -> bool:
    """Whether those tokens begin at `start` and end at `end` (no token straddles)."""
    return bool(tokens) and tokens[0]["start"] == start and tokens[-1]["end"] == end


def test_policies_to_tokenize_exist():
    names = {p.relative_to(ROOT).as_posix() for p in POLICIES}
    assert "rules/examples/shop/shop.law" in names and "rules/gdpr/transfers.law" in names
    assert len(POLICIES) >= 10


def test_every_line_of_every_policy_tokenizes(textmate):
    run = textmate["__run__"]
    assert run["returncode"] == 0, run["stderr"]
    for path in POLICIES:
        name = key(path)
        entry = textmate[name]
        lines = path.read_text(encoding="utf-8").split("\n")
        assert entry["errors"] == [], entry["errors"]
        assert entry["lines"] == len(lines), name
        for number, line in enumerate(lines, 1):
            tokens = entry["tokens"].get(number, [])
            # the tokens tile the line: in order, without gaps or overlaps
            assert [(t["start"], t["end"]) for t in tokens] == list(
                zip([0] + [t["end"] for t in tokens[:-1]], [t["end"] for t in tokens])), (name, number)
            assert "".join(t["text"] for t in tokens) == line, (name, number)
            assert all(t["scopes"][0] == "source.lawful" for t in tokens)


def is_comment(ttype) -> bool:
    """A comment for the Pygments lexer: `#` (Comment) or `##` (String.Doc)."""
    return ttype in Comment or ttype in String.Doc


def is_string(ttype) -> bool:
    """A string literal for the Pygments lexer (String.Doc is its `##` comment)."""
    return ttype in String and ttype not in String.Doc


def comment_scope(ttype) -> str:
    return ("comment.line.number-sign.documentation.lawful" if ttype in String.Doc
            else "comment.line.number-sign.lawful")


def string_scope(ttype) -> str:
    return "string.quoted.double.lawful"


@pytest.mark.parametrize("kind,wanted,family", [(is_comment, comment_scope, "comment."),
                                                (is_string, string_scope, "string.")],
                         ids=["comments", "strings"])
def test_comments_and_strings_are_scoped_as_the_pygments_lexer_reads_them(
        textmate, kind, wanted, family):
    """Each comment (`#`, `##`) and each string literal the Pygments lexer finds is, in
    TextMate, a run of whole tokens (the quotes and escapes are tokens of their own)
    starting and ending where it does, each scoped
    comment.line.number-sign[.documentation].lawful or string.quoted.double.lawful;
    and every TextMate token with a comment.* or string.* scope lies inside such a
    Pygments token."""
    total = 0
    problems: list[tuple] = []
    for path in POLICIES:
        name = key(path)
        spans = defaultdict(list)
        for line, start, end, ttype, value in pygments_tokens(path):
            if not kind(ttype):
                continue
            total += 1
            spans[line].append((start, end))
            tokens = covering(textmate[name]["tokens"][line], start, end)
            if not tiles(tokens, start, end):
                problems.append((name, line, value, "no TextMate token boundary at its ends"))
            problems += [(name, line, t["text"], t["scopes"]) for t in tokens
                         if wanted(ttype) not in t["scopes"]]
        for line, tokens in textmate[name]["tokens"].items():
            problems += [(name, line, t["text"], t["scopes"], "not one for Pygments")
                         for t in tokens
                         if any(s.startswith(family) for s in t["scopes"])
                         and not any(a <= t["start"] and t["end"] <= b for a, b in spans[line])]
    assert total > 100
    assert problems == [], problems[:20]


def test_string_escapes_are_scoped(textmate, tmp_path, node_modules):
    """`\\"` and `\\\\` are escapes inside a string (the quote does not end it), and a
    `#` after the string starts a comment."""
    line = 'policy "a \\"quoted\\" \\\\ word # not a comment"  # after'
    string = (line.index('"'), line.rindex('"') + 1)
    policy = tmp_path / "escapes.law"
    policy.write_text(line + "\n", encoding="utf-8")
    result = subprocess.run(["node", str(TOKENIZE), str(policy)], capture_output=True, text=True,
                            timeout=60, check=True)
    tokens = [t for t in map(json.loads, result.stdout.splitlines()) if "text" in t]
    escapes = [t["text"] for t in tokens if "constant.character.escape.lawful" in t["scopes"]]
    assert escapes == ['\\"', '\\"', "\\\\"]
    inside = covering(tokens, *string)
    assert tiles(inside, *string)
    assert all("string.quoted.double.lawful" in t["scopes"] for t in inside)
    assert not any("string.quoted.double.lawful" in t["scopes"] for t in tokens
                   if t["start"] >= string[1])
    assert [t["text"] for t in tokens if "comment.line.number-sign.lawful" in t["scopes"]] \
        == ["#", " after"]


# ---- keywords, token by token --------------------------------------------------------------

def pygments_kind(ttype, value: str) -> str:
    """What the Pygments lexer makes of a word."""
    if ttype in Keyword.Constant:
        return "constant"
    if ttype in Keyword.Declaration:
        return "declaration"
    if ttype in Keyword.Reserved:
        return "effect"
    if ttype in Keyword.Type:
        return "type"  # a unit after a number, a recipient's role
    if ttype in Keyword:
        return "keyword"
    if ttype in Name.Constant and value in highlight.BASES:
        return "basis"
    if ttype in Name.Builtin:
        return "field"
    if ttype in Name.Constant:
        return "country"
    return "name"


def textmate_kind(token: dict) -> str:
    """What the TextMate grammar makes of a word: its innermost scope."""
    scope = token["scopes"][-1]
    for prefix, kind in (("constant.language.", "constant"), ("storage.type.", "declaration"),
                         ("keyword.control.", "effect"), ("keyword.other.unit.", "type"),
                         ("support.type.", "type"), ("keyword.", "keyword"),
                         ("support.constant.", "basis"), ("variable.language.", "field"),
                         ("constant.other.country.", "country")):
        if scope.startswith(prefix):
            return kind
    return "name"


KEYWORD_KINDS = frozenset({"declaration", "effect", "type", "keyword", "basis"})


def aligned_words(textmate, paths: list[Path] = POLICIES):
    """(file, line, text, Pygments kind, TextMate kind) for every word the Pygments
    lexer makes one token of, with the TextMate token that spans exactly the same
    characters; and the words with no such token."""
    pairs, unaligned = [], []
    for path in paths:
        name = key(path)
        for line, start, end, ttype, value in pygments_tokens(path):
            if not WORD.fullmatch(value):
                continue
            same = [t for t in textmate[name]["tokens"][line]
                    if t["start"] == start and t["end"] == end]
            if len(same) != 1:
                unaligned.append((name, line, value))
                continue
            pairs.append((name, line, value, pygments_kind(ttype, value), textmate_kind(same[0])))
    return pairs, unaligned


def test_words_line_up_token_by_token(textmate):
    """Every word token of the Pygments lexer (a keyword, a name, a dotted name, a
    country: WORD, outside comments and strings, which are whole tokens of their
    own) has a TextMate token spanning exactly the same characters of the same line,
    so the comparisons below leave no word out."""
    pairs, unaligned = aligned_words(textmate)
    assert unaligned == [], unaligned[:20]
    assert len(pairs) > 1000
    kinds = {p[3] for p in pairs}
    assert KEYWORD_KINDS | {"constant", "field", "country", "name"} <= kinds


def test_keywords_agree_with_the_pygments_lexer_both_ways(textmate):
    """Word by word over every policy of rules/examples and rules/gdpr, compared where
    the Pygments token and the TextMate token span the same characters (every word,
    by the test above): a word is a keyword for Pygments when its token type is
    Keyword.* other than Keyword.Constant, or Name.Constant and a lawful basis; for
    TextMate when its innermost scope is keyword.*, storage.* or support.*. Each
    Pygments keyword is a TextMate keyword, and each TextMate keyword a Pygments
    keyword (all of them, not a sample), except TEXTMATE_ONLY_KEYWORDS, which the
    TextMate grammar knows in context and highlight.py does not."""
    pairs, _ = aligned_words(textmate)
    pygments_only = [p for p in pairs if p[3] in KEYWORD_KINDS and p[4] not in KEYWORD_KINDS]
    textmate_only = [p for p in pairs if p[4] in KEYWORD_KINDS and p[3] not in KEYWORD_KINDS]
    assert pygments_only == [], pygments_only[:20]
    assert [p for p in textmate_only if p[2] not in TEXTMATE_ONLY_KEYWORDS] == [], textmate_only[:20]
    keywords = [p for p in pairs if p[3] in KEYWORD_KINDS]
    assert len(keywords) > 500
    # the contextual words are among them, as keywords where their construct begins
    # and as names or fields elsewhere
    seen = {(p[2], p[3] in KEYWORD_KINDS) for p in pairs}
    for word in ("holds", "controller", "client", "behalf", "of", "named", "has", "oblige",
                 "recipient"):
        assert (word, True) in seen, word
    assert ("automated", False) in seen and ("contact.email", False) in seen
    # `marker` is in the policies, and TextMate scopes it a keyword there
    assert any(p[2] == "marker" and p[4] == "keyword" for p in textmate_only)


def test_each_word_has_the_same_kind_as_for_the_pygments_lexer(textmate):
    """Finer than keyword or not: declaration (storage.type / Keyword.Declaration),
    effect (keyword.control / Keyword.Reserved), unit or role (keyword.other.unit,
    support.type / Keyword.Type), basis (support.constant / Name.Constant), other
    keyword (keyword.* / Keyword), true/false (constant.language / Keyword.Constant),
    event field (variable.language / Name.Builtin), country (constant.other.country /
    a two-letter Name.Constant) or name: the same for every word, but `marker`."""
    pairs, _ = aligned_words(textmate)
    different = [p for p in pairs if p[3] != p[4] and p[2] not in TEXTMATE_ONLY_KEYWORDS]
    assert different == [], different[:20]
    assert sum(1 for p in pairs if p[3] == "field") > 50


#: what the policies of the repository do not show: keywords before a `.` (names),
#: contextual words where their construct does not begin (names or fields), keywords
#: as the last word of a line, a unit with no number before it
EDGE_CASES = """\
policy "edge cases"
category consent.marketing
category permit.x
category has
category fact
category oblige
category holds
category of.behalf
category days
category contact.email named "e-mail"
category recipient.data
fact subject.kind in {"a", "b"}
fact context.ticket is list of string
purpose billing basis contract
purpose consent.x is consent.marketing
rule oblige_label:
permit billing on has, fact, oblige, holds, of.behalf, days, contact.email to eea
  when has and controller.country == DE and recipient.role == "processor" and not holds
  unless context.x in {"a"} or subject.age < 16 or has context.y
  with oblige
oblige oblige for * when controller == "a"
retain consent.marketing, recipient.data for 2 years
require consent for billing
"""


def test_edge_cases_agree_with_the_pygments_lexer(tmp_path, node_modules):
    """The same word-by-word comparison as above (every word lines up, and has the
    same kind for both lexers) on EDGE_CASES, which the repository's policies do not
    exercise."""
    path = tmp_path / "edge.law"
    path.write_text(EDGE_CASES, encoding="utf-8")
    tokens = run_tokenize([path])
    assert tokens["__run__"]["returncode"] == 0 and tokens[key(path)]["errors"] == []
    pairs, unaligned = aligned_words(tokens, [path])
    assert unaligned == []
    assert [p for p in pairs if p[3] != p[4]] == []
    kinds = {(p[2], p[4]) for p in pairs}
    # the dotted names and the contextual words away from their constructs are names
    # or fields; the same words are keywords where their construct begins
    for name in ("consent.marketing", "permit.x", "has", "fact", "oblige", "holds", "of.behalf",
                 "days", "contact.email", "oblige_label"):
        assert (name, "name") in kinds, name
    for field in ("controller.country", "recipient.role", "recipient.data", "subject.age",
                  "controller", "context.y"):
        assert (field, "field") in kinds, field
    for word, kind in (("fact", "declaration"), ("oblige", "effect"), ("has", "keyword"),
                       ("named", "keyword"), ("consent", "basis"), ("years", "type")):
        assert (word, kind) in kinds, word
