"""Slot-engine benchmark: a seeded clinic of 8 providers, 12 chairs and 3 rooms, ~60% booked.

Scenarios, each over many seeded queries on a 14-day window:

- (a) availability of a single-part visit (an adjustment),
- (b) availability of a two-part visit (intraoral scan, then an adjustment 0-15 min later),

(a) and (b) time what the staff API does with the answer: every start is decided and counted,
and the first page of ten is built as ``Slot`` objects (the rest are built only when read; row
(a2) builds all of them, as the portal's full listing does).
- (c) top-10 best fit for the single-part visit (and, as an extra row, for the two-part visit).
- (d), (e): (a) and (c) on the same clinic with doctor-time patterns, against the same queries
  without them (targets: the same medians, at most 2x the query without patterns).
- (f), (g): (a) and (c) on the same clinic with 10 assistants (~60% booked) whom adjustments
  and check-ups need (check-ups only the 5 senior ones), against the same queries without
  assistants (held to the same targets as (d), (e)).

One script: the clinic and the scenarios of one run; the tables it writes are
``benchmarks/solver_report.py``.

Each is reported as median and p95 wall time over the queries (each query timed three times,
its median kept) and as a ratio to a numpy lower bound timed interleaved on the same queries:
the cost of the free-time masks alone (resolving the query, converting busy datetimes,
expanding hours, subtracting busy time and testing every (resource, start) pair), which every
exact answer has to pay. Then cost against horizon (7..90 days).

Like the API, each query gets only the busy intervals that touch its window (a ranged database
read), so the clinic's history does not count as engine time.

    .venv/bin/python -m benchmarks.solver_bench [--quick]

writes ``benchmarks/results/solver.json`` and ``benchmarks/results/solver.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.solver_report import markdown
from solver import best_fit, find_availability
from solver.candidates import Chains
from solver.masks import Timeline
from solver.prepare import prepare
from solver.problem import (
    AppointmentTypeSpec,
    BookingPolicy,
    BusyInterval,
    Clinic,
    LocalBlock,
    Preferences,
    Resource,
    ResourceKind,
    SlotQuery,
    TemplateSlot,
    Visit,
    VisitPart,
    WeeklyHours,
)

TZ = "Europe/London"
START = datetime(2026, 3, 2, tzinfo=ZoneInfo(TZ))  # a Monday; the range crosses the DST change
RESULTS = Path(__file__).parent / "results"
TARGETS_MS = {"a": 5.0, "b": 30.0, "c": 50.0}

TYPES = (
    AppointmentTypeSpec("adjustment", 15, 60, 30, buffer_after_minutes=5, name="Adjustment"),
    AppointmentTypeSpec("checkup", 20, 45, 30, name="Check-up"),
    AppointmentTypeSpec(
        "scan", 15, 40, 20, needs_chair=False, room_kind="scanner", name="Intraoral scan"
    ),
    AppointmentTypeSpec("xray", 10, 20, 10, needs_chair=False, room_kind="x-ray", name="X-ray"),
)
# The same clinic with doctor time: the orthodontist is needed for part of each appointment.
PATTERNS = {"adjustment": "AADDAA", "checkup": "DDDDAA"}
PATTERNED_TYPES = tuple(replace(t, time_pattern=PATTERNS.get(t.id)) for t in TYPES)
# The same clinic with assistants: chairside types need one, check-ups a senior one.
ASSISTANTS = [f"a{i:02d}" for i in range(10)]
SENIOR = frozenset(ASSISTANTS[:5])
ASSISTED_TYPES = tuple(
    replace(t, needs_assistant=True, qualified_assistant_ids=SENIOR if t.id == "checkup" else None)
    if t.needs_chair
    else t
    for t in TYPES
)
SINGLE = Visit((VisitPart("adjustment"),))
CHAIN = Visit((VisitPart("scan"), VisitPart("adjustment", min_gap_minutes=0, max_gap_minutes=15)))


def weekly(rng: random.Random) -> WeeklyHours:
    am = LocalBlock(dtime(8, rng.choice([0, 30])), dtime(12, 30))
    pm = LocalBlock(dtime(13, 30), dtime(rng.choice([17, 18]), 0))
    week: dict[int, tuple[LocalBlock, ...]] = dict.fromkeys(range(5), (am, pm))
    if rng.random() < 0.5:
        week[5] = (LocalBlock(dtime(9), dtime(13)),)
    return WeeklyHours(week)


def booked_resources(
    rng: random.Random,
    specs: list[tuple[str, ResourceKind, str | None]],
    days: int,
    booked: float = 0.6,
) -> list[Resource]:
    """Each resource with working hours and random bookings filling ~``booked`` of open time."""
    tz = ZoneInfo(TZ)
    resources = []
    for rid, kind, room_kind in specs:
        hours = weekly(rng)
        busy: list[BusyInterval] = []
        for d in range(-1, days + 2):
            day = START.date() + timedelta(days=d)
            for b in hours.weekly.get(day.weekday(), ()):
                t = datetime.combine(day, b.start, tzinfo=tz)
                end = datetime.combine(day, b.end, tzinfo=tz)
                while t < end:
                    length = timedelta(minutes=rng.choice([15, 20, 30, 30, 45, 60]))
                    if rng.random() < booked:
                        # In UTC, as a database hands timestamps back.
                        a, b_end = t.astimezone(UTC), min(t + length, end).astimezone(UTC)
                        busy.append(BusyInterval(a, b_end, f"appt-{rid}-{len(busy)}"))
                    t += length
        resources.append(Resource(rid, kind, hours, tuple(busy), room_kind, rid))
    return resources


def with_assistants(queries: list[SlotQuery], seed: int) -> dict[int, SlotQuery]:
    """Each query on the same clinic plus booked assistants, its types asking for one."""
    days = max((q.window_end - START).days for q in queries) + 2
    staff = booked_resources(
        random.Random(seed), [(a, ResourceKind.ASSISTANT, None) for a in ASSISTANTS], days
    )
    out = {}
    for q in queries:
        lo, hi = q.window_start - timedelta(days=1), q.window_end + timedelta(days=1)
        near = tuple(
            replace(r, busy=tuple(b for b in r.busy if b.end > lo and b.start < hi)) for r in staff
        )
        clinic = replace(q.clinic, resources=q.clinic.resources + near, types=ASSISTED_TYPES)
        out[id(q)] = replace(q, clinic=clinic)
    return out


def make_clinic(seed: int, days: int, booked: float = 0.6) -> Clinic:
    """Resources with working hours and random bookings filling ~``booked`` of open time."""
    specs = (
        [(f"p{i:02d}", ResourceKind.PROVIDER, None) for i in range(8)]
        + [(f"c{i:02d}", ResourceKind.CHAIR, None) for i in range(12)]
        + [("r-scan-1", ResourceKind.ROOM, "scanner"), ("r-scan-2", ResourceKind.ROOM, "scanner")]
        + [("r-xray", ResourceKind.ROOM, "x-ray")]
    )
    resources = booked_resources(random.Random(seed), specs, days, booked)
    slots = (
        TemplateSlot(
            "adj-am",
            1,
            LocalBlock(dtime(9), dtime(10, 30)),
            frozenset({"adjustment"}),
            chair_id="c00",
        ),
        TemplateSlot(
            "adj-thu",
            3,
            LocalBlock(dtime(14), dtime(16)),
            frozenset({"adjustment"}),
            provider_id="p01",
        ),
        TemplateSlot("checkups", 4, LocalBlock(dtime(8), dtime(9)), frozenset({"checkup"})),
    )
    return Clinic(
        TZ,
        BookingPolicy(5, timedelta(hours=2), timedelta(days=120)),
        tuple(resources),
        TYPES,
        slots,
    )


def windowed(clinic: Clinic, lo: datetime, hi: datetime) -> Clinic:
    """What the API hands over: only busy time that touches the query's window."""
    lo, hi = lo - timedelta(days=1), hi + timedelta(days=1)
    res = tuple(
        replace(r, busy=tuple(b for b in r.busy if b.end > lo and b.start < hi))
        for r in clinic.resources
    )
    return replace(clinic, resources=res)


