"""A client of `lawful serve` in Python, with httpx (docs/serve.md#clients).

    lawful serve rules/examples/shop &
    python3 examples/serve/client.py [URL] [EVENTS.jsonl]

URL defaults to $LAWFUL_URL, else http://127.0.0.1:8181; a token, when the server
asks for one, comes from $LAWFUL_TOKEN. It prints the policy served, decides one
event, then streams a JSON-lines batch (examples/serve/events.jsonl by default) and
prints each decision as it arrives, with the number of the line it answers:

    policy NAME DIGEST
    decide EFFECT DIGEST FIRST-REASON
    line N EFFECT DIGEST FIRST-REASON
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Iterator

import httpx

EVENT = {"purpose": "billing", "categories": ["contact.email", "payment.card"], "destination": "DE",
         "subject": {"id": "u-1", "age": 34, "country": "DE"}}
EVENTS = Path(__file__).with_name("events.jsonl")
#: JSON's whitespace: a line of only these is blank and gets no decision
BLANK = " \t\r\n"


def connect(url: str, token: str | None = None) -> httpx.Client:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=30)


def decide(client: httpx.Client, event: dict) -> dict:
    """The decision for one event. Anything but an answered decision raises: a caller
    must then treat the processing as denied."""
    response = client.post("/v1/decide", json=event)
    response.raise_for_status()  # 401, 413, 415…: a problem document, not a decision
    decision = response.json()
    assert decision["digest"] == response.headers["lawful-digest"]
    return decision


def decide_lines(client: httpx.Client, path: Path) -> Iterator[tuple[int, dict]]:
    """Each decision of a JSON-lines batch, as the server writes it, with the number of
    the line it answers (the server answers every line that is not blank, in order)."""
    answered = [number for number, line in enumerate(path.read_bytes().split(b"\n"), 1)
                if line.decode("utf-8", "replace").strip(BLANK)]

    def body() -> Iterator[bytes]:  # sent as it is read, chunked: the file need not fit in memory
        with path.open("rb") as lines:
            yield from lines

    with client.stream("POST", "/v1/decide/batch", content=body(),
                       headers={"content-type": "application/x-ndjson"}) as response:
        response.raise_for_status()
        for number, line in zip(answered, response.iter_lines(), strict=True):
            yield number, json.loads(line)


def describe(decision: dict) -> str:
    """EFFECT DIGEST and the first reason: its rule (or kind), and its message for a deny."""
    first = decision["reasons"][0] if decision["reasons"] else None
    why = "" if first is None else first["rule"] or first["kind"]
    if decision["allowed"]:
        obligations = ",".join(decision["obligations"])
        why += f" obligations={obligations}" if obligations else ""
    elif first is not None:
        why += f": {first['message']}"
    return f"{decision['effect']} {decision['digest']} {why}".rstrip()


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else os.environ.get("LAWFUL_URL", "http://127.0.0.1:8181")
    events = Path(argv[2]) if len(argv) > 2 else EVENTS
    with connect(url, os.environ.get("LAWFUL_TOKEN")) as client:
        policy = client.get("/v1/policy").raise_for_status().json()
        print("policy", policy["name"], policy["digest"])
        print("decide", describe(decide(client, EVENT)))
        for number, decision in decide_lines(client, events):
            print(f"line {number}", describe(decision))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
