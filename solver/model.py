"""The CP-SAT model behind best fit.

It is given a pool of candidate first-part starts (from the numpy DP, best upper bound first) and
chooses, for up to ``k`` of them, the whole chain: later parts' starts and every part's resources.
Candidates are alternatives, not simultaneous bookings, so each one is an independent sub-model
switched on by its literal ``sel``; the model maximises the sum of the chosen sub-models' scores,
whose optimum is exactly the k best starts of the pool.

Per candidate ``c`` (first start fixed):

- ``y[i][j]``: part ``i`` starts at grid point ``j``; exactly one per part when ``sel``, and a
  part may only start inside the gap range of the previous part's chosen start.
- ``z[i][j][kind][r]``: part ``i`` at ``j`` uses resource ``r`` of ``kind``; exactly one per
  needed kind when ``y[i][j]``. Only resources whose free-time mask allows ``j`` exist as
  literals, so busy time, working hours and template reservations are already pruned away.
  A kind that couples nothing (no same_* rule, no possible overlap between parts) keeps only
  its best resource and its best template-filling resource: any other choice is dominated.
- ``same_provider`` / ``same_chair``: the chosen resource is equal across parts.
- parts that could overlap (buffers included) on one resource: an optional fixed-size interval
  per ``z`` and held run (``Part.held``: a provider only for a pattern's ``D`` runs) and
  ``AddNoOverlap`` per resource.
- template fill: ``f[i][j] <= sum(z that fill a slot)``, worth ``template_fill`` once per part.

Objective coefficients are the integer centipoints of ``objective``'s terms, computed once per
query by best fit (``Scores``), so the model and the explanation score alike. Each chosen
candidate also earns a constant large enough that choosing more candidates always wins, and a
tiny bonus favouring the pool's order (earlier start on ties), kept below one centipoint in total.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from solver.candidates import Chains
from solver.grid import I64
from solver.problem import ResourceKind


@dataclass
class Scores:
    """The objective's terms as model coefficients, in centipoints."""

    # Per part and kind, each (pool row, grid index): ``objective.resource_points``.
    resource: list[dict[ResourceKind, I64]]
    # Per part and grid index: ``objective.template_fill`` for filling a slot there.
    fill: list[I64]
    # Per grid index of the first part: ``objective.nearness``.
    near: I64


@dataclass
class Sub:
    j0: int
    sel: cp_model.IntVar
    y: list[dict[int, cp_model.IntVar]] = field(default_factory=list)
    z: list[dict[tuple[int, ResourceKind], list[tuple[int, cp_model.IntVar]]]] = field(
        default_factory=list
    )
    value: list[tuple[cp_model.IntVar, int]] = field(default_factory=list)


@dataclass
class Picked:
    j0: int
    js: list[int]
    rows: list[dict[ResourceKind, int]]
    value: int


@dataclass
class Outcome:
    status: str  # "optimal", "feasible", "infeasible" or "unknown"
    picked: list[Picked]


