"""python -m fuzz {events,policies,fmt,all} [--count N] [--seed S] [--out DIR]

Long fuzzing runs. Prints the counts; writes failing samples to --out; exits 1
when anything failed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

KINDS = {"events": 100_000, "policies": 1_000_000, "fmt": 100_000}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=[*KINDS, "all"])
    parser.add_argument("--count", type=int, help="inputs per kind (defaults: " +
                        ", ".join(f"{k} {v:,}" for k, v in KINDS.items()) + ")")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="fuzz-failures", help="where failing samples go")
    args = parser.parse_args(argv)
    failed = False
    for kind in (KINDS if args.kind == "all" else [args.kind]):
        module = importlib.import_module(f"fuzz.{kind}")
        result = module.run(args.count or KINDS[kind], args.seed)
        failures = result.pop("failures", [])
        print(f"{kind}: {json.dumps(result)}; {len(failures)} failure(s)", flush=True)
        if failures:
            failed = True
            folder = Path(args.out)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{kind}.json").write_text(json.dumps(failures[:1000], indent=1, default=repr))
            print(f"  samples in {folder / (kind + '.json')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
