"""The decision service: an ASGI application that uvicorn runs (`lawful serve`).

Every decision comes from a `PolicyStore` (hot reload: a decision is made wholly by
one policy and carries its digest). The application is plain ASGI, without a web
framework: it has ten fixed routes, and it must read a JSON-lines batch and answer
it at the same time, line by line, which a framework's streaming response does not
allow under uvicorn (it takes over the request's receive channel). See docs/serve.md.

Nothing a client sends makes it answer 500: a body that is not an event, not JSON
or not UTF-8 is decided (a deny with its `invalid-event` reasons, HTTP 200), and
what is not a request for a decision gets a documented 4xx with a problem document
(RFC 9457). An error never allows: the decision is the engine's, which fails closed.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import json
import logging
import os
import time
from collections import deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

from ..core.diagnostics import Diagnostic
from ..decide.decision import Decision
from ..decide.policy import Policy, not_json
from ..event.timestamps import parse_timestamp
from ..event.values import MAX_LINE_BYTES, json_error, loads, split_lines
from ..load import PolicyError
from ..runtime.log import DecisionLog
from ..runtime.store import PolicyStore
from . import protocol
from .metrics import CONTENT_TYPE as METRICS_TYPE, Metrics
from .settings import (ADMIN_TOKENS_ENV, SHARED_ENV, TOKENS_ENV, ServeError, Settings, read_log_key,
                       read_tokens)

logger = logging.getLogger("lawful.serve")

_UTC = timezone.utc
JSON = b"application/json"
LINES = b"application/x-ndjson"
PROBLEM = b"application/problem+json"
#: the media types a JSON-lines batch may be sent as
LINE_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/x-jsonlines",
                        "application/jsonlines", "application/json-lines"})
#: decisions of a batch answered per write
BATCH_CHUNK = 1000
#: serialised decisions kept (a decision of the fast path is one shared object);
#: few, so that one-off decisions do not pile up as long-lived garbage
MAX_ANSWERS = 4096
#: how often a worker flushes its metrics and looks for a reload another worker made
TEND_SECONDS = 0.2
#: remedies searched at once per worker (each may take a while on a large policy)
REMEDY_SLOTS = 2


class Problem(Exception):
    """A request that is not answered with a decision: status, title and detail (RFC 9457)."""

    def __init__(self, status: int, kind: str, detail: str, headers: list[tuple[bytes, bytes]] | None = None):
        super().__init__(detail)
        self.status, self.kind, self.detail, self.headers = status, kind, detail, headers or []


class Disconnected(Exception):
    """The client went away before its request was read."""


TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 408: "Request Timeout", 413: "Content Too Large",
          415: "Unsupported Media Type", 422: "Unprocessable Content", 500: "Internal Server Error",
          503: "Service Unavailable"}


def problem_body(status: int, detail: str) -> bytes:
    return json.dumps({"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status,
                       "detail": detail}).encode()


class Route:
    __slots__ = ("name", "methods", "access", "handler")

    def __init__(self, name: str, methods: tuple[str, ...], access: str, handler: str):
        self.name, self.methods, self.access, self.handler = name, methods, access, handler


#: path → route. `access`: public (probes), client (a decision token when tokens are
#: configured) or admin (an admin token, and only with --allow-reload)
ROUTES: dict[str, Route] = {
    "/v1/decide": Route("decide", ("POST",), "client", "decide"),
    "/v1/decide/batch": Route("batch", ("POST",), "client", "batch"),
    "/v1/explain": Route("explain", ("POST",), "client", "explain"),
    "/v1/remedies": Route("remedies", ("POST",), "client", "remedies"),
    "/v1/policy": Route("policy", ("GET",), "client", "policy_info"),
    "/v1/reload": Route("reload", ("POST",), "admin", "reload"),
    "/metrics": Route("metrics", ("GET",), "client", "metrics_text"),
    "/openapi.json": Route("openapi", ("GET",), "client", "openapi"),
    "/healthz": Route("healthz", ("GET",), "public", "healthz"),
    "/readyz": Route("readyz", ("GET",), "public", "readyz"),
}


def _digests(tokens: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(hashlib.sha256(token.encode()).digest() for token in tokens)


_SECOND: tuple[tuple, str] = ((), "")  # the last second formatted, and its text


def _iso(moment: datetime) -> str:
    """A UTC moment in RFC 3339, as `isoformat` writes it with `Z`: the date and time
    formatted once a second (`isoformat` costs microseconds, once a request). A moment
    with another offset (a trusted caller's `at`) is written in UTC."""
    global _SECOND
    if moment.tzinfo is not _UTC:
        moment = moment.astimezone(_UTC)
    key = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    if key != _SECOND[0]:
        _SECOND = (key, "%04d-%02d-%02dT%02d:%02d:%02d" % key)
    micro = moment.microsecond
    return f"{_SECOND[1]}.{micro:06d}Z" if micro else _SECOND[1] + "Z"


class Service:
    """The ASGI application. `Service(settings)` loads the policy (raises PolicyError
    when it does not compile) and reads the tokens (raises ServeError)."""

    routes = ROUTES

    def __init__(self, settings: Settings):
        self.settings = settings
        self.metrics = Metrics()
        self.tokens = _digests(read_tokens(settings.token_file, TOKENS_ENV))
        self.admin_tokens = _digests(read_tokens(settings.admin_token_file, ADMIN_TOKENS_ENV))
        self.decision_log, self._slot = self._open_log(settings)
        self.store = PolicyStore(settings.policy, watch=settings.watch, on_reload=self._reloaded,
                                 on_error=self._reload_failed)
        self.started = time.time()
        self.stopping = False
        self._answers: dict[int, tuple[Decision, bytes, Any]] = {}
        self._openapi: tuple[str, bytes] | None = None
        self._remedy_slots: asyncio.Semaphore | None = None
        self._shared = os.environ.get(SHARED_ENV) or None
        self._generation = self._reload_generation()
        self._tending: asyncio.Future | None = None
        self._served(self.store.policy)
        protocol.deadlines.update(header=settings.header_timeout, body=settings.body_timeout,
                                  on_timeout=self.metrics.errors.labels("timeout").inc,
                                  on_too_large=self.metrics.errors.labels("headers-too-large").inc,
                                  on_busy=self.metrics.errors.labels("busy").inc)

    # ---- the policy ------------------------------------------------------------------------

    @staticmethod
    def _open_log(settings: Settings) -> tuple[DecisionLog | None, Any]:
        if settings.decision_log is None:
            return None, None
        path, slot = Path(settings.decision_log), None
        if settings.workers > 1:
            path, slot = _claim_slot(path, settings.workers)
        return DecisionLog(path, key=read_log_key(settings)), slot

    def _served(self, policy: Policy) -> None:
        """A policy is served (at start, and after each reload). What is alive now (the
        policy, the libraries) is frozen out of the cyclic collector: its full passes
        would otherwise walk it again and again, pauses of tens of milliseconds in the
        latency of whatever request they interrupt. Once per policy, one full pass
        (the previous policy's cycles collected) and a freeze."""
        self._answers = {}
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.metrics.serving(policy.digest, policy.name, self.store.last_reload.timestamp())

    def _reloaded(self, policy: Policy) -> None:
        self.metrics.reloads.labels("served").inc()
        self._served(policy)

    def _reload_failed(self, diagnostics: list[Diagnostic]) -> None:
        self.metrics.reloads.labels("failed").inc()

    # ---- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]],
                       send: Callable[[dict], Awaitable[None]]) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        # websockets are not offered: uvicorn refuses the upgrade when the app returns

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._tending = asyncio.ensure_future(self._tend())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.stopping = True
                if self._tending is not None:
                    self._tending.cancel()
                self.metrics.flush()
                await asyncio.to_thread(self.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _tend(self) -> None:
        """Every TEND_SECONDS: the metrics counted in this worker flushed to Prometheus's
        values; with several workers, a reload another worker was asked for done here."""
        while True:
            await asyncio.sleep(TEND_SECONDS)
            try:
                self.metrics.flush()
                generation = self._reload_generation()
                if generation != self._generation:
                    self._generation = generation
                    await asyncio.to_thread(self.store.reload)
            except Exception:  # never expected: tending goes on, the request path is untouched
                logger.exception("tending the worker failed")

    def _reload_generation(self) -> str | None:
        if self._shared is None:
            return None
        try:
            with open(os.path.join(self._shared, "reload"), encoding="utf-8") as file:
                return file.read()
        except OSError:
            return None

    def _reload_everywhere(self) -> None:
        """Tell the other workers of this server to reload (this one has)."""
        if self._shared is None:
            return
        generation = f"{time.time_ns()} {os.getpid()}"
        temporary = os.path.join(self._shared, f".reload.{os.getpid()}")
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(generation)
        os.replace(temporary, os.path.join(self._shared, "reload"))
        self._generation = generation

    def close(self) -> None:
        self.store.close()
        if self.decision_log is not None:
            self.decision_log.close()

    async def _http(self, scope, receive, send) -> None:
        started = time.perf_counter()
        route = self.routes.get(scope["path"])
        name = route.name if route is not None else "unknown"
        status = 500
        answered = [False]

        async def sending(message: dict) -> None:
            answered[0] = True
            await send(message)

        try:
            if route is None:
                raise Problem(404, "not-found", f"no endpoint {scope['path']!r}: see /openapi.json")
            if scope["method"] not in route.methods:
                raise Problem(405, "method", f"{scope['path']} takes {', '.join(route.methods)}",
                              [(b"allow", ", ".join(route.methods).encode())])
            if route.access != "public":
                self._authorise(scope, route)
            status = await getattr(self, route.handler)(scope, receive, sending)
        except Problem as problem:
            status = problem.status
            self.metrics.errors.labels(problem.kind).inc()
            if not answered[0]:
                await _respond(send, status, problem_body(status, problem.detail), PROBLEM,
                               problem.headers + ([(b"connection", b"close")] if status in (408, 413) else []))
        except Disconnected:
            if scope.get("lawful.timed_out"):
                status = 408  # answered by the protocol, which counted the timeout
            else:
                status = 499  # nginx's "client closed request": nothing was answered
                self.metrics.errors.labels("disconnected").inc()
        except Exception as error:  # a bug: never an allow, and never a traceback to the client
            logger.exception("answering %s %s failed", scope["method"], scope["path"])
            self.metrics.errors.labels("internal").inc()
            if not answered[0]:
                await _respond(send, 500, problem_body(500, f"internal error ({type(error).__name__}); "
                                                       "the request was not decided"), PROBLEM)
        self.metrics.answered(name, status, started)

    def _authorise(self, scope, route: Route) -> None:
        admin = route.access == "admin"
        if admin and not self.settings.allow_reload:
            raise Problem(403, "forbidden", "reloading over HTTP is off: start the server with --allow-reload "
                          "and admin tokens")
        accepted = self.admin_tokens if admin else self.tokens + self.admin_tokens
        if not admin and not self.tokens:
            return  # no decision tokens: loopback only, or every client has a certificate
        presented = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                presented = value
                break
        challenge = [(b"www-authenticate", b'Bearer realm="lawful"')]
        if presented is None or presented[:7].lower() != b"bearer ":
            raise Problem(401, "unauthorized", "send `Authorization: Bearer TOKEN`", challenge)
        digest = hashlib.sha256(presented[7:].strip()).digest()
        matched = False
        for token in accepted:  # every token compared, in constant time
            matched |= hmac.compare_digest(digest, token)
        if not matched:
            if admin and any(hmac.compare_digest(digest, token) for token in self.tokens):
                raise Problem(403, "forbidden", "this token may ask for decisions but not reload the policy")
            raise Problem(401, "unauthorized", "the bearer token is not accepted", challenge)

    # ---- reading requests ----------------------------------------------------------------------

    @staticmethod
    def _media(scope) -> str | None:
        for key, value in scope["headers"]:
            if key == b"content-type":
                return value.split(b";", 1)[0].strip().lower().decode("latin-1")
        return None

    def _json_only(self, scope) -> None:
        media = self._media(scope)
        if media != "application/json" and not (media or "").endswith("+json"):
            raise Problem(415, "media-type", f"send the event as `Content-Type: application/json` "
                          f"(not {media or 'no content type'})", [(b"accept-post", JSON)])

    async def _body(self, scope, receive, limit: int) -> bytes:
        for key, value in scope["headers"]:
            if key == b"content-length" and value.isdigit() and int(value) > limit:
                raise Problem(413, "too-large", f"the body is {int(value):,} bytes; at most {limit:,} are read")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Disconnected()
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise Problem(413, "too-large", f"the body is over {limit:,} bytes")
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _event(self, body: bytes, where: str = "the body") -> tuple[Any, str | None]:
        """The event of a body, or (None, why it cannot be read)."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            return None, f"{where} is not UTF-8 (byte {error.start + 1})"
        try:
            return loads(text), None
        except (ValueError, RecursionError) as error:
            return text, f"{where} is not JSON: {json_error(error)}"

    def _clock(self, policy: Policy, event: Any, now: datetime) -> tuple[datetime, Decision | None]:
        """The moment an event is decided at, and a deny when the caller's `at` is not
        trusted: by default the server's clock (a caller's `at` is dropped); with
        --trust-caller-time, the caller's `at` when within that many seconds of it."""
        if not isinstance(event, dict) or "at" not in event:
            return now, None
        trusted = self.settings.trust_caller_time
        if trusted is None:
            event.pop("at")
            return now, None
        try:
            moment = parse_timestamp(event["at"])
        except ValueError:
            return now, None  # the engine names the bad value
        skew = (moment - now).total_seconds()
        if abs(skew) > trusted:
            return now, policy.unreadable(
                f"`at` {event['at']} is {_span(abs(skew))} {'after' if skew > 0 else 'before'} the server's "
                f"clock ({_iso(now)}); a caller's `at` is trusted within {trusted:g} s of it")
        return moment, None

    def _decide(self, policy: Policy, body: bytes, now: datetime, where: str = "the body") -> tuple[Any, Decision, datetime]:
        event, problem = self._event(body, where)
        if problem is not None:
            return event, policy.unreadable(problem), now
        moment, refused = self._clock(policy, event, now)
        if refused is not None:
            return event, refused, moment
        return event, policy.evaluate(event, False, now), moment

    def _answer(self, decision: Decision) -> tuple[Decision, bytes, Any]:
        """The decision's JSON and its metric counter, kept per decision object."""
        entry = self._answers.get(id(decision))
        if entry is None or entry[0] is not decision:
            first = decision.reasons[0] if decision.reasons else None
            rule = "(none)" if first is None else (first.rule or first.kind)
            entry = (decision, decision.to_json().encode(), self.metrics.decided(decision.effect, rule))
            if len(self._answers) >= MAX_ANSWERS:
                self._answers = {}
            self._answers[id(decision)] = entry
        return entry

    # ---- the endpoints: each returns its status ----------------------------------------------

    async def decide(self, scope, receive, send) -> int:
        self._json_only(scope)
        body = await self._body(scope, receive, self.settings.max_body)
        policy = self.store.policy
        now = datetime.now(_UTC)
        began = time.perf_counter()
        event, decision, moment = self._decide(policy, body, now)
        metrics = self.metrics
        metrics.observe(metrics.decision_seconds, time.perf_counter() - began)
        _, payload, counter = self._answer(decision)
        metrics.count(counter)
        if self.decision_log is not None:
            self.decision_log.record(event, decision)
        await _respond(send, 200, payload, JSON, [(b"lawful-digest", decision.digest.encode()),
                                                  (b"lawful-decided-at", _iso(moment).encode())])
        return 200

    async def batch(self, scope, receive, send) -> int:
        media = self._media(scope)
        if media in LINE_TYPES:
            return await self._lines(scope, receive, send)
        if media != "application/json":
            raise Problem(415, "media-type", "send a batch as a JSON array (`Content-Type: application/json`) "
                          f"or as JSON lines (`application/x-ndjson`), not {media or 'no content type'}",
                          [(b"accept-post", b"application/json, application/x-ndjson")])
        body = await self._body(scope, receive, self.settings.max_batch_body)
        events, problem = self._event(body)
        if problem is not None or not isinstance(events, list):
            raise Problem(400, "bad-batch", problem or "a batch is a JSON array of events (or JSON lines "
                          "sent as application/x-ndjson), not " + type(events).__name__.replace("dict", "an object"))
        policy = self.store.policy
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", JSON), (b"lawful-digest", policy.digest.encode())]})
        answer, log = self._answer, self.decision_log
        counts: dict[Any, int] = {}
        for start in range(0, len(events), BATCH_CHUNK):
            now = datetime.now(_UTC)
            parts = []
            for event in events[start:start + BATCH_CHUNK]:
                refused = self._clock(policy, event, now)[1]
                decision = policy.evaluate(event, False, now) if refused is None else refused
                _, payload, counter = answer(decision)
                counts[counter] = counts.get(counter, 0) + 1
                parts.append(payload)
                if log is not None:
                    log.record(event, decision)
            chunk = b",".join(parts)
            await send({"type": "http.response.body", "more_body": True,
                        "body": (b"[" if start == 0 else b",") + chunk})
        await send({"type": "http.response.body", "body": b"]" if events else b"[]"})
        self._counted(counts, len(events))
        return 200

    def _counted(self, counts: dict[Any, int], events: int) -> None:
        for counter, count in counts.items():
            self.metrics.count(counter, count)
        self.metrics.observe(self.metrics.batch_events, events)

    async def _lines(self, scope, receive, send) -> int:
        """A JSON-lines batch, answered as it is read: one decision per line that is not
        blank, in order; a line that is not JSON or not UTF-8 is denied, naming it."""
        policy = self.store.policy
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", LINES), (b"lawful-digest", policy.digest.encode())]})
        outbox = _Outbox(send, self.settings.max_batch_buffer, self.settings.body_timeout)
        writer = asyncio.ensure_future(outbox.run())
        pending = bytearray()
        number = decided = 0
        skipping = False  # inside a line already denied for its length
        counts: dict[Any, int] = {}
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise Disconnected()
                chunk = message.get("body", b"")
                more = message.get("more_body", False)
                if more and b"\n" not in chunk:  # inside a line: only its length matters
                    if not skipping:
                        pending += chunk
                else:
                    lines = (bytes(pending) + chunk if not skipping else chunk).split(b"\n")
                    pending = bytearray(lines.pop()) if more else bytearray()
                    if skipping:  # the end of a line already denied for its length
                        lines.pop(0)
                        skipping = False
                    if lines:
                        parts, number, made = self._decide_lines(policy, lines, number, counts)
                        decided += made
                        outbox.put(parts)
                if not skipping and len(pending) > MAX_LINE_BYTES:
                    number += 1
                    denied = policy.unreadable(f"line {number} is longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB")
                    _, payload, counter = self._answer(denied)
                    counts[counter] = counts.get(counter, 0) + 1
                    outbox.put([payload + b"\n"])
                    decided += 1
                    pending = bytearray()
                    skipping = more
                await outbox.room()
                if not more:
                    break
        finally:
            outbox.finish()
            try:
                await writer
            finally:
                self._counted(counts, decided)
        await send({"type": "http.response.body", "body": b""})
        return 200

    def _decide_lines(self, policy: Policy, lines: list, number: int, counts: dict) -> tuple[list[bytes], int, int]:
        now = datetime.now(_UTC)
        answer, log, parts = self._answer, self.decision_log, []
        last = number + len(lines)
        for line_number, text, problem in split_lines(lines, number):
            event: Any = text
            if problem is not None:
                decision = policy.unreadable(problem)
            else:
                try:
                    event = loads(text or "")
                except (ValueError, RecursionError) as error:
                    decision = policy.unreadable(not_json(line_number, error))
                else:
                    refused = self._clock(policy, event, now)[1]
                    decision = policy.evaluate(event, False, now) if refused is None else refused
            _, payload, counter = answer(decision)
            counts[counter] = counts.get(counter, 0) + 1
            parts.append(payload + b"\n")
            if log is not None:
                log.record(event, decision)
        return parts, last, len(parts)

    async def explain(self, scope, receive, send) -> int:
        from ..decide.explain import explanation

        self._json_only(scope)
        body = await self._body(scope, receive, self.settings.max_body)
        policy = self.store.policy
        now = datetime.now(_UTC)
        event, problem = self._event(body)
        refused = None
        if problem is None:
            now, refused = self._clock(policy, event, now)
        if problem is not None or refused is not None:
            decision = refused or policy.unreadable(problem or "")
            data: dict[str, Any] = {"decision": decision.model_dump(), "event_valid": False,
                                    "consent_required": None, "rules": []}
        else:
            data = explanation(policy.explain(event, now=now))
        await _respond(send, 200, json.dumps(data, default=str).encode(), JSON,
                       [(b"lawful-digest", policy.digest.encode()), (b"lawful-decided-at", _iso(now).encode())])
        return 200

    async def remedies(self, scope, receive, send) -> int:
        self._json_only(scope)
        body = await self._body(scope, receive, self.settings.max_body)
        policy = self.store.policy
        now = datetime.now(_UTC)
        event, problem = self._event(body)
        refused = None
        if problem is None:
            now, refused = self._clock(policy, event, now)
        if problem is not None or refused is not None:
            from ..decide.analysis.remedies import Blocker, Remedies

            decision = refused or policy.unreadable(problem or "")
            found = Remedies(allowed=False, valid=False, reasons=list(decision.reasons), remedies=[], facts=[],
                             no_remedy=True, exact=True, digest=policy.digest,
                             blocked_by=[Blocker(message="the event is invalid: correct it first")])
        else:
            if self._remedy_slots is None:
                self._remedy_slots = asyncio.Semaphore(REMEDY_SLOTS)
            async with self._remedy_slots:
                found = await asyncio.to_thread(policy.remedies, event, now)
        await _respond(send, 200, found.to_json().encode(), JSON,
                       [(b"lawful-digest", policy.digest.encode()), (b"lawful-decided-at", _iso(now).encode())])
        return 200

    def _policy_data(self) -> dict[str, Any]:
        store, policy = self.store, self.store.policy
        return {"name": policy.name, "digest": policy.digest, "rules": len(policy.rules),
                "loaded_at": _iso(store.last_reload), "checked_at": _iso(store.last_check),
                "watching": store.watching, "errors": [d.to_dict() for d in store.errors]}

    async def policy_info(self, scope, receive, send) -> int:
        await _respond(send, 200, json.dumps(self._policy_data()).encode(), JSON)
        return 200

    async def reload(self, scope, receive, send) -> int:
        await self._body(scope, receive, self.settings.max_body)
        changed = await asyncio.to_thread(self.store.reload)
        self._reload_everywhere()  # the other workers read the files too, within TEND_SECONDS
        data = {"reloaded": changed, **self._policy_data()}
        status = 422 if self.store.errors else 200
        await _respond(send, status, json.dumps(data).encode(), JSON)
        return status

    async def metrics_text(self, scope, receive, send) -> int:
        self.metrics.flush()
        await _respond(send, 200, self.metrics.exposition(), METRICS_TYPE.encode())
        return 200

    async def openapi(self, scope, receive, send) -> int:
        policy = self.store.policy
        if self._openapi is None or self._openapi[0] != policy.digest:
            from .openapi import document

            text = json.dumps(document(policy, tokens=bool(self.tokens), reload=self.settings.allow_reload),
                              indent=1)
            self._openapi = (policy.digest, text.encode())
        await _respond(send, 200, self._openapi[1], JSON)
        return 200

    async def healthz(self, scope, receive, send) -> int:
        await _respond(send, 200, b'{"status":"ok"}', JSON)
        return 200

    async def readyz(self, scope, receive, send) -> int:
        if self.stopping:
            await _respond(send, 503, b'{"status":"stopping"}', JSON)
            return 503
        body = json.dumps({"status": "ready", "digest": self.store.digest,
                           "reload_errors": len(self.store.errors)}).encode()
        await _respond(send, 200, body, JSON)
        return 200


