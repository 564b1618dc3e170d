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
record, which `verify` names. Deleting records at the end leaves a shorter valid
chain: keep the head hash (`lawful log verify` prints it) somewhere else and
pass it back (`--head`) to detect that too.

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
import os
import sqlite3
import threading
import time
import weakref
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from .model import Decision

logger = logging.getLogger("lawful")

GENESIS = "0" * 64
KEY_ENV = "LAWFUL_LOG_KEY"
SQLITE_MAGIC = b"SQLite format 3\x00"
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


class LogError(Exception):
    """The decision log cannot be opened, written or read."""


# ---- pseudonyms ------------------------------------------------------------------------------


def log_key(key: str | bytes | None) -> bytes | None:
    """The pseudonymisation key: given, or from $LAWFUL_LOG_KEY; None when neither."""
    if key is None:
        key = os.environ.get(KEY_ENV) or None
    if key is None:
        return None
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def pseudonym(key: bytes, value: Any) -> str:
    """The keyed hash that stands for an identifier in the log."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return "hmac-sha256:" + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def key_id(key: bytes | None) -> str | None:
    """A short public fingerprint of the key, so a query with the wrong key says so."""
    return None if key is None else hmac.new(key, b"lawful decision log", hashlib.sha256).hexdigest()[:16]


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_hash(record: dict) -> str:
    """SHA-256 of the record's canonical JSON, without its own `hash`."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


# ---- the log ------------------------------------------------------------------------------------


