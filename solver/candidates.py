"""Exact candidate starts for a visit, computed on the grid with numpy.

For each part ``allowed[i][state, j]`` says whether the part can start at grid point ``j`` at
all: the mask that holds whatever resources it takes (patient, template slots naming no one,
slot booking) and, for every resource kind it needs, some resource of the pool that fits. Chains
are then solved backwards: ``completes[last] = allowed[last] & end <= latest`` and
``completes[i] = allowed[i] & any(completes[i + 1] over the gap range of j)``; the first part's
candidate starts are ``bookable[0] = any(completes[0])`` over the states.

Coupling between parts is handled as follows:

- ``same_provider`` / ``same_chair`` are exact in the DP by making the shared resource part of
  the state (one row per common resource, or per pair when both are asked).
  Consecutive parts on that shared resource may not overlap with their buffers, which only
  raises the effective minimum gap to ``buffer_after_i + buffer_before_{i+1}``.
  A provider is held for ``Part.held`` (a pattern's ``D`` runs, no buffers), so the raise for
  ``same_provider`` is how far those reach past the part's end (``_clearance``; usually none).
- Two parts that *may* pick the same resource while their held times could overlap
  (short gaps and long buffers) couple the choices; the DP is then a relaxation, and each of its
  candidate starts is confirmed by a small exact depth-first search (``coupled`` is True), which
  tests providers on their runs, chairs and rooms on their buffered spans.
  This never happens when buffers fit inside the gaps, which is the usual case.
"""

from __future__ import annotations

import itertools
import time as _time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from solver.grid import I64
from solver.masks import Bool, PartMasks, Timeline
from solver.prepare import Part
from solver.problem import ResourceKind


def range_any(g: Bool, lo: I64, hi: I64) -> Bool:
    c = np.zeros((g.shape[0], g.shape[1] + 1), dtype=np.int64)
    np.cumsum(g, axis=1, out=c[:, 1:])
    return (c[:, hi] - c[:, lo]) > 0


@dataclass
class Chain:
    """One concrete assignment: grid index and resource id per kind for every part."""

    js: list[int]
    resources: list[dict[ResourceKind, str]]


