"""The writer: `DecisionLog`, which records decisions from many threads through
a queue and a background thread (or synchronously), and never loses a batch
to one bad value."""

from __future__ import annotations

import atexit
import collections
import marshal
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from ...decide.decision import Decision
from .records import (ESCAPED, KEY_ENV, LogError, MAX_DEPTH, MAX_RECORD, Opaque, Prepared, canonical,
                      canonical_plain, encode_basestring, is_plain, iso_time, json_safe, key_id, log_key, logger,
                      pseudonym, safe_repr, text_of, valid_text)
from .stores import open_store


class DecisionLog:
    """An append-only, hash-chained log of decisions (see `engine.runtime.log`).

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
        self._decision_parts: dict[int, tuple[Decision, tuple[str, str, str, str] | None]] = {}
        self._pseudonyms: dict[str, str] = {}
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

    def _safe_body(self, when: float, snapshot: Any, decision: Decision) -> dict | Prepared:
        """The record of one decision: `prepared` for a plain event, else `_body`, or —
        when the event or decision cannot even be read — a record that says so: one bad
        item never takes the rest of its batch with it."""
        try:
            event = self.pseudonymised(_restore(snapshot))
            try:
                fast = self.prepared(when, event, decision)
            except Exception:  # noqa: BLE001 — the dict route says what is wrong with it
                fast = None
            return fast if fast is not None else self._body(when, event, decision)
        except Exception as error:  # noqa: BLE001
            return {"time": iso_time(when), "digest": text_of(getattr(decision, "digest", None)),
                    "key_id": self.key_id, "subject": None, "purpose": None,
                    "effect": "allow" if getattr(decision, "effect", None) == "allow" else "deny",
                    "reasons": [], "obligations": [],
                    "event": {ESCAPED: "unreadable", "error": f"{type(error).__name__}: {safe_repr(error)}"}}

    def _body(self, when: float, event: Any, decision: Decision) -> dict:
        """A record without its place in the chain (seq, prev, hash: the store adds them),
        of the event as restored and pseudonymised."""
        subject = event.get("subject") if isinstance(event, dict) else None
        return {
            "time": iso_time(when),
            "digest": decision.digest,
            "key_id": self.key_id,
            "subject": text_of(subject.get("id")) if isinstance(subject, dict) else None,
            "purpose": text_of(event.get("purpose")) if isinstance(event, dict) else None,
            "effect": decision.effect,
            "reasons": self.reasons(decision),
            "obligations": list(decision.obligations),
            "event": event,
        }

    def prepared(self, when: float, event: Any, decision: Decision) -> Prepared | None:
        """`_body` as the text `seal` stores, made from pieces: the decision's part once
        per decision, the event's canonical JSON, the rest by hand. None when the event
        or decision is not plain JSON or the record could be too large: `_body` then
        makes it (and `seal` escapes what it must)."""
        if type(event) is not dict or not is_plain(event):
            return None
        parts = self._parts(decision)
        if parts is None:
            return None
        head, after, middle, effect = parts
        text = canonical_plain(event)
        if not text.isascii():
            text.encode("utf-8")  # a lone surrogate raises: the dict route escapes it
        if len(text) > MAX_PREPARED:
            return None
        subject = event.get("subject")
        subject = text_of(subject.get("id")) if type(subject) is dict else None
        purpose = text_of(event.get("purpose"))
        stamp = iso_time(when)
        return Prepared(f"{head}{text}{after}", f'"purpose":{_json_text(purpose)},{middle}',
                        f'"subject":{_json_text(subject)},"time":"{stamp}"}}', stamp, subject, purpose, effect)

    def _parts(self, decision: Decision) -> tuple[str, str, str, str] | None:
        """The decision's pieces of `prepared`'s text (None when not plain JSON), made
        once per decision: the fast path shares decision objects."""
        known = self._decision_parts.get(id(decision))
        if known is not None and known[0] is decision:
            return known[1]
        fields = {"digest": decision.digest, "effect": decision.effect,
                  "obligations": list(decision.obligations), "reasons": self.reasons(decision)}
        parts = None
        if is_plain(fields) and fields["effect"] in ("allow", "deny"):
            text = {name: canonical(value) for name, value in fields.items()}
            if all(len(t) < MAX_PREPARED for t in text.values()) and valid_text("".join(text.values())):
                parts = (f'{{"digest":{text["digest"]},"effect":{text["effect"]},"event":',
                         f',"key_id":{canonical(self.key_id)},"obligations":{text["obligations"]}',
                         f'"reasons":{text["reasons"]}', fields["effect"])
        if len(self._decision_parts) >= 10_000:
            self._decision_parts.clear()
        self._decision_parts[id(decision)] = (decision, parts)
        return parts

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
                value = parent[path[-1]]
                if type(value) is not str:
                    parent[path[-1]] = pseudonym(key, value)
                    continue
                known = self._pseudonyms.get(value)  # a subject is usually logged many times
                if known is None:
                    if len(self._pseudonyms) >= 65_536:
                        self._pseudonyms.clear()
                    known = self._pseudonyms[value] = pseudonym(key, value)
                parent[path[-1]] = known
        return event


#: a prepared record's pieces stay under this many characters (4 bytes each at most in
#: UTF-8, so the record stays under MAX_RECORD); longer ones go the dict route
MAX_PREPARED = (MAX_RECORD - 65536) // 16


def _json_text(value: str | None) -> str:
    """A string or null as JSON (as `canonical` writes it)."""
    return "null" if value is None else encode_basestring(value)


_OPEN: "weakref.WeakSet[DecisionLog]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:  # a normal exit writes what is queued
    for log in list(_OPEN):
        try:
            log.close()
        except Exception:  # noqa: BLE001
            pass


def _copy(value: Any, depth: int = 0, active: set | None = None) -> Any:
    """A copy of an event marshal cannot copy: containers copied (their types kept, for
    `json_safe` to escape once, later), data kept, anything else escaped now."""
    if value is None or isinstance(value, (str, int, float, bytes)):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if not isinstance(value, (dict, list, tuple, set, frozenset)):
        return Opaque(json_safe(value))
    if depth >= MAX_DEPTH:
        return Opaque({ESCAPED: "too-deep", "type": type(value).__qualname__})
    active = set() if active is None else active
    if id(value) in active:
        return Opaque({ESCAPED: "cycle", "type": type(value).__qualname__})
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
        return Opaque({ESCAPED: "unreadable", "type": type(value).__qualname__, "error": type(error).__name__})
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
