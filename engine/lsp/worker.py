"""The exact analysis in a process of its own: on a large policy it takes seconds
(the policy's decision diagram), and in the server's process it would hold the GIL
against the next edit's diagnostics. One worker process serves the jobs in turn;
a job for a policy that was edited again since is useless, so starting a new one
while a job runs ends that process (a new one is started, which costs an
interpreter's start and the engine's import)."""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.connection import Connection
from typing import Any, Callable


def _serve(connection: Connection) -> None:  # the worker process
    import os
    import sys

    # the server's stdout is the LSP channel: nothing of this process may write to it
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    sys.stdout = sys.stderr
    from .analysis import exact_findings

    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        try:
            result: tuple[str, Any] = ("ok", exact_findings(*job))
        except Exception as error:  # a bug: reported, the worker goes on
            result = ("error", f"{type(error).__name__}: {error}")
        try:
            connection.send(result)
        except (OSError, ValueError):  # the server went away
            return


class ExactWorker:
    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._process: Any = None
        self._connection: Connection | None = None
        self._busy = False
        self._generation = 0

    def _ensure(self) -> Connection:
        if self._process is None or not self._process.is_alive():
            ours, theirs = self._context.Pipe()
            self._process = self._context.Process(target=_serve, args=(theirs,), daemon=True,
                                                  name="lawful-lsp-exact")
            self._process.start()
            theirs.close()
            self._connection = ours
        assert self._connection is not None
        return self._connection

    def submit(self, path: str, texts: dict[str, str], done: Callable[[str, Any], None]) -> None:
        """Run the exact analysis of `path`'s policy on `texts`; `done(status, result)` is
        called from a thread of this object's, unless a later `submit` came first."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            if self._busy:  # the job running is out of date: end it
                self.stop()
            connection = self._ensure()
            self._busy = True
            connection.send((path, texts))

        def wait() -> None:
            try:
                status, result = connection.recv()
            except Exception:  # ended for a newer job, or the process died
                status, result = "ended", None
            with self._lock:
                if generation != self._generation:
                    return
                self._busy = False
            done(status, result)

        threading.Thread(target=wait, name="lawful-lsp-exact-wait", daemon=True).start()

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
        if self._connection is not None:
            self._connection.close()
        self._process = self._connection = None
        self._busy = False
