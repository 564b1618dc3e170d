"""The decision log: records, pseudonyms, the hash chain and what breaks it,
query and stats, the CLI, and durability under SIGKILL (a real subprocess)."""

from __future__ import annotations

import datetime
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import engine
from engine.runtime import log as decision_log
from engine.cli import main
from helpers import AT, policy

POLICY = policy("""
permit billing on contact.email
rule no_us: forbid * when destination == US because "stays in Europe"
""")
KEY = "test-key"
STORES = ["decisions.db", "decisions.jsonl"]


def billing(subject_id: str, destination: str = "DE", n: int = 0) -> dict:
    return {"purpose": "billing", "categories": ["contact.email"], "destination": destination,
            "subject": {"id": subject_id, "age": 30}, "context": {"n": n}, "at": AT}


def write(path: Path, events: list[dict], **options) -> list[engine.Decision]:
    decisions = []
    with engine.DecisionLog(path, key=KEY, **options) as log:
        for data in events:
            decision = POLICY.evaluate(data)
            log.record(data, decision)
            decisions.append(decision)
    return decisions


def records(path: Path) -> list[dict]:
    return [entry.record for entry in decision_log.entries(path)]


EVENTS = [billing("alice", n=1), billing("bob", "US", n=2), billing("alice", n=3), billing("carol", n=4),
          billing("alice", "US", n=5)]


@pytest.mark.parametrize("name", STORES)
def test_records_hold_what_was_decided_with_pseudonymised_subjects(tmp_path, name):
    path = tmp_path / name
    decisions = write(path, EVENTS)
    stored = records(path)
    assert [r["seq"] for r in stored] == [1, 2, 3, 4, 5]
    assert [r["effect"] for r in stored] == [d.effect for d in decisions]
    assert [r["digest"] for r in stored] == [POLICY.digest] * 5
    assert stored[1]["reasons"][0]["rule"] == "no_us" and stored[1]["reasons"][0]["kind"] == "forbidden"
    assert [r["event"]["context"]["n"] for r in stored] == [1, 2, 3, 4, 5]
    alice = decision_log.pseudonym(KEY.encode(), "alice")
    assert stored[0]["subject"] == stored[0]["event"]["subject"]["id"] == alice
    assert stored[0]["prev"] == decision_log.GENESIS and stored[1]["prev"] == stored[0]["hash"]
    raw = path.read_bytes()
    assert b"alice" not in raw and b"bob" not in raw  # never stored in the clear
    assert decision_log.verify(path).intact


def test_raw_identifiers_only_when_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("LAWFUL_LOG_KEY", raising=False)
    with pytest.raises(engine.LogError, match="needs a key"):
        engine.DecisionLog(tmp_path / "x.db")
    with engine.DecisionLog(tmp_path / "raw.jsonl", raw_identifiers=True) as log:
        log.record(billing("alice"), POLICY.evaluate(billing("alice")))
    assert records(tmp_path / "raw.jsonl")[0]["subject"] == "alice"
    monkeypatch.setenv("LAWFUL_LOG_KEY", "from-env")
    with engine.DecisionLog(tmp_path / "env.jsonl", identifiers=["subject.id", "context.email"]) as log:
        data = {**billing("alice"), "context": {"email": "a@example.org"}}
        log.record(data, POLICY.evaluate(data))
    [stored] = records(tmp_path / "env.jsonl")
    assert stored["event"]["context"]["email"] == decision_log.pseudonym(b"from-env", "a@example.org")
    assert data["context"]["email"] == "a@example.org"  # the caller's event is untouched


def test_the_event_is_logged_as_it_was_when_recorded(tmp_path):
    path = tmp_path / "d.jsonl"
    data = billing("alice")
    with engine.DecisionLog(path, key=KEY) as log:
        log.record(data, POLICY.evaluate(data))
        data["subject"]["age"] = 99  # changed after recording
    assert records(path)[0]["event"]["subject"]["age"] == 30


def test_the_chain_continues_across_writers(tmp_path):
    for name in STORES:
        path = tmp_path / name
        write(path, EVENTS[:2])
        write(path, EVENTS[2:])
        assert [r["seq"] for r in records(path)] == [1, 2, 3, 4, 5]
        assert decision_log.verify(path).intact


# ---- tampering ---------------------------------------------------------------------------------


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def tamper_jsonl(path: Path, how: str) -> None:
    rows = lines(path)
    if how == "edited":
        record = json.loads(rows[2])
        record["effect"] = "allow" if record["effect"] == "deny" else "deny"
        rows[2] = json.dumps(record) + "\n"
    elif how == "edited-and-rehashed":
        record = json.loads(rows[2])
        record["purpose"] = "marketing"
        record["hash"] = decision_log.record_hash(record)
        rows[2] = json.dumps(record) + "\n"
    elif how == "deleted":
        del rows[2]
    elif how == "inserted":
        rows.insert(4, rows[1])
    elif how == "reordered":
        rows[1], rows[2] = rows[2], rows[1]
    path.write_text("".join(rows))


EXPECTED_JSONL = {
    "edited": [("line 3", "record 3 was edited")],
    "edited-and-rehashed": [("line 3", "record 3 was rewritten: its text is not the text the writer wrote"),
                            ("line 4", "record 4 does not follow the record before it")],
    "deleted": [("line 3", "record 3 is missing before record 4 (deleted)")],
    "inserted": [("line 2", "record 2 appears 2 times"), ("line 5", "record 2 appears 2 times")],
    "reordered": [("line 2", "record 3 is out of order"), ("line 3", "record 2 is out of order")],
}


