"""`PolicyStore`: a policy that follows its files, swapped atomically on change.

    store = engine.PolicyStore("policies/", watch=True, on_error=alert)
    store.evaluate(event)            # decided by the policy held at that moment
    @store.guard(purpose="billing", categories=["invoice"], event=...)

A change is read as a *settled snapshot* — the whole tree read, then read again
`settle_ms` later, and used only when both reads agree (same files, same texts,
same inodes, sizes and times) — so a save caught half-way (a file rewritten in two
writes, deleted then recreated, moved aside then written) is never compiled. The
snapshot is compiled off to the side; only a policy that compiles replaces the one
being served (one reference assignment, so a decision is made wholly by the old
policy or wholly by the new one, and carries that policy's digest). Anything else —
a change that does not compile, a file or folder that cannot be read, an exception
of any kind — leaves the last good policy in place and is reported: to the `lawful`
logger, to `on_error(diagnostics)`, and in `store.errors`. The watcher thread
survives every failure; if watchfiles itself fails it is restarted with backoff.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..core.diagnostics import Diagnostic, render_all
from ..decide.guard import Guarding
from ..load import PolicyError, Snapshot, file_error, compile_sources, hidden, scan
from ..decide.decision import Decision
from ..decide.policy import Policy

if TYPE_CHECKING:
    from .log import DecisionLog

logger = logging.getLogger("lawful")

WATCHED_SUFFIXES = (".law",)
#: how long a tree may keep changing before a reload gives up (and reports it)
SETTLE_TIMEOUT_S = 10.0
#: the watcher's restart delays after watchfiles fails: doubling from the first to the last
BACKOFF_S = (0.1, 5.0)


class _Closed(Exception):
    """The store was closed while its watcher waited for the files to settle."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


