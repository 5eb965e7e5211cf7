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
from solver.objective import TEMPLATE_FILL_CP, Choice, Loads, explain, kind_coef, nearness_cp
from solver.objective import reference as near_ref
from solver.prepare import prepare
from solver.problem import ResourceKind, SlotQuery
from solver.result import BestFit, SolveStatus, Suggestion

NEG = np.int64(-(10**12))


def range_max(v: I64, lo: I64, hi: I64) -> I64:
    """``max(v[:, lo[j]:hi[j]])`` for every column j (NEG when empty), via a sparse table."""
    s, n = v.shape
    out = np.full((s, n), NEG, dtype=np.int64)
    length = hi - lo
    has = length > 0
    if not has.any():
        return out
    tables = [v]
    span = 1
    while span * 2 <= int(length.max()):
        prev = tables[-1]
        nxt = prev.copy()
        nxt[:, : n - span] = np.maximum(prev[:, : n - span], prev[:, span:])
        tables.append(nxt)
        span *= 2
    lvl = np.floor(np.log2(length[has])).astype(np.int64)
    t = np.stack(tables)
    a = t[lvl, :, lo[has]]
    b = t[lvl, :, hi[has] - (1 << lvl)]
    out[:, has] = np.maximum(a, b).T
    return out


def part_best(ch: Chains, i: int, coef: dict[ResourceKind, I64]) -> I64:
    """Best centipoints part i can earn at each (state, start), fill counted once."""
    pm = ch.pms[i]
    n = len(ch.tl.grid)
    base = np.zeros(n, dtype=np.int64)
    alt = np.full(n, NEG, dtype=np.int64)
    tsum = np.zeros((len(ch.states), n), dtype=np.int64)
    fixed_fill: Bool = np.repeat(pm.gfill[None, :], len(ch.states), axis=0)
    for kind, km in pm.kinds.items():
        c = np.where(km.ok, coef[kind], NEG)
        if kind in ch.tracked:
            rows = ch._rows(i, kind)
            tsum += c[rows]
            fixed_fill |= km.fill[rows] & km.ok[rows]
            continue
        best = c.max(axis=0)
        best_fill = np.where(km.fill, c, NEG).max(axis=0)
        alt = np.maximum(alt, best_fill - best)
        base += best
    base = np.maximum(base, NEG)
    free_fill = np.where(alt > NEG // 2, base + alt, NEG) + TEMPLATE_FILL_CP
    per = np.where(fixed_fill, base + TEMPLATE_FILL_CP, np.maximum(base, free_fill))
    return np.maximum(np.where(ch.A[i], tsum + per, NEG), NEG)


def best_fit(query: SlotQuery, k: int = 10) -> BestFit:
    t0 = time.perf_counter()
    if k < 1:
        raise InvalidQuery("k", f"ask for at least one suggestion, got k={k}")
    prep = prepare(query)
    tl = Timeline(prep)
    ch = Chains(tl)
    cands = np.flatnonzero(ch.any_g[0])
    if len(cands) == 0:
        return BestFit((), SolveStatus.INFEASIBLE, None, None, True)

    loads = Loads(tl)
    coef = [{kd: kind_coef(tl, loads, kd, km) for kd, km in pm.kinds.items()} for pm in ch.pms]
    near = np.asarray(nearness_cp(tl.grid, near_ref(tl)), dtype=np.int64)
    last = len(ch.parts) - 1
    v = np.where(ch.G[last], part_best(ch, last, coef[last]), NEG)
    for i in range(last - 1, -1, -1):
        ahead = range_max(v, ch.lo[i], ch.hi[i])
        v = np.maximum(np.where(ch.G[i], part_best(ch, i, coef[i]) + ahead, NEG), NEG)
    ub = v.max(axis=0) + near
    order = cands[np.lexsort((cands, -ub[cands]))]

    scores = Scores(coef, near)
    size = min(len(order), k if not ch.coupled else 2 * k)
    picked: list[Picked] = []
    status = "unknown"
    complete = False
    while True:
        remaining = query.time_limit_seconds - (time.perf_counter() - t0)
        if remaining <= 0:
            break
        pool = [int(j) for j in order[:size]]
        outcome = BestFitModel(ch, scores, pool, k).solve(remaining)
        status = outcome.status
        if status != "optimal":
            picked = outcome.picked or picked
            break
        picked = outcome.picked
        values = sorted((p.value for p in picked), reverse=True)
        outside = int(ub[order[size]]) if size < len(order) else None
        if outside is None or (len(values) >= k and values[k - 1] >= outside):
            complete = True
            break
        if len(values) >= k:
            size = max(size * 2, int(np.count_nonzero(ub[order] > values[k - 1])))
        else:
            size *= 2
        size = min(size, len(order))

    asm = Assembler(tl, ch.pms)
    suggestions = []
    for p in picked:
        res = [
            {kd: ch.pms[i].kinds[kd].ids[r] for kd, r in rows.items()}
            for i, rows in enumerate(p.rows)
        ]
        slot = asm.slot(p.js, res)
        choices = [
            Choice(i, int(tl.grid[j]), res[i], slot.parts[i].template_slot_id)
            for i, j in enumerate(p.js)
        ]
        total, terms = explain(tl, loads, choices)
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
        bound = float(ub[order].max()) / 100
        st = SolveStatus.FEASIBLE if out else SolveStatus.TIMED_OUT
    return BestFit(out, st, top, bound, complete)
