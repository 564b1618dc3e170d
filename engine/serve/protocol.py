"""uvicorn's HTTP protocol (httptools) with deadlines for slow clients.

uvicorn times out a connection only while it is idle between requests. A client
that opens a connection and sends its headers a byte at a time, or stops half way
through a body, would hold a connection (and, for a batch, a worker's attention)
for as long as it likes. Here:

- the headers of a request must be complete `header_timeout` seconds after the
  connection opened or the request's first byte (between requests uvicorn's own
  keep-alive timeout applies);
- a body may pause at most `body_timeout` seconds between two pieces.

A client that misses either is answered `408 Request Timeout` (when nothing has
been answered yet) and disconnected; `lawful_errors_total{kind="timeout"}` counts it,
and the request is recorded with status 408 (the scope's `lawful.timed_out`).

A connection beyond `--max-connections` is answered 503 with a problem document
(uvicorn's own answer is plain text), counted as `lawful_errors_total{kind="busy"}`.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def _raw_problem(status: int, title: str, detail: str) -> bytes:
    """A whole HTTP response with a problem document, written by the protocol itself."""
    body = (f'{{"type":"about:blank","title":"{title}","status":{status},"detail":"{detail}"}}').encode()
    return (f"HTTP/1.1 {status} {title}\r\ncontent-type: application/problem+json\r\nconnection: close\r\n"
            f"content-length: {len(body)}\r\n\r\n").encode() + body


#: the request line and headers of one request, at most (httptools sets no limit)
MAX_HEADER_BYTES = 64 * 1024
TIMEOUT_RESPONSE = _raw_problem(408, "Request Timeout", "the request was too slow")
TOO_LARGE_RESPONSE = _raw_problem(431, "Request Header Fields Too Large", "the headers are over 64 KiB")
BUSY_BODY = (b'{"type":"about:blank","title":"Service Unavailable","status":503,'
             b'"detail":"the server has as many connections as it takes (--max-connections): try again"}')


class _Refused(Exception):
    """Raised inside the parser once a request is refused (its headers are too large)."""

#: set by the service once it is built: the timeouts, and what counts a refusal
deadlines: dict[str, Any] = {"header": 10.0, "body": 10.0, "on_timeout": None, "on_too_large": None,
                             "on_busy": None}


async def busy(scope, receive, send) -> None:
    """The answer to a request over the connection limit, in place of uvicorn's."""
    callback = deadlines["on_busy"]
    if callback is not None:
        callback()
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/problem+json"), (b"content-length", str(len(BUSY_BODY)).encode()),
        (b"connection", b"close"), (b"retry-after", b"1")]})
    await send({"type": "http.response.body", "body": BUSY_BODY})


class DeadlineProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a header deadline and a body idle deadline."""

    _deadline: asyncio.TimerHandle | None = None
    _header_bytes = 0
    _refused = False

    def _arm(self, seconds: float) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport is None or self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            if cycle is not None:  # the application stops waiting for the body
                cycle.scope["lawful.timed_out"] = True  # type: ignore[typeddict-unknown-key]
                cycle.response_complete = True
                cycle.disconnected = True
                cycle.message_event.set()
            self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()
        callback: Callable[[], Any] | None = deadlines["on_timeout"]
        if callback is not None:
            callback()

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm(deadlines["header"])

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if self._deadline is None:
            self._arm(deadlines["header"])

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES and not self._refused:
            self._refused = True
            self._disarm()
            self.transport.write(TOO_LARGE_RESPONSE)
            self.transport.close()
            callback = deadlines["on_too_large"]
            if callback is not None:
                callback()
            raise _Refused()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        if not self._refused:  # a refused request has had its answer
            super().send_400_response(msg)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(deadlines["body"])

    def _start_asgi_task(self, cycle, app) -> None:
        super()._start_asgi_task(cycle, busy if app is service_unavailable else app)

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._arm(deadlines["body"])

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)
