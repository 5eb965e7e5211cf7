"""Waitlist matching benchmark: 500 waiting requests against a freed gap on the bench clinic.

The clinic is ``solver_bench``'s (8 providers, 12 chairs, 3 rooms, ~60% booked; the same with
doctor-time patterns as a second row). Each gap is a chair's booking cancelled: that interval
taken out of the chair's busy time, then ``solver.match_gap`` for 500 requests drawn from a dozen
visit shapes (adjustments of several lengths, check-ups, scan then adjustment, x-ray then
check-up), a third with their own hours or weekdays, some with their patient busy that day,
most replacing a later booking. Target: median at most 50 ms (issue 15).

Beside it, in the same run, the naive way: one ``find_availability`` per request restricted
to the gap, which is what ``match_gap`` is checked against (tests/solver/test_waitlist.py).

    .venv/bin/python -m benchmarks.waitlist_bench [--quick]

writes ``benchmarks/results/waitlist.json`` and ``benchmarks/results/waitlist.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from benchmarks.solver_bench import PATTERNED_TYPES, RESULTS, START, TZ, make_clinic, windowed
from solver import find_availability, match_gap
from solver.problem import BusyInterval, Clinic, ResourceKind, SlotQuery, Visit, VisitPart
from solver.waitlist import Gap, LocalWindow, WaitingRequest, acceptable, pinned_to_gap

TARGET_MS = 50.0
ENTRIES = 500
SHAPES = (
    Visit((VisitPart("adjustment", 25),)),
    Visit((VisitPart("adjustment", 20),)),
    Visit((VisitPart("adjustment", 30),)),
    Visit((VisitPart("adjustment", 45),)),
    Visit((VisitPart("checkup", 20),)),
    Visit((VisitPart("checkup", 30),)),
    Visit((VisitPart("checkup", 45),)),
    Visit((VisitPart("scan"), VisitPart("adjustment", min_gap_minutes=0, max_gap_minutes=15))),
    Visit((VisitPart("xray"), VisitPart("checkup", min_gap_minutes=0, max_gap_minutes=30))),
    Visit((VisitPart("adjustment", 30, provider_id=None),), same_provider=True),
)


def requests(seed: int, now: datetime, n: int = ENTRIES) -> list[WaitingRequest]:
    rng = random.Random(seed)
    tz = ZoneInfo(TZ)
    out = []
    for i in range(n):
        window = LocalWindow()
        roll = rng.random()
        if roll < 0.15:
            window = LocalWindow(weekdays=frozenset(rng.sample(range(5), 3)))
        elif roll < 0.3:
            window = LocalWindow(
                earliest_time=dtime(rng.choice([8, 9, 13])), latest_time=dtime(rng.choice([12, 17]))
            )
        busy: tuple[BusyInterval, ...] = ()
        if rng.random() < 0.1:
            day = START.date() + timedelta(days=rng.randrange(0, 7))
            at = datetime.combine(day, dtime(rng.randrange(8, 17)), tzinfo=tz).astimezone(UTC)
            busy = (BusyInterval(at, at + timedelta(minutes=30)),)
        out.append(
            WaitingRequest(
                id=f"w{i:03d}",
                visit=rng.choice(SHAPES),
                waiting_since=now - timedelta(days=rng.randrange(0, 60)),
                window=window,
                patient_busy=busy,
                preferred_provider_id=f"p{rng.randrange(8):02d}" if rng.random() < 0.3 else None,
                priority=rng.choice([0, 0, 0, 1, 2]),
                replaces_start=now + timedelta(days=rng.randrange(10, 60))
                if rng.random() < 0.8
                else None,
            )
        )
    return out


def gaps(clinic: Clinic, seed: int, n: int) -> list[tuple[Clinic, Gap]]:
    """n cancellations: a chair's booking in the first week taken out of its busy time."""
    rng = random.Random(seed)
    chairs = [r for r in clinic.resources if r.kind == ResourceKind.CHAIR]
    first_week = (
        START.astimezone(UTC) + timedelta(days=1),
        START.astimezone(UTC) + timedelta(days=6),
    )
    out = []
    while len(out) < n:
        chair = rng.choice(chairs)
        booked = [b for b in chair.busy if first_week[0] <= b.start < first_week[1]]
        cancelled = rng.choice(booked)
        freed = replace(chair, busy=tuple(b for b in chair.busy if b is not cancelled))
        resources = tuple(freed if r.id == chair.id else r for r in clinic.resources)
        out.append(
            (
                windowed(replace(clinic, resources=resources), cancelled.start, cancelled.end),
                Gap(cancelled.start, cancelled.end, chair_id=chair.id),
            )
        )
    return out


