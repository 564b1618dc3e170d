"""The decision log: records, pseudonyms, the hash chain and what breaks it,
query and stats, the CLI, and durability under SIGKILL (a real subprocess)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import engine
from engine import log as decision_log
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
    assert "line 1: is not a JSON record" in out and "line 2: record 1 was edited" in out


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
