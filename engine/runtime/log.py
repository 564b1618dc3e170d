"""The decision log: what was decided, provably (GDPR Art. 5(2), 15, 30).

    log = engine.DecisionLog("decisions.db", key=secret)      # SQLite (WAL)
    log = engine.DecisionLog("decisions.jsonl", key=secret)   # JSON lines
    store = engine.PolicyStore("policies/", log=log)          # guards record into it
    log.record(event, decision)                               # queued; returns at once
    log.record(event, decision, wait=True)                    # returns once durable
    log.flush()                                               # everything so far durable

Each record: a sequence number, the time, the policy digest, the event with
subject identifiers replaced by a keyed hash (HMAC-SHA256; raw identifiers only
with `raw_identifiers=True`), the effect, every reason and the obligations, the
hash of the record before it and its own hash (SHA-256 of its canonical JSON).
Editing, deleting, inserting or reordering a record breaks the chain at that
record, which `verify` names.

Records removed from the end leave a shorter valid chain; the *checkpoint* tells
them apart from legitimate growth. After every batch the writer signs (HMAC with a
key derived from the log's key) the number of records and the head hash, in a
`checkpoint` table of the same SQLite transaction, or in `<log>.checkpoint` beside a
JSON-lines log, written after the records (so a crash in between leaves a log that
has *grown* since its checkpoint: fine; one with fewer records is *truncated*).

Nothing is lost or hidden: a value JSON cannot hold (a lone surrogate, a non-string
key, NaN, bytes, a tuple…) is escaped in place (`{"$escaped": kind, …}`, see
`json_safe`) and never affects another record; a write cut short by a crash is
kept and sealed by a `torn` marker record; a log whose end no longer matches its
checkpoint gets a `truncated` marker, which verify reports for ever after.

Recording is cheap for the caller: it snapshots the event (marshal) and appends
to a queue; a background thread pseudonymises, chains and writes in batches,
one transaction per batch. A record is acknowledged when `record(wait=True)`
or `flush()` returns: it is then committed (SQLite WAL) or written (JSON
lines), and survives the process being killed.
"""

from __future__ import annotations

import atexit
import collections
import fcntl
import hashlib
import hmac
import json
import logging
import marshal
import math
import os
import re
import sqlite3
import threading
import time
import weakref
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, TypeGuard

from ..decide.decision import Decision

logger = logging.getLogger("lawful")

GENESIS = "0" * 64
KEY_ENV = "LAWFUL_LOG_KEY"
SQLITE_MAGIC = b"SQLite format 3\x00"
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CHECKPOINT_SUFFIX = ".checkpoint"
CHECKPOINT_SIZE = 512  # a checkpoint file's size: its JSON, padded with spaces
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


# ---- pseudonyms ------------------------------------------------------------------------------


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


# ---- values JSON cannot hold ----------------------------------------------------------------------


def _plain(value: Any, depth: int = 0) -> bool:
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
        for key, item in value.items():
            if type(key) is not str or not _plain(item, depth + 1):
                return False
        return True
    if kind is list:
        for item in value:
            if not _plain(item, depth + 1):
                return False
        return True
    return False