def queries(clinic: Clinic, visit: Visit, n: int, seed: int, days: int) -> list[SlotQuery]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        now = START.astimezone(UTC) + timedelta(minutes=rng.randrange(0, 5 * 24 * 60, 5))
        end = now + timedelta(days=days)
        pref = now + timedelta(minutes=rng.randrange(0, days * 24 * 60, 5))
        out.append(
            SlotQuery(
                windowed(clinic, now, end),
                visit,
                now,
                end,
                now,
                preferences=Preferences(pref, f"p{rng.randrange(8):02d}"),
                time_limit_seconds=5.0,
            )
        )
    return out


def availability_page(q: SlotQuery) -> int:
    """What the staff API does with an answer: count the starts, build the first page (10)."""
    found = find_availability(q)
    found.slots[:10]
    return len(found.slots)


def availability_all(q: SlotQuery) -> int:
    """Every start built as a Slot (the portal's full listing)."""
    return len(list(find_availability(q).slots))


def lower_bound(q: SlotQuery) -> None:
    """Free-time masks alone: every exact answer needs at least this much."""
    timeline = Timeline(prepare(q))
    for p in timeline.prep.parts:
        timeline.part_masks(p)


def timed(fn: Callable[[SlotQuery], object], qs: list[SlotQuery]) -> list[float]:
    return paired(fn, None, qs)[0]


