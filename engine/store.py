"""`PolicyStore`: a policy that follows its files, swapped atomically on change.

    store = engine.PolicyStore("policies/", watch=True, on_error=alert)
    store.evaluate(event)            # decided by the policy held at that moment
    @store.guard(purpose="billing", categories=["invoice"], event=...)

A change is recompiled off to the side; only a policy that compiles replaces the
one being served (one reference assignment, so a decision is made wholly by the
old policy or wholly by the new one, and carries that policy's digest). A change
that does not compile leaves the last good policy in place and is reported: to
the `lawful` logger, and to `on_error(diagnostics)`.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .diagnostics import Diagnostic, render_all
from .guard import Guarding
from .load import PolicyError, load_policy
from .model import Decision
from .policy import Policy

if TYPE_CHECKING:
    from .log import DecisionLog

logger = logging.getLogger("lawful")

WATCHED_SUFFIXES = (".law",)


class PolicyStore(Guarding):
    """Serves the policy at `path` (a file, a directory, or a list of them).

    - `watch=True` starts a background thread (watchfiles) that reloads on change;
      `reload()` does the same by hand.
    - `on_reload(policy)` is called after a new policy is swapped in;
      `on_error(diagnostics)` when a change does not compile (the old policy stays).
    - `log`: a `DecisionLog` that the store's `guard`/`check` record into.

    The first load must succeed (there is nothing to serve yet): it raises
    `PolicyError`. Safe to use from many threads; `close()` (or `with`) stops watching.
    """

    def __init__(self, path: str | Path | Sequence[str | Path], *, watch: bool = False,
                 on_reload: Callable[[Policy], Any] | None = None,
                 on_error: Callable[[list[Diagnostic]], Any] | None = None,
                 log: "DecisionLog | None" = None, debounce_ms: int = 50):
        self.paths = [Path(p) for p in ([path] if isinstance(path, (str, Path)) else path)]
        self.on_reload, self.on_error = on_reload, on_error
        self.decision_log = log
        self.debounce_ms = debounce_ms
        #: the diagnostics of the last change that did not compile (empty once one does)
        self.errors: list[Diagnostic] = []
        self._lock = threading.Lock()  # one reload at a time; readers never wait
        self._policy = load_policy(self.paths)
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._ready = threading.Event()
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

    def evaluate(self, event: Any, strict: bool = False, now: datetime | None = None) -> Decision:
        """`Policy.evaluate` on the policy being served now."""
        return self._policy.evaluate(event, strict, now)

    # ---- reloading ---------------------------------------------------------------------------

    def reload(self) -> bool:
        """Recompile from the files. True when a new policy is now served; False
        when nothing changed or the change did not compile (reported, old one kept)."""
        with self._lock:
            try:
                policy = load_policy(self.paths)
            except PolicyError as error:
                self.errors = error.diagnostics
                logger.error("the policy change does not compile; still serving %s\n%s",
                             self._policy.digest, render_all(error.diagnostics))
                if self.on_error is not None:
                    self._call(self.on_error, error.diagnostics)
                return False
            self.errors = []
            if policy.digest == self._policy.digest:
                return False
            self._policy = policy  # the swap: one assignment
            logger.info("serving policy %s", policy.digest)
        if self.on_reload is not None:
            self._call(self.on_reload, policy)
        return True

    def _call(self, callback: Callable, argument: Any) -> None:
        try:
            callback(argument)
        except Exception:  # a broken callback must not stop the store
            logger.exception("a PolicyStore callback raised")

    def watch(self) -> None:
        """Start reloading on file changes (a daemon thread); returns once watching."""
        if self._watcher is not None:
            return
        self._stop.clear()
        self._ready.clear()
        self._watcher = threading.Thread(target=self._watch, name="lawful-policy-watch", daemon=True)
        self._watcher.start()
        self._ready.wait(10)

    def _watch(self) -> None:
        import watchfiles

        dirs = [p.resolve() for p in self.paths if p.is_dir()]
        files = {p.resolve() for p in self.paths if not p.is_dir()}
        roots = sorted({str(p) for p in dirs} | {str(p.parent) for p in files})

        def relevant(change, path: str) -> bool:
            if not path.endswith(WATCHED_SUFFIXES):
                return False
            resolved = Path(path).resolve()
            return resolved in files or any(resolved.is_relative_to(d) for d in dirs)

        try:
            for changes in watchfiles.watch(*roots, watch_filter=relevant, stop_event=self._stop,
                                            debounce=self.debounce_ms, step=20, rust_timeout=200,
                                            yield_on_timeout=True, raise_interrupt=False):
                if not self._ready.is_set():  # the first yield: the watcher is in place
                    self._ready.set()
                    self.reload()  # anything changed between loading and watching
                elif changes:
                    self.reload()
        except Exception:  # the watcher must never take the application down
            logger.exception("watching the policy files failed; reload() still works")

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
        return f"<PolicyStore {', '.join(map(str, self.paths))} serving {self._policy.digest[:19]}>"


__all__ = ["PolicyStore"]
