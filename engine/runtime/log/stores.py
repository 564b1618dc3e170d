"""Stores: where records are written, a JSON-lines file or an SQLite database,
each appending sealed batches and keeping its checkpoint."""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Sequence

from .records import (GENESIS, HEX64, LogError, MAX_RECORD, Prepared, canonical, damaged_text, is_record,
                      marker, read_json, seal, store_kind, stored_text)
from .checkpoints import CHECKPOINT_SIZE, checkpoint_path, checkpoint_problem, make_checkpoint


def open_store(path: Path, kind: str | None, fsync: bool, key: bytes | None = None) -> "Store":
    kind = kind or store_kind(path)
    if kind == "jsonl":
        return JsonLinesStore(path, fsync, key)
    if kind == "sqlite":
        return SqliteStore(path, fsync, key)
    raise LogError(f"unknown log store `{kind}` (sqlite or jsonl)")


class Store(ABC):
    """Appends chained records, keeps the checkpoint; reads them back in order."""

    key: bytes | None = None

    @abstractmethod
    def append(self, bodies: Sequence[dict | Prepared]) -> None:
        """Store the records, in order, durably before returning."""

    def close(self) -> None:
        pass

    def markers(self, seq: int, head: str, checkpoint: Any, where: str) -> list[dict]:
        """What the writer records before its own records when the log's end (record
        `seq`, hash `head`) does not match its checkpoint: never moved backwards silently."""
        if checkpoint is None:
            if seq == 0:
                return []
            return [marker("no-checkpoint", found={"records": seq, "head": head},
                            why=f"{where} was missing")]
        problem = checkpoint_problem(checkpoint, self.key)
        if problem is not None:
            return [marker("no-checkpoint", found={"records": seq, "head": head},
                            why=f"the checkpoint {problem}")]
        if seq > checkpoint["records"] or (seq == checkpoint["records"] and head == checkpoint["head"]):
            return []  # grown since (a writer stopped before updating it), or exactly there
        return [marker("truncated", found={"records": seq, "head": head},
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

    INSERT = "INSERT INTO records (seq, time, subject, purpose, effect, body, hash) VALUES "
    ROW = "(?,?,?,?,?,?,?)"

    def _insert(self, count: int) -> str:
        """The statement inserting `count` rows (sqlite3 caches it by its text)."""
        statement = self._statements.get(count)
        if statement is None:
            statement = self._statements[count] = self.INSERT + ",".join([self.ROW] * count)
        return statement

    def __init__(self, path: Path, fsync: bool, key: bytes | None = None):
        self.path, self.key = path, key
        try:
            self.db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
            self.db.text_factory = damaged_text
            # rows per INSERT: as many as the build's bound-parameter limit allows, at most 500
            self.rows = max(1, min(500, self.db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 7))
            self._statements: dict[int, str] = {}
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
            return read_json(row[0]) if isinstance(row[0], (str, bytes)) else row[0]
        except (ValueError, RecursionError):
            return row[0]

    def append(self, bodies: Sequence[dict | Prepared]) -> None:
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
            records = seal([*markers, *bodies], seq, prev)
            # a few statements for the whole batch, many rows each: sqlite3 lets go of the GIL
            # around each statement, and getting it back (from a busy caller) is what costs
            rows = self.rows
            for start in range(0, len(records), rows):
                chunk = records[start:start + rows]
                values: list = []
                for r, text in chunk:
                    values += (r["seq"], r["time"], r.get("subject"), r.get("purpose"), r["effect"], text, r["hash"])
                db.execute(self._insert(len(chunk)), values)
            self._store_checkpoint(records[-1][0]["seq"], records[-1][0]["hash"])
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()


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
            return read_json(data)
        except (ValueError, RecursionError):
            return data

    def append(self, bodies: Sequence[dict | Prepared]) -> None:
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
                    markers.append(marker("torn", torn={"line": self._line_number(start), "bytes": size,
                                                         "sha256": _sha_range(handle, start, size)}))
            markers += self.markers(seq, prev, self._checkpoint(), self.checkpoint_file.name)
            records = seal([*markers, *bodies], seq, prev)
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
                    record = read_json(handle.read(end - 1 - start))
                except (ValueError, RecursionError):
                    record = None
                if is_record(record):
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
        record = read_json(data)
    except (ValueError, RecursionError):
        return None
    if (is_record(record) and record["seq"] == seq + 1 and record.get("prev") == prev
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
