"""The real `lawful serve`, started as a subprocess on a free loopback port, for tests.

    with Server(["rules/examples/shop"]) as server:
        httpx.post(server.url + "/v1/decide", json=event)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`python -m engine serve ARGS --port P`, waited for until /healthz answers."""

    def __init__(self, args: list[str], *, env: dict[str, str] | None = None, scheme: str = "http",
                 client: dict | None = None, host: str = "127.0.0.1"):
        self.port = free_port()
        self.args = [*args, "--port", str(self.port)]
        self.env = {**os.environ, **(env or {})}
        self.url = f"{scheme}://{host}:{self.port}"
        self.client_options = client or {}
        self.process: subprocess.Popen | None = None
        self.output = ""

    def __enter__(self) -> "Server":
        self.log = open(_log_path(self.port), "w+b")
        self.process = subprocess.Popen([sys.executable, "-m", "engine", "serve", *self.args], cwd=ROOT,
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"lawful serve exited {self.process.returncode}:\n{self.read_log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1, **self.client_options).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"lawful serve did not answer within 60 s:\n{self.read_log()}")

    def read_log(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def client(self, **options) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **{**self.client_options, **options})

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.output = self.read_log()
        self.log.close()


def _log_path(port: int) -> str:
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"lawful-serve-test-{port}.log")


def lawful(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """`lawful ARGS` as a subprocess (for what refuses to start)."""
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)
