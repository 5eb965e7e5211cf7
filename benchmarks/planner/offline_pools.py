"""Interchangeable resources in the offline model: one cumulative per pool, ids assigned after.

Chairs (rooms of one kind, assistants) with the same working hours, named by no template slot,
are interchangeable: which one a visit gets changes nothing else. Giving each visit a literal
per chair made CP-SAT search through every permutation of them; one cumulative per pool
(at most as many parts at once as the pool has members) states the same capacity without that
symmetry, and its linear relaxation is what the bound needs. Any schedule the cumulative allows
can be given ids afterwards: intervals inside the same hours with at most k overlapping at any
moment are coloured with k colours by a sweep in start order (an interval graph is perfect).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.planner.offline import Units
    from benchmarks.scenarios.model import Scenario

Pool = tuple[str, ...]


def interchangeable(s: Scenario, open_units: dict[str, Units]) -> set[Pool]:
    """The pools: chairs, rooms of one room kind and assistants, in scenario order, when there
    are at least two of them, all open at the same units and none named by a template slot."""
    named = {x.chair_id for x in s.template_slots} | {x.provider_id for x in s.template_slots}
    groups: dict[tuple[str, str | None], list[str]] = {}
    for r in s.resources:
        if r.kind in ("chair", "room", "assistant"):
            groups.setdefault((r.kind, r.room_kind if r.kind == "room" else None), []).append(r.id)
    return {
        tuple(ids)
        for ids in groups.values()
        if len(ids) > 1
        and not named & set(ids)
        and all(open_units[i] == open_units[ids[0]] for i in ids)
    }


def assign(pool: Pool, parts: Sequence[tuple[int, int]]) -> list[str]:
    """Ids of ``pool`` for parts given as (start, end) units, no two overlapping on one id."""
    free = list(pool)
    heapq.heapify(free)
    busy: list[tuple[int, str]] = []
    out = [""] * len(parts)
    for k in sorted(range(len(parts)), key=lambda k: parts[k]):
        start, end = parts[k]
        while busy and busy[0][0] <= start:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if not free:
            raise AssertionError(f"more parts at once than {pool} holds: the cumulative failed")
        rid = heapq.heappop(free)
        heapq.heappush(busy, (end, rid))
        out[k] = rid
    return out
