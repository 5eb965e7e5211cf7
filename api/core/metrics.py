"""Prometheus metrics an operator watches (docs/operations.md lists every family).

The families are module globals in prometheus_client's default registry, so any module records
with a plain call (`metrics.cache_hit("availability")`) whether or not /metrics is served.
When `slotwise serve` runs several workers it sets PROMETHEUS_MULTIPROC_DIR before any worker
starts (api/cli.py); prometheus_client then keeps each worker's values in files there and
`exposition` sums them, so a scrape that lands on any worker sees the whole server.

Labels are fixed, small sets: a route's template (`/api/booking/appointments/{appointment_id}`,
never the raw path, so no patient or appointment id reaches a label), a status code, a cache
name, a problem slug, a rate-limit rule. Only counters and histograms: they sum across workers
and across a worker's restart without the per-process bookkeeping gauges would need.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine, event

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Seconds; from a cached answer (~1 ms) to a best-fit search near its time limit (2 s).
_REQUEST_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_ENGINE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_QUERY_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0)

HTTP_REQUESTS = Counter(
    "slotwise_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "slotwise_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route template and status.",
    ["method", "route", "status"],
    buckets=_REQUEST_BUCKETS,
)
ENGINE_DURATION = Histogram(
    "slotwise_engine_duration_seconds",
    "Time spent in the slot engine per call (availability, best fit, validate).",
    ["operation"],
    buckets=_ENGINE_BUCKETS,
)
DB_DURATION = Histogram(
    "slotwise_db_query_duration_seconds",
    "Time per SQL statement, from send to result, by kind of statement.",
    ["statement"],
    buckets=_QUERY_BUCKETS,
)
CACHE_REQUESTS = Counter(
    "slotwise_cache_requests",
    "Cache lookups, by cache and whether they were answered from it.",
    ["cache", "result"],
)
CONFLICTS = Counter(
    "slotwise_conflicts",
    "409 Conflict answers, by problem type (booking-conflict, slot-taken, stale version ...).",
    ["code"],
)
RATE_LIMITED = Counter(
    "slotwise_rate_limited",
    "Requests refused with 429 by a rate limit, by rule.",
    ["rule"],
)

# The first word of a statement; anything else (PRAGMA, BEGIN, SAVEPOINT) counts as "other" so
# the label set stays fixed.
_STATEMENT_KINDS = frozenset({"select", "insert", "update", "delete"})


def cache_hit(name: str) -> None:
    """One lookup in cache `name` answered from the cache."""
    CACHE_REQUESTS.labels(cache=name, result="hit").inc()


def cache_miss(name: str) -> None:
    """One lookup in cache `name` that had to compute or re-read its answer."""
    CACHE_REQUESTS.labels(cache=name, result="miss").inc()


def conflict(code: str) -> None:
    CONFLICTS.labels(code=code).inc()


def rate_limited(rule: str) -> None:
    RATE_LIMITED.labels(rule=rule).inc()


@contextmanager
def engine_time(operation: str) -> Iterator[None]:
    """Times one call into the solver; `operation` is availability, best_fit or validate."""
    started = time.perf_counter()
    try:
        yield
    finally:
        ENGINE_DURATION.labels(operation=operation).observe(time.perf_counter() - started)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    code = str(status)
    HTTP_REQUESTS.labels(method=method, route=route, status=code).inc()
    HTTP_DURATION.labels(method=method, route=route, status=code).observe(seconds)


_STARTED = "slotwise_metrics_started"


def instrument_engine(engine: Engine) -> None:
    """Time every statement the engine runs (SQLAlchemy's cursor events, one pair per query)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(
        conn: Any, _cursor: Any, _statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        conn.info.setdefault(_STARTED, []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(
        conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        started = conn.info.get(_STARTED)
        if not started:
            return
        kind = statement.lstrip()[:6].lower()
        DB_DURATION.labels(statement=kind if kind in _STATEMENT_KINDS else "other").observe(
            time.perf_counter() - started.pop()
        )

    @event.listens_for(engine, "handle_error")
    def _failed(context: Any) -> None:
        # A failed statement has no after event: drop its start so the next one pairs right.
        conn = context.connection
        if conn is not None and conn.info.get(_STARTED):
            conn.info[_STARTED].pop()


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def exposition() -> tuple[bytes, str]:
    """The text a scrape reads: this process's values, or every worker's summed."""
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