async def _respond(send, status: int, body: bytes, media: bytes,
                   headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", media), (b"content-length", str(len(body)).encode()),
                            *(headers or ())]})
    await send({"type": "http.response.body", "body": body})


def _span(seconds: float) -> str:
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


class _Outbox:
    """Between deciding a batch and writing its answer: a client that sends its whole
    batch before reading (httpx, requests) gets its decisions held here, up to `limit`
    bytes, instead of the server waiting on a write the client is not reading."""

    def __init__(self, send, limit: int, timeout: float):
        self.send, self.limit, self.timeout = send, limit, timeout
        self.items: deque[bytes] = deque()
        self.size = 0
        self.done = False
        self.failed: BaseException | None = None
        self._more = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    def put(self, parts: list[bytes]) -> None:
        if self.failed is not None:
            raise Disconnected() from self.failed
        if parts:
            data = b"".join(parts)
            self.items.append(data)
            self.size += len(data)
            if self.size > self.limit:
                self._room.clear()
            self._more.set()

    async def room(self) -> None:
        while self.size > self.limit and self.failed is None:
            await self._room.wait()
        if self.failed is not None:
            raise Disconnected() from self.failed

    def finish(self) -> None:
        self.done = True
        self._more.set()

    async def run(self) -> None:
        try:
            while True:
                while not self.items:
                    if self.done:
                        return
                    self._more.clear()
                    await self._more.wait()
                data = b"".join(self.items)
                self.items.clear()
                self.size = 0
                self._room.set()
                async with asyncio.timeout(self.timeout):  # a client that stops reading
                    await self.send({"type": "http.response.body", "body": data, "more_body": True})
        except BaseException as error:
            self.failed = error
            self._room.set()
            if not isinstance(error, Exception):
                raise


def _claim_slot(path: Path, workers: int):
    """A worker's own decision log, `NAME.wN.SUFFIX`: the first N whose lock no other
    live worker holds (a restarted worker takes its predecessor's chain over)."""
    import fcntl

    for index in range(1, 4 * workers + 1):
        lock = open(path.with_name(f"{path.name}.w{index}.lock"), "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        return path.with_name(f"{path.stem}.w{index}{path.suffix}"), lock
    raise ServeError(f"{path}: no free decision-log slot for this worker")


def from_environment() -> Service:
    """The application of one uvicorn worker, from `lawful serve`'s settings."""
    import sys

    settings = Settings.from_env()
    try:
        return Service(settings)
    except PolicyError as error:
        from ..core.diagnostics import render_all

        print(render_all(error.diagnostics), file=sys.stderr)
    except ServeError as error:
        print(f"lawful serve: {error}", file=sys.stderr)
    raise SystemExit(1)