def per_request(clinic: Clinic, gap: Gap, reqs: list[WaitingRequest], now: datetime) -> int:
    """The naive way: one availability search per request, inside the gap."""
    fits = 0
    for r in reqs:
        visit = pinned_to_gap(clinic, gap, r.visit)
        if visit is None:
            continue
        for lo, hi in acceptable(clinic.time_zone, gap, r.window):
            q = SlotQuery(clinic, visit, lo, hi, now, patient_busy=r.patient_busy)
            found = find_availability(q).slots
            if any(r.replaces_start is None or s.start < r.replaces_start for s in found):
                fits += 1
                break
    return fits


def run(name: str, clinic: Clinic, n_gaps: int, now: datetime) -> dict:
    reqs = requests(7, now)
    cases = gaps(clinic, 11, n_gaps)
    engine, naive, fits, searches = [], [], [], []
    for gap_clinic, gap in cases:
        t0 = time.perf_counter()
        got = match_gap(gap_clinic, gap, reqs, now)
        engine.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        expected = per_request(gap_clinic, gap, reqs, now)
        naive.append((time.perf_counter() - t0) * 1000)
        assert expected == len(got.matches), (expected, len(got.matches))
        fits.append(len(got.matches))
        searches.append(got.searches)
    median = statistics.median(engine)
    return {
        "scenario": name,
        "entries": len(reqs),
        "gaps": len(cases),
        "median_ms": round(median, 2),
        "p95_ms": round(sorted(engine)[int(0.95 * (len(engine) - 1))], 2),
        "per_request_median_ms": round(statistics.median(naive), 2),
        "speedup": round(statistics.median(naive) / median, 1),
        "median_fitting": statistics.median(fits),
        "median_searches": statistics.median(searches),
        "target_ms": TARGET_MS,
        "meets_target": median <= TARGET_MS,
    }


def markdown(rep: dict) -> str:
    lines = [
        "## Waitlist matching (`benchmarks/waitlist_bench.py`)",
        "",
        f"{ENTRIES} waiting requests against a cancelled chair booking on the bench clinic; "
        f"target median ≤ {TARGET_MS:.0f} ms. Machine: {rep['machine']}, load {rep['load']}.",
        "",
        "| scenario | gaps | median ms | p95 ms | per-request median ms | speed-up | fitting | "
        "engine searches | target met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rep["rows"]:
        lines.append(
            f"| {r['scenario']} | {r['gaps']} | {r['median_ms']} | {r['p95_ms']} | "
            f"{r['per_request_median_ms']} | {r['speedup']}x | {r['median_fitting']} | "
            f"{r['median_searches']} | {'yes' if r['meets_target'] else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer gaps (well under a minute)")
    args = parser.parse_args()
    n_gaps = 8 if args.quick else 30
    now = START.astimezone(UTC)
    clinic = make_clinic(3, 30)
    rows = [
        run("500 requests, one gap", clinic, n_gaps, now),
        run(
            "the same with doctor-time patterns",
            replace(clinic, types=PATTERNED_TYPES),
            n_gaps,
            now,
        ),
    ]
    rep = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load": round(os.getloadavg()[0], 1),
        "quick": args.quick,
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "waitlist.json").write_text(json.dumps(rep, indent=2) + "\n")
    (RESULTS / "waitlist.md").write_text(markdown(rep))
    print(markdown(rep))


if __name__ == "__main__":
    main()
