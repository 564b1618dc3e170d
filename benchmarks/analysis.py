"""What the exact analysis costs: `engine.diff` and `policy.remedies`, in one run.

    python benchmarks/analysis.py            # writes benchmarks/analysis-results.md
    python benchmarks/analysis.py --quick    # a short run

Targets (issue 15): the diff of two 1,000-rule policies in at most 10 s, of the
example policies in at most 1 s; remedies for a denied event at 1,000 rules in
at most 50 ms (p50).

Diff. Each policy against a changed copy (and against itself):
- the example policies (rules/examples/shop, rules/examples/health) with a few
  realistic edits each;
- bench.py's generated policy at 1,000 and 10,000 rules (unconditional permits,
  a region rule, an age-of-consent table), changed by dropping permits, adding
  permits on new categories, changing the children rule's condition and widening
  the region;
- a variant with `use gdpr` whose permits carry conditions (`when`/`unless` over
  consent, the subject's age, `context` grounds, safeguards, objections), changed
  the same way plus some conditions rewritten.
The peer is the floor any enumeration would stand on: the reference decisions of
both policies on a grid of events made of the diff's own class representatives,
timed per event; times the number of classes the exact diff covers, it is what
brute force over the same space would take.

Remedies. p50 and p99 over denied events (1 and 3 categories) at 10, 1,000 and
10,000 rules, the conditional variant and the example policies' denied test
events. The first call on a policy builds its diagrams (kept on the policy):
that cost is reported on its own. Peers: one `policy.evaluate_reference(event)`
and one `policy.evaluate(event)` on the same events, so remedies show as a
multiple of a decision.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import bench  # noqa: E402

import engine  # noqa: E402
from engine.decide.analysis.diff import example_event  # noqa: E402
from engine.decide.analysis.space import Space  # noqa: E402

EXAMPLES = ROOT / "rules" / "examples"

# ---- the example policies and their edits ------------------------------------------------

#: (file, old text, new text): a few edits a pull request might make
SHOP_EDITS = [
    ("shop.law", "to eea + {US}", "to eea + {US, IN}"),  # the support vendor moves work to India
    ("shop.law", "permit newsletter on contact.email to eea", "permit newsletter on contact to eea"),
    ("shop.law", "  unless objected\n  with pseudonymize", "  with pseudonymize"),  # analytics: objection dropped
    ("shop.law", "permit delivery on contact.postal, contact.phone, contact.email to eea\n",
     "permit delivery on contact.postal, contact.phone, contact.email to eea\n  with pseudonymize\n"),
]
HEALTH_EDITS = [
    ("health.law", "when subject.age >= 18", "when subject.age >= 16"),
    ("health.law", "permit reminders on patient.email, patient.phone to eea",
     "permit reminders on patient.email, patient.phone, patient.identity to eea"),
    ("health.law", "permit care on patient, health to eu\n  with encrypt_at_rest",
     "permit care on patient, health to eu\n  when \"scc\" in safeguards or destination in eu\n"
     "  with encrypt_at_rest, pseudonymize"),
    ("health.law", "rule no_genome_research:\nforbid research on health.genome",
     "rule no_genome_research:\nforbid research on health.genome, health.diagnosis"),
]


def edited_copy(name: str, edits, folder: Path) -> engine.Policy:
    """A copy of an example policy folder with the edits made, loaded."""
    target = folder / name
    shutil.copytree(EXAMPLES / name, target)
    for file, old, new in edits:
        path = target / file
        text = path.read_text(encoding="utf-8")
        if old not in text:
            raise SystemExit(f"edit not applicable to {name}/{file}: {old!r}")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return engine.load_policy(str(target))


# ---- generated policies and their mutations ---------------------------------------------------


def conditional_text(rules: int) -> str:
    """bench.py's shape with `use gdpr` and permits that carry conditions."""
    purposes, categories, chosen, consent = bench.pairs(rules)
    lines = ['policy "bench-conditions"', "", "use gdpr", ""]
    for index, c in enumerate(categories):
        lines.append(f"category {c}" + (" is special.health" if index % 17 == 5 else ""))
    bases = ["consent", "contract", "legitimate_interest"]
    lines += [f"purpose {p} basis {bases[i % 3]}" for i, p in enumerate(purposes)]
    lines.append("region ours = {" + ", ".join(bench.EEA[:20]) + "}")
    conditions = [
        "",
        "  when subject.age >= 18",
        "  unless objected",
        '  when context.ground_{k} == "signed" or context.ground_{k} == "renewed"',
        '  when "scc" in safeguards or destination in ours',
        '  when explicit consent or context.reference in {{"r1", "r2"}}',
        "  unless subject.age < 16 and not parental consent",
    ]
    for index, (p, c) in enumerate(chosen):
        condition = conditions[index % len(conditions)].format(k=index % 4)
        where = " to ours" if index % 5 == 0 else ""
        lines.append(f"permit {p} on {c}{where}" + ("\n" + condition if condition else ""))
    for index, p in enumerate(purposes[::7]):
        lines.append(f'forbid {p} on {categories[index % len(categories)]} when context.risk == "high"')
    return "\n".join(lines) + "\n"