def paired(
    fn: Callable[[SlotQuery], object],
    other: Callable[[SlotQuery], object] | None,
    qs: list[SlotQuery],
    repeats: int = 3,
) -> tuple[list[float], list[float]]:
    """Per query, the median of ``repeats`` runs of ``fn`` (and of ``other``, interleaved).

    The machine is shared and noisy: interleaving keeps the engine and its lower bound in the
    same noise, and the per-query median drops one-off stalls without hiding slow queries.
    """
    for q in qs[:3]:
        fn(q)  # warm caches and imports
    a: list[float] = []
    b: list[float] = []
    for q in qs:
        ra, rb = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            fn(q)
            ra.append((time.perf_counter() - t) * 1000)
            if other is not None:
                t = time.perf_counter()
                other(q)
                rb.append((time.perf_counter() - t) * 1000)
        a.append(statistics.median(ra))
        if rb:
            b.append(statistics.median(rb))
    return a, b


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def scenario(name: str, key: str, fn: Callable[[SlotQuery], object], qs: list[SlotQuery]) -> dict:
    times, lb = paired(fn, lower_bound, qs)
    med, lbm = statistics.median(times), statistics.median(lb)
    row = {
        "scenario": name,
        "queries": len(qs),
        "median_ms": round(med, 3),
        "p95_ms": round(p95(times), 3),
        "lower_bound_median_ms": round(lbm, 3),
        "ratio_to_lower_bound": round(med / lbm, 2),
    }
    if key in TARGETS_MS:
        row["target_median_ms"] = TARGETS_MS[key]
        row["target_met"] = med <= TARGETS_MS[key]
    return row