@pytest.mark.parametrize("how", sorted(EXPECTED_JSONL))
def test_verify_names_every_kind_of_tampering_in_json_lines(tmp_path, how):
    path = tmp_path / "d.jsonl"
    write(path, EVENTS)
    tamper_jsonl(path, how)
    result = decision_log.verify(path)
    assert not result.intact
    found = [(where, message) for where, message in result.problems]
    for where, start in EXPECTED_JSONL[how]:
        assert any(w == where and m.startswith(start) for w, m in found), (how, found)
    assert len(found) == len(EXPECTED_JSONL[how]), found


def tamper_sqlite(path: Path, how: str) -> None:
    db = sqlite3.connect(path)
    with db:
        if how == "edited":
            body = json.loads(db.execute("SELECT body FROM records WHERE seq = 3").fetchone()[0])
            body["effect"] = "allow" if body["effect"] == "deny" else "deny"
            db.execute("UPDATE records SET body = ?, effect = ? WHERE seq = 3", (json.dumps(body), body["effect"]))
        elif how == "column-edited":
            db.execute("UPDATE records SET purpose = 'marketing' WHERE seq = 2")
        elif how == "deleted":
            db.execute("DELETE FROM records WHERE seq = 3")
        elif how == "inserted":
            db.execute("UPDATE records SET seq = seq + 10 WHERE seq >= 3")
            db.execute("UPDATE records SET seq = seq - 9 WHERE seq >= 13")
            db.execute("INSERT INTO records SELECT 3, time, subject, purpose, effect, body, hash "
                       "FROM records WHERE seq = 2")
        elif how == "reordered":
            two = db.execute("SELECT time, subject, purpose, effect, body, hash FROM records WHERE seq = 2").fetchone()
            three = db.execute("SELECT time, subject, purpose, effect, body, hash FROM records WHERE seq = 3").fetchone()
            for seq, row in ((2, three), (3, two)):
                db.execute("UPDATE records SET time=?, subject=?, purpose=?, effect=?, body=?, hash=? WHERE seq=?",
                           (*row, seq))
    db.close()


EXPECTED_SQLITE = {
    "edited": [("row 3", "record 3 was edited: its content no longer matches its hash")],
    "column-edited": [("row 2", "record 2 was edited: its `purpose` column says 'marketing'")],
    "deleted": [("row 4", "record 3 is missing before record 4 (deleted)")],
    "inserted": [("row 3", "record 2 was edited: its `seq` column says 3"), ("row 3", "record 2 appears 2 times"),
                 ("row 4", "record 3 was edited: its `seq` column says 4"),
                 ("row 5", "record 4 was edited: its `seq` column says 5"),
                 ("row 6", "record 5 was edited: its `seq` column says 6"),
                 ("row 2", "record 2 appears 2 times")],
    "reordered": [("row 2", "record 3 was edited: its `seq` column says 2"), ("row 2", "record 3 is out of order"),
                  ("row 3", "record 2 was edited: its `seq` column says 3"), ("row 3", "record 2 is out of order")],
}


@pytest.mark.parametrize("how", sorted(EXPECTED_SQLITE))
def test_verify_names_every_kind_of_tampering_in_sqlite(tmp_path, how):
    path = tmp_path / "d.db"
    write(path, EVENTS)
    assert decision_log.verify(path).intact
    tamper_sqlite(path, how)
    result = decision_log.verify(path)
    found = result.problems
    for where, start in EXPECTED_SQLITE[how]:
        assert any(w == where and m.startswith(start) for w, m in found), (how, found)
    assert len(found) == len(EXPECTED_SQLITE[how]), found


@pytest.mark.parametrize("name", STORES)
def test_removing_records_from_the_end_is_caught_by_the_checkpoint_and_the_head(tmp_path, name):
    path = tmp_path / name
    write(path, EVENTS)
    head = decision_log.verify(path).head
    if name.endswith(".jsonl"):
        path.write_text("".join(lines(path)[:-2]))
    else:
        with sqlite3.connect(path) as db:
            db.execute("DELETE FROM records WHERE seq > 3")
    result = decision_log.verify(path, key=KEY)
    assert result.state == "truncated"
    assert result.problems == [("end", "truncated: 2 record(s) missing after record 3 (the checkpoint "
                                       "says the log had 5)")]
    result = decision_log.verify(path, head=head)
    assert [w for w, _ in result.problems] == ["end", "end"] and "removed from the end" in result.problems[1][1]


# ---- query and stats -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STORES)
def test_query_finds_one_persons_decisions_by_their_pseudonym(tmp_path, name):
    path = tmp_path / name
    write(path, EVENTS)
    found = decision_log.query(path, "alice", KEY)
    assert [r["event"]["context"]["n"] for r in found] == [1, 3, 5]
    assert decision_log.query(path, "nobody", KEY) == []
    with pytest.raises(engine.LogError, match="not the log's key"):
        decision_log.query(path, "alice", "wrong-key")


