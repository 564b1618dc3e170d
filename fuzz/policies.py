"""Hostile policy text: a generator and a runner.

`run(count, seed)` makes `count` inputs and feeds each to `engine.load_policy_text`
and to lint. Most inputs are mutations (byte flips, inserted tokens, truncations,
duplicated slices, unicode) of one to three *statements* taken from the policies in
`rules/` and from a built-in policy, often after a small header that declares the
names they use, so that a mutation reaches the checker and the compiler, not only
the parser; each is a few hundred bytes, which is what lets a run reach a million
inputs. A few are whole-file mutations and pathological shapes (deep nesting, huge
literals, long names, unreadable runs). Every input must end in a compiled policy
or a PolicyError; anything else, or an input slower than its time bound
(`time_bound` seconds, or 10 µs per character when that is more, of the process's
CPU time, so that a busy machine does not make a fast input look slow), is a failure,
saved to `failures` (a folder) with the exception.

    python -m fuzz.policies 1000000 --seed 1 --out /tmp/fuzz-policies
"""

from __future__ import annotations

import argparse
import json
import random
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TOKENS = """policy use region category purpose basis is table default permit forbid require
residency retain rule on to for when unless with because cite in not and or true false
consent explicit parental objected test event expect allow deny by obligation contract
day days month years ( ) { } [ ] , : = + - * == != <= >= < > # ## " ' \\ . 0 7
99999999999999 DE FR XX subject.age subject.country destination safeguards context.x
data_age purpose basis fact list of string integer subject.kind has marker oblige recipient holds
processor recipient.role recipient.holds exporter subject.consent_age controller client behalf named contact
dpo representative authority security interest subjects automated provision source @ ; & | ! $ ~ ` \u00e9 \u2028 \ufeff \x00 \t \r \n""".split(" ")

BASE = '''policy "fuzz"
category contact.email
category health is contact
purpose billing basis contract
purpose marketing basis consent
purpose promotions marker is marketing
region eu = {DE, FR} + {IT}
table age default 16 { DE: 16, FR: 15 }
obligation log "keep a log"
fact subject.kind in {"customer", "employee"}
fact context.a is list of number
fact context.ticket.id is string
rule r1: permit billing on contact to eu when subject.age >= 16 with log because "b" cite "c"
forbid marketing on health unless explicit consent
retain contact for 2 years
residency health in eu
recipient mailer processor in US holds "dpf", "scc" for billing named "Mailer" contact "m@x"
controller acme in DE named "Acme" contact "a@x" dpo "d@x" security "tls"
client shops named "Shops" contact "s@x"
purpose relay basis contract on behalf of shops subjects "customer"
purpose fraud basis legitimate_interest interest "safety" automated "a score" provision "none"
category contact.phone source "the employer"
permit relay, fraud on contact to eu
oblige log for marketing when has context.ticket.id or subject.consent_age < 18
forbid billing when recipient.role == "controller" and exporter == "controller"
require consent for marketing on contact when subject.age < age[subject.country]
test "t" {
  event {"purpose": "billing", "categories": ["contact.email"], "destination": "DE",
         "subject": {"age": 20}, "context": {"a": [1, 2.5, null, true]}}
  expect allow with log
}
'''


def corpus() -> list[str]:
    """The real policies (rules/) and the built-in base."""
    texts = [BASE]
    for path in sorted((ROOT / "rules").rglob("*.law")):
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    return texts


HEADER = """category contact.email
category health is contact
purpose billing basis contract
purpose marketing basis consent
region eu = {DE, FR}
table age default 16 { DE: 16, FR: 15 }
obligation log "keep a log"
"""


def statements(text: str) -> list[str]:
    """The top-level statements of a policy text: a line that starts at column 0
    begins one, indented lines and closing braces continue it."""
    found: list[list[str]] = []
    for line in text.splitlines(keepends=True):
        if line.strip() and not line[0].isspace() and not line.startswith("}") and not line.startswith("#"):
            found.append([line])
        elif found:
            found[-1].append(line)
    return ["".join(lines) for lines in found]