def variant_rows(
    single: list[SlotQuery], variant: dict[int, SlotQuery], names: tuple[str, str], without: str
) -> list[dict]:
    """(a) and (c) on a variant of the bench clinic, each query timed against itself without
    the variant (``without`` names what it lacks in the report's keys)."""
    rows = []
    for name, fn, qs, target in (
        (names[0], availability_page, single, TARGETS_MS["a"]),
        (names[1], lambda q: best_fit(q, 10), single[: len(single) // 2], TARGETS_MS["c"]),
    ):
        with_it, base_times = paired(lambda q, f=fn: f(variant[id(q)]), fn, qs)
        med, base = statistics.median(with_it), statistics.median(base_times)
        rows.append(
            {
                "scenario": name,
                "queries": len(qs),
                "median_ms": round(med, 3),
                "p95_ms": round(p95(with_it), 3),
                f"without_{without}_median_ms": round(base, 3),
                f"ratio_to_without_{without}": round(med / base, 2),
                "target_median_ms": target,
                "target_ratio": 2.0,
                "target_met": med <= target and med / base <= 2.0,
            }
        )
    return rows


def pattern_rows(single: list[SlotQuery]) -> list[dict]:
    """The bench clinic with patterns: each query timed against the same query without them."""
    patterned = {id(q): replace(q, clinic=replace(q.clinic, types=PATTERNED_TYPES)) for q in single}
    names = (
        "(d) availability, 1 part, with patterns",
        "(e) best fit top-10, 1 part, with patterns",
    )
    return variant_rows(single, patterned, names, "patterns")


def assistant_rows(single: list[SlotQuery]) -> list[dict]:
    """The bench clinic with assistants: each query against the same query without them."""
    names = (
        "(f) availability, 1 part, with assistants",
        "(g) best fit top-10, 1 part, with assistants",
    )
    return variant_rows(single, with_assistants(single, 11), names, "assistants")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few queries, for CI smoke runs")
    args = ap.parse_args()
    n = 15 if args.quick else 200
    nh = 5 if args.quick else 30
    horizons = [7, 14, 28, 56, 90]

    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    clinic = make_clinic(7, max(horizons) + 6)
    single = queries(clinic, SINGLE, n, 1, 14)
    chain = queries(clinic, CHAIN, n, 2, 14)
    booked = _booked_fraction(single[0])
    rows = [
        scenario("(a) availability, 1 part", "a", availability_page, single),
        scenario("(a2) availability, 1 part, every slot built", "a2", availability_all, single),
        scenario("(b) availability, scan + adjustment", "b", availability_page, chain),
        scenario("(c) best fit top-10, 1 part", "c", lambda q: best_fit(q, 10), single[: n // 2]),
        scenario(
            "(c2) best fit top-10, scan + adjustment",
            "c2",
            lambda q: best_fit(q, 10),
            chain[: n // 2],
        ),
    ]
    doctor_time = pattern_rows(single)
    assisted = assistant_rows(single)
    scaling = []
    for days in horizons:
        entry: dict[str, float | int] = {"days": days}
        for label, visit, fn in (
            ("a", SINGLE, availability_page),
            ("b", CHAIN, availability_page),
            ("c", SINGLE, lambda q: best_fit(q, 10)),
        ):
            qs = queries(clinic, visit, nh, 10 + days, days)
            entry[f"{label}_median_ms"] = round(statistics.median(timed(fn, qs)), 3)
        entry["lower_bound_median_ms"] = round(
            statistics.median(timed(lower_bound, queries(clinic, SINGLE, nh, 10 + days, days))), 3
        )
        scaling.append(entry)
    growth = {}
    for key in ("a", "b", "c"):
        for e in scaling:
            e[f"{key}_ms_per_day"] = round(e[f"{key}_median_ms"] / e["days"], 4)
        # "No worse than linear": the least-squares slope of log(cost) against log(days) is the
        # growth exponent; a single noisy point cannot flip it the way a per-point ratio can.
        xs = [math.log(e["days"]) for e in scaling]
        ys = [math.log(e[f"{key}_median_ms"]) for e in scaling]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
            (x - mx) ** 2 for x in xs
        )
        growth[key] = {"exponent": round(slope, 3), "at_most_linear": slope <= 1.1}

    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            # Other work on the shared machine shows up here; compare runs with similar loads.
            "load_average_before_after": [round(load0, 2), round(os.getloadavg()[0], 2)],
        },
        "clinic": {
            "providers": 8,
            "chairs": 12,
            "rooms": 3,
            "booked_fraction": round(booked, 3),
            "granularity_minutes": 5,
            "window_days": 14,
        },
        "quick": args.quick,
        "scenarios": rows,
        "doctor_time": {"patterns": PATTERNS, "scenarios": doctor_time},
        "assistants": {
            "assistants": len(ASSISTANTS),
            "qualified_for_checkup": len(SENIOR),
            "needs_assistant": [t.id for t in ASSISTED_TYPES if t.needs_assistant],
            "scenarios": assisted,
        },
        "horizon": scaling,
        "horizon_growth": growth,
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "solver.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "solver.md").write_text(markdown(report))
    print(markdown(report))


def _booked_fraction(q: SlotQuery) -> float:
    timeline = Chains(Timeline(prepare(q))).timeline
    open_s = booked = 0
    for r in range(len(timeline.ids)):
        o, b = timeline.day_load(r)
        open_s += int(o.sum())
        booked += int(b.sum())
    return booked / max(open_s, 1)


if __name__ == "__main__":
    main()