def test_stats_by_purpose_and_rule(tmp_path):
    path = tmp_path / "d.db"
    write(path, EVENTS)
    summary = decision_log.stats(path)
    assert (summary["records"], summary["allow"], summary["deny"]) == (5, 3, 2)
    assert summary["by_purpose"] == {"billing": {"allow": 3, "deny": 2}}
    assert summary["by_rule"]["no_us"] == {"allow": 0, "deny": 2}
    assert sum(c["allow"] for c in summary["by_rule"].values()) == 3


# ---- the CLI ------------------------------------------------------------------------------------------


def test_cli_log_verify_query_stats(tmp_path, capsys, monkeypatch):
    path = tmp_path / "d.jsonl"
    write(path, EVENTS)
    assert main(["log", "verify", str(path)]) == 0
    out = capsys.readouterr().out
    assert "5 record(s), chain intact; head " in out
    head = out.split("head ")[1].split()[0]
    assert main(["log", "verify", str(path), "--head", head, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["intact"] is True

    tamper_jsonl(path, "deleted")
    assert main(["log", "verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}: line 3: record 3 is missing before record 4 (deleted)" in out and "BROKEN" in out

    path = tmp_path / "q.db"
    write(path, EVENTS)
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    assert main(["log", "query", str(path), "--subject", "alice", "--key-file", str(key_file), "--json"]) == 0
    assert [json.loads(line)["seq"] for line in capsys.readouterr().out.splitlines()] == [1, 3, 5]
    monkeypatch.setenv("LAWFUL_LOG_KEY", KEY)
    assert main(["log", "query", str(path), "--subject", "bob"]) == 0
    out = capsys.readouterr().out
    assert "1 decision(s) about this subject" in out and "no_us" in out
    assert main(["log", "stats", str(path)]) == 0
    out = capsys.readouterr().out
    assert "5 decision(s): 3 allowed, 2 denied" in out and "no_us" in out
    assert main(["log", "stats", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["deny"] == 2


def test_cli_log_bad_input_is_a_message(tmp_path, capsys):
    assert main(["log", "verify", str(tmp_path / "missing.db")]) == 2
    assert "no such decision log" in capsys.readouterr().err
    assert main(["log", "query", str(tmp_path / "missing.db"), "--subject", "a", "--key-file",
                 str(tmp_path / "nokey")]) == 2
    assert "cannot read the key" in capsys.readouterr().err
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not json\n{\"seq\": 1}\n")
    assert main(["log", "verify", str(garbage)]) == 1
    out = capsys.readouterr().out
    assert "line 1: is not a JSON record" in out and "line 2: is not a record: it has no hash" in out


# ---- durability -------------------------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    import engine
    sys.path.insert(0, {tests!r})
    from helpers import AT
    policy = engine.load_policy_text('''
    category email
    purpose billing basis contract
    permit billing on email
    ''', name="p.law")
    log = engine.DecisionLog(sys.argv[1], key="k", batch=64)
    for n in range(10**7):
        event = {{"purpose": "billing", "categories": ["email"], "destination": "DE",
                  "subject": {{"id": f"s{{n}}"}}, "context": {{"n": n}}, "at": AT}}
        log.record(event, policy.evaluate(event), wait=(n % 5 == 0))
        if n % 5 == 0:  # acknowledged: everything up to n is durable
            print(n, flush=True)
""")


@pytest.mark.parametrize("name", STORES)
def test_no_acknowledged_record_is_lost_on_sigkill(tmp_path, name):
    path = tmp_path / name
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(tests=str(Path(__file__).parent)))
    process = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    acknowledged = -1
    try:
        for line in process.stdout:
            acknowledged = int(line)
            if acknowledged >= 1500:
                break
        os.kill(process.pid, signal.SIGKILL)  # mid-stream: records are queued and being written
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL, process.stderr.read()
    assert acknowledged >= 1500
    kept = {entry.record["event"]["context"]["n"] for entry in decision_log.entries(path) if entry.record}
    assert set(range(acknowledged + 1)) <= kept
    result = decision_log.verify(path)
    assert result.intact, result.problems  # a torn last line is only a warning
    # a new writer continues the chain (dropping a torn line, never acknowledged)
    with engine.DecisionLog(path, key="k") as log:
        data = {"purpose": "billing", "categories": ["contact.email"], "destination": "DE", "at": AT}
        log.record(data, POLICY.evaluate(data), wait=True)
    after = decision_log.verify(path)
    if result.warnings:  # the kill cut a write short: the torn line is kept, sealed by a `torn` record
        assert after.intact and after.records == result.records + 2
        assert [w for w, m in after.warnings if "sealed" in m or "cut short" in m] == [
            result.warnings[0][0], f"line {result.records + 2}"]
    else:
        assert after.intact and not after.warnings and after.records == result.records + 1


# ---- nothing is lost: values JSON cannot hold -----------------------------------------------------


class Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr")


def hostile_events() -> list:
    """One event of every kind JSON cannot hold as given (each with a marker `n`)."""
    cycle: dict = {"n": 8}
    cycle["self"] = cycle
    deep = inner = {"n": 9}
    for _ in range(3000):
        inner["a"] = {}
        inner = inner["a"]
    return [
        billing("lone-surrogate", n=1) | {"context": {"n": 1, "s": "\ud800"}},
        billing("int-keys", n=2) | {"context": {"n": 2, 1: "a", "1": "b"}},
        billing("nan", n=3) | {"context": {"n": 3, "f": math.nan, "g": -math.inf}},
        billing("python", n=4) | {"context": {"n": 4, "t": (1, 2), "s": {3, 1}, "b": b"\xff",
                                             "d": datetime.datetime(2020, 1, 1)}},
        billing("\udcff", n=5),
        billing("purpose", n=6) | {"purpose": "bill\ud800ing"},
        billing("object", n=7) | {"context": {"n": 7, "w": Unprintable()}},
        billing("cycle", n=8) | {"context": cycle},
        billing("deep", n=9) | {"context": deep},
        billing("big", n=10) | {"context": {"n": 10, "big": 10**5000}},
        billing("escaped-key", n=11) | {"context": {"n": 11, "$escaped": "str", "repr": "'x'"}},
        billing("tuple-key", n=12) | {("t",): 1},
        {"purpose": {"x": 1}, "subject": {"id": 42}, "context": {"n": 13}},
    ]


@pytest.mark.parametrize("name", STORES)
def test_a_batch_of_hostile_and_good_events_keeps_every_record(tmp_path, name):
    path = tmp_path / name
    mixed = []
    for n, bad in enumerate(hostile_events()):
        mixed += [billing(f"good-{n}", n=100 + n), bad]
    mixed += ["not an event", ["a list"], None]
    with engine.DecisionLog(path, key=KEY, batch=10_000) as log:  # one batch
        for data in mixed:
            log.record(data, POLICY.evaluate(data if isinstance(data, dict) else {}))
    stored = records(path)
    assert len(stored) == len(mixed) and [r["seq"] for r in stored] == list(range(1, len(mixed) + 1))
    result = decision_log.verify(path, key=KEY)
    assert result.intact and result.state == "intact" and not result.warnings, result.problems
    for record, data in zip(stored[0:26:2], mixed[0:26:2]):  # the good ones, untouched
        assert record["event"]["context"] == data["context"]
    bad = {r["event"].get("context", {}).get("n") if isinstance(r["event"].get("context"), dict) else None: r
           for r in stored[1:26:2]}
    escaped = decision_log.ESCAPED
    assert bad[1]["event"]["context"]["s"] == {escaped: "str", "repr": "'\\ud800'"}
    assert bad[3]["event"]["context"]["f"] == {escaped: "float", "repr": "nan"}
    assert bad[4]["event"]["context"]["t"] == {escaped: "tuple", "items": [1, 2]}
    assert bad[4]["event"]["context"]["s"] == {escaped: "set", "items": [1, 3]}
    assert bad[4]["event"]["context"]["b"] == {escaped: "bytes", "hex": "ff"}
    assert bad[4]["event"]["context"]["d"][escaped] == "datetime"
    assert bad[7]["event"]["context"]["w"] == {escaped: "Unprintable", "repr": "<Unprintable: repr failed: RuntimeError>"}
    assert bad[8]["event"]["context"]["self"] == {escaped: "cycle", "type": "dict"}
    assert bad[10]["event"]["context"]["big"][escaped] == "int"
    assert int(bad[10]["event"]["context"]["big"]["hex"], 16) == 10**5000
    int_keys = stored[3]["event"]["context"]
    assert int_keys == {escaped: "object", "items": [["n", 2], [1, "a"], ["1", "b"]]}
    assert stored[21]["event"]["context"][escaped] == "object"  # a `$escaped` key is never ambiguous
    assert stored[9]["subject"] == decision_log.pseudonym(KEY.encode(), "\udcff")  # found again by query
    assert decision_log.query(path, "\udcff", KEY) == [stored[9]]
    assert stored[11]["purpose"] == '{"$escaped":"str","repr":"\'bill\\\\ud800ing\'"}'
    assert stored[25]["purpose"] == '{"x":1}' and stored[25]["subject"].startswith("hmac-sha256:")
    assert [r["event"] for r in stored[-3:]] == ["not an event", ["a list"], None]
    assert decision_log.stats(path)["records"] == len(mixed)


def test_json_safe_keeps_plain_json_and_marks_every_escape():
    value = {"a": [1, 2.5, True, None, "x"], "b": {"c": "é"}}
    assert decision_log.json_safe(value) == value
    escaped = decision_log.json_safe({"k": frozenset({"b", "a"}), 2: 3})
    assert escaped == {"$escaped": "object", "items": [["k", {"$escaped": "frozenset", "items": ["a", "b"]}], [2, 3]]}
    assert decision_log.json_safe(math.inf) == {"$escaped": "float", "repr": "inf"}


# ---- truncation, growth and torn writes ----------------------------------------------------------


def cut_jsonl(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "last-deleted":
        path.write_bytes(b"".join(data.splitlines(keepends=True)[:-1]))
    elif how == "cut-in-half":
        last = data.rstrip(b"\n").rfind(b"\n")
        path.write_bytes(data[:last + 1 + (len(data) - last) // 2])
    elif how == "emptied":
        path.write_bytes(b"")
    elif how == "newline-removed":
        path.write_bytes(data[:-1])


EXPECTED_CUTS = {
    "last-deleted": "truncated: 1 record(s) missing after record 4",
    "cut-in-half": "truncated: 1 record(s) missing after record 4",
    "emptied": "truncated: 5 record(s) missing after record 0",
    "newline-removed": "truncated: 1 record(s) missing after record 4",
}


@pytest.mark.parametrize("how", sorted(EXPECTED_CUTS))
def test_verify_tells_truncation_and_the_next_writer_records_it(tmp_path, how, capsys):
    path = tmp_path / "d.jsonl"
    write(path, EVENTS)
    cut_jsonl(path, how)
    result = decision_log.verify(path, key=KEY)
    assert result.state == "truncated" and result.problems[-1][1].startswith(EXPECTED_CUTS[how])
    assert main(["log", "verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}: end: {EXPECTED_CUTS[how]}" in out and "chain BROKEN: truncated" in out
    before = path.read_bytes()
    write(path, EVENTS[:1])  # the next writer keeps every byte, and records what it found
    assert path.read_bytes().startswith(before)
    after = decision_log.verify(path, key=KEY)
    if how == "newline-removed":  # the record was whole but for its newline: completed, nothing missing
        assert after.intact and after.records == 6 and decision_log.stats(path)["records"] == 6
        return
    assert not after.intact
    assert any("when it was written the log ended at record" in m and "its checkpoint said 5" in m
               for _, m in after.problems), after.problems
    assert decision_log.stats(path)["records"] == (1 if how == "emptied" else 5)


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_sqlite_truncation_is_told_too(tmp_path, how):
    path = tmp_path / "d.db"
    write(path, EVENTS)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM records" + (" WHERE seq > 3" if how == "deleted" else ""))
    result = decision_log.verify(path, key=KEY)
    kept = 3 if how == "deleted" else 0
    assert result.state == "truncated"
    assert result.problems == [("end", f"truncated: {5 - kept} record(s) missing after record {kept} "
                                       "(the checkpoint says the log had 5)")]
    write(path, EVENTS[:1])
    assert any("its checkpoint said 5" in m for _, m in decision_log.verify(path).problems)


@pytest.mark.parametrize("name", STORES)
def test_a_writer_stopped_before_its_checkpoint_is_growth_not_tampering(tmp_path, name, capsys):
    path = tmp_path / name
    write(path, EVENTS[:2])
    if name.endswith(".jsonl"):
        saved = decision_log.checkpoint_path(path).read_bytes()
        write(path, EVENTS[2:])
        decision_log.checkpoint_path(path).write_bytes(saved)  # as if killed between the two writes
    else:
        with sqlite3.connect(path) as db:
            saved = db.execute("SELECT body FROM checkpoint").fetchone()[0]
        write(path, EVENTS[2:])
        with sqlite3.connect(path) as db:
            db.execute("UPDATE checkpoint SET body = ?", (saved,))
    result = decision_log.verify(path, key=KEY)
    assert result.intact and result.state == "grown" and result.records == 5
    assert main(["log", "verify", str(path)]) == 0
    out = capsys.readouterr().out
    assert "note: grown since the last checkpoint (fine): 3 record(s) after record 2" in out
    assert "chain intact, grown since the last checkpoint (fine)" in out
    write(path, EVENTS[:1])  # the next writer signs the whole log again
    assert decision_log.verify(path, key=KEY).state == "intact"


def test_a_torn_write_is_kept_and_sealed_never_dropped(tmp_path, capsys):
    path = tmp_path / "d.jsonl"
    write(path, EVENTS[:3])
    torn = b'{"seq":4,"time":"2026-'
    with open(path, "ab") as handle:  # a crash mid-write: the checkpoint still says 3
        handle.write(torn)
    result = decision_log.verify(path, key=KEY)
    assert result.intact and result.warnings == [("line 4", "is an incomplete record (a write was cut "
                                                  "short; never acknowledged)")]
    write(path, EVENTS[3:])
    data = path.read_bytes()
    assert torn + b"\n" in data  # kept, as it was
    after = decision_log.verify(path, key=KEY)
    assert after.intact and after.records == 6, after.problems
    assert [w for w, _ in after.warnings] == ["line 4", "line 5"]
    marker = records(path)[4]
    assert marker["kind"] == "torn" and marker["torn"]["line"] == 4 and marker["torn"]["bytes"] == len(torn)
    assert decision_log.stats(path)["records"] == 5 and decision_log.stats(path)["problems"] == []
    assert main(["log", "stats", str(path)]) == 0
    # editing the sealed bytes afterwards is tampering
    path.write_bytes(data.replace(torn, torn.replace(b"2026", b"2025")))
    assert any(w == "line 4" and "not a JSON record" in m for w, m in decision_log.verify(path).problems)


def test_a_torn_line_that_is_a_whole_record_continues_the_chain(tmp_path):
    path = tmp_path / "d.jsonl"
    write(path, EVENTS)
    path.write_bytes(path.read_bytes()[:-1])  # only the newline is missing
    write(path, EVENTS[:1])
    result = decision_log.verify(path, key=KEY)
    assert result.intact and result.records == 6 and not result.warnings


@pytest.mark.parametrize("last", [b"[1, 2]\n", b'{"seq": "x"}\n', b"garbage\n", b"null\n", b'{"seq": 9, "hash": 3}\n'])
def test_a_last_line_that_is_not_a_record_never_stops_appends(tmp_path, last):
    path = tmp_path / "d.jsonl"
    write(path, EVENTS[:2])
    with open(path, "ab") as handle:
        handle.write(last)
    write(path, EVENTS[2:])
    stored = [e.record for e in decision_log.entries(path)]
    assert [r["seq"] for r in stored if isinstance(r, dict) and r.get("kind") is None
            and isinstance(r.get("event"), dict)] == [1, 2, 3, 4, 5]
    problems = decision_log.verify(path, key=KEY).problems
    assert [w for w, _ in problems] == ["line 3"], problems


def test_the_checkpoint_is_signed_and_missing_one_is_a_finding(tmp_path, capsys):
    path = tmp_path / "d.jsonl"
    write(path, EVENTS)
    checkpoint = decision_log.checkpoint_path(path)
    forged = json.loads(checkpoint.read_text())
    forged["records"], forged["head"] = 3, records(path)[2]["hash"]
    checkpoint.write_text(json.dumps(forged))
    path.write_text("".join(lines(path)[:3]))  # truncated, with a checkpoint made to match
    assert decision_log.verify(path).intact  # without the key the signature cannot be checked...
    assert any("not checked" in m for _, m in decision_log.verify(path).notes)
    result = decision_log.verify(path, key=KEY)  # ...with it, the forgery shows
    assert [m for _, m in result.problems] == ["the checkpoint (d.jsonl.checkpoint) has a wrong signature "
                                               "(it was forged or edited)"]
    assert "another key" in decision_log.verify(path, key="other").problems[0][1]
    checkpoint.unlink()
    assert main(["log", "verify", str(path)]) == 1
    assert "end: no checkpoint (d.jsonl.checkpoint is missing)" in capsys.readouterr().out
    write(path, EVENTS[:1])
    assert any("d.jsonl.checkpoint was missing at record 3" in m for _, m in decision_log.verify(path).problems)


# ---- hostile but readable files: located messages, never a traceback ----------------------------


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


HOSTILE_LINES = {
    "garbage": (b"not json\n", "line 3: is not a JSON record"),
    "a JSON list": (b"[1, 2]\n", "line 3: is not a JSON record (a JSON list)"),
    "NaN": (b'{"seq": 3, "x": NaN}\n', "line 3: is not a JSON record"),
    "deep": (b"[" * 2000 + b"]" * 2000 + b"\n", "line 3: is not a JSON record"),
    "wrong types": (b'{"seq": 3, "time": 5, "effect": "maybe", "reasons": "x", "obligations": [1], '
                    b'"event": {}, "prev": "' + b"0" * 64 + b'", "hash": "' + b"1" * 64 + b'"}\n',
                    "line 3: record 3 is malformed: its `time` is not a string"),
    "lone surrogate": (b'{"seq": 3, "subject": "\\ud800", "hash": "' + b"1" * 64 + b'"}\n',
                       "line 3: record 3 was edited"),
    "invalid UTF-8": (b'{"seq": 3, "s": "\xff"}\n', "line 3: is not a JSON record"),
    "huge": (b'"' + b"x" * 5000 + b'"\n', "line 3: is longer than 4,096 bytes: not a record"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_LINES))
def test_every_command_locates_a_hostile_line(tmp_path, capsys, monkeypatch, kind):
    from engine.runtime.log import reading, records, stores

    for module in (records, stores, reading):  # each reads the bound it imported
        monkeypatch.setattr(module, "MAX_RECORD", 4096)
    path = tmp_path / "d.jsonl"
    write(path, EVENTS[:2])
    line, message = HOSTILE_LINES[kind]
    with open(path, "ab") as handle:
        handle.write(line)
    code, out, _ = run_cli(capsys, "log", "verify", str(path))
    assert code == 1 and f"{path}: {message}" in out, out
    code, out, err = run_cli(capsys, "log", "stats", str(path))
    assert code == 1 and "2 decision(s)" in out and f"{path}: line 3: not counted: " in err
    monkeypatch.setenv("LAWFUL_LOG_KEY", KEY)
    code, out, err = run_cli(capsys, "log", "query", str(path), "--subject", "alice")
    assert code == 1 and "1 decision(s) about this subject" in out
    assert f"{path}: line 3: not read (it may be about this subject): " in err
    write(path, EVENTS[2:])  # appends still work after it
    assert [r["event"]["context"]["n"] for _, r in decision_log.decisions(path)] == [1, 2, 3, 4, 5]


def sqlite_rows(path: Path, how: str) -> str:
    with sqlite3.connect(path) as db:
        if how == "body-not-text":
            db.execute("UPDATE records SET body = 42 WHERE seq = 2")
            return "row 2: is not a JSON record (a JSON int)"  # TEXT affinity: '42'
        if how == "body-blob":
            db.execute("UPDATE records SET body = x'ff00' WHERE seq = 2")
            return "row 2: is not a JSON record"
        if how == "body-list":
            db.execute("UPDATE records SET body = '[1]' WHERE seq = 2")
            return "row 2: is not a JSON record (a JSON list)"
        if how == "hash-not-text":
            db.execute("UPDATE records SET hash = 7 WHERE seq = 2")
            return "row 2: record 2 was edited: its content no longer matches its hash"
        if how == "columns-of-other-types":
            db.execute("UPDATE records SET effect = 1.5, subject = x'00' WHERE seq = 2")
            return "row 2: record 2 was edited: its `subject` column says b'\\x00'"
        if how == "no-table":
            db.execute("DROP TABLE records")
            return "lawful: error: "
        if how == "checkpoint-garbage":
            db.execute("UPDATE checkpoint SET body = 'nope'")
            return "end: the checkpoint (the checkpoint table) is not a checkpoint"
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["body-not-text", "body-blob", "body-list", "hash-not-text",
                                 "columns-of-other-types", "no-table", "checkpoint-garbage"])
def test_sqlite_rows_of_the_wrong_types_are_located(tmp_path, capsys, how):
    path = tmp_path / "d.db"
    write(path, EVENTS)
    message = sqlite_rows(path, how)
    code, out, err = run_cli(capsys, "log", "verify", str(path))
    if how == "no-table":
        assert code == 2 and "cannot read the decision log" in err
        return
    assert code == 1 and f"{path}: {message}" in out, out
    assert run_cli(capsys, "log", "stats", str(path))[0] == (1 if how.startswith("body") else 0)  # counts, not hashes
    write(path, EVENTS[:1])  # appends still work
    assert decision_log.verify(path).records == 6 + (how == "checkpoint-garbage")


def test_files_that_are_not_logs_are_clear_errors(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    code, out, _ = run_cli(capsys, "log", "verify", str(empty))
    assert code == 1 and "no checkpoint" in out
    for action in ("verify", "stats"):
        code, _, err = run_cli(capsys, "log", action, str(tmp_path))
        assert code == 2 and "is a directory, not a decision log" in err
        code, _, err = run_cli(capsys, "log", action, str(tmp_path / "empty.db"))
        assert code == 2 and "no such decision log" in err
    (tmp_path / "zero.db").write_bytes(b"")
    code, _, err = run_cli(capsys, "log", "verify", str(tmp_path / "zero.db"))
    assert code == 2 and "cannot read the decision log" in err
    (tmp_path / "fake.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    code, _, err = run_cli(capsys, "log", "stats", str(tmp_path / "fake.db"))
    assert code == 2 and "fake.db: cannot read the decision log" in err


def test_query_refuses_without_the_key_a_pseudonymised_log_needs(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LAWFUL_LOG_KEY", raising=False)
    path = tmp_path / "d.jsonl"
    write(path, EVENTS)
    code, out, err = run_cli(capsys, "log", "query", str(path), "--subject", "alice")
    assert code == 2 and "0 decision(s)" not in out
    assert "this log pseudonymises subject ids" in err and "give its key" in err
    with pytest.raises(engine.LogError, match="give its key"):
        decision_log.query(path, "alice")
    raw = tmp_path / "raw.jsonl"
    with engine.DecisionLog(raw, raw_identifiers=True) as log:
        log.record(billing("alice"), POLICY.evaluate(billing("alice")))
    code, out, _ = run_cli(capsys, "log", "query", str(raw), "--subject", "alice")
    assert code == 0 and "1 decision(s) about this subject" in out  # a raw log needs no key
    assert "not signed" in run_cli(capsys, "log", "verify", str(raw))[1]


# ---- the fuzzer: a changed log is never intact, and verify never raises ------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _real_log(name: str) -> tuple[bytes, bytes]:
    """A real log (five decisions, one hostile) and its checkpoint, written once."""
    import tempfile

    folder = Path(tempfile.mkdtemp())
    path = folder / name
    write(path, EVENTS[:2])
    write(path, [hostile_events()[0], *EVENTS[2:4]])
    if name.endswith(".jsonl"):
        return path.read_bytes(), decision_log.checkpoint_path(path).read_bytes()
    with sqlite3.connect(path) as db:  # everything in the main file, none in the WAL
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.read_bytes(), b""


REAL = {}
FRESH = iter(range(10**9))


def fresh(tmp_path: Path) -> Path:
    """A new folder for each Hypothesis example (tmp_path is shared by them)."""
    folder = tmp_path / str(next(FRESH))
    folder.mkdir()
    return folder


def real_log(name: str) -> tuple[bytes, bytes]:
    if name not in REAL:
        REAL[name] = _real_log(name)
    return REAL[name]


def mutate(data: bytes, how: str, a: int, b: int, byte: int) -> bytes:
    rows = data.splitlines(keepends=True)
    if how == "cut":
        return data[:a % (len(data) + 1)]
    if how == "cut-range":
        start = a % len(data)
        return data[:start] + data[start + 1 + b % 200:]
    if how == "flip":
        position = a % len(data)
        return data[:position] + bytes([data[position] ^ (1 + byte % 255)]) + data[position + 1:]
    if how == "swap":
        i, j = a % len(rows), b % len(rows)
        rows[i], rows[j] = rows[j], rows[i]
    elif how == "delete-end":
        rows = rows[:len(rows) - 1 - a % len(rows)]
    elif how == "delete":
        del rows[a % len(rows)]
    elif how == "duplicate":
        rows.insert(b % (len(rows) + 1), rows[a % len(rows)])
    elif how == "insert-garbage":
        rows.insert(a % (len(rows) + 1), bytes([byte]) * (1 + b % 50) + b"\n")
    return b"".join(rows)


MUTATIONS = st.sampled_from(["cut", "cut-range", "flip", "swap", "delete-end", "delete", "duplicate",
                             "insert-garbage"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(how=MUTATIONS, a=st.integers(0, 10**6), b=st.integers(0, 10**6), byte=st.integers(0, 255))
def test_fuzz_a_mutated_json_lines_log_is_never_intact(tmp_path, how, a, b, byte):
    data, checkpoint = real_log("fuzz.jsonl")
    mutated = mutate(data, how, a, b, byte)
    path = fresh(tmp_path) / "fuzz.jsonl"
    path.write_bytes(mutated)
    decision_log.checkpoint_path(path).write_bytes(checkpoint)
    for key in (KEY, None):
        result = decision_log.verify(path, key=key)
        assert result.intact == (mutated == data), (how, result.problems)
    decision_log.stats(path)
    try:
        decision_log.query(path, "alice", KEY)
    except engine.LogError as error:  # a key id changed: refused, with a message
        assert "not the log's key" in str(error)
    if mutated != data:  # the next writer keeps what is there, and the log stays broken
        write(path, EVENTS[:1])
        assert path.read_bytes().startswith(mutated)
        assert not decision_log.verify(path, key=KEY).intact


SQLITE_MUTATIONS = st.sampled_from(["delete-end", "delete", "swap-bodies", "flip-body", "flip-hash",
                                    "null-body"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(how=SQLITE_MUTATIONS, a=st.integers(0, 10**6), b=st.integers(0, 10**6), byte=st.integers(1, 255))
def test_fuzz_a_mutated_sqlite_log_is_never_intact(tmp_path, how, a, b, byte):
    data, _ = real_log("fuzz.db")
    path = fresh(tmp_path) / "fuzz.db"
    path.write_bytes(data)
    with sqlite3.connect(path) as db:
        seqs = [row[0] for row in db.execute("SELECT seq FROM records ORDER BY seq")]
        i, j = seqs[a % len(seqs)], seqs[b % len(seqs)]
        if how == "delete-end":
            db.execute("DELETE FROM records WHERE seq >= ?", (i,))
        elif how == "delete":
            db.execute("DELETE FROM records WHERE seq = ?", (i,))
        elif how == "swap-bodies" and i != j:
            db.execute("UPDATE records SET body = CASE seq WHEN ? THEN (SELECT body FROM records WHERE seq = ?) "
                       "ELSE (SELECT body FROM records WHERE seq = ?) END WHERE seq IN (?, ?)", (i, j, i, i, j))
        elif how == "flip-body" or how == "flip-hash":
            column = "body" if how == "flip-body" else "hash"
            text = db.execute(f"SELECT {column} FROM records WHERE seq = ?", (i,)).fetchone()[0]
            position = b % len(text)
            changed = text[:position] + chr((ord(text[position]) ^ byte) or 1) + text[position + 1:]
            db.execute(f"UPDATE records SET {column} = ? WHERE seq = ?", (changed, i))
        elif how == "null-body":
            db.execute("UPDATE records SET body = x'00' WHERE seq = ?", (i,))
        else:
            return
    assert not decision_log.verify(path, key=KEY).intact, how
    decision_log.stats(path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.integers(0, 10**6), byte=st.integers(1, 255))
def test_fuzz_a_damaged_sqlite_file_is_a_message_never_a_traceback(tmp_path, a, byte):
    data, _ = real_log("fuzz.db")
    position = a % len(data)
    path = fresh(tmp_path) / "fuzz.db"
    path.write_bytes(data[:position] + bytes([data[position] ^ byte]) + data[position + 1:])
    for action in (decision_log.verify, decision_log.stats):
        try:
            action(path)
        except engine.LogError as error:
            assert "fuzz.db" in str(error)


def test_a_checkpoint_deleted_under_a_running_writer_is_recorded_and_recreated(tmp_path):
    path = tmp_path / "d.jsonl"
    with engine.DecisionLog(path, key=KEY) as log:
        log.record(EVENTS[0], POLICY.evaluate(EVENTS[0]), wait=True)
        decision_log.checkpoint_path(path).unlink()
        log.record(EVENTS[1], POLICY.evaluate(EVENTS[1]), wait=True)
        log.record(EVENTS[2], POLICY.evaluate(EVENTS[2]), wait=True)
    assert len(decision_log.checkpoint_path(path).read_bytes()) == decision_log.CHECKPOINT_SIZE
    result = decision_log.verify(path, key=KEY)
    assert [(w, m.split(" (")[0]) for w, m in result.problems] == [
        ("line 2", "record 2: when it was written, d.jsonl.checkpoint was missing at record 1")]
    assert result.checkpoint["records"] == 4  # signed again, up to the end


def test_cli_verify_checks_the_signature_with_the_key_file_and_reports_the_state(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LAWFUL_LOG_KEY", raising=False)
    path = tmp_path / "d.db"
    write(path, EVENTS)
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    code, out, _ = run_cli(capsys, "log", "verify", str(path), "--key-file", str(key_file), "--json")
    report = json.loads(out)
    assert code == 0 and report["state"] == "intact" and report["notes"] == []
    assert report["checkpoint"]["records"] == 5
    with sqlite3.connect(path) as db:
        body = json.loads(db.execute("SELECT body FROM checkpoint").fetchone()[0])
        body["records"] = 4
        db.execute("UPDATE checkpoint SET body = ?", (json.dumps(body),))
    code, out, _ = run_cli(capsys, "log", "verify", str(path), "--key-file", str(key_file))
    assert code == 1 and "end: the checkpoint (the checkpoint table) has a wrong signature" in out
    code, out, _ = run_cli(capsys, "log", "verify", str(path))  # without the key: noted, not checked...
    assert code == 1 and "note: the checkpoint's signature was not checked" in out
    assert "end: record 4 is not the record the checkpoint signed" in out  # ...but it does not match
