"""Lawful against Cedar (cedarpy), Casbin (pycasbin) and Rego (regopy), in one run.

    pip install -e '.[bench]'
    python benchmarks/bench.py                 # writes benchmarks/results.md
    python benchmarks/bench.py --sizes 10 100 --quick

The same GDPR policy is written for each engine at 10, 100, 1,000 and 10,000
rules: purpose x category permits, a region rule (the destination must be in the
EEA), consent-based purposes (no consent, no processing) and an age-of-consent
table with parental consent (below the age of their country, a child needs a
parent's consent). Every engine decides the same random events and must agree
with Lawful; disagreements are printed. Then: p50 and p99 microseconds per
decision (from a plain dict or the engine's native request, validation
included), decisions per second, compile time, and Lawful's ratio to each peer.

What each engine is given per event:
- Lawful: the event as JSON-like dict, with consent *records* (timestamps checked).
- Cedar, Casbin, Rego: the same facts, with consent already reduced to booleans
  (`consented`, `parental`) — less work than Lawful does.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine  # noqa: E402

EEA = ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
       "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"]
AGES = {"AT": 14, "BE": 13, "BG": 14, "CY": 14, "CZ": 15, "DK": 15, "EE": 13, "FI": 13, "FR": 15,
        "GR": 15, "IT": 14, "LV": 13, "LT": 14, "MT": 13, "PT": 13, "SI": 15, "ES": 14, "SE": 13,
        "IS": 13, "NO": 13}
OUTSIDE = ["US", "JP", "CN", "IN", "BR", "CH", "GB"]
AT = "2026-11-23T09:00:00Z"


# ---- the policy, for each engine ----------------------------------------------------------


def shape(rules: int) -> tuple[int, int]:
    """Purposes x categories with about `rules` pairs."""
    purposes = max(2, int(math.sqrt(rules)))
    return purposes, max(1, rules // purposes)


def pairs(rules: int, seed: int = 1) -> tuple[list[str], list[str], list[tuple[str, str]], set[str]]:
    purposes_n, categories_n = shape(rules)
    purposes = [f"p{i}" for i in range(purposes_n)]
    categories = [f"c{i}" for i in range(categories_n)]
    chooser = random.Random(seed)
    every = [(p, c) for p in purposes for c in categories]
    chosen = every if len(every) <= rules else chooser.sample(every, rules)
    consent = {p for i, p in enumerate(purposes) if i % 2 == 0}
    return purposes, categories, chosen, consent


def lawful_text(rules: int) -> str:
    purposes, categories, chosen, consent = pairs(rules)
    lines = [f"category {c}" for c in categories]
    lines += [f"purpose {p} basis {'consent' if p in consent else 'contract'}" for p in purposes]
    lines.append("region eea = {" + ", ".join(EEA) + "}")
    lines.append("table age default 16 { " + ", ".join(f"{k}: {v}" for k, v in AGES.items()) + " }")
    lines.append("rule eea_only: residency * in eea")
    lines.append("rule children: forbid * when basis == consent and subject.age < age[subject.country] "
                 "and not parental consent")
    lines += [f"permit {p} on {c}" for p, c in chosen]
    return "\n".join(lines) + "\n"


def cedar_text(rules: int) -> str:
    purposes, categories, chosen, consent = pairs(rules)
    eea = "[" + ", ".join(f'"{c}"' for c in EEA) + "]"
    consent_actions = "[" + ", ".join(f'Action::"{p}"' for p in sorted(consent)) + "]"
    age_check = " || ".join(f'(context.country == "{k}" && context.age < {v})' for k, v in AGES.items())
    listed = "[" + ", ".join(f'"{k}"' for k in AGES) + "]"
    text = [f"forbid(principal, action, resource) unless {{ {eea}.contains(context.destination) }};",
            f"forbid(principal, action in {consent_actions}, resource) unless {{ context.consented }};",
            f"forbid(principal, action in {consent_actions}, resource) when {{ ({age_check} || "
            f"(!{listed}.contains(context.country) && context.age < 16)) && !context.parental }};"]
    text += [f'permit(principal, action == Action::"{p}", resource == Category::"{c}");' for p, c in chosen]
    return "\n".join(text)


CASBIN_MODEL = """
[request_definition]
r = purpose, category, ctx
[policy_definition]
p = purpose, category, rule, eft
[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))
[matchers]
m = (p.purpose == "*" || p.purpose == r.purpose) && (p.category == "*" || p.category == r.category) && eval(p.rule)
"""


def casbin_policies(rules: int) -> list[list[str]]:
    purposes, categories, chosen, consent = pairs(rules)
    lines = [["*", "*", "not in_eea(r.ctx.destination)", "deny"]]
    for p in sorted(consent):
        lines.append([p, "*", "not r.ctx.consented", "deny"])
        lines.append([p, "*", "r.ctx.age < age_of(r.ctx.country) and not r.ctx.parental", "deny"])
    lines += [[p, c, "True", "allow"] for p, c in chosen]
    return lines


def rego_text(rules: int) -> str:
    purposes, categories, chosen, consent = pairs(rules)
    text = ["package gdpr", "import rego.v1",
            "eea := {" + ", ".join(f'"{c}"' for c in EEA) + "}",
            "ages := {" + ", ".join(f'"{k}": {v}' for k, v in AGES.items()) + "}",
            "consent_purposes := {" + ", ".join(f'"{p}"' for p in sorted(consent)) + "}",
            "default allow := false",
            "allow if { permitted; not denied }",
            "denied if { not eea[input.destination] }",
            "denied if { consent_purposes[input.purpose]; not input.consented }",
            "denied if { consent_purposes[input.purpose]; input.age < object.get(ages, input.country, 16); "
            "not input.parental }"]
    text += [f'permitted if {{ input.purpose == "{p}"; input.category == "{c}" }}' for p, c in chosen]
    return "\n".join(text) + "\n"


# ---- events ---------------------------------------------------------------------------------


def make_events(rules: int, count: int, seed: int = 7, per_event: int = 1) -> list[dict]:
    """Random events; `per_event` categories each (distinct, as many as there are)."""
    purposes, categories, _, _ = pairs(rules)
    chooser = random.Random(seed)
    countries = EEA + OUTSIDE
    events = []
    for _ in range(count):
        purpose = chooser.choice(purposes)
        chosen = ([chooser.choice(categories)] if per_event == 1
                  else chooser.sample(categories, min(per_event, len(categories))))
        consented = chooser.random() < 0.75
        parental = consented and chooser.random() < 0.3
        subject = {"age": chooser.randint(10, 40), "country": chooser.choice(countries)}
        if consented:
            subject["consents"] = [{"purpose": purpose, "given_at": "2026-01-05T10:00:00Z",
                                    "parental": parental}]
        events.append({"purpose": purpose, "categories": chosen,
                       "destination": chooser.choice(EEA * 3 + OUTSIDE), "subject": subject, "at": AT})
    return events


def facts(event: dict) -> dict:
    consents = event["subject"].get("consents", [])
    return {"purpose": event["purpose"], "category": event["categories"][0],
            "destination": event["destination"], "age": event["subject"]["age"],
            "country": event["subject"]["country"], "consented": bool(consents),
            "parental": bool(consents and consents[0]["parental"])}


# ---- engines ----------------------------------------------------------------------------------


class Lawful:
    name = "lawful"

    def compile(self, rules):
        self.policy = engine.load_policy_text(lawful_text(rules), name="bench.law")

    def prepare(self, event):
        return event

    def decide(self, event) -> bool:
        return self.policy.evaluate(event).allowed


class Cedar:
    name = "cedar (cedarpy)"

    def compile(self, rules):
        import cedarpy

        self.cedarpy = cedarpy
        self.policies = cedarpy.PolicySet.from_str(cedar_text(rules))
        self.entities = cedarpy.Entities.from_json_str("[]")

    def prepare(self, event):
        f = facts(event)
        return {"principal": 'User::"subject"', "action": f'Action::"{f["purpose"]}"',
                "resource": f'Category::"{f["category"]}"',
                "context": {k: f[k] for k in ("destination", "age", "country", "consented", "parental")}}

    def decide(self, request) -> bool:
        return self.cedarpy.is_authorized(request, self.policies, self.entities).allowed


class Casbin:
    name = "casbin (pycasbin)"

    def compile(self, rules):
        import casbin
        from casbin import model

        m = model.Model()
        m.load_model_from_text(CASBIN_MODEL)
        self.enforcer = casbin.Enforcer(m)
        eea = set(EEA)
        self.enforcer.add_function("in_eea", lambda destination: destination in eea)
        self.enforcer.add_function("age_of", lambda country: AGES.get(country, 16))
        self.enforcer.add_policies(casbin_policies(rules))

    def prepare(self, event):
        f = facts(event)
        return f["purpose"], f["category"], SimpleNamespace(**f)

    def decide(self, request) -> bool:
        return self.enforcer.enforce(*request)


class Rego:
    name = "rego (regopy)"

    def compile(self, rules):
        import regopy

        self.rego = regopy.Interpreter()
        self.rego.add_module("gdpr", rego_text(rules))
        self.rego.set_input({"purpose": "p0", "category": "c0", "destination": "DE", "age": 30,
                             "country": "DE", "consented": True, "parental": False})
        self.rego.query("data.gdpr.allow")  # compiles the module

    def prepare(self, event):
        return facts(event)

    def decide(self, request) -> bool:
        self.rego.set_input(request)
        return str(self.rego.query("data.gdpr.allow")) == '{"expressions":[true]}'


ENGINES = [Lawful, Cedar, Casbin, Rego]


# ---- measuring --------------------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(runner, prepared: list, budget: float, minimum: int) -> tuple[dict, list[bool]]:
    """Time decisions over the events in order (cycling) for `budget` seconds after
    a warm-up; the answers to the first pass are kept for the agreement check."""
    warm_until = time.perf_counter() + min(budget / 4, 1.0)
    for index, request in enumerate(prepared):  # warm-up: each event once, time allowing
        runner.decide(request)
        if index >= 10 and time.perf_counter() > warm_until:
            break
    samples, answers = [], []
    clock = time.perf_counter_ns
    started = time.perf_counter()
    index = 0
    while (time.perf_counter() - started < budget or len(samples) < minimum) and len(samples) < 200_000:
        request = prepared[index % len(prepared)]
        begin = clock()
        answer = runner.decide(request)
        samples.append((clock() - begin) / 1000)
        if index < len(prepared):
            answers.append(answer)
        index += 1
    return ({"p50": percentile(samples, 0.50), "p99": percentile(samples, 0.99),
             "per_second": len(samples) / sum(samples) * 1e6, "samples": len(samples)}, answers)


def run(sizes, budget: float, events_count: int) -> dict:
    results = {}
    engine.load_policy_text("category c\n")  # builds the parser, once per process, before timing
    for size in sizes:
        events = make_events(size, events_count)
        row = {}
        answers = {}
        for engine_class in ENGINES:
            runner = engine_class()
            try:
                # compile time: the best of up to 3 compiles within 5 s (as timeit does)
                compile_ms, spent = float("inf"), 0.0
                for _ in range(3):
                    begin = time.perf_counter()
                    runner.compile(size)
                    took = time.perf_counter() - begin
                    compile_ms, spent = min(compile_ms, took * 1000), spent + took
                    if spent > 5:
                        break
            except ImportError as error:
                print(f"  {runner.name}: not installed ({error}); pip install -e '.[bench]'")
                continue
            prepared = [runner.prepare(e) for e in events]
            stats, answers[runner.name] = measure(runner, prepared, budget, minimum=30)
            stats["compile_ms"] = compile_ms
            row[runner.name] = stats
            print(f"  {size:>6} rules  {runner.name:<18} p50 {stats['p50']:9.2f} us  p99 {stats['p99']:9.2f} us  "
                  f"{stats['per_second']:10.0f}/s  compile {compile_ms:9.1f} ms  ({stats['samples']} decisions)",
                  flush=True)
        reference = answers.get(Lawful.name, [])
        disagreements, compared = {}, {}
        for name, decided in answers.items():
            differing = [i for i, (a, b) in enumerate(zip(reference, decided)) if a != b]
            disagreements[name] = len(differing)
            compared[name] = min(len(reference), len(decided))
            for i in differing[:3]:
                print(f"  DISAGREEMENT {name} at {size} rules on {json.dumps(events[i])}: lawful "
                      f"{reference[i]}, {name} {decided[i]}")
        allowed = sum(reference)
        row["_agreement"] = {"events": len(reference), "allowed": allowed, "disagreements": disagreements,
                             "compared": compared}
        results[size] = row
    return results


def key(event: dict) -> tuple:
    return event["purpose"], tuple(event["categories"]), event["destination"]


def distinct_keys(size: int, count: int, seed: int) -> list[dict]:
    """Up to `count` events of as many distinct (purpose, categories, destination) keys."""
    found: dict[tuple, dict] = {}
    for attempt in range(50):
        for event in make_events(size, count, seed=seed + attempt):
            found.setdefault(key(event), event)
            if len(found) >= count:
                return list(found.values())
    return list(found.values())


def mixes(sizes, budget: float, events_count: int, memo: int = 2000) -> dict:
    """Lawful on the shapes real workloads send, beside the floor (a dict lookup of
    the event's key) in the same run: warm events of 1, 2 and 3 categories; the
    first decision of keys never seen; and a stream cycling through five times
    more distinct keys than the plan memo holds (the memo made `memo` plans for the
    run, so that the stream stays short at every size)."""
    from engine.decide import fast

    out = {}
    for size in sizes:
        policy = engine.load_policy_text(lawful_text(size), name="bench.law")
        runner = Lawful()
        runner.policy = policy
        row: dict = {}
        events = make_events(size, events_count)
        table = {key(event): True for event in events}
        floor = SimpleNamespace(decide=lambda event: table.get(key(event)))
        row["floor"] = measure(floor, events, budget, minimum=1000)[0]
        for per_event in (1, 2, 3):
            mixed = make_events(size, events_count, seed=7 + per_event, per_event=per_event)
            row[f"{per_event} categories"] = measure(runner, mixed, budget, minimum=1000)[0]
        fresh = engine.load_policy_text(lawful_text(size), name="bench.law")
        first = distinct_keys(size, 3000, seed=100)
        fresh.evaluate(first[0])  # the purpose index and the clock, once
        samples = []
        for event in first[1:]:
            begin = time.perf_counter_ns()
            fresh.evaluate(event)
            samples.append((time.perf_counter_ns() - begin) / 1000)
        row["first-seen key"] = {"p50": percentile(samples, .5), "p99": percentile(samples, .99),
                                 "samples": len(samples), "per_second": len(samples) / sum(samples) * 1e6}
        stream = distinct_keys(size, memo * 5, seed=300)
        bound = min(memo, len(stream) // 5)  # a small policy has fewer keys than that
        bounded = engine.load_policy_text(lawful_text(size), name="bench.law")
        was, fast.MAX_PLANS = fast.MAX_PLANS, bound
        try:
            runner.policy = bounded
            for event in stream:  # one pass, so that every purpose has its index
                bounded.evaluate(event)
            row[f"{len(stream):,} keys, memo {bound:,}"] = measure(runner, stream, budget, minimum=len(stream))[0]
        finally:
            fast.MAX_PLANS = was
        out[size] = row
        for name, stats in row.items():
            print(f"  {size:>6} rules  {name:<24} p50 {stats['p50']:8.2f} us  p99 {stats['p99']:8.2f} us", flush=True)
    return out


def batch_throughput(size: int, count: int) -> dict:
    policy = engine.load_policy_text(lawful_text(size), name="bench.law")
    events = make_events(size, count)
    policy.evaluate_many(events)  # warm: plans for these events are built once
    begin = time.perf_counter()
    policy.evaluate_many(events)
    many = count / (time.perf_counter() - begin)
    lines = [json.dumps(e) + "\n" for e in events]
    begin = time.perf_counter()
    for _ in policy.evaluate_lines(lines):
        pass
    jsonl = count / (time.perf_counter() - begin)
    return {"evaluate_many": many, "evaluate_lines": jsonl, "events": count, "rules": size}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}; {os.cpu_count()} cores; Python {platform.python_version()} "
            f"({platform.python_implementation()}); {platform.system()} {platform.release()}")


def report(results: dict, batch: dict, budget: float, mixed: dict | None = None) -> str:
    names = [e.name for e in ENGINES]
    lines = ["# Benchmark results", "",
             f"Machine: {machine()}.", f"Run: `python benchmarks/bench.py` on {time.strftime('%Y-%m-%d')}, "
             f"{budget:g} s of decisions per engine and size after a warm-up; times from "
             "`time.perf_counter_ns` around each call; compile time is the best of up to 3 compiles "
             "within 5 s.", "",
             "The policy: purpose x category permits, a region rule (EEA only), consent-based purposes "
             "and an age-of-consent table with parental consent, written for each engine "
             "(`benchmarks/bench.py`). Lawful decides from a plain dict with validation included, "
             "consent records checked in time; the peers get consent as booleans.", "",
             "## Latency per decision (microseconds) and throughput", "",
             "| rules | engine | p50 µs | p99 µs | decisions/s | compile ms | Lawful p50 is faster by |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for size, row in results.items():
        lawful = row.get(Lawful.name)
        for name in names:
            if name not in row:
                continue
            stats = row[name]
            ratio = f"{stats['p50'] / lawful['p50']:.0f}x" if lawful and name != Lawful.name else "-"
            lines.append(f"| {size:,} | {name} | {stats['p50']:.2f} | {stats['p99']:.2f} | "
                         f"{stats['per_second']:,.0f} | {stats['compile_ms']:.1f} | {ratio} |")
    lines += ["", "## Agreement", "",
              "Every engine decided the same events, in the same order, and was compared with Lawful on "
              "every event both decided (slow engines decide fewer within the time budget).", "",
              "| rules | events (Lawful) | allowed | events compared, disagreements |", "| ---: | ---: | ---: | --- |"]
    for size, row in results.items():
        agreement = row["_agreement"]
        differing = "; ".join(f"{n}: {agreement['compared'][n]} compared, {c} disagree"
                              for n, c in agreement["disagreements"].items() if n != Lawful.name)
        lines.append(f"| {size:,} | {agreement['events']} | {agreement['allowed']} | {differing} |")
    lawful_rows = {size: row[Lawful.name] for size, row in results.items() if Lawful.name in row}
    if lawful_rows:
        smallest, largest = min(lawful_rows), max(lawful_rows)
        lines += ["", "## Targets", "",
                  "| target | measured | met |", "| --- | --- | --- |"]
        if 1000 in lawful_rows:
            r = lawful_rows[1000]
            lines.append(f"| p50 ≤ 5 µs at 1,000 rules | {r['p50']:.2f} µs | {'yes' if r['p50'] <= 5 else 'no'} |")
            lines.append(f"| p99 ≤ 20 µs at 1,000 rules | {r['p99']:.2f} µs | {'yes' if r['p99'] <= 20 else 'no'} |")
            lines.append(f"| compile 1,000 rules ≤ 150 ms | {r['compile_ms']:.0f} ms | "
                         f"{'yes' if r['compile_ms'] <= 150 else 'no'} |")
        flat = lawful_rows[largest]["p50"] / lawful_rows[smallest]["p50"]
        lines.append(f"| p50 at {largest:,} ≤ 1.3 × p50 at {smallest:,} rules | {flat:.2f}× | "
                     f"{'yes' if flat <= 1.3 else 'no'} |")
        if 10000 in lawful_rows:
            r = lawful_rows[10000]
            lines.append(f"| compile 10,000 rules ≤ 1.5 s | {r['compile_ms'] / 1000:.2f} s | "
                         f"{'yes' if r['compile_ms'] <= 1500 else 'no'} |")
    if mixed:
        lines += ["", "## Lawful on other event mixes, beside the floor", "",
                  "The same policy; the floor is a dict lookup of the event's (purpose, categories, "
                  "destination) key, timed the same way. Warm: each event decided once before timing. "
                  "First-seen: a fresh policy, every event a key it has not seen. The last row: a stream "
                  "through five times more distinct keys than the plan memo holds (the memo bound "
                  "lowered for the run, so that the stream is short at every size).", "",
                  "| rules | events | p50 µs | p99 µs | p50 / floor |", "| ---: | --- | ---: | ---: | ---: |"]
        for size, row in mixed.items():
            for name, stats in row.items():
                lines.append(f"| {size:,} | {name} | {stats['p50']:.2f} | {stats['p99']:.2f} | "
                             f"{stats['p50'] / row['floor']['p50']:.1f}× |")
    if batch:
        lines += ["", "## Batch", "",
                  f"`policy.evaluate_many` on {batch['events']:,} dict events at {batch['rules']:,} rules: "
                  f"{batch['evaluate_many']:,.0f} decisions/s; `policy.evaluate_lines` on the same events "
                  f"as JSON lines (parsing included): {batch['evaluate_lines']:,.0f} decisions/s."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="Lawful against Cedar, Casbin and Rego")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
    parser.add_argument("--budget", type=float, default=2.0, help="seconds of decisions per engine and size")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="a short run (0.3 s per measurement)")
    parser.add_argument("--output", default=str(Path(__file__).with_name("results.md")))
    parser.add_argument("--mixes", action="store_true", help="only Lawful's event mixes, printed")
    args = parser.parse_args()
    if args.mixes:
        mixes(args.sizes, 0.3 if args.quick else args.budget, args.events)
        return 0
    budget = 0.3 if args.quick else args.budget
    print(f"machine: {machine()}")
    results = run(args.sizes, budget, args.events)
    mixed = mixes(args.sizes, budget, args.events)
    batch = batch_throughput(1000 if 1000 in args.sizes else args.sizes[-1], 20_000 if not args.quick else 2000)
    print(f"  batch: evaluate_many {batch['evaluate_many']:,.0f}/s, evaluate_lines {batch['evaluate_lines']:,.0f}/s")
    Path(args.output).write_text(report(results, batch, budget, mixed), encoding="utf-8")
    print(f"wrote {args.output}")
    failed = any(c for row in results.values() for c in row["_agreement"]["disagreements"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