class DecisionLog:
    """An append-only, hash-chained log of decisions (see the module's doc).

    `path` ending in .jsonl/.ndjson is JSON lines, anything else SQLite (or say
    `store="sqlite"|"jsonl"`). `key` (or $LAWFUL_LOG_KEY) pseudonymises
    `identifiers` — dotted paths into the event, `subject.id` by default; without a
    key the log refuses to open unless `raw_identifiers=True`. `fsync=True` also
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
        self.writer = open_store(self.path, store, fsync)
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
            items, markers = [], []
            while queue and len(items) < self.batch:
                item = queue.popleft()
                (markers if isinstance(item, threading.Event) else items).append(item)
            if items:
                try:
                    self.writer.append([self._body(*item) for item in items])
                except Exception as error:  # noqa: BLE001 — reported to flush() and the logger
                    self._failure = error
                    self._failures += 1
                    logger.error("the decision log could not be written (%d record(s) lost): %s",
                                 len(items), error)
            for marker in markers:
                marker.set()

    def _body(self, when: float, event: Any, decision: Decision) -> dict:
        """A record without its place in the chain (seq, prev, hash: the store adds them)."""
        event = self.pseudonymised(_restore(event))
        subject = event.get("subject") if isinstance(event, dict) else None
        return {
            "time": datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="microseconds")
            .replace("+00:00", "Z"),
            "digest": decision.digest,
            "key_id": self.key_id,
            "subject": subject.get("id") if isinstance(subject, dict) else None,
            "purpose": event.get("purpose") if isinstance(event, dict) else None,
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
        for path in self.identifiers:
            parent, ok = event, True
            for part in path[:-1]:
                child = parent.get(part) if isinstance(parent, dict) else None
                if not isinstance(child, dict):
                    ok = False
                    break
                parent = child
            if ok and path[-1] in parent and parent[path[-1]] is not None:
                parent[path[-1]] = pseudonym(self.key, parent[path[-1]])
        return event


_OPEN: "weakref.WeakSet[DecisionLog]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:  # a normal exit writes what is queued
    for log in list(_OPEN):
        try:
            log.close()
        except Exception:  # noqa: BLE001
            pass


def _snapshot(event: Any) -> Any:
    """A copy of the event as it is now, cheaply (the caller may change it later)."""
    if isinstance(event, dict):
        try:
            return marshal.dumps(event)
        except ValueError:  # not plain data: its JSON form
            return json.dumps(event, default=str)
    if hasattr(event, "model_dump"):  # an engine.Event: immutable
        return event
    return json.dumps(event, default=str)


def _restore(snapshot: Any) -> Any:
    if isinstance(snapshot, bytes):
        return marshal.loads(snapshot)
    if isinstance(snapshot, str):
        try:
            return json.loads(snapshot)
        except ValueError:
            return snapshot
    if hasattr(snapshot, "model_dump"):
        return snapshot.model_dump(mode="json", exclude_defaults=True)
    return snapshot


# ---- stores ---------------------------------------------------------------------------------------


def open_store(path: Path, kind: str | None, fsync: bool) -> "Store":
    kind = kind or store_kind(path)
    if kind == "jsonl":
        return JsonLinesStore(path, fsync)
    if kind == "sqlite":
        return SqliteStore(path, fsync)
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


class Store(ABC):
    """Appends chained records; reads them back in order."""

    @abstractmethod
    def append(self, bodies: list[dict]) -> None:
        """Store the records, in order, durably before returning."""

    def close(self) -> None:
        pass


def chain(bodies: list[dict], seq: int, prev: str) -> list[tuple[dict, str]]:
    """Number and hash records after the one numbered `seq` with hash `prev`: each
    record (with its `hash`) and its stored text (canonical JSON, `hash` last)."""
    records = []
    sha256 = hashlib.sha256
    for body in bodies:
        seq += 1
        record = {"seq": seq, **body, "prev": prev}
        text = canonical(record)
        prev = record["hash"] = sha256(text.encode("utf-8")).hexdigest()
        records.append((record, f'{text[:-1]},"hash":"{prev}"}}'))
    return records


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

    INSERT = """
        INSERT INTO records (seq, time, subject, purpose, effect, body, hash)
        SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
               json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),
               json_extract(value, '$[6]')
        FROM json_each(?)
    """

    def __init__(self, path: Path, fsync: bool):
        try:
            self.db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self.db.executescript(self.SCHEMA)
        except sqlite3.Error as error:
            raise LogError(f"{path}: cannot open the decision log: {error}") from None

    def append(self, bodies: list[dict]) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")  # the chain's end is read and extended in one transaction
        try:
            last = db.execute("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1").fetchone()
            records = chain(bodies, *(last or (0, GENESIS)))
            # one statement for the whole batch (rows passed as one JSON array): sqlite3 lets
            # go of the GIL around each statement, and getting it back is what costs
            db.execute(self.INSERT, (json.dumps(
                [(r["seq"], r["time"], r["subject"], r["purpose"], r["effect"], text, r["hash"])
                 for r, text in records], ensure_ascii=False),))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()


class JsonLinesStore(Store):
    def __init__(self, path: Path, fsync: bool):
        self.path, self.fsync = path, fsync
        try:
            self.handle = open(path, "a+b")
        except OSError as error:
            raise LogError(f"{path}: cannot open the decision log: {error.strerror or error}") from None

    def append(self, bodies: list[dict]) -> None:
        handle = self.handle
        fcntl.flock(handle, fcntl.LOCK_EX)  # other processes appending wait their turn
        try:
            seq, prev, end = self._tail()
            if end is not None:  # a write cut short (never acknowledged): drop the torn line
                handle.truncate(end)
            records = chain(bodies, seq, prev)
            handle.seek(0, os.SEEK_END)
            handle.write("".join(text + "\n" for _, text in records).encode("utf-8"))
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

    def _tail(self) -> tuple[int, str, int | None]:
        """(seq, hash) of the last whole record, and where a torn last line starts."""
        handle = self.handle
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return 0, GENESIS, None
        chunk = 4096
        while True:
            start = max(0, size - chunk)
            handle.seek(start)
            data = handle.read(size - start)
            torn = None
            if not data.endswith(b"\n"):
                cut = data.rfind(b"\n")
                if cut < 0 and start > 0:
                    chunk *= 4
                    continue
                torn = start + cut + 1
                data = data[:cut + 1]
            lines = data.rstrip(b"\n").split(b"\n")
            if (len(lines) > 1 or start == 0) and lines[-1]:
                record = json.loads(lines[-1])
                return record["seq"], record["hash"], torn
            if start == 0:
                return 0, GENESIS, torn
            chunk *= 4

    def close(self) -> None:
        self.handle.close()


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


def entries(path: str | Path) -> Iterator[Entry]:
    """Every record of a log in stored order, read without trusting it."""
    path = Path(path)
    if not path.exists():
        raise LogError(f"{path}: no such decision log")
    if store_kind(path) == "sqlite":
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            rows = db.execute("SELECT seq, time, subject, purpose, effect, body, hash FROM records ORDER BY seq")
            for seq, when, subject, purpose, effect, body, stored in rows:
                entry = Entry(f"row {seq}", None, stored,
                              columns={"seq": seq, "time": when, "subject": subject, "purpose": purpose,
                                       "effect": effect})
                try:
                    entry.record = json.loads(body)
                except (TypeError, ValueError):
                    entry.problem = "is not a JSON record"
                yield entry
            db.close()
        except sqlite3.Error as error:
            raise LogError(f"{path}: cannot read the decision log: {error}") from None
        return
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise LogError(f"{path}: cannot read the decision log: {error.strerror or error}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            entry = Entry(f"line {number}", None, None)
            if not raw.endswith(b"\n"):
                entry.problem = "is an incomplete record (a write was cut short; never acknowledged)"
                entry.torn = True
            else:
                try:
                    record = json.loads(raw)
                    entry.record = record if isinstance(record, dict) else None
                    entry.stored_hash = record.get("hash") if isinstance(record, dict) else None
                    if entry.record is None:
                        entry.problem = "is not a JSON record"
                except ValueError:
                    entry.problem = "is not a JSON record"
            yield entry


@dataclass
class Verification:
    records: int = 0
    head: str = GENESIS
    problems: list[tuple[str, str]] = field(default_factory=list)  # (where, what)
    #: not tampering: a last line cut short by a crash (never acknowledged; the next
    #: writer drops it)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(path: str | Path, head: str | None = None) -> Verification:
    """Check the chain record by record; every problem says where it is."""
    result = Verification()
    problem = result.problems.append
    numbers = collections.Counter(e.record.get("seq") for e in entries(path) if e.record is not None)
    prev, expected, placed = GENESIS, 1, True  # placed: the record before was where it belongs
    for entry in entries(path):
        if entry.torn:
            result.warnings.append((entry.where, entry.problem))
            continue
        result.records += 1
        if entry.record is None:
            problem((entry.where, entry.problem or "is not a record"))
            continue
        record = entry.record
        seq = record.get("seq")
        if type(seq) is not int:
            problem((entry.where, "has no sequence number"))
            continue
        content = record_hash(record)
        if entry.stored_hash != content or record.get("hash") != content:
            problem((entry.where, f"record {seq} was edited: its content no longer matches its hash"))
        for column, value in entry.columns.items():
            if record.get(column) != value:
                problem((entry.where, f"record {seq} was edited: its `{column}` column says "
                         f"{value!r}, the record says {record.get(column)!r}"))
        if numbers[seq] > 1:
            problem((entry.where, f"record {seq} appears {numbers[seq]} times (a record was inserted "
                     "or copied)"))
        elif seq != expected:
            gap = range(expected, seq) if seq > expected else ()
            if seq < expected:
                problem((entry.where, f"record {seq} is out of order: it comes after record "
                         f"{expected - 1} (records were reordered)"))
            elif any(numbers[n] for n in gap):
                problem((entry.where, f"record {seq} is out of order: record {expected} should come "
                         "before it (records were reordered)"))
            else:
                missing = f"record {expected} is" if seq == expected + 1 else f"records {expected}–{seq - 1} are"
                problem((entry.where, f"{missing} missing before record {seq} (deleted)"))
        elif record.get("prev") != prev and placed:
            problem((entry.where, f"record {seq} does not follow the record before it: that record "
                     "was changed, or one was inserted or removed, after this one was written"))
        placed = numbers[seq] == 1 and seq == expected
        prev = entry.stored_hash if isinstance(entry.stored_hash, str) else content
        expected = max(expected, seq + 1)
    result.head = prev
    if head is not None and head != prev:
        problem(("end", f"the log ends at {prev[:16]}…, not at the expected head {head[:16]}… "
                 "(records were removed from the end, or the head is from another log)"))
    return result


def query(path: str | Path, subject: str, key: str | bytes | None = None) -> list[dict]:
    """The records about one person, found by their pseudonym (same key as the log)."""
    secret = log_key(key)
    wanted = {subject} if secret is None else {pseudonym(secret, subject), subject}
    expected_id = key_id(secret)
    found, ids = [], set()
    for entry in entries(path):
        record = entry.record
        if record is None:
            continue
        ids.add(record.get("key_id"))
        if record.get("subject") in wanted:
            found.append(record)
    if not found and secret is not None and ids - {None} and expected_id not in ids:
        raise LogError(f"this key is not the log's key (the log's key id: "
                       f"{', '.join(sorted(i for i in ids if i))}; this key's: {expected_id})")
    return found


def stats(path: str | Path) -> dict:
    """Allows and denies in total, by purpose and by rule (denies by reason)."""
    totals = collections.Counter()
    by_purpose: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    by_rule: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    first = last = None
    for entry in entries(path):
        record = entry.record
        if record is None:
            continue
        effect = record.get("effect", "?")
        totals[effect] += 1
        by_purpose[str(record.get("purpose"))][effect] += 1
        rules = {reason.get("rule") or reason.get("kind") for reason in record.get("reasons", [])}
        for rule in rules or {"(none)"}:
            by_rule[str(rule)][effect] += 1
        when = record.get("time")
        first = when if first is None or (when and when < first) else first
        last = when if last is None or (when and when > last) else last

    def table(counters):
        return {name: {"allow": c["allow"], "deny": c["deny"]}
                for name, c in sorted(counters.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))}

    return {"records": sum(totals.values()), "allow": totals["allow"], "deny": totals["deny"],
            "from": first, "to": last, "by_purpose": table(by_purpose), "by_rule": table(by_rule)}


__all__ = ["DecisionLog", "LogError", "Verification", "pseudonym", "query", "stats", "verify"]