def _statement_input(rng: random.Random, pool: list[str]) -> str:
    """One to three statements, mutated (nine times in ten), usually after the
    header (itself mutated now and then)."""
    chosen = "".join(rng.choice(pool) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.9:
        chosen = mutate(chosen, rng)
    roll = rng.random()
    if roll < 0.1:
        return mutate(HEADER + chosen, rng)
    return HEADER + chosen if roll < 0.75 else chosen


def _deep(rng: random.Random) -> str:
    depth = rng.choice([50, 101, 300, 2000, 5000])
    head = "category c\npurpose p basis contract\n"
    shape = rng.randrange(6)
    if shape == 0:
        return head + "permit p on c when " + "not " * depth + "true\n"
    if shape == 1:
        return head + "permit p on c when " + "(" * depth + "true" + ")" * depth + "\n"
    if shape == 2:
        return "region r = " + " + ".join(["{DE}"] * depth) + "\n"
    if shape == 3:
        return head + 'permit p on c\ntest "t" { event ' + '{"a": ' * depth + "1" + "}" * depth + " expect allow }\n"
    if shape == 4:
        return head + 'permit p on c\ntest "t" { event {"context": {"a": ' + "[" * depth + "]" * depth + "}} expect allow }\n"
    inner = " and ".join(["subject.age > 1"] * rng.randrange(1, 50))
    return head + "permit p on c when " + "not (" * depth + inner + ")" * depth + "\n"


def _huge(rng: random.Random) -> str:
    digits = "9" * rng.choice([13, 20, 4301, 5000])
    head = "category c\npurpose p basis contract\n"
    return rng.choice([
        head + f"permit p on c when subject.age > {digits}\n",
        head + f"retain c for {digits} {rng.choice(['days', 'months', 'years'])}\n",
        f"table t default {digits} {{ DE: {digits} }}\n",
        head + 'permit p on c\ntest "t" { event {"purpose": "p", "categories": ["c"], '
        f'"destination": "DE", "context": {{"n": {rng.choice(["-", ""])}{digits}{rng.choice(["", ".5", "e999"])}}}}} '
        "expect allow }\n",
        head + 'permit p on c\ntest "t" { event {"purpose": "p", "categories": ["c"], "destination": "DE", '
        f'"at": "{rng.choice(["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00", "2024-02-30T00:00:00Z"])}"}} '
        "expect allow }\n",
    ])


def _long_name(rng: random.Random) -> str:
    segments = rng.choice([10, 33, 500, 4000])
    name = ".".join(rng.choice(["a", "b", "seg"]) for _ in range(segments))
    return f"category {name}\npurpose p basis contract\npermit p on {name}\n"


def _unreadable(rng: random.Random) -> str:
    run = rng.choice(["@ ", "@", "&&", "\x00", "'", "\u2603 ", ";"]) * rng.choice([10, 1000, 20000])
    return rng.choice([run, "category c\n" + run + "\npurpose p basis contract\n"])


def mutate(text: str, rng: random.Random) -> str:
    """One to four random edits of the text."""
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(6)
        at = rng.randint(0, len(text))
        if kind == 0 and text:  # flip a character's low bits
            at = min(at, len(text) - 1)
            text = text[:at] + chr((ord(text[at]) ^ rng.choice([1, 2, 4, 32, 64])) % 0xD800) + text[at + 1:]
        elif kind == 1:  # insert tokens
            text = text[:at] + " " + " ".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 5))) + " " + text[at:]
        elif kind == 2:  # truncate
            text = text[:at]
        elif kind == 3 and text:  # delete a slice
            text = text[:at] + text[at + rng.randint(1, 40):]
        elif kind == 4:  # duplicate a slice
            end = min(len(text), at + rng.randint(1, 200))
            text = text[:end] + text[at:end] + text[end:]
        else:  # unicode
            text = text[:at] + rng.choice(["\u00e9", "\u0130", "\u2028", "\ufeff", "\U0001f600", "\ud800", "\u0301"]) + text[at:]
    return text


def generate(rng: random.Random, texts: list[str], pool: list[str] | None = None) -> str:
    """One hostile input; most are mutated statements (fast), a few are whole-file
    mutations or pathological shapes."""
    roll = rng.random()
    if roll < 0.02:
        return _deep(rng)
    if roll < 0.04:
        return _huge(rng)
    if roll < 0.05:
        return _long_name(rng)
    if roll < 0.06:
        return _unreadable(rng)
    if pool is None or roll < 0.062:
        return mutate(rng.choice(texts), rng)
    return _statement_input(rng, pool)


