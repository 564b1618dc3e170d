"""`lawful ropa`, `lawful notice` and `lawful map` end to end: the real commands
(in process, and as a subprocess for binary output through a pipe), the formats
they infer from file names, and every way they refuse with exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import engine
from engine.cli import main

IDENTITY = "rules/examples/identity"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ropa_prints_the_markdown_record(capsys):
    code, out, err = run(capsys, "ropa", IDENTITY)
    assert code == 0 and err == ""
    assert "Keyhole Identity GmbH" in out and "Art. 30(1)" in out and "Art. 30(2)" in out
    assert "rules/examples/identity/identity.law:" in out  # every item traced to its line


@pytest.mark.parametrize("suffix", ["md", "html", "json", "xlsx", "ods"])
def test_ropa_writes_the_format_its_file_name_says(capsys, tmp_path, suffix):
    target = tmp_path / f"record.{suffix}"
    code, out, err = run(capsys, "ropa", IDENTITY, "-o", str(target))
    assert code == 0 and out == ""
    data = target.read_bytes()
    if suffix in ("xlsx", "ods"):
        with zipfile.ZipFile(target) as archive:
            assert archive.testzip() is None
    elif suffix == "json":
        assert json.loads(data)["controller"]["id"] == "keyhole"
    elif suffix == "html":
        assert b"<svg" in data and b"Keyhole Identity GmbH" in data  # the map embedded
    else:
        assert data.startswith(b"#")


def test_notice_in_markdown_and_html(capsys, tmp_path):
    code, out, _ = run(capsys, "notice", IDENTITY)
    assert code == 0 and "Keyhole Identity GmbH" in out and "[^1]:" in out
    code, _, _ = run(capsys, "notice", IDENTITY, "-o", str(tmp_path / "notice.html"))
    assert code == 0 and (tmp_path / "notice.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_map_as_svg_dot_and_png(capsys, tmp_path):
    code, out, _ = run(capsys, "map", IDENTITY)
    assert code == 0 and "<svg" in out and "Keyhole Identity GmbH" in out
    code, out, _ = run(capsys, "map", IDENTITY, "--format", "dot")
    assert code == 0 and out.startswith("digraph")
    code, _, _ = run(capsys, "map", IDENTITY, "-o", str(tmp_path / "map.png"))
    assert code == 0 and (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_binary_output_goes_through_a_pipe():
    done = subprocess.run([sys.executable, "-m", "engine", "map", IDENTITY, "--format", "png"],
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout[:8] == b"\x89PNG\r\n\x1a\n"
    done = subprocess.run([sys.executable, "-m", "engine", "ropa", IDENTITY, "--format", "xlsx"],
                          capture_output=True, timeout=120)
    assert done.returncode == 0 and done.stdout[:2] == b"PK"


def test_a_name_that_says_no_format_is_a_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, "ropa", IDENTITY, "-o", str(tmp_path / "record.txt"))
    assert code == 2 and "cannot tell the format" in err and "--format" in err
    assert not (tmp_path / "record.txt").exists()


def test_an_unwritable_output_is_a_usage_error_and_leaves_nothing(capsys, tmp_path):
    code, _, err = run(capsys, "notice", IDENTITY, "-o", str(tmp_path / "missing" / "notice.md"))
    assert code == 2 and "cannot write" in err and "Traceback" not in err
    assert not (tmp_path / "missing").exists()


def test_a_policy_that_does_not_compile_gets_its_diagnostics(capsys, tmp_path):
    broken = tmp_path / "broken.law"
    broken.write_text('controller acme in DE interest "ours"\n', encoding="utf-8")
    for command in ("ropa", "notice", "map"):
        code, out, err = run(capsys, command, str(broken))
        assert code == 2 and out == "" and "E1101" in err


def test_missing_items_are_warned_about_and_listed(capsys, tmp_path):
    policy = tmp_path / "p.law"
    policy.write_text("controller acme in DE\npurpose fraud basis legitimate_interest\ncategory device\n"
                      "permit fraud on device\n", encoding="utf-8")
    code, out, err = run(capsys, "ropa", str(policy))
    assert code == 0 and "does not state" in err and "lawful lint" in err
    assert "W1101" in out and "W1103" in out


def test_without_graphviz_the_map_refuses_and_the_record_has_no_map(capsys, tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code, out, err = run(capsys, "map", IDENTITY)
    assert code == 2 and "graphviz" in err.lower() and out == ""
    code, out, err = run(capsys, "ropa", IDENTITY, "--format", "html")
    assert code == 0 and "no data map" in err and "Keyhole Identity GmbH" in out and "<svg" not in out


def test_the_record_schema_is_the_published_one(capsys):
    code, out, _ = run(capsys, "schema", "record")
    assert code == 0
    assert json.loads(out) == json.loads(Path("docs/schema/ropa.schema.json").read_text(encoding="utf-8"))


def test_a_document_written_to_a_pipe_or_device_leaves_it_what_it_is(tmp_path):
    import stat
    import threading

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    assert main(["map", IDENTITY, "--format", "png", "-o", str(fifo)]) == 0
    reader.join(timeout=60)
    assert received and received[0][:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # not replaced by a regular file


def test_a_full_standard_output_is_a_message_not_a_traceback():
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "engine", "ropa", IDENTITY], stdout=full,
                              stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 2 and b"cannot write to standard output" in done.stderr
    assert b"Traceback" not in done.stderr


def test_control_characters_in_text_a_document_shows_are_an_error_with_its_place(capsys, tmp_path):
    policy = tmp_path / "c.law"
    policy.write_text('policy "c"\ncontroller c in DE named "a\x01b" contact "x" security "s"\n'
                      'purpose p basis contract subjects "s"\ncategory k\npermit p on k to {DE}\n'
                      "retain k for 1 year\n", encoding="utf-8")
    for command in ("map", "ropa", "notice"):
        code, out, err = run(capsys, command, str(policy))
        assert code == 2 and out == "" and "E0112" in err and "c.law:2:28" in err and "Traceback" not in err


def test_the_map_stays_well_formed_xml_whatever_a_label_holds(tmp_path):
    import xml.etree.ElementTree as ElementTree

    from engine.records import graph
    from engine.records.build import record

    found = record(engine.load_policy(IDENTITY))
    hostile = found.model_copy(update={"policy": "c\x01\x1f\ufffe"})
    assert ElementTree.fromstring(graph.render(hostile, "svg")) is not None