class Chains:
    """The backward pass over a visit's parts on one timeline.

    Per part ``i`` (rows are states, columns grid indices):

    - ``allowed[i]``: the part can start there at all;
    - ``completes[i]``: it can start there and every later part can follow;
    - ``bookable[i]``: ``completes[i]`` in some state;
    - ``next_lo[i]`` / ``next_hi[i]``: for part i at grid index j, the grid indices
      ``[next_lo, next_hi)`` where part i + 1 may start (its gap range);
    - ``min_gap[i]``: the effective minimum gap before part i, seconds.

    A state is one choice of the resources ``same_provider`` / ``same_chair`` share
    (``tracked`` kinds, ``common`` candidates); without those rules there is one empty state.
    """

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        prep = timeline.prep
        self.parts: tuple[Part, ...] = prep.parts
        self.part_masks: list[PartMasks] = [timeline.part_masks(p) for p in prep.parts]
        grid = timeline.grid
        n = len(grid)
        visit = prep.query.visit

        self.tracked: list[ResourceKind] = []
        self.common: dict[ResourceKind, list[str]] = {}
        for kind, flag in (
            (ResourceKind.PROVIDER, visit.same_provider),
            (ResourceKind.CHAIR, visit.same_chair),
        ):
            needing = [p for p in self.parts if kind in p.pools]
            if flag and len(needing) >= 2:
                self.tracked.append(kind)
                self.common[kind] = [
                    r for r in needing[0].pools[kind] if all(r in q.pools[kind] for q in needing)
                ]
        self.states = list(itertools.product(*(self.common[k] for k in self.tracked)))

        # Effective minimum gap before each part (index 0 unused).
        self.min_gap = [0] * len(self.parts)
        for i in range(1, len(self.parts)):
            prev, cur = self.parts[i - 1], self.parts[i]
            g = cur.min_gap
            for k in self.tracked:
                if k in prev.pools and k in cur.pools:
                    g = max(g, _clearance(prev, cur, k))
            self.min_gap[i] = g
        self.next_lo: list[I64] = []
        self.next_hi: list[I64] = []
        for i in range(len(self.parts) - 1):
            p, following = self.parts[i], self.parts[i + 1]
            earliest_next = grid + p.dur + self.min_gap[i + 1]
            self.next_lo.append(np.searchsorted(grid, earliest_next, side="left"))
            self.next_hi.append(
                np.searchsorted(grid, grid + p.dur + following.max_gap, side="right")
            )

        self.allowed = [self._allowed(i) for i in range(len(self.parts))]
        self.completes: list[Bool] = [np.zeros((len(self.states), n), dtype=np.bool_)] * len(
            self.parts
        )
        last = len(self.parts) - 1
        ends_in_time = (grid + self.parts[last].dur <= prep.latest)[None, :]
        self.completes[last] = self.allowed[last] & ends_in_time
        for i in range(last - 1, -1, -1):
            follows = range_any(self.completes[i + 1], self.next_lo[i], self.next_hi[i])
            self.completes[i] = self.allowed[i] & follows
        self.bookable: list[Bool] = [
            np.asarray(g.any(axis=0), dtype=np.bool_) for g in self.completes
        ]
        self.coupled = self._coupled()

    def state_rows(self, i: int, kind: ResourceKind) -> I64:
        """For a ``tracked`` kind: the row of part i's pool that each state holds."""
        ids = self.part_masks[i].kinds[kind].ids
        t = self.tracked.index(kind)
        return np.array([ids.index(s[t]) for s in self.states], dtype=np.int64)

    def _allowed(self, i: int) -> Bool:
        part_masks = self.part_masks[i]
        a = part_masks.everywhere_ok.copy()
        for kind, kind_masks in part_masks.kinds.items():
            if kind not in self.tracked:
                a &= kind_masks.ok.any(axis=0)
        out = np.repeat(a[None, :], len(self.states), axis=0)
        for kind in self.tracked:
            if kind in part_masks.kinds:
                out &= part_masks.kinds[kind].ok[self.state_rows(i, kind)]
        return out

    def _close_pairs(self) -> Iterator[tuple[int, int, set[ResourceKind]]]:
        """Pairs of parts whose held times could overlap, with the kinds both need for which
        they could (buffers for chairs and rooms, ``Part.held`` for providers)."""
        ps = self.parts
        for i, j in itertools.combinations(range(len(ps)), 2):
            least_gap = sum(self.min_gap[i + 1 : j + 1]) + sum(p.dur for p in ps[i + 1 : j])
            kinds = {
                kind
                for kind in set(ps[i].pools) & set(ps[j].pools)
                if least_gap < _clearance(ps[i], ps[j], kind)
            }
            if kinds:
                yield i, j, kinds

    def _may_share(self, i: int, j: int, kind: ResourceKind) -> bool:
        return bool(set(self.parts[i].pools[kind]) & set(self.parts[j].pools[kind]))

    def _coupled(self) -> bool:
        """Could two parts want one resource while their buffered intervals overlap?"""
        for i, j, kinds in self._close_pairs():
            for kind in kinds:
                if kind in self.tracked:
                    if j > i + 1:
                        return True
                elif self._may_share(i, j, kind):
                    return True
        return False

    def coupled_kinds(self) -> set[ResourceKind]:
        """Kinds whose choice interacts across parts (never pruned to one best resource)."""
        out = set(self.tracked)
        for i, j, kinds in self._close_pairs():
            out |= {kind for kind in kinds if self._may_share(i, j, kind)}
        return out

    # -- witnesses -------------------------------------------------------------------------

    def witnesses(self, js: I64) -> list[tuple[I64, dict[ResourceKind, I64]]]:
        """For uncoupled visits: one chain per first-part start, all starts at once.

        Per part: the grid indices and, per kind, the pool row chosen (the first that fits;
        later parts take the earliest start that still completes the chain).
        """
        n = len(self.timeline.grid)
        if len(js) == 0:
            return []
        state = np.argmax(self.completes[0][:, js], axis=0)
        out = []
        cur = js
        for i, part_masks in enumerate(self.part_masks):
            if i > 0:
                idx = np.where(self.completes[i], np.arange(n)[None, :], n)
                # The first completing start at or after each index (n: none).
                first_from = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]
                first_from = np.concatenate([first_from, np.full((len(self.states), 1), n)], axis=1)
                cur = first_from[state, self.next_lo[i - 1][cur]]
            rows: dict[ResourceKind, I64] = {}
            for kind, kind_masks in part_masks.kinds.items():
                if kind in self.tracked:
                    rows[kind] = self.state_rows(i, kind)[state]
                else:
                    rows[kind] = np.argmax(kind_masks.ok[:, cur], axis=0)
            out.append((cur, rows))
        return out

    def exact_chain(self, j0: int, deadline: float) -> Chain | None:
        """Depth-first search for one fully feasible chain from first start ``j0``."""
        js = [j0]

        def rec(i: int) -> list[dict[ResourceKind, str]] | None:
            res = self.assign(js)
            if res is None or i == len(self.parts):
                return res
            if _time.perf_counter() > deadline:
                raise TimeoutError
            lo, hi = int(self.next_lo[i - 1][js[-1]]), int(self.next_hi[i - 1][js[-1]])
            for j in np.flatnonzero(self.bookable[i][lo:hi]) + lo:
                js.append(int(j))
                found = rec(i + 1)
                if found is not None:
                    return found
                js.pop()
            return None

        found = rec(1)
        return None if found is None else Chain(list(js), found)

    def held(self, i: int, j: int, kind: ResourceKind) -> list[tuple[int, int]]:
        """The instants part i, started at grid index j, holds its resource of ``kind``."""
        t = int(self.timeline.grid[j])
        return [(t + a, t + b) for a, b in self.parts[i].held(kind)]

    def assign(self, js: list[int]) -> list[dict[ResourceKind, str]] | None:
        """Resources for parts ``0..len(js)-1`` at these starts, or None if none exist.

        Kinds never interact with each other, so each kind is a tiny independent search.
        """
        out: list[dict[ResourceKind, str]] = [{} for _ in js]
        kinds = {k for i in range(len(js)) for k in self.part_masks[i].kinds}
        for kind in kinds:
            parts = [i for i in range(len(js)) if kind in self.part_masks[i].kinds]
            cands = []
            held = {i: self.held(i, js[i], kind) for i in parts}
            for i in parts:
                kind_masks = self.part_masks[i].kinds[kind]
                cands.append([kind_masks.ids[r] for r in np.flatnonzero(kind_masks.ok[:, js[i]])])
            # Providers clash on their runs only: parts sharing a doctor may overlap in time
            # while the doctor is needed in one of them at a time.
            clash = {
                (a, b)
                for a, b in itertools.combinations(parts, 2)
                if any(r < f and s < e for r, e in held[a] for s, f in held[b])
            }
            if kind in self.tracked:
                shared = [r for r in self.common[kind] if all(r in c for c in cands)]
                if not shared or clash:
                    return None
                for i in parts:
                    out[i][kind] = shared[0]
                continue
            picked = _distinct(parts, cands, clash)
            if picked is None:
                return None
            for i in parts:
                out[i][kind] = picked[i]
        return out


def _clearance(first: Part, later: Part, kind: ResourceKind) -> int:
    """Seconds between the end of ``first`` and the start of ``later`` below which the two
    could hold one resource of ``kind`` at once: ``buffer_after + buffer_before`` for chairs,
    rooms and whole-span providers; for doctor time, how far the held runs reach past the
    part's end and before the later part's start (none: they never overlap)."""
    return first.hull(kind)[1] - first.dur - later.hull(kind)[0]


def _distinct(
    parts: list[int], cands: list[list[str]], clash: set[tuple[int, int]]
) -> dict[int, str] | None:
    """Pick one candidate per part so that clashing parts get different resources."""
    picked: dict[int, str] = {}

    def go(x: int) -> bool:
        if x == len(parts):
            return True
        i = parts[x]
        taken = {picked[a] for a in parts[:x] if (a, i) in clash}
        for r in cands[x]:
            if r not in taken:
                picked[i] = r
                if go(x + 1):
                    return True
        return False

    return picked if go(0) else None
