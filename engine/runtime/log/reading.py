"""Reading a log back: its entries in order, `verify` (chain, checkpoint,
markers), and the `decisions`, `query` and `stats` built on it."""

from __future__ import annotations

import collections
import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .records import (GENESIS, KEY_ENV, LogError, MARKERS, MAX_RECORD, as_dict, damaged_text,
                      is_record, key_id, log_key, pseudonym, read_json, record_hash,
                      record_problems, store_kind, stored_text)
from .checkpoints import checkpoint_problem, read_checkpoint


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
        record = read_json(data)
    except (ValueError, RecursionError):
        entry.problem = "is not a JSON record"
        return
    if not isinstance(record, dict):
        entry.problem = f"is not a JSON record (a JSON {type(record).__name__.replace('dict', 'object')})"
        return
    entry.record = record
    entry.stored_hash = record.get("hash")
    entry.text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def _sqlite_entries(path: Path) -> Iterator[Entry]:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.text_factory = damaged_text
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
        if is_record(record):
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
        if not is_record(record):  # the writer does not chain from it either
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
    found = as_dict(record.get("found"))
    if kind == "truncated":
        signed = as_dict(record.get("checkpoint"))
        result.problems.append((entry.where, f"record {seq}: when it was written the log ended at record "
                                f"{found.get('records')}, but its checkpoint said {signed.get('records')} "
                                "(records were removed from the end, or the log was rewritten)"))
    elif kind == "no-checkpoint":
        result.problems.append((entry.where, f"record {seq}: when it was written, {record.get('why')} at "
                                f"record {found.get('records')} (records removed from the end before "
                                "then could not be detected)"))
    elif kind == "torn":
        torn = as_dict(record.get("torn"))
        result.warnings.append((entry.where, f"record {seq} sealed a write cut short at line "
                                f"{torn.get('line')} (a writer was stopped mid-write)"))


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
        if not is_record(record):
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
