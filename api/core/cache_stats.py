"""Hit and miss counts of the request path's caches, for metrics to export.

Plain counters in the worker process, one pair per cache name ("config", "busy_time",
"availability"): `snapshot()` is what a Prometheus collector (api/core metrics) reads, and what
tests and benchmarks read to prove that a cache answered or did not.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Literal

Outcome = Literal["hit", "miss"]

_lock = threading.Lock()
_counts: Counter[tuple[str, Outcome]] = Counter()


def record(cache: str, outcome: Outcome) -> None:
    with _lock:
        _counts[(cache, outcome)] += 1


def snapshot() -> dict[str, dict[Outcome, int]]:
    """{cache name: {"hit": n, "miss": n}} since the worker started."""
    with _lock:
        out: dict[str, dict[Outcome, int]] = {}
        for (cache, outcome), count in _counts.items():
            out.setdefault(cache, {"hit": 0, "miss": 0})[outcome] = count
        return out