def _valid_text(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _safe_repr(value: Any) -> str:
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
            return text if _valid_text(text) else {ESCAPED: "str", "repr": ascii(text)}
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
        if isinstance(value, _Opaque):
            return value.escape
        name = type(value).__qualname__
        if not isinstance(value, (dict, list, tuple, set, frozenset)):
            return {ESCAPED: name, "repr": _safe_repr(value)}
        if depth >= MAX_DEPTH:
            return {ESCAPED: "too-deep", "type": name}
        active = set() if _active is None else _active
        if id(value) in active:
            return {ESCAPED: "cycle", "type": name}
        active.add(id(value))
        try:
            if isinstance(value, dict):
                pairs = list(value.items())
                if all(type(k) is str and k != ESCAPED and _valid_text(k) for k, _ in pairs):
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


# ---- the log ------------------------------------------------------------------------------------


class DecisionLog:
    """An append-only, hash-chained log of decisions (see the module's doc).

    `path` ending in .jsonl/.ndjson is JSON lines, anything else SQLite (or say
    `store="sqlite"|"jsonl"`). `key` (or $LAWFUL_LOG_KEY) pseudonymises
    `identifiers` — dotted paths into the event, `subject.id` by default — and signs
    the checkpoints; without a key the log refuses to open unless
    `raw_identifiers=True` (its checkpoints are then unsigned). `fsync=True` also
    survives a power cut (each batch waits for the disk). `batch` and `interval`
    tune the background writer.
    """

    def __init__(self, path: str | Path, *, key: str | bytes | None = None, store: str | None = None,
                 identifiers: tuple[str, ...] | list[str] = ("subject.id",),
                 raw_identifiers: bool = False, fsync: bool = False, batch: int = 1000,
                 interval: float = 0.02, max_pending: int = 100_000):
        self.path = Path(path)
        self.key = log_key(key)
        if self.key is None and not raw_identifiers:
            raise LogError(f"a decision log needs a key to pseudonymise subject identifiers: pass "
                           f"key=… or set ${KEY_ENV} (or raw_identifiers=True to store them as they are)")
        self.raw_identifiers = raw_identifiers
        self.identifiers = [tuple(p.split(".")) for p in identifiers]
        self.key_id = key_id(self.key) if not raw_identifiers else None
        self.batch, self.interval = batch, interval
        self.writer = open_store(self.path, store, fsync, self.key)
        self._queue: collections.deque = collections.deque()
        self._wake = threading.Event()
        self._closed = False
        self._failure: BaseException | None = None  # the last write that failed
        self._failures = self._reported = 0  # failed writes, and those flush() has reported
        self._reasons: dict[int, tuple[Decision, list]] = {}
        self.max_pending = max_pending
        self._thread = threading.Thread(target=self._run, name="lawful-decision-log", daemon=True)
        self._thread.start()
        _OPEN.add(self)

    # ---- for callers ------------------------------------------------------------------------

    def record(self, event: Any, decision: Decision, wait: bool = False) -> None:
        """Queue one decision (and the event it decided). With `wait`, return only
        once it is durable (raises LogError if it could not be written)."""
        if self._closed:
            raise LogError("the decision log is closed")
        queue = self._queue
        queue.append((time.time(), _snapshot(event), decision))
        if wait:
            self.flush()
        elif len(queue) > self.max_pending:  # the writer is behind: wait for it, lose nothing
            self._catch_up()

    def _catch_up(self) -> None:
        self._wake.set()
        while len(self._queue) > self.max_pending // 2 and self._thread.is_alive():
            time.sleep(0.001)

    def flush(self, timeout: float | None = 30.0) -> None:
        """Return once everything recorded before this call is durable."""
        done = threading.Event()
        self._queue.append(done)
        self._wake.set()
        if not done.wait(timeout):
            raise LogError(f"the decision log did not write within {timeout} s")
        failures = self._failures
        if failures != self._reported:  # records since the last flush were lost
            self._reported = failures
            raise LogError(f"the decision log could not be written: {self._failure}")

    def close(self) -> None:
        """Write what is queued and stop the writer."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._wake.set()
            self._thread.join(10)
            self.writer.close()
            _OPEN.discard(self)

    def __enter__(self) -> "DecisionLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        queue = self._queue
        while True:
            if not queue:
                if self._closed:
                    return
                self._wake.wait(self.interval)
                self._wake.clear()
                continue
            items: list[Any] = []
            markers: list[Any] = []
            while queue and len(items) < self.batch:
                item = queue.popleft()
                (markers if isinstance(item, threading.Event) else items).append(item)
            if items:
                try:
                    self.writer.append([self._safe_body(*item) for item in items])
                except Exception as error:  # noqa: BLE001 — reported to flush() and the logger
                    self._failure = error
                    self._failures += 1
                    logger.error("the decision log could not be written (%d record(s) lost): %s",
                                 len(items), error)
            for marker in markers:
                marker.set()

    def _safe_body(self, when: float, event: Any, decision: Decision) -> dict:
        """`_body`, or — when the event or decision cannot even be read — a record that
        says so: one bad item never takes the rest of its batch with it."""
        try:
            return self._body(when, event, decision)
        except Exception as error:  # noqa: BLE001
            return {"time": _time(when), "digest": _text(getattr(decision, "digest", None)),
                    "key_id": self.key_id, "subject": None, "purpose": None,
                    "effect": "allow" if getattr(decision, "effect", None) == "allow" else "deny",
                    "reasons": [], "obligations": [],
                    "event": {ESCAPED: "unreadable", "error": f"{type(error).__name__}: {_safe_repr(error)}"}}

    def _body(self, when: float, event: Any, decision: Decision) -> dict:
        """A record without its place in the chain (seq, prev, hash: the store adds them)."""
        event = self.pseudonymised(_restore(event))
        subject = event.get("subject") if isinstance(event, dict) else None
        return {
            "time": _time(when),
            "digest": decision.digest,
            "key_id": self.key_id,
            "subject": _text(subject.get("id")) if isinstance(subject, dict) else None,
            "purpose": _text(event.get("purpose")) if isinstance(event, dict) else None,
            "effect": decision.effect,
            "reasons": self.reasons(decision),
            "obligations": list(decision.obligations),
            "event": event,
        }

    def reasons(self, decision: Decision) -> list[dict]:
        """The decision's reasons as JSON-ready dicts; the fast path shares decisions,
        so the same decision is converted once (kept with it, so its id stays its own)."""
        known = self._reasons.get(id(decision))
        if known is not None and known[0] is decision:
            return known[1]
        dumped = [{k: v for k, v in r.__dict__.items() if v is not None} for r in decision.reasons]
        if len(self._reasons) >= 10_000:
            self._reasons.clear()
        self._reasons[id(decision)] = (decision, dumped)
        return dumped

    def pseudonymised(self, event: Any) -> Any:
        """The event with every configured identifier replaced by its keyed hash."""
        if self.raw_identifiers or not isinstance(event, dict):
            return event
        key = self.key
        assert key is not None  # a log has no key only with raw_identifiers
        for path in self.identifiers:
            parent, ok = event, True
            for part in path[:-1]:
                child = parent.get(part) if isinstance(parent, dict) else None
                if not isinstance(child, dict):
                    ok = False
                    break
                parent = child
            if ok and path[-1] in parent and parent[path[-1]] is not None:
                parent[path[-1]] = pseudonym(key, parent[path[-1]])
        return event


def _time(when: float) -> str:
    return datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _text(value: Any) -> str | None:
    """A record's indexed fields (subject, purpose) are strings or null: anything else
    is stored as its canonical JSON (the event keeps the value itself)."""
    if value is None or (type(value) is str and _valid_text(value)):
        return value
    return canonical(json_safe(value))


_OPEN: "weakref.WeakSet[DecisionLog]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:  # a normal exit writes what is queued
    for log in list(_OPEN):
        try:
            log.close()
        except Exception:  # noqa: BLE001
            pass


class _Opaque:
    """A value of the caller's event that is not data: its escape, made when recorded."""

    __slots__ = ("escape",)

    def __init__(self, escape: dict):
        self.escape = escape


def _copy(value: Any, depth: int = 0, active: set | None = None) -> Any:
    """A copy of an event marshal cannot copy: containers copied (their types kept, for
    `json_safe` to escape once, later), data kept, anything else escaped now."""
    if value is None or isinstance(value, (str, int, float, bytes)):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if not isinstance(value, (dict, list, tuple, set, frozenset)):
        return _Opaque(json_safe(value))
    if depth >= MAX_DEPTH:
        return _Opaque({ESCAPED: "too-deep", "type": type(value).__qualname__})
    active = set() if active is None else active
    if id(value) in active:
        return _Opaque({ESCAPED: "cycle", "type": type(value).__qualname__})
    active.add(id(value))
    try:
        if isinstance(value, dict):
            return {_copy(k, depth + 1, active): _copy(v, depth + 1, active) for k, v in list(value.items())}
        items = [_copy(item, depth + 1, active) for item in value]
        if isinstance(value, list):
            return items
        if isinstance(value, tuple):
            return tuple(items)
        return frozenset(items) if isinstance(value, frozenset) else set(items)
    except Exception as error:  # noqa: BLE001 — a hostile container must not lose the record
        return _Opaque({ESCAPED: "unreadable", "type": type(value).__qualname__, "error": type(error).__name__})
    finally:
        active.discard(id(value))


def _snapshot(event: Any) -> Any:
    """A copy of the event as it is now, cheaply (the caller may change it later)."""
    if isinstance(event, dict):
        try:
            return marshal.dumps(event)
        except (ValueError, TypeError, RecursionError):  # not plain data: copied now
            pass
    elif hasattr(event, "model_dump"):  # an engine.Event: immutable
        return event
    return [_copy(event)]


def _restore(snapshot: Any) -> Any:
    if isinstance(snapshot, bytes):
        return marshal.loads(snapshot)
    if isinstance(snapshot, list):
        return snapshot[0]
    return snapshot.model_dump(mode="json", exclude_defaults=True)


# ---- stores ---------------------------------------------------------------------------------------


def open_store(path: Path, kind: str | None, fsync: bool, key: bytes | None = None) -> "Store":
    kind = kind or store_kind(path)
    if kind == "jsonl":
        return JsonLinesStore(path, fsync, key)
    if kind == "sqlite":
        return SqliteStore(path, fsync, key)
    raise LogError(f"unknown log store `{kind}` (sqlite or jsonl)")


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


def seal(bodies: list[dict], seq: int, prev: str) -> list[tuple[dict, str]]:
    """Number and hash records after the one numbered `seq` with hash `prev`: each
    record (with its `hash`) and its stored text (canonical JSON, `hash` last). A body
    JSON cannot hold as it is gets its parts escaped (`json_safe`); only that record."""
    records = []
    sha256 = hashlib.sha256
    for body in bodies:
        seq += 1
        record = {"seq": seq, **body, "prev": prev}
        try:
            if not _plain(body):
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


chain = seal  # the name it had


def _escaped_body(body: dict) -> dict:
    safe = json_safe(body)
    if not isinstance(safe, dict) or ESCAPED in safe:  # a body's own keys are the writer's: never
        safe = {"event": safe}
    for name in ("subject", "purpose", "digest", "key_id"):
        if name in safe:
            safe[name] = _text(safe[name])
    safe["time"] = _text(safe.get("time")) or _time(time.time())
    if safe.get("effect") not in ("allow", "deny", "marker"):
        safe["effect"] = "deny"
    return safe


def _marker(kind: str, **detail: Any) -> dict:
    return {"time": _time(time.time()), "kind": kind, "effect": "marker", **detail}


# ---- checkpoints --------------------------------------------------------------------------------


def _checkpoint_key(key: bytes) -> bytes:
    return hmac.new(key, b"lawful decision log checkpoint v1", hashlib.sha256).digest()


def make_checkpoint(records: int, head: str, key: bytes | None) -> dict:
    """The signed statement "this log had `records` records, the last with hash `head`"."""
    body = {"checkpoint": 1, "records": records, "head": head, "key_id": key_id(key),
            "time": _time(time.time())}
    body["mac"] = None if key is None else hmac.new(_checkpoint_key(key), canonical(body).encode(),
                                                    hashlib.sha256).hexdigest()
    return body


def checkpoint_problem(checkpoint: Any, key: bytes | None) -> str | None:
    """Why a stored checkpoint cannot be trusted (None: well-formed; signature checked
    when `key` is given and the checkpoint is signed)."""
    if not isinstance(checkpoint, dict) or checkpoint.get("checkpoint") != 1:
        return "is not a checkpoint"
    records, head, mac, kid = (checkpoint.get(k) for k in ("records", "head", "mac", "key_id"))
    if type(records) is not int or records < 0 or not isinstance(head, str) or not HEX64.fullmatch(head):
        return "is not a checkpoint (its record count or head is malformed)"
    if records == 0 and head != GENESIS:
        return "is not a checkpoint (no records, but a head)"
    if kid is not None and not isinstance(kid, str) or mac is not None and not isinstance(mac, str):
        return "is not a checkpoint (its key id or signature is malformed)"
    if key is not None and kid is not None:
        if kid != key_id(key):
            return f"was signed with another key (its key id {kid}; this key's {key_id(key)})"
        body = {k: v for k, v in checkpoint.items() if k != "mac"}
        expected = hmac.new(_checkpoint_key(key), canonical(body).encode("utf-8", "surrogatepass"),
                            hashlib.sha256).hexdigest()
        if mac is None or not hmac.compare_digest(mac, expected):
            return "has a wrong signature (it was forged or edited)"
    return None


def _loads(data: bytes | str) -> Any:
    """JSON as the log stores it: NaN and Infinity are not JSON."""
    return json.loads(data, parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _is_record(value: Any) -> TypeGuard[dict]:
    return (isinstance(value, dict) and type(value.get("seq")) is int and value["seq"] >= 1
            and isinstance(value.get("hash"), str) and HEX64.fullmatch(value["hash"]) is not None)


class Store(ABC):
    """Appends chained records, keeps the checkpoint; reads them back in order."""

    key: bytes | None = None

    @abstractmethod
    def append(self, bodies: list[dict]) -> None:
        """Store the records, in order, durably before returning."""

    def close(self) -> None:
        pass

    def markers(self, seq: int, head: str, checkpoint: Any, where: str) -> list[dict]:
        """What the writer records before its own records when the log's end (record
        `seq`, hash `head`) does not match its checkpoint: never moved backwards silently."""
        if checkpoint is None:
            if seq == 0:
                return []
            return [_marker("no-checkpoint", found={"records": seq, "head": head},
                            why=f"{where} was missing")]
        problem = checkpoint_problem(checkpoint, self.key)
        if problem is not None:
            return [_marker("no-checkpoint", found={"records": seq, "head": head},
                            why=f"the checkpoint {problem}")]
        if seq > checkpoint["records"] or (seq == checkpoint["records"] and head == checkpoint["head"]):
            return []  # grown since (a writer stopped before updating it), or exactly there
        return [_marker("truncated", found={"records": seq, "head": head},
                        checkpoint={"records": checkpoint["records"], "head": checkpoint["head"]})]


class SqliteStore(Store):
    SCHEMA = """
        CREATE TABLE IF NOT EXISTS records (
            seq INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            subject TEXT,
            purpose TEXT,
            effect TEXT NOT NULL,
            body TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS records_subject ON records (subject);
    """
    CHECKPOINT = "CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL)"

    INSERT = """
        INSERT INTO records (seq, time, subject, purpose, effect, body, hash)
        SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
               json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),
               json_extract(value, '$[6]')
        FROM json_each(?)
    """

    def __init__(self, path: Path, fsync: bool, key: bytes | None = None):
        self.path, self.key = path, key
        try:
            self.db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
            self.db.text_factory = _damaged_text
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self.db.execute("BEGIN IMMEDIATE")
            try:
                new = self.db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'records'").fetchone()[0] == 0
                for statement in self.SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(self.CHECKPOINT)
                if new:  # a new log starts with its checkpoint, in the same transaction
                    self._store_checkpoint(0, GENESIS)
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        except (sqlite3.Error, UnicodeDecodeError) as error:
            raise LogError(f"{path}: cannot open the decision log: {error}") from None

    def _store_checkpoint(self, records: int, head: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO checkpoint (id, body) VALUES (1, ?)",
                        (canonical(make_checkpoint(records, head, self.key)),))

    def _checkpoint(self) -> Any:
        row = self.db.execute("SELECT body FROM checkpoint WHERE id = 1").fetchone()
        if row is None:
            return None
        try:
            return _loads(row[0]) if isinstance(row[0], (str, bytes)) else row[0]
        except (ValueError, RecursionError):
            return row[0]

    def append(self, bodies: list[dict]) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")  # the chain's end is read and extended in one transaction
        try:
            last = db.execute("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1").fetchone()
            seq, head = last or (0, GENESIS)
            prev = head
            if not (isinstance(prev, str) and HEX64.fullmatch(prev)):  # a damaged last row: chain
                found = db.execute(  # from the last whole one (verify names the damaged rows)
                    "SELECT hash FROM records WHERE typeof(hash) = 'text' AND length(hash) = 64 "
                    "ORDER BY seq DESC LIMIT 1").fetchone()
                prev = found[0] if found and HEX64.fullmatch(found[0]) else GENESIS
                head = prev if head is None else str(head)
            markers = self.markers(seq, head, self._checkpoint(), "the checkpoint")
            records = seal(markers + bodies, seq, prev)
            # one statement for the whole batch (rows passed as one JSON array): sqlite3 lets
            # go of the GIL around each statement, and getting it back is what costs
            db.execute(self.INSERT, (json.dumps(
                [(r["seq"], r["time"], r.get("subject"), r.get("purpose"), r["effect"], text, r["hash"])
                 for r, text in records], ensure_ascii=False),))
            self._store_checkpoint(records[-1][0]["seq"], records[-1][0]["hash"])
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()


def checkpoint_path(path: Path) -> Path:
    return path.with_name(path.name + CHECKPOINT_SUFFIX)


def _previous_newline(handle, end: int) -> int:
    """The offset of the last b"\\n" before `end` (-1 when none), read backwards in chunks."""
    chunk = 4096  # a record is usually shorter: one small read
    while end > 0:
        start = max(0, end - chunk)
        handle.seek(start)
        found = handle.read(end - start).rfind(b"\n")
        if found >= 0:
            return start + found
        end, chunk = start, min(chunk * 4, 1 << 20)
    return -1


class JsonLinesStore(Store):
    def __init__(self, path: Path, fsync: bool, key: bytes | None = None):
        self.path, self.fsync, self.key = path, fsync, key
        self.checkpoint_file = checkpoint_path(path)
        self._checkpoint_fd: int | None = None
        try:
            if not self.checkpoint_file.exists() and (not path.exists() or path.stat().st_size == 0):
                self._store_checkpoint(0, GENESIS)  # before the log exists: never a log without one
            self.handle = open(path, "a+b")
        except OSError as error:
            raise LogError(f"{path}: cannot open the decision log: {error.strerror or error}") from None

    def _store_checkpoint(self, records: int, head: str) -> None:
        """Overwrite the checkpoint in place: always CHECKPOINT_SIZE bytes in one write at
        offset 0 (one page: a kill cannot leave half of it; no rename per batch)."""
        data = canonical(make_checkpoint(records, head, self.key)).encode("utf-8")
        fd = self._checkpoint_fd
        try:  # still the file at that name (not deleted or replaced since it was opened)?
            same = fd is not None and os.stat(self.checkpoint_file).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if fd is None or not same:
            if fd is not None:
                os.close(fd)
            fd = self._checkpoint_fd = os.open(self.checkpoint_file, os.O_RDWR | os.O_CREAT, 0o644)
        os.pwrite(fd, data.ljust(CHECKPOINT_SIZE - 1) + b"\n", 0)
        if os.fstat(fd).st_size != CHECKPOINT_SIZE:
            os.ftruncate(fd, CHECKPOINT_SIZE)
        if self.fsync:
            os.fsync(fd)

    def _checkpoint(self) -> Any:
        try:
            with open(self.checkpoint_file, "rb") as handle:
                data = handle.read(65536)
        except FileNotFoundError:
            return None
        except OSError as error:
            return f"cannot be read: {error.strerror or error}"
        try:
            return _loads(data)
        except (ValueError, RecursionError):
            return data

    def append(self, bodies: list[dict]) -> None:
        handle = self.handle
        fcntl.flock(handle, fcntl.LOCK_EX)  # other processes appending wait their turn
        try:
            seq, prev, torn = self._tail()
            markers = []
            if torn is not None:  # a write cut short (never acknowledged): kept, and sealed
                start, data = torn
                handle.seek(0, os.SEEK_END)
                handle.write(b"\n")
                record = _complete(data, seq, prev)
                if record is not None:  # it was whole but for its newline: a record after all
                    seq, prev = record["seq"], record["hash"]
                else:
                    size = handle.seek(0, os.SEEK_END) - 1 - start
                    markers.append(_marker("torn", torn={"line": self._line_number(start), "bytes": size,
                                                         "sha256": _sha_range(handle, start, size)}))
            markers += self.markers(seq, prev, self._checkpoint(), self.checkpoint_file.name)
            records = seal(markers + bodies, seq, prev)
            handle.seek(0, os.SEEK_END)
            handle.write("".join(text + "\n" for _, text in records).encode("utf-8"))
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())
            self._store_checkpoint(records[-1][0]["seq"], records[-1][0]["hash"])
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

    def _tail(self) -> tuple[int, str, tuple[int, bytes | None] | None]:
        """(seq, hash) of the last whole record, and the torn last line (its offset and
        bytes, None when longer than a record can be) if the file does not end in a newline.
        Unreadable lines at the end are skipped (verify names them)."""
        handle = self.handle
        end = handle.seek(0, os.SEEK_END)
        torn = None
        if end:
            handle.seek(end - 1)
            if handle.read(1) != b"\n":
                start = _previous_newline(handle, end) + 1
                handle.seek(start)
                torn = (start, handle.read(end - start) if end - start <= MAX_RECORD else None)
                end = start
        while end > 0:  # end: just after a newline
            start = _previous_newline(handle, end - 1) + 1
            if end - 1 - start <= MAX_RECORD:
                handle.seek(start)
                try:
                    record = _loads(handle.read(end - 1 - start))
                except (ValueError, RecursionError):
                    record = None
                if _is_record(record):
                    return record["seq"], record["hash"], torn
            end = start
        return 0, GENESIS, torn

    def _line_number(self, offset: int) -> int:
        handle, count, position = self.handle, 1, 0
        handle.seek(0)
        while position < offset:
            data = handle.read(min(1 << 20, offset - position))
            count += data.count(b"\n")
            position += len(data)
        return count

    def close(self) -> None:
        self.handle.close()
        if self._checkpoint_fd is not None:
            os.close(self._checkpoint_fd)
            self._checkpoint_fd = None


def _complete(data: bytes | None, seq: int, prev: str) -> dict | None:
    """The torn last line as a record, when it is one whole (all but its newline) that
    continues the chain."""
    if data is None:
        return None
    try:
        record = _loads(data)
    except (ValueError, RecursionError):
        return None
    if (_is_record(record) and record["seq"] == seq + 1 and record.get("prev") == prev
            and stored_text(record) == data.decode("utf-8", "replace")):
        return record
    return None


def _sha_range(handle, start: int, size: int) -> str:
    digest, position, end = hashlib.sha256(), start, start + size
    handle.seek(start)
    while position < end:
        data = handle.read(min(1 << 20, end - position))
        if not data:
            break
        digest.update(data)
        position += len(data)
    return digest.hexdigest()


def stored_text(record: dict) -> str | None:
    """The exact text the writer stores for a record (canonical JSON, `hash` last);
    None when the record cannot be written as JSON at all."""
    try:
        body = canonical({k: v for k, v in record.items() if k != "hash"})
        return f'{body[:-1]},"hash":{json.dumps(record.get("hash"))}}}' if len(body) > 2 else None
    except (TypeError, ValueError, RecursionError):
        return None


# ---- reading, verifying, querying -------------------------------------------------------------------


@dataclass
class Entry:
    """One stored record, where it is, and what it says."""

    where: str  # "line 7" or "row 7"
    record: dict | None  # None when it is not a readable record
    stored_hash: str | None
    problem: str | None = None  # why it could not be read
    torn: bool = False  # a last line without its newline: a write cut short
    columns: dict = field(default_factory=dict)  # SQLite's indexed copies
    text: str | None = None  # the stored text (for the check that it is the writer's)
    digest: str | None = None  # SHA-256 and length of an unreadable line's bytes
    size: int = 0
    number: int = 0  # the line or row number


def entries(path: str | Path) -> Iterator[Entry]:
    """Every record of a log in stored order, read without trusting it. A file that is
    not a decision log at all raises LogError; a bad record is an Entry with a problem."""
    path = Path(path)
    if not path.exists():
        raise LogError(f"{path}: no such decision log")
    if path.is_dir():
        raise LogError(f"{path}: is a directory, not a decision log")
    if store_kind(path) == "sqlite":
        yield from _sqlite_entries(path)
        return
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise LogError(f"{path}: cannot read the decision log: {error.strerror or error}") from None
    with handle:
        number = 0
        while True:
            try:
                raw = handle.readline(MAX_RECORD + 1)
            except OSError as error:
                raise LogError(f"{path}: cannot read the decision log: {error.strerror or error}") from None
            if not raw:
                return
            number += 1
            entry = Entry(f"line {number}", None, None, number=number)
            if len(raw) > MAX_RECORD and not raw.endswith(b"\n"):  # too long: skip to its end
                digest, size = hashlib.sha256(raw), len(raw)
                while not raw.endswith(b"\n"):
                    raw = handle.readline(1 << 20)
                    if not raw:
                        break
                    data = raw[:-1] if raw.endswith(b"\n") else raw
                    digest.update(data)
                    size += len(data)
                entry.problem = f"is longer than {MAX_RECORD:,} bytes: not a record"
                entry.digest, entry.size = digest.hexdigest(), size
                entry.torn = not raw.endswith(b"\n")
                yield entry
                continue
            if not raw.endswith(b"\n"):
                entry.problem = "is an incomplete record (a write was cut short; never acknowledged)"
                entry.torn = True
                yield entry
                continue
            data = raw[:-1]
            entry.digest, entry.size = hashlib.sha256(data).hexdigest(), len(data)
            _read_record(entry, data)
            yield entry


def _read_record(entry: Entry, data: bytes | str) -> None:
    try:
        record = _loads(data)
    except (ValueError, RecursionError):
        entry.problem = "is not a JSON record"
        return
    if not isinstance(record, dict):
        entry.problem = f"is not a JSON record (a JSON {type(record).__name__.replace('dict', 'object')})"
        return
    entry.record = record
    entry.stored_hash = record.get("hash")
    entry.text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def _damaged_text(data: bytes) -> str:
    """TEXT read from SQLite: the writer only stores UTF-8, so bytes that are not
    are damage; they are kept visible (U+FFFD) and the record's hash no longer
    matches, so verify names the row instead of raising on it."""
    return data.decode("utf-8", "replace")


def _sqlite_entries(path: Path) -> Iterator[Entry]:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.text_factory = _damaged_text
    except sqlite3.Error as error:
        raise LogError(f"{path}: cannot read the decision log: {error}") from None
    try:
        rows = db.execute("SELECT seq, time, subject, purpose, effect, body, hash FROM records ORDER BY seq")
        for seq, when, subject, purpose, effect, body, stored in rows:
            entry = Entry(f"row {seq}", None, stored if isinstance(stored, str) else None, number=seq,
                          columns={"seq": seq, "time": when, "subject": subject, "purpose": purpose,
                                   "effect": effect})
            if isinstance(body, (str, bytes)) and len(body) <= MAX_RECORD:
                _read_record(entry, body)
                if entry.record is not None:
                    entry.stored_hash = stored if isinstance(stored, str) else None
                    if not isinstance(stored, str):
                        entry.problem = "has a `hash` column that is not text"
            else:
                entry.problem = ("has a body that is not text" if not isinstance(body, (str, bytes))
                                 else f"has a body longer than {MAX_RECORD:,} bytes: not a record")
            yield entry
    except sqlite3.Error as error:
        raise LogError(f"{path}: cannot read the decision log: {error}") from None
    except UnicodeDecodeError as error:  # the schema itself is damaged (names are always decoded)
        raise LogError(f"{path}: cannot read the decision log: the file is damaged ({error.reason} "
                       f"at byte {error.start} of a name)") from None
    finally:
        db.close()


def read_checkpoint(path: str | Path) -> tuple[Any, str]:
    """The stored checkpoint (None when there is none; raw data when unreadable) and
    where it is."""
    path = Path(path)
    if store_kind(path) == "sqlite":
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            db.text_factory = _damaged_text
            try:
                row = db.execute("SELECT body FROM checkpoint WHERE id = 1").fetchone()
            finally:
                db.close()
        except (sqlite3.Error, UnicodeDecodeError):
            return None, "the checkpoint table"
        if row is None:
            return None, "the checkpoint table"
        data = row[0]
        where = "the checkpoint table"
    else:
        where = checkpoint_path(path).name
        try:
            with open(checkpoint_path(path), "rb") as handle:
                data = handle.read(65536)
        except FileNotFoundError:
            return None, where
        except OSError as error:
            return f"cannot be read: {error.strerror or error}", where
    try:
        return (_loads(data) if isinstance(data, (str, bytes)) else data), where
    except (ValueError, RecursionError):
        return data, where


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


@dataclass
class Verification:
    records: int = 0
    head: str = GENESIS
    problems: list[tuple[str, str]] = field(default_factory=list)  # (where, what)
    #: not tampering: a last line cut short by a crash, a sealed torn write, a checkpoint
    #: whose signature could not be checked
    warnings: list[tuple[str, str]] = field(default_factory=list)
    #: "intact", "grown" (records written after the last checkpoint: fine), "truncated",
    #: "broken" (any other problem) — the first that applies, worst first
    state: str = "intact"
    checkpoint: dict | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(path: str | Path, head: str | None = None, key: str | bytes | None = None) -> Verification:
    """Check the chain record by record, and the log's end against its checkpoint
    (its signature too when `key` is given); every problem says where it is."""
    path = Path(path)
    secret = key if isinstance(key, bytes) else (key.encode("utf-8", "surrogatepass") if key else None)
    result = Verification()
    problem = result.problems.append
    numbers: collections.Counter = collections.Counter()
    claims: dict[int, dict] = {}  # torn lines that a later `torn` marker sealed, by line number
    for entry in entries(path):
        record = entry.record
        if _is_record(record):
            numbers[record["seq"]] += 1
            torn = record.get("torn") if record.get("kind") == "torn" else None
            if isinstance(torn, dict) and type(torn.get("line")) is int:
                claims[torn["line"]] = torn
    checkpoint, where_checkpoint = read_checkpoint(path)
    trusted = None
    if checkpoint is None:
        problem(("end", f"no checkpoint ({where_checkpoint} is missing): records removed from the end "
                 "cannot be told from a shorter log"))
    else:
        why = checkpoint_problem(checkpoint, secret)
        if why is not None:
            problem(("end", f"the checkpoint ({where_checkpoint}) {why}"))
        else:
            trusted = result.checkpoint = checkpoint
            if checkpoint.get("mac") is None:
                result.notes.append(("end", "the checkpoint is not signed (the log has no key): "
                                     "whoever can write the log can rewrite it"))
            elif secret is None:
                result.notes.append(("end", "the checkpoint's signature was not checked (give the "
                                     f"log's key: --key-file or ${KEY_ENV})"))
    grown = False
    at_checkpoint: list[str] = []  # the hashes of records numbered as the checkpoint says
    last_seq = 0
    prev, expected, placed = GENESIS, 1, True  # placed: the record before was where it belongs
    for entry in entries(path):
        if entry.torn:
            assert entry.problem is not None  # a torn entry says what it is
            result.warnings.append((entry.where, entry.problem))
            continue
        result.records += 1
        if entry.record is None:
            if _sealed(entry, claims):
                result.warnings.append((entry.where, "is a write cut short by a crash (never acknowledged), "
                                        "kept and sealed by a later `torn` record"))
                result.records -= 1
            else:
                problem((entry.where, entry.problem or "is not a record"))
            if type(entry.columns.get("seq")) is int:
                expected = max(expected, entry.columns["seq"] + 1)
            continue
        record = entry.record
        seq: Any = record.get("seq")
        if not _is_record(record):  # the writer does not chain from it either
            what = "sequence number" if type(seq) is not int or seq < 1 else "hash"
            problem((entry.where, f"is not a record: it has no {what}"))
            if type(entry.columns.get("seq")) is int:
                expected = max(expected, entry.columns["seq"] + 1)
            continue
        last_seq = max(last_seq, seq)
        if entry.problem:
            problem((entry.where, f"record {seq} {entry.problem}"))
        try:
            content = record_hash(record)
        except (TypeError, ValueError, RecursionError):
            content = None
        if entry.stored_hash != content or record.get("hash") != content:
            problem((entry.where, f"record {seq} was edited: its content no longer matches its hash"))
        elif entry.text is not None and stored_text(record) != entry.text:
            problem((entry.where, f"record {seq} was rewritten: its text is not the text the writer "
                     "wrote (same content, other bytes)"))
        shape = record_problems(record)
        if shape:
            problem((entry.where, f"record {seq} is malformed: {'; '.join(shape)}"))
        for column, value in entry.columns.items():
            if record.get(column) != value:
                problem((entry.where, f"record {seq} was edited: its `{column}` column says "
                         f"{value!r}, the record says {record.get(column)!r}"[:500]))
        if numbers[seq] > 1:
            problem((entry.where, f"record {seq} appears {numbers[seq]} times (a record was inserted "
                     "or copied)"))
        elif seq != expected:
            gap = range(expected, seq) if seq > expected else ()
            if seq < expected:
                problem((entry.where, f"record {seq} is out of order: it comes after record "
                         f"{expected - 1} (records were reordered)"))
            elif any(numbers[n] for n in gap) if len(gap) <= len(numbers) else any(
                    expected <= n < seq for n in numbers):
                problem((entry.where, f"record {seq} is out of order: record {expected} should come "
                         "before it (records were reordered)"))
            else:
                missing = f"record {expected} is" if seq == expected + 1 else f"records {expected}–{seq - 1} are"
                problem((entry.where, f"{missing} missing before record {seq} (deleted)"))
        elif record.get("prev") != prev and placed:
            problem((entry.where, f"record {seq} does not follow the record before it: that record "
                     "was changed, or one was inserted or removed, after this one was written"))
        _check_marker(entry, record, result)
        placed = numbers[seq] == 1 and seq == expected
        stored = entry.stored_hash if isinstance(entry.stored_hash, str) else content
        prev = stored if isinstance(stored, str) else GENESIS
        if trusted is not None and seq == trusted["records"]:
            at_checkpoint.append(prev)
        expected = max(expected, seq + 1)
    result.head = prev
    if trusted is not None:
        signed = trusted["records"]
        if last_seq < signed:
            problem(("end", f"truncated: {signed - last_seq} record(s) missing after record {last_seq} "
                     f"(the checkpoint says the log had {signed})"))
            result.state = "truncated"
        elif signed and trusted["head"] not in at_checkpoint:
            problem(("end", f"record {signed} is not the record the checkpoint signed: the log was "
                     f"rewritten at or before record {signed}"))
        elif last_seq > signed:
            grown = True
            result.notes.append(("end", f"grown since the last checkpoint (fine): {last_seq - signed} "
                                 f"record(s) after record {signed}, written after it (a writer stopped "
                                 "before updating it)"))
    if head is not None and head != prev:
        problem(("end", f"the log ends at {prev[:16]}…, not at the expected head {head[:16]}… "
                 "(records were removed from the end, or the head is from another log)"))
    if result.problems:
        result.state = "truncated" if result.state == "truncated" else "broken"
    elif grown:
        result.state = "grown"
    return result


def _check_marker(entry: Entry, record: dict, result: Verification) -> None:
    """A writer's marker record: what it found when it opened the log."""
    kind, seq = record.get("kind"), record.get("seq")
    found = _dict(record.get("found"))
    if kind == "truncated":
        signed = _dict(record.get("checkpoint"))
        result.problems.append((entry.where, f"record {seq}: when it was written the log ended at record "
                                f"{found.get('records')}, but its checkpoint said {signed.get('records')} "
                                "(records were removed from the end, or the log was rewritten)"))
    elif kind == "no-checkpoint":
        result.problems.append((entry.where, f"record {seq}: when it was written, {record.get('why')} at "
                                f"record {found.get('records')} (records removed from the end before "
                                "then could not be detected)"))
    elif kind == "torn":
        torn = _dict(record.get("torn"))
        result.warnings.append((entry.where, f"record {seq} sealed a write cut short at line "
                                f"{torn.get('line')} (a writer was stopped mid-write)"))


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _subject(record: dict) -> Any:
    subject = record.get("subject")
    return subject if isinstance(subject, str) else None


def decisions(path: str | Path, problems: list | None = None) -> Iterator[tuple[Entry, dict]]:
    """The readable decision records (markers skipped); the others, each with where it
    is, go to `problems` at the end (a torn last line from a crash, and a torn write
    sealed by a `torn` record, are not problems: they were never acknowledged)."""
    unreadable, claims = [], {}
    for entry in entries(path):
        record = entry.record
        if entry.torn:
            continue
        if not _is_record(record):
            unreadable.append(entry)
            continue
        if record.get("kind") in MARKERS:
            torn = record.get("torn")
            if record["kind"] == "torn" and isinstance(torn, dict) and type(torn.get("line")) is int:
                claims[torn["line"]] = torn
            continue
        shape = record_problems(record)
        if shape:
            if problems is not None:
                problems.append((entry.where, f"record {record['seq']} is malformed: {shape[0]}"))
            continue
        yield entry, record
    if problems is not None:
        for entry in unreadable:
            if not _sealed(entry, claims):
                problems.append((entry.where, entry.problem or "is not a record: it has no sequence number "
                                 "or hash"))


def _sealed(entry: Entry, claims: dict) -> bool:
    """Whether an unreadable line is the torn write that a later `torn` record sealed."""
    claim = claims.get(entry.number)
    return (claim is not None and entry.record is None and not entry.columns
            and claim.get("bytes") == entry.size and claim.get("sha256") == entry.digest)


def query(path: str | Path, subject: str, key: str | bytes | None = None,
          problems: list | None = None) -> list[dict]:
    """The records about one person, found by their pseudonym (same key as the log).
    Refuses (LogError) when the log pseudonymises subjects and no key (or another
    key) is given: an empty answer would be wrong. Unreadable records, which might be
    this person's, go to `problems` with where they are."""
    secret = log_key(key)
    expected_id = key_id(secret)
    raw, hashed = subject, (pseudonym(secret, subject) if secret is not None else None)
    found: list[dict] = []
    ids: set[str] = set()
    for _, record in decisions(path, problems):
        kid = record.get("key_id")
        if kid is not None:
            ids.add(kid)
        if record.get("subject") == (raw if kid is None else hashed):
            found.append(record)
    if ids and secret is None:
        raise LogError(f"this log pseudonymises subject ids (key id {', '.join(sorted(ids))}): give its key "
                       f"(--key-file, or ${KEY_ENV}) to find a subject's records")
    if ids - {expected_id}:
        raise LogError(f"this key is not the log's key (the log's key id: {', '.join(sorted(ids))}; "
                       f"this key's: {expected_id})")
    return found


def stats(path: str | Path) -> dict:
    """Allows and denies in total, by purpose and by rule (denies by reason); the
    records that could not be read, with where they are, under `problems`."""
    totals: collections.Counter[str] = collections.Counter()
    by_purpose: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    by_rule: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    first = last = None
    problems: list = []
    for _, record in decisions(path, problems):
        effect = record["effect"]
        totals[effect] += 1
        by_purpose[str(record.get("purpose"))][effect] += 1
        rules = {str(reason.get("rule") or reason.get("kind")) for reason in record["reasons"]}
        for rule in rules or {"(none)"}:
            by_rule[rule][effect] += 1
        when = record["time"]
        first = when if first is None or when < first else first
        last = when if last is None or when > last else last

    def table(counters):
        return {name: {"allow": c["allow"], "deny": c["deny"]}
                for name, c in sorted(counters.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))}

    return {"records": sum(totals.values()), "allow": totals["allow"], "deny": totals["deny"],
            "from": first, "to": last, "by_purpose": table(by_purpose), "by_rule": table(by_rule),
            "problems": [{"where": w, "message": m} for w, m in problems]}


__all__ = ["DecisionLog", "LogError", "Verification", "json_safe", "pseudonym", "query", "stats", "verify"]
