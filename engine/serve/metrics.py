"""Prometheus metrics of the decision service (prometheus_client).

With several workers, `lawful serve` points $PROMETHEUS_MULTIPROC_DIR at a fresh
folder before the workers start, and `/metrics` adds up every worker's values
(prometheus_client's multiprocess mode); with one, a registry of the process's own.
"""

from __future__ import annotations

import os
import time
from typing import Any

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, generate_latest,
                               CONTENT_TYPE_LATEST)

#: decision latency, seconds: from 5 µs (the fast path) to 50 ms (a cold plan on a big policy)
DECISION_BUCKETS = (5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 5e-3, 0.05)
#: request latency, seconds: from 100 µs to 10 s (a large batch)
REQUEST_BUCKETS = (1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 1.0, 10.0)
BATCH_BUCKETS = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class Metrics:
    """The service's metrics; `exposition()` is the text `/metrics` answers."""

    def __init__(self) -> None:
        self.multiprocess = multiprocess()
        #: in multiprocess mode the values live in files; this registry only names them
        self.registry = CollectorRegistry(auto_describe=True)
        if not self.multiprocess:
            from prometheus_client import PROCESS_COLLECTOR, PLATFORM_COLLECTOR

            self.registry.register(PROCESS_COLLECTOR)
            self.registry.register(PLATFORM_COLLECTOR)
        r = self.registry
        self.decisions = Counter("lawful_decisions", "Decisions made, by effect and by the rule of their "
                                 "first reason (or the reason's kind when no rule gave it)",
                                 ["effect", "rule"], registry=r)
        self.decision_seconds = Histogram("lawful_decision_seconds", "Time to decide one event "
                                          "(POST /v1/decide), without reading and writing HTTP",
                                          buckets=DECISION_BUCKETS, registry=r)
        self.requests = Counter("lawful_http_requests", "HTTP requests answered, by endpoint and status",
                                ["endpoint", "status"], registry=r)
        self.request_seconds = Histogram("lawful_http_request_seconds", "Time to answer a request, by endpoint",
                                         ["endpoint"], buckets=REQUEST_BUCKETS, registry=r)
        self.batch_events = Histogram("lawful_batch_events", "Events in a batch", buckets=BATCH_BUCKETS,
                                      registry=r)
        self.reloads = Counter("lawful_reloads", "Policy reloads, by outcome (served, failed)", ["outcome"],
                               registry=r)
        self.errors = Counter("lawful_errors", "Requests refused or failed, by kind", ["kind"], registry=r)
        self.policy_loaded = Gauge("lawful_policy_loaded_timestamp_seconds",
                                   "When the policy served was read (Unix time)", registry=r,
                                   multiprocess_mode="max")
        self.policy_info = Gauge("lawful_policy_info", "The policy served: 1 for its digest and name",
                                 ["digest", "name"], registry=r, multiprocess_mode="liveall")
        self._served: tuple[str, str] | None = None
        self._status: dict[tuple[str, int], Any] = {}
        self._latency: dict[str, Any] = {}

    def serving(self, digest: str, name: str | None, loaded: float) -> None:
        """A policy is now served (at start and after each reload)."""
        if self._served is not None:
            try:
                self.policy_info.remove(*self._served)
            except KeyError:
                pass
        self._served = (digest, name or "")
        self.policy_info.labels(*self._served).set(1)
        self.policy_loaded.set(loaded)

    def decided(self, effect: str, rule: str):
        """The counter child of one (effect, rule): the caller keeps it with the decision."""
        return self.decisions.labels(effect, rule)

    def answered(self, endpoint: str, status: int, started: float) -> None:
        key = (endpoint, status)
        child = self._status.get(key)
        if child is None:
            child = self._status[key] = self.requests.labels(endpoint, str(status))
        child.inc()
        latency = self._latency.get(endpoint)
        if latency is None:
            latency = self._latency[endpoint] = self.request_seconds.labels(endpoint)
        latency.observe(time.perf_counter() - started)

    def exposition(self) -> bytes:
        if self.multiprocess:
            from prometheus_client import multiprocess as mp

            registry = CollectorRegistry()
            mp.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
