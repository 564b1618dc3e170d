"""Reading policy text in linear time: MB/s of `load_policy` and `lawful lint` on
generated policies of 1k and 10k rules, and on pathological shapes (long runs of
unreadable characters, many broken statements, deep dotted names, long lines,
deep test events), with the ratio of the per-byte cost at 10x the size (~1 when
linear).

    python benchmarks/text.py > benchmarks/text-results.md
"""

from __future__ import annotations

import platform
import tempfile
import time
from pathlib import Path

import engine
from engine.tools.lint import lint_path


def rules_policy(rules: int) -> str:
    """A policy of `rules` rules of every kind, over as many purposes and categories."""
    lines = ['policy "bench"', 'obligation log "log it"', "region eu = {DE, FR, IT} + {ES}",
             "table age default 16 { DE: 16, FR: 15 }"]
    for i in range(rules):
        lines.append(f"category c{i}.data")
        lines.append(f"purpose p{i} basis {'consent' if i % 3 == 0 else 'contract'}")
    for i in range(rules):
        kind = i % 5
        if kind == 0:
            lines.append(f'rule r{i}: permit p{i} on c{i} to eu when subject.age >= 16 with log because "r{i}"')
        elif kind == 1:
            lines.append(f"forbid p{i} on c{i}.data unless explicit consent or purpose in p{i}")
        elif kind == 2:
            lines.append(f"permit p{i} on c{i} when parental consent or subject.age > age[subject.country]")
        elif kind == 3:
            lines.append(f"retain c{i} for {i % 30 + 1} years")
        else:
            lines.append(f"require consent for p{i} on c{i} when subject.age < 18")
    lines.append('test "t" { event {"purpose": "p0", "categories": ["c0"], "destination": "DE", '
                 '"subject": {"age": 20}} expect allow with log }')
    return "\n".join(lines) + "\n"


HEAD = "category c\npurpose p basis contract\npermit p on c\n"

SHAPES = {
    "unreadable run `@ `": lambda n: "@ " * (n // 2),
    "unreadable `@a` lines": lambda n: "@a\n" * (n // 3),
    "broken statements": lambda n: "category a b\npurpose p basis\n" * (n // 29),
    "deep dotted names": lambda n: "".join(
        f"category {'.'.join(['s'] * 30)}.x{i}\n" for i in range(n // 70)),
    "long line (`or` chain)": lambda n: HEAD + "permit p on c when " + " or ".join(
        ["subject.age > 3"] * (n // 19)) + "\n",
    "deep test events": lambda n: HEAD + "".join(
        f'test "t{i}" {{ event ' + '{"a": ' * 100 + "1" + "}" * 100 + " expect allow }\n"
        for i in range(n // 820)),
}


def seconds(function, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - began)
    return best


def load(path: Path) -> None:
    try:
        engine.load_policy(path)
    except engine.PolicyError:
        pass


def measure(text: str, folder: Path, name: str) -> tuple[float, float, float]:
    path = folder / f"{name}.law"
    path.write_text(text, encoding="utf-8")
    megabytes = len(text.encode("utf-8")) / 1e6
    return megabytes, megabytes / seconds(lambda: load(path)), megabytes / seconds(lambda: lint_path(path))


def main() -> None:
    print("# Reading policy text: throughput and scaling\n")
    print(f"`python benchmarks/text.py` on {platform.machine()} {platform.processor() or ''}, "
          f"Python {platform.python_version()}; best of 3; a ratio is the per-byte cost of the "
          "large input over that of the small one (1.0 = linear).\n")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("## Generated policies\n")
        print("| rules | MB | load MB/s | lint MB/s |")
        print("| --- | --- | --- | --- |")
        results = {}
        for rules in (1_000, 10_000):
            results[rules] = measure(rules_policy(rules), folder, f"rules{rules}")
            size, load_rate, lint_rate = results[rules]
            print(f"| {rules:,} | {size:.2f} | {load_rate:.2f} | {lint_rate:.2f} |")
        small, large = results[1_000], results[10_000]
        print(f"\nPer-byte cost, 10k rules / 1k rules: load {small[1] / large[1]:.2f}, "
              f"lint {small[2] / large[2]:.2f}\n")
        print("## Pathological shapes (100 KB and 1 MB)\n")
        print("| shape | load MB/s 100 KB | load MB/s 1 MB | ratio | lint MB/s 1 MB |")
        print("| --- | --- | --- | --- | --- |")
        for index, (shape, make) in enumerate(SHAPES.items()):
            small = measure(make(100_000), folder, f"shape{index}s")
            large = measure(make(1_000_000), folder, f"shape{index}l")
            print(f"| {shape} | {small[1]:.2f} | {large[1]:.2f} | {small[1] / large[1]:.2f} | {large[2]:.2f} |")


if __name__ == "__main__":
    main()