class BestFitModel:
    def __init__(self, chains: Chains, scores: Scores, pool: list[int], k: int) -> None:
        self.chains = chains
        self.scores = scores
        self.model = cp_model.CpModel()
        self.coupled = chains.coupled_kinds()
        # Each chosen suggestion earns ``big`` on top of its score, so that k suggestions always
        # beat fewer: it exceeds the most any one can lose (its nearness and, per part and kind,
        # the lowest resource points a usable row has).
        worst = sum(
            max(0, -int(points[part.kinds[kind].ok].min(initial=0)))
            for part, kinds in zip(chains.part_masks, scores.resource, strict=True)
            for kind, points in kinds.items()
        )
        big = int(np.abs(scores.near[pool]).max()) + worst + 1
        # Scaling the score leaves room for a pool-order bonus that can never outweigh a point.
        self.scale = len(pool) * (len(pool) + 1) // 2 + 1
        self.subs = [self._sub(j0) for j0 in pool]
        terms = []
        for rank, s in enumerate(self.subs):
            terms.append((s.sel, (big + int(scores.near[s.j0])) * self.scale + len(pool) - rank))
            terms += [(v, c * self.scale) for v, c in s.value]
        self.model.add(sum(s.sel for s in self.subs) <= k)
        self.model.maximize(sum(c * v for v, c in terms))

    def _rows(self, i: int, j: int, kind: ResourceKind) -> list[int]:
        """Pool rows that get a literal for part i at grid index j (the rest are dominated)."""
        kind_masks = self.chains.part_masks[i].kinds[kind]
        ok = np.flatnonzero(kind_masks.ok[:, j])
        if kind in self.coupled or len(ok) <= 1:
            if kind in self.chains.tracked:
                common = set(self.chains.common[kind])
                return [int(r) for r in ok if kind_masks.ids[r] in common]
            return [int(r) for r in ok]
        points = self.scores.resource[i][kind]
        keep = {int(ok[np.argmax(points[ok, j])])}
        filling = ok[kind_masks.fill[ok, j]]
        if len(filling):
            keep.add(int(filling[np.argmax(points[filling, j])]))
        return sorted(keep)

    def _sub(self, j0: int) -> Sub:
        model, chains = self.model, self.chains
        sub = Sub(j0, model.new_bool_var(f"sel{j0}"))
        prev: dict[int, cp_model.IntVar] = {j0: sub.sel}
        for i, _part in enumerate(chains.parts):
            if i == 0:
                ys = prev
            else:
                reach: dict[int, list[cp_model.IntVar]] = {}
                for prev_j, prev_y in prev.items():
                    lo = int(chains.next_lo[i - 1][prev_j])
                    hi = int(chains.next_hi[i - 1][prev_j])
                    for next_j in np.flatnonzero(chains.bookable[i][lo:hi]) + lo:
                        reach.setdefault(int(next_j), []).append(prev_y)
                ys = {j: model.new_bool_var(f"y{j0}_{i}_{j}") for j in sorted(reach)}
                model.add(sum(ys.values()) == sub.sel)
                for j, y in ys.items():
                    model.add_bool_or([~y, *reach[j]])
            sub.y.append(ys)
            zs: dict[tuple[int, ResourceKind], list[tuple[int, cp_model.IntVar]]] = {}
            part_masks = chains.part_masks[i]
            fill = self.scores.fill[i]
            for j, y in ys.items():
                fillers = []
                for kind, kind_masks in part_masks.kinds.items():
                    opts = []
                    rows = self._rows(i, j, kind)
                    for r in rows:
                        z = y if len(rows) == 1 else model.new_bool_var("")
                        opts.append((r, z))
                        sub.value.append((z, int(self.scores.resource[i][kind][r, j])))
                        if kind_masks.fill[r, j]:
                            fillers.append(z)
                    if not opts:
                        model.add(y == 0)
                    elif len(opts) > 1:
                        model.add(sum(z for _, z in opts) == y)
                    zs[(j, kind)] = opts
                if part_masks.everywhere_fill[j]:
                    sub.value.append((y, int(fill[j])))
                elif fillers:
                    f = model.new_bool_var("")
                    model.add_bool_or([~f, *fillers])
                    sub.value.append((f, int(fill[j])))
            sub.z.append(zs)
            prev = ys
        self._couple(sub)
        return sub

    def _couple(self, sub: Sub) -> None:
        model, chains = self.model, self.chains
        for kind in chains.tracked:
            needing = [i for i, p in enumerate(chains.parts) if kind in p.pools]
            for rid in chains.common[kind]:
                uses = []
                for i in needing:
                    row = chains.part_masks[i].kinds[kind].ids.index(rid)
                    uses.append(
                        sum(
                            z
                            for (_, k), opts in sub.z[i].items()
                            if k == kind
                            for r, z in opts
                            if r == row
                        )
                    )
                for u in uses[1:]:
                    model.add(u == uses[0])
        for kind in self.coupled:
            per_resource: dict[str, list[tuple[int, cp_model.IntervalVar]]] = {}
            for i, zs in enumerate(sub.z):
                kind_masks = chains.part_masks[i].kinds.get(kind)
                if kind_masks is None:
                    continue
                for (j, k), opts in zs.items():
                    if k != kind:
                        continue
                    # One interval per held run: a provider only for its doctor time.
                    for s, e in chains.held(i, j, kind):
                        for r, z in opts:
                            interval = model.new_optional_fixed_size_interval_var(
                                s - chains.timeline.span[0], e - s, z, ""
                            )
                            per_resource.setdefault(kind_masks.ids[r], []).append((i, interval))
            for intervals in per_resource.values():
                if len({i for i, _ in intervals}) > 1:
                    model.add_no_overlap([iv for _, iv in intervals])

    def solve(self, time_limit: float) -> Outcome:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 2
        solver.parameters.max_time_in_seconds = max(time_limit, 0.001)
        code = solver.solve(self.model)
        status = {
            cp_model.OPTIMAL: "optimal",
            cp_model.FEASIBLE: "feasible",
            cp_model.INFEASIBLE: "infeasible",
        }.get(code, "unknown")
        picked: list[Picked] = []
        if status in ("optimal", "feasible"):
            for s in self.subs:
                if not solver.boolean_value(s.sel):
                    continue
                js = [next(j for j, y in ys.items() if solver.boolean_value(y)) for ys in s.y]
                rows = []
                for i, zs in enumerate(s.z):
                    rows.append(
                        {
                            k: next(r for r, z in opts if solver.boolean_value(z))
                            for (j, k), opts in zs.items()
                            if j == js[i]
                        }
                    )
                value = int(self.scores.near[s.j0]) + sum(
                    c * int(solver.boolean_value(v)) for v, c in s.value
                )
                picked.append(Picked(s.j0, js, rows, value))
        return Outcome(status, picked)
