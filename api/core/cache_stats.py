"""Hit and miss counts of the request path's caches, for metrics to export.

Plain counters in the worker process, one pair per cache name ("config", "busy_time",
"availability"), each also counted in Prometheus' ``slotwise_cache_requests`` (api/core/metrics.py,
summed over workers there); `snapshot()` is this worker's counts, what tests and benchmarks read
to prove that a cache answered or did not.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Literal

from api.core import metrics

Outcome = Literal["hit", "miss"]

_lock = threading.Lock()
_counts: Counter[tuple[str, Outcome]] = Counter()


def record(cache: str, outcome: Outcome) -> None:
    with _lock:
        _counts[(cache, outcome)] += 1
    (metrics.cache_hit if outcome == "hit" else metrics.cache_miss)(cache)


def snapshot() -> dict[str, dict[Outcome, int]]:
    """{cache name: {"hit": n, "miss": n}} since the worker started."""
    with _lock:
        out: dict[str, dict[Outcome, int]] = {}
        for (cache, outcome), count in _counts.items():
            out.setdefault(cache, {"hit": 0, "miss": 0})[outcome] = count
        return out
