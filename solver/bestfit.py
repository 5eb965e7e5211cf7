"""Best fit: the k best start times to offer, each with its best bookable assignment.

1. numpy: exact candidate starts (``candidates``) and, per part, resource and start, the
   centipoints each choice contributes (``objective``). A backward DP over the chain gives every
   first start an upper bound ``UB`` on its best score; it is exact when the parts do not
   compete for a resource (the usual case) and optimistic otherwise.
2. CP-SAT (``model``) picks the k best starts and their chains from a pool of the candidates
   with the highest ``UB``.
3. The answer is proven complete when the k-th chosen score is at least the best ``UB`` left
   outside the pool; otherwise the pool grows and CP-SAT runs again, within the time limit.

At most one suggestion per start time: a list of distinct times is what staff choose from, and
each shows the best resources for that time. Sorted by score, then start, then resource ids.
"""

from __future__ import annotations

import time

import numpy as np

from solver.assemble import Assembler
from solver.candidates import Chains
from solver.errors import InvalidQuery
from solver.grid import I64
from solver.masks import Bool, Timeline
from solver.model import BestFitModel, Picked, Scores
from solver.objective import (
    ChairLoads,
    Choice,
    explain,
    nearness,
    nearness_reference,
    resource_points,
    template_fill,
)
from solver.prepare import prepare
from solver.problem import ResourceKind, SlotQuery
from solver.result import BestFit, SolveStatus, Suggestion

NEG = np.int64(-(10**12))


def range_max(values: I64, lo: I64, hi: I64) -> I64:
    """``max(values[:, lo[j]:hi[j]])`` for every column j (NEG when empty), via a sparse table."""
    rows, n = values.shape
    out = np.full((rows, n), NEG, dtype=np.int64)
    length = hi - lo
    has = length > 0
    if not has.any():
        return out
    tables = [values]
    span = 1
    while span * 2 <= int(length.max()):
        prev = tables[-1]
        doubled = prev.copy()
        doubled[:, : n - span] = np.maximum(prev[:, : n - span], prev[:, span:])
        tables.append(doubled)
        span *= 2
    level = np.floor(np.log2(length[has])).astype(np.int64)
    stacked = np.stack(tables)
    left = stacked[level, :, lo[has]]
    right = stacked[level, :, hi[has] - (1 << level)]
    out[:, has] = np.maximum(left, right).T
    return out


def part_best(chains: Chains, i: int, points: dict[ResourceKind, I64], fill: I64) -> I64:
    """Best centipoints part i can earn at each (state, start), ``template_fill`` counted once.

    ``points`` are the per-resource terms of each kind (``resource_points``) and ``fill`` the
    ``template_fill`` the part earns at each start where some choice fills a slot.
    """
    part_masks = chains.part_masks[i]
    n = len(chains.timeline.grid)
    n_states = len(chains.states)
    base = np.zeros(n, dtype=np.int64)
    fill_gain = np.full(n, NEG, dtype=np.int64)  # best extra for picking a filling resource
    tracked_sum = np.zeros((n_states, n), dtype=np.int64)
    fills_anyway: Bool = np.repeat(part_masks.everywhere_fill[None, :], n_states, axis=0)
    for kind, kind_masks in part_masks.kinds.items():
        kind_points = np.where(kind_masks.ok, points[kind], NEG)
        if kind in chains.tracked:
            rows = chains.state_rows(i, kind)
            tracked_sum += kind_points[rows]
            fills_anyway |= kind_masks.fill[rows] & kind_masks.ok[rows]
            continue
        best = kind_points.max(axis=0)
        best_filling = np.where(kind_masks.fill, kind_points, NEG).max(axis=0)
        fill_gain = np.maximum(fill_gain, best_filling - best)
        base += best
    base = np.maximum(base, NEG)
    can_fill = fill_gain > NEG // 2
    with_fill = np.where(can_fill, base + fill_gain + fill, NEG)
    per_start = np.where(fills_anyway, base + fill, np.maximum(base, with_fill))
    return np.maximum(np.where(chains.allowed[i], tracked_sum + per_start, NEG), NEG)


def best_fit(query: SlotQuery, k: int = 10) -> BestFit:
    t0 = time.perf_counter()
    if k < 1:
        raise InvalidQuery("k", f"ask for at least one suggestion, got k={k}")
    prep = prepare(query)
    timeline = Timeline(prep)
    chains = Chains(timeline)
    candidates = np.flatnonzero(chains.bookable[0])
    if len(candidates) == 0:
        return BestFit((), SolveStatus.INFEASIBLE, None, None, True)

    loads = ChairLoads(timeline)
    points = [
        {
            kind: resource_points(timeline, loads, part.part, kind, masks)
            for kind, masks in part.kinds.items()
        }
        for part in chains.part_masks
    ]
    fill = [template_fill(part.fillable()) for part in chains.part_masks]
    near = nearness(timeline.grid, nearness_reference(timeline))
    last = len(chains.parts) - 1
    best = np.where(chains.completes[last], part_best(chains, last, points[last], fill[last]), NEG)
    for i in range(last - 1, -1, -1):
        ahead = range_max(best, chains.next_lo[i], chains.next_hi[i])
        here = part_best(chains, i, points[i], fill[i])
        best = np.maximum(np.where(chains.completes[i], here + ahead, NEG), NEG)
    upper_bound = best.max(axis=0) + near
    order = candidates[np.lexsort((candidates, -upper_bound[candidates]))]

    scores = Scores(points, fill, near)
    size = min(len(order), k if not chains.coupled else 2 * k)
    picked: list[Picked] = []
    status = "unknown"
    complete = False
    while True:
        remaining = query.time_limit_seconds - (time.perf_counter() - t0)
        if remaining <= 0:
            break
        pool = [int(j) for j in order[:size]]
        outcome = BestFitModel(chains, scores, pool, k).solve(remaining)
        status = outcome.status
        if status != "optimal":
            picked = outcome.picked or picked
            break
        picked = outcome.picked
        values = sorted((p.value for p in picked), reverse=True)
        outside = int(upper_bound[order[size]]) if size < len(order) else None
        if outside is None or (len(values) >= k and values[k - 1] >= outside):
            complete = True
            break
        if len(values) >= k:
            size = max(size * 2, int(np.count_nonzero(upper_bound[order] > values[k - 1])))
        else:
            size *= 2
        size = min(size, len(order))

    assembler = Assembler(timeline, chains.part_masks)
    suggestions = []
    for p in picked:
        resources = [
            {kind: chains.part_masks[i].kinds[kind].ids[r] for kind, r in rows.items()}
            for i, rows in enumerate(p.rows)
        ]
        slot = assembler.slot(p.js, resources)
        choices = [
            Choice(i, int(timeline.grid[j]), resources[i], slot.parts[i].template_slot_id)
            for i, j in enumerate(p.js)
        ]
        total, terms = explain(timeline, loads, choices)
        suggestions.append((total, slot, terms))
    suggestions.sort(
        key=lambda x: (
            -x[0],
            x[1].start,
            tuple((a.provider_id or "", a.chair_id or "", a.room_id or "") for a in x[1].parts),
        )
    )
    out = tuple(Suggestion(slot, total / 100, tuple(terms)) for total, slot, terms in suggestions)
    top = out[0].score if out else None
    if complete:
        bound = top
        st = SolveStatus.OPTIMAL if out else SolveStatus.INFEASIBLE
    else:
        bound = float(upper_bound[order].max()) / 100
        st = SolveStatus.FEASIBLE if out else SolveStatus.TIMED_OUT
    return BestFit(out, st, top, bound, complete)