class PolicyStore(Guarding):
    """Serves the policy at `path` (a file, a directory, or a list of them).

    - `watch=True` starts a background thread (watchfiles) that reloads on change;
      `reload()` does the same by hand.
    - `on_reload(policy)` is called after a new policy is swapped in;
      `on_error(diagnostics)` when a change cannot be served (the old policy stays).
    - `log`: a `DecisionLog` that the store's `guard`/`check` record into.
    - `debounce_ms`: how long file events must stop before the files are read;
      `settle_ms`: how long they must then stay unchanged (read twice that far apart)
      before they are compiled — longer than any pause inside one save.
    - `poll_ms`: besides file events, the watcher compares the tree's signature this
      often (a change no event reported, such as a link swapped outside the watched
      folders, is still picked up); 0 turns it off.

    Health: `errors` (why the last attempt failed; empty when it succeeded),
    `last_reload` (when the policy served was loaded), `last_check` (when the files
    were last read), `watching` (the watcher is running), `restarts` (times watchfiles
    had to be restarted).

    The first load must succeed (there is nothing to serve yet): it raises
    `PolicyError`. Safe to use from many threads; `close()` (or `with`) stops watching.
    """

    def __init__(self, path: str | Path | Sequence[str | Path], *, watch: bool = False,
                 on_reload: Callable[[Policy], Any] | None = None,
                 on_error: Callable[[list[Diagnostic]], Any] | None = None,
                 log: "DecisionLog | None" = None, debounce_ms: int = 50, settle_ms: int = 250, poll_ms: int = 1000):
        self.paths = [Path(p) for p in ([path] if isinstance(path, (str, os.PathLike)) else path)]
        self.on_reload, self.on_error = on_reload, on_error
        self.decision_log = log
        self.debounce_ms, self.settle_ms, self.poll_ms = debounce_ms, settle_ms, poll_ms
        #: the diagnostics of the last attempt that failed (empty once one succeeds)
        self.errors: list[Diagnostic] = []
        #: how many times the file watcher had to be restarted after failing
        self.restarts = 0
        self._lock = threading.Lock()  # one reload at a time; readers never wait
        #: when the files were last read, whatever came of it (UTC)
        self.last_check: datetime = _now()
        snapshot = self._settled()
        self._policy = compile_sources(list(snapshot.sources), snapshot.diagnostics)
        #: when the policy being served was read (UTC)
        self.last_reload: datetime = self.last_check
        self._seen = snapshot  # the last snapshot compiled (or found wanting)
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._ready = threading.Event()
        self._watching = False
        if watch:
            self.watch()

    # ---- serving ---------------------------------------------------------------------------

    @property
    def policy(self) -> Policy:
        """The policy being served now."""
        return self._policy

    @property
    def digest(self) -> str:
        return self._policy.digest

    @property
    def watching(self) -> bool:
        """The watcher thread is running and watchfiles is watching."""
        return self._watching and self._watcher is not None and self._watcher.is_alive()

    def evaluate(self, event: Any, strict: bool = False, now: datetime | None = None) -> Decision:
        """`Policy.evaluate` on the policy being served now."""
        return self._policy.evaluate(event, strict, now)

    # ---- reading -----------------------------------------------------------------------------

    def _settled(self) -> Snapshot:
        """The tree read twice `settle_ms` apart with the same result; raises
        PolicyError when it keeps changing for SETTLE_TIMEOUT_S or cannot be read."""
        quiet = max(self.settle_ms, 1) / 1000
        deadline = time.monotonic() + max(SETTLE_TIMEOUT_S, 20 * quiet)
        previous = scan(self.paths)
        self.last_check = _now()
        while True:
            if self._stopping(quiet):
                raise _Closed()
            current = scan(self.paths)
            self.last_check = _now()
            if current == previous:
                return current
            if time.monotonic() >= deadline:
                raise PolicyError([file_error(
                    self._name(), f"kept changing for {deadline - time.monotonic() + quiet:.0f}s"
                    " and was not read (save the files atomically: see docs/guard.md)")])
            previous = current

    def _stopping(self, seconds: float) -> bool:
        """Wait; True when the watcher running this is being closed (close() must not
        wait for a tree that keeps changing)."""
        watcher = getattr(self, "_watcher", None)
        if watcher is not None and threading.current_thread() is watcher:
            return self._stop.wait(seconds)
        time.sleep(seconds)
        return False

    def _name(self) -> str:
        return ", ".join(str(p) for p in self.paths)

    # ---- reloading ---------------------------------------------------------------------------

    def reload(self) -> bool:
        """Re-read the files (a settled snapshot) and recompile. True when a new policy
        is now served; False when nothing changed or the change cannot be served (it is
        reported; the last good policy stays). Never raises."""
        with self._lock:
            try:
                try:
                    snapshot = self._settled()
                except _Closed:
                    return False
                except PolicyError:  # never settled: the next poll tries again
                    self._seen = Snapshot(directories=self._seen.directories)
                    raise
                self._seen = snapshot  # a failure below is not retried until the files change
                policy = compile_sources(list(snapshot.sources), snapshot.diagnostics)
            except PolicyError as error:
                self._failed(error.diagnostics, "the policy change does not compile")
                return False
            except Exception as error:  # a bug, a MemoryError, a broken installation...
                logger.exception("reloading the policy failed")
                self._failed([file_error(self._name(), f"could not be reloaded: "
                                          f"{type(error).__name__}: {error}")],
                             "reloading the policy failed")
                return False
            self.errors = []
            if policy.digest == self._policy.digest:
                return False
            self._policy = policy  # the swap: one assignment
            self.last_reload = self.last_check
            logger.info("serving policy %s", policy.digest)
        if self.on_reload is not None:
            self._call(self.on_reload, policy)
        return True

    def _failed(self, diagnostics: list[Diagnostic], what: str) -> None:
        self.errors = diagnostics
        logger.error("%s; still serving %s\n%s", what, self._policy.digest, render_all(diagnostics))
        if self.on_error is not None:
            self._call(self.on_error, diagnostics)

    def _call(self, callback: Callable, argument: Any) -> None:
        try:
            callback(argument)
        except Exception:  # a broken callback must not stop the store
            logger.exception("a PolicyStore callback raised")

    def _changed(self) -> bool:
        """The tree's signature (listings, links, inodes, sizes, times) differs from
        the last snapshot read: cheap (no file is read)."""
        try:
            return scan(self.paths, read=False).signature != self._seen.signature
        except Exception:  # noqa: BLE001 — let reload() read and report it
            return True

    # ---- watching ------------------------------------------------------------------------------

    def watch(self) -> None:
        """Start reloading on file changes (a daemon thread); returns once watching."""
        if self._watcher is not None:
            return
        self._stop.clear()
        self._ready.clear()
        self._watcher = threading.Thread(target=self._watch, name="lawful-policy-watch", daemon=True)
        self._watcher.start()
        self._ready.wait(10)

    def _targets(self) -> list[str]:
        """What to watch: every real directory the files were found in (the targets of
        links included) and the folders of the files given, without one inside another."""
        folders = set(self._seen.directories)
        for path in self.paths:
            real = os.path.realpath(path)
            folders.add(real if os.path.isdir(real) else os.path.dirname(real))
        existing = sorted(f for f in folders if os.path.isdir(f))
        return [f for f in existing
                if not any(f != other and f.startswith(other.rstrip(os.sep) + os.sep) for other in existing)]

    @staticmethod
    def _identities(targets: list[str]) -> list[tuple]:
        """The folders watched, by path and inode (a folder deleted and made again is
        another folder, and its old watch is dead)."""
        identities: list[tuple] = []
        for target in targets:
            try:
                st = os.stat(target)
                identities.append((target, st.st_dev, st.st_ino))
            except OSError:
                identities.append((target, None, None))
        return identities

    def _relevant(self, change: Any, path: str) -> bool:
        """Changes that may alter the policy: `.law` files, ConfigMap internals (`..data`),
        and anything that is not (or no longer) a plain file with another name (a folder
        or link created, moved or removed)."""
        name = os.path.basename(path)
        if name.endswith(WATCHED_SUFFIXES) or name.startswith(".."):
            return True
        if hidden(name):
            return False
        return not (os.path.isfile(path) and not os.path.islink(path))

    def _watch(self) -> None:
        import watchfiles

        backoff = BACKOFF_S[0]
        first = True
        while not self._stop.is_set():
            targets = self._targets()
            try:
                if not targets:
                    raise FileNotFoundError(f"none of {self._name()} exists")
                identities, last_poll = self._identities(targets), time.monotonic()
                for changes in watchfiles.watch(
                        *targets, watch_filter=self._relevant, stop_event=self._stop,
                        debounce=max(1600, 4 * self.debounce_ms), step=max(self.debounce_ms, 1),
                        rust_timeout=200, yield_on_timeout=True, raise_interrupt=False):
                    changed = bool(changes)
                    if not self._watching:  # the first yield: the watcher is in place
                        if not first:
                            logger.warning("watching the policy files again (%s)", ", ".join(targets))
                        self._watching = True
                        self._ready.set()
                        first, backoff = False, BACKOFF_S[0]
                        changed = changed or self._changed()  # anything between loading and watching
                    elif not changed and self.poll_ms and time.monotonic() - last_poll >= self.poll_ms / 1000:
                        last_poll = time.monotonic()
                        changed = self._changed()
                    if changed:
                        self.reload()
                        last_poll = time.monotonic()
                    if self._identities(self._targets()) != identities:
                        break  # a link leads elsewhere, a folder was recreated: watch anew
            except Exception as error:  # watchfiles failed: log, then start it again
                self._watching = False
                self.restarts += 1
                logger.error("watching the policy files failed (%s: %s); restarting in %.1fs",
                             type(error).__name__, error, backoff)
                self._ready.set()
                if self._stop.wait(backoff):
                    break
                backoff = min(backoff * 2, BACKOFF_S[1])
                self.reload()  # changes made while nothing watched
            else:
                self._watching = False
        self._watching = False

    def close(self) -> None:
        """Stop watching (the store keeps serving its policy)."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(5)
            self._watcher = None

    def __enter__(self) -> "PolicyStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<PolicyStore {self._name()} serving {self._policy.digest[:19]}>"


__all__ = ["PolicyStore"]
