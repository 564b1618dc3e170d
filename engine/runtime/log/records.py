"""Records: what one decision's record holds and how it is sealed: pseudonyms, the
canonical JSON and hash chain, values JSON cannot hold, markers of damage."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import re
import time
from datetime import datetime, timezone
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, Sequence, TypeGuard


logger = logging.getLogger("lawful")


GENESIS = "0" * 64


KEY_ENV = "LAWFUL_LOG_KEY"


SQLITE_MAGIC = b"SQLite format 3\x00"


JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


#: a stored line (or SQLite body) longer than this is not a record; the writer never
#: writes one (an event that large is logged as a `too-large` escape)
MAX_RECORD = 64 * 2**20


#: containers nested deeper than this are logged as a `too-deep` escape
MAX_DEPTH = 128


ESCAPED = "$escaped"


MARKERS = ("torn", "truncated", "no-checkpoint")


HEX64 = re.compile(r"[0-9a-f]{64}")


class LogError(Exception):
    """The decision log cannot be opened, written or read."""


def log_key(key: str | bytes | None) -> bytes | None:
    """The pseudonymisation key: given, or from $LAWFUL_LOG_KEY; None when neither."""
    if key is None:
        key = os.environ.get(KEY_ENV) or None
    if key is None:
        return None
    return key.encode("utf-8", "surrogatepass") if isinstance(key, str) else bytes(key)


def pseudonym(key: bytes, value: Any) -> str:
    """The keyed hash that stands for an identifier in the log (a lone surrogate is
    hashed as its UTF-8-with-surrogates bytes; a non-string as its canonical JSON)."""
    text = value if isinstance(value, str) else canonical(json_safe(value))
    return "hmac-sha256:" + hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def key_id(key: bytes | None) -> str | None:
    """A short public fingerprint of the key, so a query with the wrong key says so."""
    return None if key is None else hmac.new(key, b"lawful decision log", hashlib.sha256).hexdigest()[:16]


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def record_hash(record: dict) -> str:
    """SHA-256 of the record's canonical JSON, without its own `hash`."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def is_plain(value: Any, depth: int = 0) -> bool:
    """Whether `value` is JSON as it stands (exact types, string keys, no `$escaped` key).
    Strings are not checked for lone surrogates here: encoding catches those."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return True
    if depth >= MAX_DEPTH:
        return False
    if kind is dict:
        if ESCAPED in value:
            return False
        for key in value:
            if type(key) is not str:
                return False
        items = value.values()
    elif kind is list:
        items = value
    else:
        return False
    for item in items:  # leaves inline: a call per container only
        kind = type(item)
        if not (kind is str or kind is int or kind is float or kind is bool or item is None
                or is_plain(item, depth + 1)):
            return False
    return True


def _canonical_encoder() -> Any:
    if c_make_encoder is None:  # no C accelerator: json's own
        return json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
    encode = c_make_encoder(None, None, encode_basestring, None, ":", ",", True, False, False)
    return lambda value: "".join(encode(value, 0))


#: `canonical` of a value `is_plain` holds plain (no cycle check: it has none), without
#: making an encoder per call
canonical_plain = _canonical_encoder()


def valid_text(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def safe_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as error:  # noqa: BLE001 — a hostile __repr__ must not lose the record
        text = f"<{type(value).__qualname__}: repr failed: {type(error).__name__}>"
    return ascii(text[:1000])[1:-1]


def json_safe(value: Any, depth: int = 0, _active: set | None = None) -> Any:
    """`value` as JSON, every part JSON cannot hold replaced in place by an object
    `{"$escaped": kind, ...}` (documented in docs/guard.md):

    - `str` with a lone surrogate: `{"$escaped": "str", "repr": ascii(s)}` (lossless);
    - NaN, ±Infinity: `{"$escaped": "float", "repr": "nan"}`; an integer of more than
      14,000 bits: `{"$escaped": "int", "hex": hex(n)}`;
    - an object with a non-string key (or a key with a lone surrogate, or a key
      `"$escaped"`): `{"$escaped": "object", "items": [[key, value], ...]}`;
    - tuple, set, frozenset: `{"$escaped": "tuple"|"set"|"frozenset", "items": [...]}`
      (sets sorted by their items' canonical JSON); bytes: `{"$escaped": "bytes", "hex"}`;
    - anything else: `{"$escaped": type name, "repr": repr (1,000 characters at most)}`;
    - deeper than 128 levels, or a container inside itself: `{"$escaped": "too-deep"|"cycle",
      "type": type name}` (the only lossy cases).
    """
    try:
        if value is None or value is True or value is False:
            return value
        if isinstance(value, str):
            text = str.__str__(value)
            return text if valid_text(text) else {ESCAPED: "str", "repr": ascii(text)}
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            number = int(value)
            return number if number.bit_length() <= 14_000 else {ESCAPED: "int", "hex": hex(number)}
        if isinstance(value, float):
            real = float(value)
            return real if math.isfinite(real) else {ESCAPED: "float", "repr": repr(real)}
        if isinstance(value, (bytes, bytearray, memoryview)):
            return {ESCAPED: "bytes", "hex": bytes(value).hex()}
        if isinstance(value, Opaque):
            return value.escape
        name = type(value).__qualname__
        if not isinstance(value, (dict, list, tuple, set, frozenset)):
            return {ESCAPED: name, "repr": safe_repr(value)}
        if depth >= MAX_DEPTH:
            return {ESCAPED: "too-deep", "type": name}
        active = set() if _active is None else _active
        if id(value) in active:
            return {ESCAPED: "cycle", "type": name}
        active.add(id(value))
        try:
            if isinstance(value, dict):
                pairs = list(value.items())
                if all(type(k) is str and k != ESCAPED and valid_text(k) for k, _ in pairs):
                    return {k: json_safe(v, depth + 1, active) for k, v in pairs}
                return {ESCAPED: "object", "items": [[json_safe(k, depth + 1, active), json_safe(v, depth + 1, active)]
                                                     for k, v in pairs]}
            items = [json_safe(item, depth + 1, active) for item in value]
            if isinstance(value, list):
                return items
            if isinstance(value, (set, frozenset)):
                items.sort(key=canonical)
            kind = "tuple" if isinstance(value, tuple) else "frozenset" if isinstance(value, frozenset) else "set"
            return {ESCAPED: kind, "items": items}
        finally:
            active.discard(id(value))
    except Exception as error:  # noqa: BLE001 — a hostile container must not lose the record
        return {ESCAPED: "unreadable", "type": type(value).__qualname__, "error": type(error).__name__}


def iso_time(when: float) -> str:
    """`when` in UTC as ISO 8601 with microseconds and `Z`, as `datetime.fromtimestamp`
    rounds it (half to even); the text up to the second is made once a second."""
    fraction, whole = math.modf(when)
    micros = round(fraction * 1e6)
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    elif micros < 0:
        whole, micros = whole - 1, micros + 1_000_000
    second = int(whole)
    if second != _second[0]:
        _second[1] = datetime.fromtimestamp(second, timezone.utc).isoformat()[:19] + "."
        _second[0] = second
    return f"{_second[1]}{micros:06d}Z"


_second: list = [None, ""]  # the last second formatted, and its text (a list: one store, no lock needed)


def reference_iso_time(when: float) -> str:
    """`iso_time` as datetime writes it (the tests hold the two equal)."""
    return datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def text_of(value: Any) -> str | None:
    """A record's indexed fields (subject, purpose) are strings or null: anything else
    is stored as its canonical JSON (the event keeps the value itself)."""
    if value is None or (type(value) is str and valid_text(value)):
        return value
    return canonical(json_safe(value))


class Opaque:
    """A value of the caller's event that is not data: its escape, made when recorded."""

    __slots__ = ("escape",)

    def __init__(self, escape: dict):
        self.escape = escape


def store_kind(path: Path) -> str:
    """sqlite or jsonl: by the file's first bytes when it exists, else its name."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
        if head == SQLITE_MAGIC:
            return "sqlite"
        if head:
            return "jsonl"
    except OSError:
        pass
    return "jsonl" if path.suffix.lower() in JSONL_SUFFIXES else "sqlite"


def seal(bodies: Sequence[dict | Prepared], seq: int, prev: str) -> list[tuple[dict, str]]:
    """Number and hash records after the one numbered `seq` with hash `prev`: each
    record (with its `hash`) and its stored text (canonical JSON, `hash` last). A body
    JSON cannot hold as it is gets its parts escaped (`json_safe`); only that record."""
    records: list[tuple[dict, str]] = []
    sha256 = hashlib.sha256
    for body in bodies:
        seq += 1
        if isinstance(body, Prepared):  # the writer's fast path: the text is made, but for seq and prev
            text = f'{body.head},"prev":"{prev}",{body.middle},"seq":{seq},{body.tail}'
            prev = sha256(text.encode("utf-8")).hexdigest()
            records.append(({"seq": seq, "time": body.time, "subject": body.subject, "purpose": body.purpose,
                             "effect": body.effect, "hash": prev}, f'{text[:-1]},"hash":"{prev}"}}'))
            continue
        record = {"seq": seq, **body, "prev": prev}
        try:
            if not is_plain(body):
                raise TypeError("not plain JSON")
            text = canonical(record)
            data = text.encode("utf-8")
        except (TypeError, ValueError, RecursionError):
            record = {"seq": seq, **_escaped_body(body), "prev": prev}
            text = canonical(record)
            data = text.encode("utf-8")
        if len(data) > MAX_RECORD - 100:
            event = record.get("event")
            record["event"] = {ESCAPED: "too-large", "bytes": len(canonical(event).encode("utf-8")),
                               "sha256": sha256(canonical(event).encode("utf-8")).hexdigest()}
            text = canonical(record)
            data = text.encode("utf-8")
        prev = record["hash"] = sha256(data).hexdigest()
        records.append((record, f'{text[:-1]},"hash":"{prev}"}}'))
    return records


class Prepared:
    """A decision's record as canonical JSON text but for its place in the chain, made
    by the writer's fast path (writer.DecisionLog.prepared) for a plain event: `head`
    holds the keys before `prev` (`{"digest"` to `"obligations"`), `middle` those
    between `prev` and `seq`, `tail` those after (it ends the object). `seal` puts
    `prev`, `seq` and the hash in; the text equals `canonical` of the record's dict
    (the tests hold the two routes equal)."""

    __slots__ = ("head", "middle", "tail", "time", "subject", "purpose", "effect")

    def __init__(self, head: str, middle: str, tail: str, time: str, subject: str | None,
                 purpose: str | None, effect: str):
        self.head, self.middle, self.tail = head, middle, tail
        self.time, self.subject, self.purpose, self.effect = time, subject, purpose, effect


def _escaped_body(body: dict) -> dict:
    safe = json_safe(body)
    if not isinstance(safe, dict) or ESCAPED in safe:  # a body's own keys are the writer's: never
        safe = {"event": safe}
    for name in ("subject", "purpose", "digest", "key_id"):
        if name in safe:
            safe[name] = text_of(safe[name])
    safe["time"] = text_of(safe.get("time")) or iso_time(time.time())
    if safe.get("effect") not in ("allow", "deny", "marker"):
        safe["effect"] = "deny"
    return safe


def marker(kind: str, **detail: Any) -> dict:
    return {"time": iso_time(time.time()), "kind": kind, "effect": "marker", **detail}


def read_json(data: bytes | str) -> Any:
    """JSON as the log stores it: NaN and Infinity are not JSON."""
    return json.loads(data, parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def is_record(value: Any) -> TypeGuard[dict]:
    return (isinstance(value, dict) and type(value.get("seq")) is int and value["seq"] >= 1
            and isinstance(value.get("hash"), str) and HEX64.fullmatch(value["hash"]) is not None)


def stored_text(record: dict) -> str | None:
    """The exact text the writer stores for a record (canonical JSON, `hash` last);
    None when the record cannot be written as JSON at all."""
    try:
        body = canonical({k: v for k, v in record.items() if k != "hash"})
        return f'{body[:-1]},"hash":{json.dumps(record.get("hash"))}}}' if len(body) > 2 else None
    except (TypeError, ValueError, RecursionError):
        return None


def damaged_text(data: bytes) -> str:
    """TEXT read from SQLite: the writer only stores UTF-8, so bytes that are not
    are damage; they are kept visible (U+FFFD) and the record's hash no longer
    matches, so verify names the row instead of raising on it."""
    return data.decode("utf-8", "replace")


def record_problems(record: dict) -> list[str]:
    """What is wrong with a record's fields (its shape; the chain is checked apart)."""
    problems = []

    def want(name: str, ok: bool, what: str) -> None:
        if not ok:
            problems.append(f"its `{name}` is not {what}")

    kind = record.get("kind")
    want("time", isinstance(record.get("time"), str), "a string")
    want("prev", isinstance(record.get("prev"), str) and HEX64.fullmatch(record["prev"]) is not None,
         "a hash")
    want("hash", isinstance(record.get("hash"), str) and HEX64.fullmatch(record["hash"]) is not None, "a hash")
    if kind is not None:
        want("kind", kind in MARKERS, "one of " + ", ".join(MARKERS))
        want("effect", record.get("effect") == "marker", "`marker`")
        return problems
    want("effect", record.get("effect") in ("allow", "deny"), "allow or deny")
    for name in ("digest", "subject", "purpose", "key_id"):
        want(name, record.get(name) is None or isinstance(record.get(name), str), "a string or null")
    reasons = record.get("reasons")
    want("reasons", isinstance(reasons, list) and all(isinstance(r, dict) for r in reasons), "a list of objects")
    obligations = record.get("obligations")
    want("obligations", isinstance(obligations, list) and all(isinstance(o, str) for o in obligations),
         "a list of strings")
    want("event", "event" in record, "there")
    return problems


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