def check(text: str):
    """'compiled' or 'policy-error'; raises anything else."""
    import engine
    from engine.tools.lint import lint

    try:
        policy = engine.load_policy_text(text, "fuzz.law")
    except engine.PolicyError:
        return "policy-error"
    lint(policy)  # its W0812 builds the policy's decision diagrams
    analyse(policy)
    documents(policy)
    return "compiled"


def documents(policy) -> None:
    """The DPO's documents of a compiled policy render in every format (the map as
    DOT: drawing it is Graphviz's work)."""
    from engine.records import graph, notice, ropa
    from engine.records.build import record

    found = record(policy)
    for text in (ropa.markdown(found), ropa.html(found), ropa.json_text(found), notice.markdown(found),
                 notice.html(found), graph.dot(found)):
        assert isinstance(text, str) and text
    assert ropa.xlsx(found)[:2] == b"PK" and ropa.ods(found)[:2] == b"PK"


def analyse(policy) -> None:
    """The exact analysis on a compiled policy: a policy's diff with itself is
    empty, its diff with an empty policy and the remedies of a denied event answer
    without raising."""
    import engine

    assert engine.diff(policy, policy).empty, "a policy differs from itself"
    engine.diff(policy, _empty())
    vocabulary = policy.vocabulary
    purposes = sorted(vocabulary.bases) or ["x"]
    categories = vocabulary.categories.names() or ["x"]
    for destination in ("US", "DE"):
        event = {"purpose": purposes[0], "categories": categories[:2], "destination": destination,
                 "subject": {"age": 15, "country": "DE"}, "at": "2026-11-23T09:00:00Z"}
        answer = policy.remedies(event)
        for remedy in answer.remedies:
            assert policy.evaluate_reference(remedy.event).allowed, "a remedy that does not allow"


_EMPTY = []


def _empty():
    import engine

    if not _EMPTY:
        _EMPTY.append(engine.load_policy_text("category x\npurpose x basis contract\n", "empty.law"))
    return _EMPTY[0]


def run(count: int, seed: int, out: str | Path | None = None, time_bound: float = 2.0,
        texts: list[str] | None = None, progress: int = 0) -> dict:
    """Feed `count` hostile inputs; return the counts and the failing samples."""
    rng = random.Random(seed)
    texts = texts or corpus()
    pool = [statement for text in texts for statement in statements(text)
            if not statement.startswith("use ")]
    folder = Path(out) if out else None
    counts = {"compiled": 0, "policy-error": 0, "exception": 0, "slow": 0}
    failures: list[dict] = []
    slowest = (0.0, 0)
    started = time.monotonic()
    for index in range(count):
        text = generate(rng, texts, pool)
        began = time.process_time()
        try:
            outcome = check(text)
            problem = None
        except Exception as error:  # the point: any exception is a finding
            outcome, problem = "exception", "".join(traceback.format_exception_only(type(error), error)).strip()
            trace = traceback.format_exc()
        took = time.process_time() - began
        slowest = max(slowest, (took, len(text)))
        if outcome != "exception" and took > max(time_bound, len(text) * 1e-5):
            outcome, problem, trace = "slow", f"{took:.2f} s of CPU for {len(text)} characters", ""
        counts[outcome] += 1
        if problem is not None:
            sample = {"index": index, "outcome": outcome, "problem": problem, "length": len(text)}
            failures.append(sample)
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{index}.law").write_text(text, encoding="utf-8", errors="surrogatepass")
                (folder / f"{index}.txt").write_text(problem + "\n\n" + trace, encoding="utf-8")
        if progress and (index + 1) % progress == 0:
            print(json.dumps({"done": index + 1, **counts, "seconds": round(time.monotonic() - started)}),
                  flush=True)
    return {"count": count, "seed": seed, **counts, "slowest_seconds": round(slowest[0], 3),
            "slowest_length": slowest[1], "seconds": round(time.monotonic() - started, 1),
            "failures": failures[:100]}


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("count", type=int)
    args.add_argument("--seed", type=int, default=1)
    args.add_argument("--out", default="fuzz-failures")
    args.add_argument("--time-bound", type=float, default=2.0)
    args.add_argument("--progress", type=int, default=10000)
    options = args.parse_args()
    result = run(options.count, options.seed, options.out, options.time_bound, progress=options.progress)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
