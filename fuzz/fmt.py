"""Fuzzing the formatter with comments between every pair of tokens.

    python -m fuzz fmt --count 20000 --seed 1      # from the repository root

Each input is a valid policy (a shipped one under `rules/`, or a generated one)
re-laid out token by token: random spaces, tabs, form feeds, CR LF line ends and
blank lines between tokens, and `#` / `##` comments (own-line or at the end of a
line) in random gaps, in some inputs in every gap. For each input three things
must hold: it is formatted (never refused); formatting the output again gives
the output (idempotence, so `fmt --check` passes after `fmt` and the digest is
that of the output); and the output parses to the same statements, doc comments
and comments in the same order, compiles exactly when the input compiles, with
the same digest. `run` returns the counts and the first failing inputs.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from engine.tools import fmt
from engine.load import PolicyError, compile_sources, digest
from engine.core.source import Source
from engine.syntax import parse_module
from engine.syntax.parser import lex

ROOT = Path(__file__).resolve().parent.parent

VOCABULARY = """policy "generated"
category contact
category contact.email
category contact.phone
category health
category usage is contact
purpose billing basis contract
purpose marketing basis consent
purpose marketing.email is marketing
purpose analytics basis legitimate_interest
region home = {DE, FR, IT}
region wide = (home + {US, JP}) - {FR}
table age default 16 { FR: 15, DE: 16, }
obligation log "write an audit record"
obligation notify
"""

PURPOSES = ["*", "billing", "marketing", "marketing.email", "analytics", "billing, analytics"]
CATEGORIES = ["contact", "contact.email", "health", "usage", "contact.email, contact.phone"]
CONDITIONS = [
    "subject.age >= 18", "subject.age < age[subject.country]", "consent", "explicit consent",
    "parental consent", "objected", "destination in home", 'context.tier == "gold"',
    '"scc" in safeguards', "automated", "data_age > 90 days", "basis == consent",
    "purpose in marketing", "destination not in wide + {BR}", "subject.age + 2 - 1 > 3",
    "basis in {consent, contract}", "not automated", "true", "false",
]


def _condition(rng: random.Random, depth: int = 2) -> str:
    if depth == 0 or rng.random() < 0.4:
        return rng.choice(CONDITIONS)
    left, right = _condition(rng, depth - 1), _condition(rng, depth - 1)
    return rng.choice([f"{left} and {right}", f"({left}) or ({right})", f"not ({left})",
                       f"{left} and ({right} or {left})"])


def _rule(rng: random.Random, index: int) -> str:
    kind = rng.choice(["permit", "permit", "forbid", "require", "residency", "retain"])
    if kind == "require":
        text = f"require {_condition(rng, 1)} for {rng.choice(PURPOSES)}"
        if rng.random() < 0.5:
            text += f" on {rng.choice(CATEGORIES)}"
        if rng.random() < 0.4:
            text += f" when {_condition(rng, 1)}"
    elif kind == "residency":
        text = f"residency {rng.choice(CATEGORIES)} in {rng.choice(['home', 'wide', '{DE}'])}"
    elif kind == "retain":
        text = f"retain {rng.choice(CATEGORIES)} for {rng.randint(1, 40)} {rng.choice(['days', 'months', 'year'])}"
    else:
        text = f"{kind} {rng.choice(PURPOSES)}"
        if rng.random() < 0.6:
            text += f" on {rng.choice(CATEGORIES)}"
        if rng.random() < 0.3:
            text += f" to {rng.choice(['home', 'home + {US}', '{JP, BR}'])}"
        if rng.random() < 0.7:
            text += f" when {_condition(rng)}"
        if rng.random() < 0.3:
            text += f" unless {_condition(rng, 1)}"
        if kind == "permit" and rng.random() < 0.3:
            text += " with " + rng.choice(["log", "log, notify"])
    if kind != "require" and rng.random() < 0.3 or kind == "require" and rng.random() < 0.2:
        text += ' because "a reason with \\"quotes\\""'
    if rng.random() < 0.2:
        text += ' cite "GDPR Art. 6(1)(a)"'
    if rng.random() < 0.5:
        text = f"rule r{index}: {text}"
    return text


def _test(rng: random.Random, index: int) -> str:
    event = {"purpose": "billing", "categories": ["contact.email"], "destination": "DE",
             "subject": {"age": rng.randint(1, 90), "country": "DE", "consents": []},
             "context": {"tier": "gold", "n": [1, 2.5, None]}}
    expect = rng.choice(["expect allow", "expect deny", "expect allow with log"])
    return f'test "case {index}" {{ event {json.dumps(event)} {expect} }}'


def generate_policy(rng: random.Random, rules: int) -> str:
    """A valid policy over VOCABULARY with `rules` random rules and a few tests."""
    statements = [_rule(rng, index) for index in range(rules)]
    statements += [_test(rng, index) for index in range(max(1, rules // 20))]
    return VOCABULARY + "\n".join(statements) + "\n"


def shipped_policies() -> list[tuple[str, str]]:
    return [(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
            for path in sorted((ROOT / "rules").rglob("*.law"))]


_SPACES = [" ", " ", "  ", "\t", "\n", "\n", "\n  ", "\n\n", "\n\n\n", " \f ", "\r\n", "\n\t"]


def with_comments(text: str, rng: random.Random, density: float) -> tuple[str, int]:
    """The same tokens, re-laid out, with comments in random gaps (a gap each
    with probability `density`). Returns the text and how many comments it has."""
    pieces, counter = [], 0
    tokens = [t for t in lex(text) if not t.type.startswith("__")]
    for index, token in enumerate(tokens):
        pieces.append(token.value)
        if token.type == "COMMENT":
            counter += 1
        separator = rng.choice(_SPACES)
        if token.type == "COMMENT" and "\n" not in separator:
            separator += "\n"
        if rng.random() < density:
            counter += 1
            mark = rng.choice(["# c", "## d", "#", "# ## c", "#c", "#\tc  "])
            comment = f"{mark}{counter}" if mark != "#" else "#"
            if rng.random() < 0.5 and token.type != "COMMENT":  # at the end of this line
                separator = f"{rng.choice([' ', '  ', chr(9)])}{comment}\n{rng.choice(['', '  ', chr(10)])}"
            else:  # on a line of its own
                separator = f"{separator}\n{rng.choice(['', '  ', '    '])}{comment}\n"
        if index == len(tokens) - 1 and rng.random() < 0.2:
            separator = rng.choice(["", " ", "\n# the end"])  # no final line break
        pieces.append(separator)
    return "".join(pieces), counter


def _comments(module) -> list[str]:
    return [c.text.rstrip() for c in sorted(module.comments, key=lambda c: c.span.start)]


def _compiled(text: str):
    try:
        policy = compile_sources([Source("p.law", text)])
    except PolicyError as error:
        return ("error", tuple(sorted(d.code for d in error.diagnostics)))
    return ("ok", policy.digest)


def check(text: str, compile_too: bool) -> str | None:
    """None if formatting `text` keeps all three properties, else what broke."""
    try:
        once = fmt.format_text(text, "p.law")
    except fmt.FormatError as error:
        return f"refused: {error}"
    try:
        twice = fmt.format_text(once, "p.law")
    except fmt.FormatError as error:
        return f"output refused: {error}"
    if twice != once:
        return "not idempotent"
    before, _ = parse_module(Source("p.law", text))
    after, _ = parse_module(Source("p.law", once))
    if before.statements != after.statements:
        return "statements changed"
    if [s.doc for s in before.statements] != [s.doc for s in after.statements]:
        return "doc comments changed"
    if _comments(before) != _comments(after):
        return "comments lost or reordered"
    if digest([before]) != digest([after]):
        return "digest changed"
    if compile_too and _compiled(text) != _compiled(once):
        return "compiles differently"
    return None


def run(count: int, seed: int) -> dict:
    """`count` round-trips from `seed`: counts by outcome, and (under "failures")
    every failing input with what broke."""
    rng = random.Random(seed)
    shipped = shipped_policies()
    counts = {"round_trips": 0, "comments": 0, "every_gap": 0, "compiled": 0}
    failures: list[dict] = []
    for number in range(count):
        if number % 3 == 0:
            name, base = "generated", generate_policy(rng, rng.randint(1, 12))
        else:
            name, base = rng.choice(shipped)
        density = 1.0 if rng.random() < 0.15 else rng.choice([0.02, 0.1, 0.3])
        text, comments = with_comments(base, rng, density)
        compile_too = number % 10 == 0
        problem = check(text, compile_too)
        counts["round_trips"] += 1
        counts["comments"] += comments
        counts["every_gap"] += density == 1.0
        counts["compiled"] += compile_too
        if problem is not None:
            failures.append({"from": name, "problem": problem, "text": text})
    return {**counts, "failures": failures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = run(args.count, args.seed)
    failures = result.pop("failures")
    print(json.dumps(result), f"{len(failures)} failure(s)")
    for failure in failures[:5]:
        print(json.dumps(failure)[:2000])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
