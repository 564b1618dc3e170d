"""Checkpoints: the signed count and head hash beside a log, so that `verify`
tells legitimate growth from truncation."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import time
from pathlib import Path
from typing import Any

from .records import (GENESIS, HEX64, canonical, damaged_text, iso_time, key_id, read_json,
                      store_kind)


CHECKPOINT_SUFFIX = ".checkpoint"


CHECKPOINT_SIZE = 512  # a checkpoint file's size: its JSON, padded with spaces


def _checkpoint_key(key: bytes) -> bytes:
    return hmac.new(key, b"lawful decision log checkpoint v1", hashlib.sha256).digest()


def make_checkpoint(records: int, head: str, key: bytes | None) -> dict:
    """The signed statement "this log had `records` records, the last with hash `head`"."""
    body = {"checkpoint": 1, "records": records, "head": head, "key_id": key_id(key),
            "time": iso_time(time.time())}
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


def checkpoint_path(path: Path) -> Path:
    return path.with_name(path.name + CHECKPOINT_SUFFIX)


def read_checkpoint(path: str | Path) -> tuple[Any, str]:
    """The stored checkpoint (None when there is none; raw data when unreadable) and
    where it is."""
    path = Path(path)
    if store_kind(path) == "sqlite":
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            db.text_factory = damaged_text
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
        return (read_json(data) if isinstance(data, (str, bytes)) else data), where
    except (ValueError, RecursionError):
        return data, where