def mutated(text: str, seed: int = 3) -> str:
    """A realistic change: some permits dropped, some added (on new categories),
    a condition changed, a region widened."""
    chooser = random.Random(seed)
    lines = text.splitlines()
    permits = [i for i, line in enumerate(lines) if line.startswith("permit ")]
    dropped = set(chooser.sample(permits, max(1, len(permits) // 50)))
    out: list[str] = []
    skipping = False
    for index, line in enumerate(lines):
        if index in dropped:
            skipping = True
            continue
        if skipping and line.startswith("  "):  # the dropped permit's condition
            continue
        skipping = False
        out.append(line)
    text = "\n".join(out) + "\n"
    purposes = sorted(set(re.findall(r"^purpose (\S+)", text, re.M)))
    added = max(1, len(permits) // 100)
    extra = [f"category cnew{i}" for i in range(max(1, added // 4))]
    extra += [f"permit {chooser.choice(purposes)} on cnew{i % max(1, added // 4)}" for i in range(added)]
    text += "\n".join(extra) + "\n"
    # a condition changed
    text = text.replace("subject.age < age[subject.country]", "subject.age <= age[subject.country]")
    text = text.replace("when subject.age >= 18\n", "when subject.age >= 16\n", 3)
    text = text.replace('context.reference in {"r1", "r2"}', 'context.reference in {"r1", "r2", "r3"}', 2)
    # a region widened
    text = re.sub(r"^(region (?:eea|ours) = \{)", r"\1CH, GB, ", text, count=1, flags=re.M)
    return text


# ---- measuring -----------------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(function, *args):
    begin = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - begin, result


def classes(space: Space) -> int:
    return math.prod(len(v.classes) for v in space.variables)


def grid(space: Space, count: int, seed: int = 11) -> list[dict]:
    """Events made of the space's class representatives, at random: what an
    enumeration of the classes would evaluate."""
    chooser = random.Random(seed)
    events = []
    for _ in range(count):
        values = {v.name: chooser.choice(v.classes)[0] for v in space.variables}
        events.append(example_event(space, values))
    return events


def floor(old, new, count: int) -> dict:
    """The reference decisions of both policies over a grid of events, per event."""
    space = Space([old.checked, new.checked])
    events = grid(space, count)
    begin = time.perf_counter()
    differing = 0
    for event in events:
        a = old.evaluate_reference(event)
        b = new.evaluate_reference(event)
        differing += (a.allowed != b.allowed) or (a.obligations != b.obligations)
    per_event = (time.perf_counter() - begin) / len(events)
    total = classes(space)
    return {"per_event_us": per_event * 1e6, "classes": total, "variables": len(space.variables),
            "enumeration_s": per_event * total, "grid": len(events), "grid_differing": differing}


def diff_case(label: str, old, new, repeat: int, grid_count: int) -> dict:
    times = []
    result = None
    for _ in range(repeat):
        took, result = timed(engine.diff, old, new)
        times.append(took)
    self_took, same = timed(engine.diff, old, old)
    assert same.empty, f"{label}: a policy differs from itself"
    assert result is not None
    # the diff verifies each change's example with both policies' reference: that share
    begin = time.perf_counter()
    for change in result.changes:
        old.evaluate_reference(change.example)
        new.evaluate_reference(change.example)
    checks = time.perf_counter() - begin
    row = {"label": label, "rules": len(old.checked.rules), "rules_new": len(new.checked.rules),
           "best_s": min(times), "median_s": statistics.median(times), "self_s": self_took, "checks_s": checks,
           "changes": len(result.changes), "counts": result.counts,
           "verified": all(c.verified for c in result.changes), "runs": repeat}
    row.update(floor(old, new, grid_count))
    print(f"  diff {label:<34} {row['best_s'] * 1000:9.1f} ms (median {row['median_s'] * 1000:.1f}, "
          f"self {self_took * 1000:.1f}, reference checks {checks * 1000:.1f})  {row['changes']} changes  floor {row['per_event_us']:.0f} us/event "
          f"x {row['classes']:.3g} classes = {row['enumeration_s']:.3g} s", flush=True)
    return row


def denied_events(policy, events: list[dict], categories_per_event: int, count: int, seed: int = 5) -> list[dict]:
    """Denied, valid events (the reference says so) with that many categories."""
    chooser = random.Random(seed)
    names = sorted(policy.checked.vocabulary.categories.names())
    out = []
    for event in events:
        event = dict(event)
        if categories_per_event > 1:
            event["categories"] = chooser.sample(names, categories_per_event)
        decision = policy.evaluate_reference(event)
        if not decision.allowed and not any(r.kind == "invalid" for r in decision.reasons):
            out.append(event)
            if len(out) >= count:
                break
    return out


def per_call(function, events: list, calls: int) -> dict:
    clock = time.perf_counter_ns
    samples = []
    for index in range(calls):
        event = events[index % len(events)]
        begin = clock()
        function(event)
        samples.append((clock() - begin) / 1e3)
    return {"p50": percentile(samples, 0.5), "p99": percentile(samples, 0.99), "calls": calls}


def remedies_case(label: str, load, events: list[dict], calls: int) -> dict:
    policy = load()
    first, answer = timed(policy.remedies, events[0])  # builds the diagrams
    remedied = sum(1 for e in events if policy.remedies(e).remedies)  # warm-up, and what they get
    row = {"label": label, "rules": len(policy.checked.rules), "events": len(events), "first_ms": first * 1000,
           "with_remedy": remedied}
    row["remedies"] = per_call(policy.remedies, events, calls)
    for event in events:  # warm the compiled path's plans
        policy.evaluate(event)
    row["reference"] = per_call(policy.evaluate_reference, events, max(calls, 1000))
    row["evaluate"] = per_call(policy.evaluate, events, max(calls, 20000))
    r = row["remedies"]
    print(f"  remedies {label:<32} p50 {r['p50'] / 1000:8.2f} ms  p99 {r['p99'] / 1000:8.2f} ms  "
          f"first {row['first_ms']:8.1f} ms  = {r['p50'] / row['reference']['p50']:.0f}x reference "
          f"({row['reference']['p50']:.0f} us), {r['p50'] / row['evaluate']['p50']:.0f}x evaluate "
          f"({row['evaluate']['p50']:.1f} us); {remedied}/{len(events)} with a remedy", flush=True)
    return row


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"
    except OSError:
        return "unknown"


# ---- the run ---------------------------------------------------------------------------------------


def run(quick: bool) -> dict:
    # builds the parser and warms the analysis' code paths before timing
    warm = engine.load_policy_text("category c\npurpose p basis consent\npermit p on c to {DE}\n")
    engine.diff(warm, warm)
    warm.remedies({"purpose": "p", "categories": ["c"], "destination": "US", "at": bench.AT})
    sizes = [1000] if quick else [1000, 10000]
    repeat = 1 if quick else 3
    grid_count = 200 if quick else 1000
    load_before = load_average()
    diffs = []
    with tempfile.TemporaryDirectory() as folder:
        for name, edits in (("shop", SHOP_EDITS), ("health", HEALTH_EDITS)):
            old = engine.load_policy(str(EXAMPLES / name))
            new = edited_copy(name, edits, Path(folder))
            diffs.append(diff_case(f"{name} vs {len(edits)} edits", old, new, repeat * 3, grid_count))
    for size in sizes:
        text = bench.lawful_text(size)
        old = engine.load_policy_text(text, name="old.law")
        new = engine.load_policy_text(mutated(text), name="new.law")
        diffs.append(diff_case(f"generated {size:,}", old, new, 1 if size > 1000 else repeat, grid_count))
    for size in sizes:
        text = conditional_text(size)
        old = engine.load_policy_text(text, name="old.law")
        new = engine.load_policy_text(mutated(text), name="new.law")
        diffs.append(diff_case(f"conditions + gdpr {size:,}", old, new, 1 if size > 1000 else repeat, grid_count))

    count = 60 if quick else 300
    calls = 100 if quick else 600
    remedies = []
    for size in [10, 1000] + ([] if quick else [10000]):
        text = bench.lawful_text(size)
        pool = bench.make_events(size, 20 * count)
        policy = engine.load_policy_text(text, name="bench.law")
        for width in (1, 3):
            events = denied_events(policy, pool, width, count)
            remedies.append(remedies_case(f"generated {size:,}, {width} categor{'y' if width == 1 else 'ies'}",
                                          lambda t=text: engine.load_policy_text(t, name="bench.law"),
                                          events, calls))
    text = conditional_text(1000)
    policy = engine.load_policy_text(text, name="bench.law")
    pool = [dict(e, context={"risk": "high"} if i % 4 == 0 else {}) for i, e in
            enumerate(bench.make_events(1000, 20 * count))]
    for width in (1, 3):
        events = denied_events(policy, pool, width, count)
        remedies.append(remedies_case(f"conditions + gdpr 1,000, {width} categor{'y' if width == 1 else 'ies'}",
                                      lambda t=text: engine.load_policy_text(t, name="bench.law"), events, calls))
    for name in ("shop", "health"):
        policy = engine.load_policy(str(EXAMPLES / name))
        events = [t.event for t in policy.tests if not policy.evaluate_reference(t.event).allowed]
        remedies.append(remedies_case(f"{name}: its denied test events", lambda n=name: engine.load_policy(
            str(EXAMPLES / n)), events, calls))
    return {"diffs": diffs, "remedies": remedies, "load_before": load_before, "load_after": load_average(),
            "quick": quick}


def report(results: dict) -> str:
    diffs, remedies = results["diffs"], results["remedies"]
    command = "python benchmarks/analysis.py" + (" --quick" if results["quick"] else "")
    lines = ["# Analysis benchmark: diff and remedies", "",
             f"Machine: {bench.machine()}. Command: `{command}` on {time.strftime('%Y-%m-%d')}; "
             f"load average (1/5/15 min) {results['load_before']} before, {results['load_after']} after. "
             "Times from `time.perf_counter` around each call, all in one run.", "",
             "## Diff", "",
             "Each policy against a changed copy; `best` and `median` over the runs, `self` is the policy "
             "against itself. The floor: both policies' reference decisions on a grid of events made of "
             "the diff's class representatives, per event, and that times the number of classes the exact "
             "diff covers (the product of the variables' class counts) — what enumerating the space would "
             "take. `reference checks`: the time of the reference decisions of both policies on every "
             "change's example event, which the diff makes to verify each change; timed apart, with the "
             "cyclic collector on (the diff pauses it), so it can exceed the diff's own time.", "",
             "| policies | rules old → new | diff best | median | self | reference checks | "
             "changes (a→d, d→a, obl.) | floor µs/event | variables | classes | enumeration would take | "
             "diff / one floor event |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in diffs:
        c = row["counts"]
        obligations = c["obligation-added"] + c["obligation-removed"]
        lines.append(
            f"| {row['label']} | {row['rules']:,} → {row['rules_new']:,} | {_seconds(row['best_s'])} | "
            f"{_seconds(row['median_s'])} | {_seconds(row['self_s'])} | {_seconds(row['checks_s'])} | {row['changes']} "
            f"({c['allow-to-deny']}, {c['deny-to-allow']}, {obligations}){'' if row['verified'] else ' UNVERIFIED'} | "
            f"{row['per_event_us']:.0f} | {row['variables']} | {row['classes']:.3g} | "
            f"{_duration(row['enumeration_s'])} | {row['best_s'] * 1e6 / row['per_event_us']:,.0f}× |")
    lines += ["", "## Remedies", "",
              "p50 and p99 of `policy.remedies(event)` over denied events (cycled), after a first call "
              "that builds the policy's diagrams (kept on the policy; its cost is the `first call` column). "
              "Peers on the same events: `policy.evaluate_reference(event)` and `policy.evaluate(event)`.", "",
              "| policy, events | rules | events | with a remedy | first call ms | p50 ms | p99 ms | "
              "reference p50 µs | evaluate p50 µs | p50 / reference | p50 / evaluate |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in remedies:
        r = row["remedies"]
        lines.append(
            f"| {row['label']} | {row['rules']:,} | {row['events']} | {row['with_remedy']} | "
            f"{row['first_ms']:.1f} | {r['p50'] / 1000:.2f} | {r['p99'] / 1000:.2f} | "
            f"{row['reference']['p50']:.0f} | {row['evaluate']['p50']:.1f} | "
            f"{r['p50'] / row['reference']['p50']:.0f}× | {r['p50'] / row['evaluate']['p50']:,.0f}× |")
    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | --- | --- |"]
    examples = [row for row in diffs if " vs " in row["label"]]
    worst = max(row["best_s"] for row in examples)
    lines.append(f"| diff of the example policies ≤ 1 s | {_seconds(worst)} (slowest) | "
                 f"{'yes' if worst <= 1 else 'no'} |")
    for row in diffs:
        if row["rules"] == 1000 or (row["label"].endswith("1,000") and row["rules"] > 900):
            lines.append(f"| diff of two 1,000-rule policies ≤ 10 s ({row['label']}) | "
                         f"{_seconds(row['best_s'])} | {'yes' if row['best_s'] <= 10 else 'no'} |")
    for row in remedies:
        if "1,000" in row["label"]:
            p50 = row["remedies"]["p50"] / 1000
            lines.append(f"| remedies p50 ≤ 50 ms at 1,000 rules ({row['label']}) | {p50:.2f} ms | "
                         f"{'yes' if p50 <= 50 else 'no'} |")
    return "\n".join(lines) + "\n"


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2g} s"
    if seconds < 3600:
        return f"{seconds / 60:.2g} min"
    if seconds < 86400:
        return f"{seconds / 3600:.2g} h"
    years = seconds / (365.25 * 86400)
    return f"{seconds / 86400:.2g} days" if years < 1 else f"{years:.2g} years"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (1,000 rules only, fewer calls)")
    parser.add_argument("--output", default=str(Path(__file__).with_name("analysis-results.md")))
    args = parser.parse_args()
    print(f"machine: {bench.machine()}; load {load_average()}")
    results = run(args.quick)
    text = report(results)
    Path(args.output).write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
