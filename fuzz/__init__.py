"""Fuzzing harnesses that stay with the project (run them with `python -m fuzz`).

- `fuzz.events`: hostile events; the fast path equals the reference, no invalid
  event is ever allowed, every decision serialises, JSON lines equal the objects;
- `fuzz.policies`: hostile policy text; nothing but `PolicyError`, in bounded time;
- `fuzz.fmt`: every compiling input formatted, re-parsed to the same policy, idempotent.

Each module has `run(count, seed) -> dict` with the counts and the failing samples.
CI runs bounded versions of the same properties (tests/); these are for long runs.
"""
