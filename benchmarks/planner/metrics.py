"""Metrics recounted from a final schedule alone (never from the simulator's bookkeeping).

- chair / provider utilisation: booked minutes inside working hours / working minutes, over
  every chair (provider) and the whole horizon. A provider's booked minutes are the provider
  time of the parts (``Part.provider_time``: the ``D`` runs of a pattern, the whole part without
  one), so provider utilisation is provider time used / provider working time.
- patients seen per orthodontist-day: visits with an orthodontist that the patient came to (no
  no-shows) / the days each orthodontist works in the horizon, summed over orthodontists.
- assistant utilisation: the same over the assistants (held for whole appointments, like
  chairs); None for a clinic without assistants.
- fragmentation: idle gaps inside a resource's working block, between two bookings or a booking
  and the block's edge, longer than 0 and shorter than the shortest bookable type: time nobody
  can book. Counted over chairs and providers; for a provider "shortest" is the shortest run of
  provider time any type needs (the whole shortest type without patterns).
- days from request to appointment: from ``made_at`` to the first part's start.
- ``double_bookings``: pairs of overlapping intervals on one resource or one patient; a correct
  schedule has none, and the tests assert it for every policy.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime
from typing import Any

from benchmarks.planner.simulate import Booking, Outcome, local_date, median_p
from benchmarks.scenarios.model import Scenario

Interval = tuple[datetime, datetime]


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def by_resource(bookings: list[Booking]) -> dict[str, list[Interval]]:
    out: dict[str, list[Interval]] = defaultdict(list)
    for b in bookings:
        for p in b.parts:
            for rid, start, end in p.held():
                out[rid].append((start, end))
    for ivs in out.values():
        ivs.sort()
    return out


def overlaps(intervals: list[Interval]) -> int:
    """Pairs that overlap (sorted sweep, so O(n log n + answer))."""
    ivs = sorted(intervals)
    count = 0
    for i, (a, z) in enumerate(ivs):
        for b, _ in ivs[i + 1 :]:
            if b >= z:
                break
            count += 1
        del a
    return count


def double_bookings(bookings: list[Booking]) -> int:
    per_patient: dict[str, list[Interval]] = defaultdict(list)
    for b in bookings:
        per_patient[b.patient_id].extend((p.start, p.end) for p in b.parts)
    return sum(overlaps(v) for v in by_resource(bookings).values()) + sum(
        overlaps(v) for v in per_patient.values()
    )


def _clip(ivs: list[Interval], a: datetime, z: datetime) -> list[Interval]:
    return [(max(s, a), min(e, z)) for s, e in ivs if e > a and s < z]


def utilisation(s: Scenario, bookings: list[Booking], kind: str) -> tuple[float, float, float]:
    """(booked minutes in hours, working minutes, ratio) over every resource of ``kind``."""
    busy = by_resource(bookings)
    booked = opened = 0.0
    for r in s.of_kind(kind):
        for a, z in s.open_intervals(r):
            opened += _minutes(a, z)
            booked += sum(_minutes(x, y) for x, y in _clip(busy.get(r.id, []), a, z))
    return booked, opened, (booked / opened if opened else 0.0)


def fragmentation(s: Scenario, bookings: list[Booking]) -> tuple[int, float]:
    """(count, minutes) of idle gaps too short for the shortest type, chairs and providers."""
    busy = by_resource(bookings)
    runs = [z - a for t in s.types for a, z in t.provider_runs()]
    shortest_for = {"chair": s.shortest_minutes, "provider": min(runs, default=s.shortest_minutes)}
    count, minutes = 0, 0.0
    for r in s.resources:
        if r.kind not in shortest_for:
            continue
        shortest = shortest_for[r.kind]
        for a, z in s.open_intervals(r):
            cursor = a
            gaps = []
            for x, y in _clip(busy.get(r.id, []), a, z):
                gaps.append(_minutes(cursor, x))
                cursor = max(cursor, y)
            gaps.append(_minutes(cursor, z))
            for g in gaps:
                if 0 < g < shortest:
                    count += 1
                    minutes += g
    return count, minutes


def per_chair_day(
    s: Scenario, bookings: list[Booking]
) -> tuple[list[str], list[str], list[list[float]]]:
    """Chair ids, ISO dates and the booked fraction of each chair's open time that day."""
    busy = by_resource(bookings)
    chairs = s.of_kind("chair")
    days = s.days()
    grid = []
    for r in chairs:
        row = []
        for day in days:
            opened = booked = 0.0
            for b in r.hours.get(day.weekday(), ()):
                a, z = s.instant(day, b.start), s.instant(day, b.end)
                opened += _minutes(a, z)
                booked += sum(_minutes(x, y) for x, y in _clip(busy.get(r.id, []), a, z))
            row.append(booked / opened if opened else float("nan"))
        grid.append(row)
    return [r.id for r in chairs], [d.isoformat() for d in days], grid


