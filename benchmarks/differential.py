"""Run the differential check (compiled path vs reference) on many generated pairs.

    python benchmarks/differential.py --pairs 100000

Prints how many (policy, event) pairs agreed; exits 1 on the first disagreement.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import engine  # noqa: E402
from strategies import differential_events, policies  # noqa: E402
from test_differential import agree  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--events-per-policy", type=int, default=20)
    args = parser.parse_args()
    counted = {"pairs": 0, "policies": 0}
    started = time.perf_counter()

    # a few spare examples: Hypothesis may stop a little short of max_examples
    @settings(max_examples=max(1, args.pairs // args.events_per_policy * 21 // 20), deadline=None,
              database=None,
              suppress_health_check=list(HealthCheck))
    @given(policies(), st.lists(differential_events(), min_size=args.events_per_policy,
                                max_size=args.events_per_policy))
    def check(text, events):
        policy = engine.load_policy_text(text, name="generated.law")
        counted["policies"] += 1
        for event in events:
            agree(policy, event)
            counted["pairs"] += 1
            if counted["pairs"] % 10_000 == 0:
                print(f"  {counted['pairs']} pairs agree so far ({time.perf_counter() - started:.0f}s)",
                      flush=True)

    check()
    seconds = time.perf_counter() - started
    print(f"{counted['pairs']} pairs on {counted['policies']} generated policies agreed "
          f"(compiled path = reference) in {seconds:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
