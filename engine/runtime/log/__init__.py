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

from .checkpoints import CHECKPOINT_SIZE, checkpoint_path
from .reading import Entry, Verification, decisions, entries, query, stats, verify
from .records import ESCAPED, GENESIS, LogError, json_safe, pseudonym, record_hash
from .writer import DecisionLog

#: the log's public face (`from engine import log`): write with DecisionLog, read
#: back with entries, decisions, verify, query and stats
__all__ = ["CHECKPOINT_SIZE", "DecisionLog", "ESCAPED", "Entry", "GENESIS", "LogError", "Verification",
           "checkpoint_path", "decisions", "entries", "json_safe", "pseudonym", "query", "record_hash",
           "stats", "verify"]
