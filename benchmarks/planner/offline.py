"""The offline optimum: one CP-SAT model over the horizon with every request known up front.

Hindsight means the solver sees every request (its window, acceptable hours and days, visit)
and knows which bookings will be cancelled, so those are left out; it may not book before a
request is made (plus the lead time), exactly like the online policies.

Model, time in grid units (``granularity_minutes``) from the horizon's start:

- per request r a presence literal ``b_r``; per part a start variable whose domain is the
  patient's acceptable blocks (each shortened by the part's length) intersected with the times
  at least one eligible resource of each needed kind is open;
- per part and needed kind, one literal per eligible resource (exactly one when ``b_r``), each
  with an optional fixed-size interval and, when the resource is not open at every start of the
  domain (or a template slot reserved for other types lies on it), the start's domain restricted
  under that literal; NoOverlap per resource and per patient with several requests;
- interchangeable chairs, rooms of one kind and assistants (same hours, no template slot names
  them) instead share one optional interval per part in one cumulative per pool and get their
  ids after solving (``offline_pools``); assistants are held like chairs, so the assistants'
  pool caps the chairs in use at once;
- doctor time: a provider holds one interval per ``D`` run of the part's pattern, at its offset
  from the part's start (the whole part without a pattern), and only those runs must lie in the
  provider's working hours; a part with no ``D`` step records a provider (the patient's usual
  one when eligible) without holding or modelling one;
- parts of a visit chained by their gap bounds;
- redundant capacity cuts, which cost nothing in solutions but close the bound: per provider,
  chair and room, booked units over the horizon <= its working units; per day, with a literal
  for the day the visit's chair/provider part starts, the visits' units that day <= the working
  units of all providers (and of all chairs) that day.

Objective: maximise booked minutes, or another metric of ``offline_objectives``. Warm-started
(AddHint) from an online schedule, which is feasible here by construction, and solved with
``num_workers`` workers and a time limit; the proven bound gives the optimality gap.

Over 400 lines on purpose: building the model, hinting it from an online schedule and reading
the schedule back all index the same variables, so they stay in one class; the day cuts, which
only add constraints, live in ``offline_cuts``.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from ortools.sat.python import cp_model

from benchmarks.planner.offline_cuts import add_day_cuts
from benchmarks.planner.offline_objectives import OBJECTIVES, request_value
from benchmarks.planner.offline_pools import Pool, assign, interchangeable
from benchmarks.planner.simulate import (
    Booking,
    Outcome,
    Part,
    acceptable_blocks,
    local_date,
    peak_rss_mb,
    provider_time,
    recorded_provider,
)
from benchmarks.scenarios.model import Request, ResourceSpec, Scenario, TypeSpec
from solver.time_pattern import STEP_MINUTES

Units = list[tuple[int, int]]  # closed [lo, hi] integer ranges of start units


class OfflineModel:
    def __init__(self, s: Scenario, objective: str = "minutes") -> None:
        if objective not in OBJECTIVES:
            raise ValueError(f"unknown offline objective {objective!r}; choose from {OBJECTIVES}")
        self.s = s
        self.objective = objective
        self.g = s.granularity_minutes
        if s.has_patterns and STEP_MINUTES % self.g:
            raise ValueError(
                f"the offline model needs a granularity that divides {STEP_MINUTES} minutes "
                f"when types have doctor-time patterns; this scenario has {self.g}"
            )
        self._kinds = {r.id: r.kind for r in s.resources}
        self.h0, self.h1 = s.horizon
        self.H = self.unit_floor(self.h1)
        self.m = cp_model.CpModel()
        self.open = {r.id: self._open_units(r) for r in s.resources}
        self.slot_instances = self._slot_instances()
        self.pools = interchangeable(s, self.open)
        self.pooled_ids = {rid for pool in self.pools for rid in pool}
        self.pool_items: dict[Pool, list[tuple[cp_model.IntervalVar, int, cp_model.IntVar]]] = (
            defaultdict(list)
        )
        self.pooled_parts: dict[tuple[str, int], list[Pool]] = defaultdict(list)
        self.requests = [q for q in s.requests if q.cancel_fraction is None]
        self.present: dict[str, cp_model.IntVar] = {}
        self.starts: dict[str, list[cp_model.IntVar]] = {}
        self.choice: dict[str, list[dict[str, cp_model.IntVar]]] = {}
        self.day_lits: dict[str, dict[int, cp_model.IntVar]] = {}
        self.intervals: dict[str, list[tuple[cp_model.IntervalVar, int, cp_model.IntVar]]] = (
            defaultdict(list)
        )
        self.minutes: dict[str, int] = {}
        self.value: dict[str, int] = {}  # per request, in the objective's units
        self.main_part: dict[str, int] = {}
        self.day_domain: dict[str, dict[int, cp_model.Domain]] = {}
        self.skipped = 0
        self.cuts = 0
        self.hinted_minutes = 0
        self.hinted_value = 0
        self.hinted_bookings: list[Booking] = []
        self._build()

    # -- time ----------------------------------------------------------------------------
    def unit_floor(self, dt: datetime) -> int:
        return math.floor((dt - self.h0).total_seconds() / 60 / self.g)

    def unit_ceil(self, dt: datetime) -> int:
        return math.ceil((dt - self.h0).total_seconds() / 60 / self.g)

    def at(self, u: int) -> datetime:
        return self.h0 + timedelta(minutes=u * self.g)

    def _open_units(self, r: ResourceSpec) -> Units:
        return [(self.unit_ceil(a), self.unit_floor(z)) for a, z in self.s.open_intervals(r)]

    def _slot_instances(
        self,
    ) -> list[tuple[str, tuple[str, ...], str | None, str | None, int, int]]:
        out = []
        for day in self.s.days():
            for x in self.s.template_slots:
                if x.weekday == day.weekday():
                    a = self.unit_floor(self.s.instant(day, x.block.start))
                    z = self.unit_ceil(self.s.instant(day, x.block.end))
                    out.append((x.id, x.type_ids, x.chair_id, x.provider_id, a, z))
        return out

    def dur(self, t: TypeSpec) -> int:
        return math.ceil(t.minutes / self.g)

    @staticmethod
    def starts_within(blocks: Units, d: int) -> cp_model.Domain:
        """Starts s with [s, s + d] inside one block."""
        ranges = [[a, z - d] for a, z in blocks if z - d >= a]
        return cp_model.Domain.from_intervals(ranges) if ranges else cp_model.Domain(1, 0)

    def forbidden(self, t: TypeSpec, d: int, owner: str | None) -> cp_model.Domain:
        """Starts at which a part of type t would overlap a slot reserved for other types."""
        ranges = [
            [a - d + 1, z - 1]
            for _, types, chair, prov, a, z in self.slot_instances
            if t.id not in types
            and ((chair is None and prov is None) if owner is None else owner in (chair, prov))
        ]
        return cp_model.Domain.from_intervals(ranges) if ranges else cp_model.Domain(1, 0)

    def runs(self, t: TypeSpec) -> list[tuple[int, int]]:
        """The provider's held runs of a part of type t, as (offset, length) in grid units."""
        return [(a // self.g, (z - a) // self.g) for a, z in t.provider_runs()]

    def held_starts(self, blocks: Units, t: TypeSpec) -> cp_model.Domain:
        """Starts at which every provider run of t lies inside one of ``blocks``."""
        dom = cp_model.Domain(-self.H - 1, 2 * self.H + 1)
        for a, d in self.runs(t):
            ranges = [[x - a, z - d - a] for x, z in blocks if z - d >= x]
            dom = dom.intersection_with(
                cp_model.Domain.from_intervals(ranges) if ranges else cp_model.Domain(1, 0)
            )
        return dom

    def open_starts(self, rid: str, t: TypeSpec, d: int) -> cp_model.Domain:
        if self.s_kind(rid) == "provider":
            return self.held_starts(self.open[rid], t)
        return self.starts_within(self.open[rid], d)

    def eligible(self, t: TypeSpec) -> dict[str, list[str]]:
        pools: dict[str, list[str]] = {}
        if t.needs_provider and t.provider_runs():
            pools["provider"] = [
                r.id
                for r in self.s.of_kind("provider")
                if not t.provider_ids or r.id in t.provider_ids
            ]
        if t.needs_chair:
            pools["chair"] = [r.id for r in self.s.of_kind("chair")]
        if t.room_kind:
            pools["room"] = [r.id for r in self.s.of_kind("room") if r.room_kind == t.room_kind]
        if t.needs_assistant:
            pools["assistant"] = [r.id for r in self.s.of_kind("assistant")]
        return pools

    # -- model ---------------------------------------------------------------------------
    def _build(self) -> None:
        m = self.m
        lead = timedelta(minutes=self.s.min_lead_minutes)
        patients: dict[str, list[Request]] = defaultdict(list)
        for q in self.requests:
            patients[q.patient_id].append(q)
        for q in self.requests:
            if not self._add_request(q, lead):
                self.skipped += 1
        # Patients with several requests: their visits must not overlap.
        for reqs in patients.values():
            if len(reqs) < 2:
                continue
            ivs = []
            for q in reqs:
                if q.id not in self.present:
                    continue
                for i, p in enumerate(q.parts):
                    d = self.dur(self.s.type(p.type_id))
                    ivs.append(
                        m.new_optional_fixed_size_interval_var(
                            self.starts[q.id][i], d, self.present[q.id], f"pat_{q.id}_{i}"
                        )
                    )
            m.add_no_overlap(ivs)
        for rid, items in self.intervals.items():
            m.add_no_overlap([iv for iv, _, _ in items])
            cap = sum(z - a for a, z in self.open[rid])
            m.add(sum(d * lit for _, d, lit in items) <= cap)
        for pool, items in self.pool_items.items():
            m.add_cumulative([iv for iv, _, _ in items], [1] * len(items), len(pool))
            cap = sum(z - a for rid in pool for a, z in self.open[rid])
            m.add(sum(d * lit for _, d, lit in items) <= cap)
        self.cuts = add_day_cuts(self)
        m.maximize(sum(self.value[qid] * b for qid, b in self.present.items()))

    def _add_request(self, q: Request, lead: timedelta) -> bool:
        m = self.m
        blocks = [(self.unit_ceil(a), self.unit_floor(z)) for a, z in acceptable_blocks(self.s, q)]
        first_ok = self.unit_ceil(max(q.made_at + lead, self.h0))
        types = [self.s.type(p.type_id) for p in q.parts]
        durs = [self.dur(t) for t in types]
        domains = []
        pools = []
        for i, t in enumerate(types):
            dom = self.starts_within(blocks, durs[i])
            if i == 0:
                dom = dom.intersection_with(cp_model.Domain(first_ok, self.H))
            pool = self.eligible(t)
            for rids in pool.values():
                union = cp_model.Domain(1, 0)
                for rid in rids:
                    union = union.union_with(self.open_starts(rid, t, durs[i]))
                dom = dom.intersection_with(union)
            dom = dom.intersection_with(self.forbidden(t, durs[i], None).complement())
            if dom.is_empty() or any(not rids for rids in pool.values()):
                return False
            domains.append(dom)
            pools.append(pool)
        b = m.new_bool_var(f"b_{q.id}")
        starts = [m.new_int_var_from_domain(dom, f"s_{q.id}_{i}") for i, dom in enumerate(domains)]
        choices: list[dict[str, cp_model.IntVar]] = []
        for i, t in enumerate(types):
            d = durs[i]
            picked: dict[str, cp_model.IntVar] = {}
            for rids in pools[i].values():
                if tuple(rids) in self.pools:
                    # Interchangeable: one interval in the pool's cumulative, ids given after.
                    iv = m.new_optional_fixed_size_interval_var(starts[i], d, b, f"pool_{q.id}_{i}")
                    self.pool_items[tuple(rids)].append((iv, d, b))
                    self.pooled_parts[(q.id, i)].append(tuple(rids))
                    continue
                lits = []
                for rid in rids:
                    allowed = (
                        self.open_starts(rid, t, d)
                        .intersection_with(self.forbidden(t, d, rid).complement())
                        .intersection_with(domains[i])
                    )
                    if allowed.is_empty():
                        continue
                    lit = b if len(rids) == 1 else m.new_bool_var(f"x_{q.id}_{i}_{rid}")
                    if allowed.size() < domains[i].size():
                        m.add_linear_expression_in_domain(starts[i], allowed).only_enforce_if(lit)
                    held = self.runs(t) if self.s_kind(rid) == "provider" else [(0, d)]
                    for k, (a, length) in enumerate(held):
                        iv = m.new_optional_fixed_size_interval_var(
                            starts[i] + a, length, lit, f"iv_{q.id}_{i}_{rid}_{k}"
                        )
                        self.intervals[rid].append((iv, length, lit))
                    picked[rid] = lit
                    lits.append(lit)
                if not lits:
                    m.add(b == 0)
                elif lits != [b]:
                    m.add(sum(lits) == b)
            choices.append(picked)
            if i > 0:
                gap = starts[i] - starts[i - 1] - durs[i - 1]
                p = q.parts[i]
                m.add(gap >= math.ceil(p.min_gap_minutes / self.g)).only_enforce_if(b)
                m.add(gap <= p.max_gap_minutes // self.g).only_enforce_if(b)
        self.present[q.id] = b
        self.starts[q.id] = starts
        self.choice[q.id] = choices
        self.minutes[q.id] = sum(t.minutes for t in types)
        self.value[q.id] = request_value(self.s, q, self.objective)
        main = next((i for i, t in enumerate(types) if t.needs_chair or t.needs_provider), None)
        if main is not None:
            self.main_part[q.id] = main
            self._day_literals(q, starts[main], domains[main], b)
        return True

    def _day_literals(
        self, q: Request, start: cp_model.IntVar, dom: cp_model.Domain, b: cp_model.IntVar
    ) -> None:
        m = self.m
        lits: dict[int, cp_model.IntVar] = {}
        for k, day in enumerate(self.s.days()):
            a = self.unit_ceil(self.s.instant(day, datetime.min.time()))
            z = self.unit_ceil(self.s.instant(day + timedelta(days=1), datetime.min.time())) - 1
            part = dom.intersection_with(cp_model.Domain(a, z))
            if part.is_empty():
                continue
            lit = m.new_bool_var(f"y_{q.id}_{k}")
            m.add_linear_expression_in_domain(start, part).only_enforce_if(lit)
            lits[k] = lit
            self.day_domain.setdefault(q.id, {})[k] = part
        m.add(sum(lits.values()) == b)
        self.day_lits[q.id] = lits

    # -- warm start and solve ------------------------------------------------------------
    def hint(self, bookings: list[Booking]) -> int:
        """Hint every variable from an online schedule; returns how many visits were hinted."""
        m = self.m
        by_req = {b.request_id: b for b in bookings}
        hinted = 0
        for qid, b in self.present.items():
            bk = by_req.get(qid)
            starts = self.starts[qid]
            use = bk is not None and len(bk.parts) == len(starts)
            if use:
                assert bk is not None
                units = [self.unit_floor(p.start) for p in bk.parts]
                for i, p in enumerate(bk.parts):
                    runs = self.runs(self.s.type(p.type_id))
                    modelled = [
                        r
                        for r in p.resources()
                        if (r != p.provider_id or runs) and r not in self.pooled_ids
                    ]
                    if any(rid not in self.choice[qid][i] for rid in modelled):
                        use = False
            if not use:
                m.add_hint(b, 0)
                for picked in self.choice[qid]:
                    for lit in picked.values():
                        if lit is not b:
                            m.add_hint(lit, 0)
                for lit in self.day_lits.get(qid, {}).values():
                    m.add_hint(lit, 0)
                # A complete hint is checked and taken as the first solution at once; a
                # partial one is only a search preference.
                for v in starts:
                    m.add_hint(v, self.m.Proto().variables[v.Index()].domain[0])
                continue
            assert bk is not None
            hinted += 1
            self.hinted_minutes += self.minutes[qid]
            self.hinted_value += self.value[qid]
            self.hinted_bookings.append(bk)
            m.add_hint(b, 1)
            for i, p in enumerate(bk.parts):
                m.add_hint(starts[i], units[i])
                held = set(p.resources())
                for rid, lit in self.choice[qid][i].items():
                    if lit is not b:
                        m.add_hint(lit, int(rid in held))
            main = self.main_part.get(qid)
            if main is not None:
                k = (local_date(self.s, bk.parts[main].start) - self.s.start).days
                for kk, lit in self.day_lits[qid].items():
                    m.add_hint(lit, int(kk == k))
        return hinted

    def solve(
        self, seconds: float, workers: int = 2
    ) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = seconds
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = self.s.seed
        # Probing in presolve spent 20-30 s on a week of medium (thousands of enforced domain
        # constraints) before any search; without it the LP with the capacity cuts closes the
        # gap in seconds.
        solver.parameters.cp_model_probing_level = 0
        status = solver.solve(self.m)
        return solver, status

    def bookings(self, solver: cp_model.CpSolver) -> list[Booking]:
        by_id = {q.id: q for q in self.requests}
        booked = [qid for qid, b in self.present.items() if solver.value(b)]
        start_of = {
            (qid, i): solver.value(v) for qid in booked for i, v in enumerate(self.starts[qid])
        }
        # Pooled kinds: ids by a sweep over what each pool holds (offline_pools.assign).
        pooled: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
        for pool in self.pools:
            keys = [k for k in start_of if pool in self.pooled_parts.get(k, ())]
            spans = [
                (start_of[k], start_of[k] + self.dur(self.s.type(by_id[k[0]].parts[k[1]].type_id)))
                for k in keys
            ]
            for k, rid in zip(keys, assign(pool, spans), strict=True):
                pooled[k][self.s_kind(rid)] = rid
        out = []
        for qid in booked:
            q = by_id[qid]
            parts = []
            for i, p in enumerate(q.parts):
                start = self.at(start_of[(qid, i)])
                t = self.s.type(p.type_id)
                held = {
                    self.s_kind(rid): rid
                    for rid, lit in self.choice[qid][i].items()
                    if solver.value(lit)
                } | pooled.get((qid, i), {})
                provider = held.get("provider") or recorded_provider(self.s, q, t)
                parts.append(
                    Part(
                        p.type_id,
                        start,
                        start + timedelta(minutes=t.minutes),
                        provider,
                        held.get("chair"),
                        held.get("room"),
                        provider_time(t, start) if provider else None,
                        held.get("assistant"),
                    )
                )
            out.append(Booking(qid, q.patient_id, tuple(parts), q.made_at, q.no_show))
        return sorted(out, key=lambda b: (b.start, b.request_id))

    def s_kind(self, rid: str) -> str:
        return self._kinds[rid]


def solve_offline(
    s: Scenario,
    warm: list[Booking] | None,
    seconds: float = 60.0,
    workers: int = 2,
    objective: str = "minutes",
) -> Outcome:
    """The offline optimum of ``objective``; the stats' ``*_minutes`` keys are set for the
    booked-minutes objective, ``offline_value`` / ``offline_bound`` for every objective."""
    t0 = time.perf_counter()
    model = OfflineModel(s, objective)
    hinted = model.hint(warm) if warm else 0
    built = time.perf_counter() - t0
    solver, status = model.solve(seconds, workers)
    solved = time.perf_counter() - t0 - built
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    bookings = model.bookings(solver) if found else []
    value = solver.objective_value if found else None
    bound = solver.best_objective_bound
    incumbent = "cp-sat"
    # The warm start is a solution of this very model; when the time limit ends the search
    # before CP-SAT has even matched it (a loaded machine), the best known schedule is still it.
    if warm and (value is None or value < model.hinted_value):
        bookings = sorted(model.hinted_bookings, key=lambda b: (b.start, b.request_id))
        value = float(model.hinted_value)
        incumbent = "warm start"
    gap = (bound - value) / bound if value is not None and bound > 0 else None
    minutes = objective == "minutes"
    stats: dict[str, Any] = {
        "offline_status": solver.status_name(status),
        "offline_incumbent": incumbent,
        "offline_objective": objective,
        "offline_value": value,
        "offline_bound": bound,
        "offline_objective_minutes": value if minutes else None,
        "offline_bound_minutes": bound if minutes else None,
        "offline_gap": gap,
        "offline_build_seconds": built,
        "offline_solve_seconds": solved,
        "offline_time_limit_seconds": seconds,
        "offline_workers": workers,
        "offline_requests_modelled": len(model.present),
        "offline_requests_cancelled_left_out": len(s.requests) - len(model.requests),
        "offline_requests_without_any_start": model.skipped,
        # Every modelled request booked: the trivial bound, against which the proven one is read.
        "offline_modelled_minutes": sum(model.minutes.values()),
        "offline_hinted_visits": hinted,
        "offline_variables": len(model.m.Proto().variables),
        "offline_constraints": len(model.m.Proto().constraints),
        "offline_capacity_cuts": model.cuts,
    }
    booked = {b.request_id for b in bookings}
    out = Outcome(
        "offline-optimal",
        bookings,
        turned_away=[q.id for q in model.requests if q.id not in booked],
        cancelled=[q.id for q in s.requests if q.cancel_fraction is not None],
        wall_seconds=time.perf_counter() - t0,
        peak_rss_mb=peak_rss_mb(),
        extra=stats,
    )
    return out
