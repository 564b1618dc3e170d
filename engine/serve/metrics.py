"""Prometheus metrics of the decision service (prometheus_client).

With several workers, `lawful serve` points $PROMETHEUS_MULTIPROC_DIR at a fresh
folder before the workers start, and `/metrics` adds up every worker's values
(prometheus_client's multiprocess mode); with one, a registry of the process's own.
"""

from __future__ import annotations

import bisect
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
        self.policy_info = Gauge("lawful_policy_info", "The policy served: 1 for its digest and name (with several workers, 0 for one a worker served before)",
                                 ["digest", "name"], registry=r, multiprocess_mode="liveall")
        self._served: tuple[str, str] | None = None
        self._status: dict[tuple[str, int], Any] = {}
        self._latency: dict[str, Any] = {}
        #: counts and observations of the request path, kept in plain Python until
        #: `flush` (a Prometheus update costs microseconds, several in multiprocess mode)
        self._counts: dict[Any, int] = {}
        self._observed: dict[Any, list] = {}

    def serving(self, digest: str, name: str | None, loaded: float) -> None:
        """A policy is now served (at start and after each reload)."""
        if self._served is not None and self._served != (digest, name or ""):
            if self.multiprocess:  # a series in the workers' files cannot be removed: it reads 0
                self.policy_info.labels(*self._served).set(0)
            else:
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
        self._counts[child] = self._counts.get(child, 0) + 1
        latency = self._latency.get(endpoint)
        if latency is None:
            latency = self._latency[endpoint] = self.request_seconds.labels(endpoint)
        self.observe(latency, time.perf_counter() - started)

    def count(self, counter, amount: int = 1) -> None:
        """`counter.inc(amount)`, at the next `flush`."""
        self._counts[counter] = self._counts.get(counter, 0) + amount

    def observe(self, histogram, value: float) -> None:
        """`histogram.observe(value)` (a histogram without labels, or a labelled child),
        at the next `flush`: the bucket found now, as prometheus_client finds it."""
        entry = self._observed.get(histogram)
        if entry is None:
            bounds = histogram._upper_bounds
            entry = self._observed[histogram] = [bounds, [0] * len(bounds), 0.0]
        entry[1][bisect.bisect_left(entry[0], value)] += 1
        entry[2] += value

    def flush(self) -> None:
        """What `count` and `observe` kept, into Prometheus's values. Called from the
        event loop's thread (as they are): every TEND_SECONDS, and before each scrape."""
        counts, self._counts = self._counts, {}
        for counter, amount in counts.items():
            counter.inc(amount)
        observed, self._observed = self._observed, {}
        for histogram, (_, buckets, total) in observed.items():
            histogram._sum.inc(total)
            for index, amount in enumerate(buckets):
                if amount:
                    histogram._buckets[index].inc(amount)

    def exposition(self) -> bytes:
        if self.multiprocess:
            from prometheus_client import multiprocess as mp

            registry = CollectorRegistry()
            mp.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