def patients_per_orthodontist_day(s: Scenario, bookings: list[Booking]) -> tuple[int, int, float]:
    """(visits seen by an orthodontist, orthodontist working days, their ratio)."""
    orthos = s.orthodontists()
    ids = {r.id for r in orthos}
    seen = sum(1 for b in bookings if not b.no_show and any(p.provider_id in ids for p in b.parts))
    days = sum(1 for r in orthos for day in s.days() if r.hours.get(day.weekday()))
    return seen, days, (seen / days if days else 0.0)


def booked_minutes_by_day(s: Scenario, bookings: list[Booking]) -> dict[str, int]:
    out = {d.isoformat(): 0 for d in s.days()}
    for b in bookings:
        key = local_date(s, b.start).isoformat()
        if key in out:
            out[key] += b.minutes
    return out


def summarise(s: Scenario, o: Outcome) -> dict[str, Any]:
    chair_booked, chair_open, chair_u = utilisation(s, o.bookings, "chair")
    prov_booked, prov_open, prov_u = utilisation(s, o.bookings, "provider")
    asst_booked, asst_open, asst_u = utilisation(s, o.bookings, "assistant")
    frag_n, frag_min = fragmentation(s, o.bookings)
    seen, ortho_days, per_ortho_day = patients_per_orthodontist_day(s, o.bookings)
    made = {q.id: q.made_at for q in s.requests}
    waits = [(b.start - made[b.request_id]).total_seconds() / 86400 for b in o.bookings]
    wait_med, wait_p90 = median_p(waits, 0.9)
    ms_med, ms_p95 = median_p(o.request_ms, 0.95)
    return {
        "policy": o.policy,
        "requests": len(s.requests),
        "booked": len(o.bookings),
        "turned_away": len(o.turned_away),
        "cancelled": len(o.cancelled),
        "no_shows": sum(b.no_show for b in o.bookings),
        "booked_minutes": sum(b.minutes for b in o.bookings),
        "chair_utilisation": chair_u,
        "provider_utilisation": prov_u,
        "assistant_utilisation": asst_u if s.of_kind("assistant") else None,
        "chair_booked_minutes": chair_booked,
        "chair_open_minutes": chair_open,
        "provider_booked_minutes": prov_booked,
        "provider_open_minutes": prov_open,
        "assistant_booked_minutes": asst_booked,
        "assistant_open_minutes": asst_open,
        "orthodontist_visits_seen": seen,
        "orthodontist_days": ortho_days,
        "patients_per_orthodontist_day": per_ortho_day,
        "short_gaps": frag_n,
        "short_gap_minutes": frag_min,
        "days_to_appointment_median": wait_med,
        "days_to_appointment_p90": wait_p90,
        "request_ms_median": ms_med,
        "request_ms_p95": ms_p95,
        "request_ms_mean": statistics.fmean(o.request_ms) if o.request_ms else None,
        "request_cpu_ms_median": median_p(o.request_cpu_ms, 0.5)[0],
        "wall_seconds": o.wall_seconds,
        "peak_rss_mb": o.peak_rss_mb,
        "double_bookings": double_bookings(o.bookings),
        **o.extra,
    }
