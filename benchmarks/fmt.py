"""What formatting costs: `format_text` throughput on generated policies.

    python benchmarks/fmt.py            # writes benchmarks/fmt-results.md

Policies from fuzz/fmt.py's generator (rules of every kind, labels, tests),
laid out as written and re-laid out with a comment in one gap in ten. Each size
is formatted three times; the median is reported, as MB/s of input and lines
per second. Linear cost means the same MB/s at every size.
"""

from __future__ import annotations

import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.tools.fmt import format_text
from fuzz.fmt import generate_policy, with_comments  # noqa: E402

SIZES = [1_000, 10_000, 20_000]


def measure(text: str) -> float:
    times = []
    for _ in range(3):
        begin = time.perf_counter()
        format_text(text, "bench.law")
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def main() -> int:
    rows = []
    for rules in SIZES:
        plain = generate_policy(random.Random(rules), rules)
        commented = with_comments(plain, random.Random(rules + 1), 0.1)[0]
        for kind, text in (("as generated", plain), ("comments in 1 gap of 10", commented)):
            seconds = measure(text)
            size = len(text.encode("utf-8"))
            lines = text.count("\n") + 1
            rows.append((rules, kind, lines, size, seconds))
            print(f"{rules} rules, {kind}: {lines} lines, {size / 1e6:.2f} MB, {seconds:.2f} s, "
                  f"{size / 1e6 / seconds:.2f} MB/s", flush=True)
    out = ["# Formatter throughput", "",
           f"`python benchmarks/fmt.py` on {platform.machine()} ({platform.python_implementation()} "
           f"{platform.python_version()}), median of 3 runs of `format_text` (parse, format, and the",
           "re-parse that checks the output means the same).", "",
           "| rules | layout | lines | MB | seconds | MB/s | lines/s |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for rules, kind, lines, size, seconds in rows:
        out.append(f"| {rules:,} | {kind} | {lines:,} | {size / 1e6:.2f} | {seconds:.2f} | "
                   f"{size / 1e6 / seconds:.2f} | {lines / seconds:,.0f} |")
    out.append("")
    (Path(__file__).parent / "fmt-results.md").write_text("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
