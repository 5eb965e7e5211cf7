"""The online simulator: requests arrive in time order and a policy books each as it comes.

Pure: no database. It keeps every resource's busy intervals itself, turns each request into a
solver ``SlotQuery`` (window = the patient's acceptable dates; the hours and days the patient
cannot come are passed as the patient's busy time, which the engine treats as a hard rule;
``now`` = the moment the request is made), books what the policy picks and applies
cancellations when they fall due. Doctor time: a booked part holds its chair and room for its
whole span and its provider only for its type's ``D`` runs (``Part.provider_time``), which is
what the engine is told as the provider's busy time. ``whole-appointment`` is the baseline
without doctor time: best fit on the same clinic and stream with every pattern removed. The
final schedule is the list of bookings never cancelled; ``metrics`` recounts everything from that
list alone. The engine's view of the clinic and of a request's window is ``engine_clinic``.
"""

from __future__ import annotations

import heapq
import random
import resource
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from benchmarks.planner.engine_clinic import (
    EngineClinic,
    acceptable_blocks,
    patient_unavailable,
    request_window,
)
from benchmarks.scenarios.model import Request, Scenario, TypeSpec
from solver import Slot, best_fit, find_availability
from solver.problem import BusyInterval, Preferences, SlotQuery, Visit, VisitPart
from solver.result import PartAssignment

__all__ = [
    "EngineClinic",
    "acceptable_blocks",
    "patient_unavailable",
    "request_window",
]

ONLINE_POLICIES = ("first-available", "best-fit", "best-fit-realistic", "whole-appointment")
POLICIES = (*ONLINE_POLICIES, "offline-optimal")
# Realistic mode: the patient takes the top suggestion 60% of the time, else the 2nd or 3rd.
REALISTIC_WEIGHTS = (0.6, 0.25, 0.15)


Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Part:
    """One booked part. ``provider_time`` is when its provider is held (None: the whole span;
    empty: recorded but not held, an assistant-only part). Chair, room and assistant are held
    for the whole span."""

    type_id: str
    start: datetime
    end: datetime
    provider_id: str | None
    chair_id: str | None
    room_id: str | None
    provider_time: tuple[Interval, ...] | None = None
    assistant_id: str | None = None

    def resources(self) -> tuple[str, ...]:
        ids = (self.provider_id, self.chair_id, self.room_id, self.assistant_id)
        return tuple(r for r in ids if r)

    def held(self) -> list[tuple[str, datetime, datetime]]:
        """(resource id, start, end) of every interval this part holds."""
        whole = (self.chair_id, self.room_id, self.assistant_id)
        out = [(r, self.start, self.end) for r in whole if r]
        if self.provider_id:
            times = ((self.start, self.end),) if self.provider_time is None else self.provider_time
            out += [(self.provider_id, a, z) for a, z in times]
        return out


def provider_time(t: TypeSpec, start: datetime) -> tuple[Interval, ...]:
    """The instants a part of type ``t`` starting at ``start`` holds its provider."""
    return tuple(
        (start + timedelta(minutes=a), start + timedelta(minutes=z)) for a, z in t.provider_runs()
    )


@dataclass(frozen=True)
class Booking:
    request_id: str
    patient_id: str
    parts: tuple[Part, ...]
    booked_at: datetime
    no_show: bool = False

    @property
    def start(self) -> datetime:
        return self.parts[0].start

    @property
    def minutes(self) -> int:
        return sum(int((p.end - p.start).total_seconds()) // 60 for p in self.parts)


@dataclass
class Outcome:
    """What one policy did with one scenario: the final schedule and how it got there."""

    policy: str
    bookings: list[Booking]
    turned_away: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    request_ms: list[float] = field(default_factory=list)
    request_cpu_ms: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class Calendar:
    """Busy intervals per resource and per patient, the simulator's own bookkeeping."""

    def __init__(self) -> None:
        self.busy: dict[str, list[BusyInterval]] = defaultdict(list)
        self.patient: dict[str, list[BusyInterval]] = defaultdict(list)

    def add(self, b: Booking) -> None:
        for p in b.parts:
            for rid, start, end in p.held():
                self.busy[rid].append(BusyInterval(start, end, b.request_id))
            self.patient[b.patient_id].append(BusyInterval(p.start, p.end, b.request_id))

    def remove(self, b: Booking) -> None:
        for rid in {r for p in b.parts for r in p.resources()}:
            self.busy[rid] = [iv for iv in self.busy[rid] if iv.ref != b.request_id]
        self.patient[b.patient_id] = [
            iv for iv in self.patient[b.patient_id] if iv.ref != b.request_id
        ]

    def near(self, ws: datetime, we: datetime) -> dict[str, list[BusyInterval]]:
        """Only the intervals touching the window, like the API's ranged read."""
        lo, hi = ws - timedelta(hours=1), we + timedelta(hours=1)
        return {
            r: [iv for iv in ivs if iv.end > lo and iv.start < hi] for r, ivs in self.busy.items()
        }


def build_query(
    ec: EngineClinic,
    cal: Calendar,
    q: Request,
    now: datetime,
    usual: bool,
    *,
    within: Interval | None = None,
    only: frozenset[str] | None = None,
) -> SlotQuery | None:
    """The engine query for request ``q`` at ``now``; ``within`` narrows its window and
    ``only`` its chairs and rooms (a waitlist offer of freed time). The request's own booking,
    which an earlier time would replace, does not count as the patient's busy time."""
    s = ec.s
    ws, we = request_window(s, q)
    if within is not None:
        ws, we = max(ws, within[0]), min(we, within[1])
    if we <= max(ws, now + timedelta(minutes=s.min_lead_minutes)):
        return None
    own = [
        iv
        for iv in cal.patient.get(q.patient_id, ())
        if iv.end > ws and iv.start < we and iv.ref != q.id
    ]
    return SlotQuery(
        clinic=ec.clinic(cal.near(ws, we), only),
        visit=Visit(
            tuple(
                VisitPart(
                    p.type_id,
                    None,
                    min_gap_minutes=p.min_gap_minutes,
                    max_gap_minutes=p.max_gap_minutes,
                )
                for p in q.parts
            )
        ),
        window_start=ws,
        window_end=we,
        now=now,
        patient_busy=tuple(patient_unavailable(s, q) + own),
        preferences=Preferences(usual_provider_id=q.usual_provider_id if usual else None),
        time_limit_seconds=2.0,
    )


Chooser = Callable[[SlotQuery, random.Random], Slot | None]


def first_available(query: SlotQuery, rng: random.Random) -> Slot | None:
    slots = find_availability(query).slots
    return slots[0] if slots else None


def best_fit_top(query: SlotQuery, rng: random.Random) -> Slot | None:
    s = best_fit(query, k=1).suggestions
    return s[0].slot if s else None


def best_fit_realistic(query: SlotQuery, rng: random.Random) -> Slot | None:
    s = best_fit(query, k=3).suggestions
    if not s:
        return None
    pick = rng.choices(range(len(s)), REALISTIC_WEIGHTS[: len(s)])[0]
    return s[pick].slot


CHOOSERS: dict[str, Chooser] = {
    "first-available": first_available,
    "best-fit": best_fit_top,
    "best-fit-realistic": best_fit_realistic,
    # The baseline runs on the scenario without patterns (``simulate``), so best fit there holds
    # the provider for every whole appointment: the same packing policy, today's model.
    "whole-appointment": best_fit_top,
}


def recorded_provider(s: Scenario, q: Request, t: TypeSpec) -> str | None:
    """The provider a part that holds none records (the product requires one on every
    appointment, as the API does): the patient's usual provider when eligible, else the first."""
    if not t.needs_provider:
        return None
    ok = [r.id for r in s.of_kind("provider") if not t.provider_ids or r.id in t.provider_ids]
    return q.usual_provider_id if q.usual_provider_id in ok else (ok[0] if ok else None)


def _part(s: Scenario, q: Request, a: PartAssignment) -> Part:
    t = s.type(a.type_id)
    # The engine leaves the provider out of a part with no D step; the schedule records one.
    provider = a.provider_id or recorded_provider(s, q, t)
    return Part(
        a.type_id,
        a.start,
        a.end,
        provider,
        a.chair_id,
        a.room_id,
        provider_time(t, a.start) if provider else None,
        a.assistant_id,
    )


def to_booking(s: Scenario, q: Request, slot: Slot, now: datetime) -> Booking:
    return Booking(
        request_id=q.id,
        patient_id=q.patient_id,
        parts=tuple(_part(s, q, a) for a in slot.parts),
        booked_at=now,
        no_show=q.no_show,
    )


def cancel_time(q: Request, b: Booking) -> datetime | None:
    if q.cancel_fraction is None:
        return None
    return b.booked_at + (b.start - b.booked_at) * q.cancel_fraction


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulate(
    s: Scenario,
    policy: str,
    *,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
    waitlist: bool = False,
) -> Outcome:
    """Replay the scenario's requests through one online policy; ``waitlist``: cancelled time
    is offered to waiting requests (``benchmarks.planner.waitlist``)."""
    # Imported here: the waitlist module builds on this one's bookkeeping.
    from benchmarks.planner.waitlist import Waitlist

    if policy == "whole-appointment":
        s = s.without_patterns()
    choose = CHOOSERS[policy]
    base_seed = s.seed if seed is None else seed
    rng = random.Random(f"{base_seed}:{policy}")
    ec = EngineClinic(s)
    cal = Calendar()
    by_id = {q.id: q for q in s.requests}
    live: dict[str, Booking] = {}
    out = Outcome(policy + ("+waitlist" if waitlist else ""), [])
    usual = policy != "first-available"
    wl = (
        Waitlist(s, ec, choose, usual, random.Random(f"{base_seed}:{policy}:waitlist"))
        if waitlist
        else None
    )
    events: list[tuple[datetime, int, str, str]] = [
        (q.made_at, i, "request", q.id) for i, q in enumerate(s.requests)
    ]
    heapq.heapify(events)
    seq = len(events)
    # A request rebooked from the waitlist cancels by its new booking; the old event is stale.
    cancel_due: dict[str, datetime] = {}

    def book(q: Request, slot: Slot, now: datetime) -> Booking:
        nonlocal seq
        b = to_booking(s, q, slot, now)
        live[q.id] = b
        cal.add(b)
        when = cancel_time(q, b)
        if when is not None:
            cancel_due[q.id] = when
            heapq.heappush(events, (when, seq, "cancel", q.id))
            seq += 1
        return b

    def release(rid: str) -> Booking:
        b = live.pop(rid)
        cal.remove(b)
        return b

    t0 = time.perf_counter()
    while events:
        now, _, kind, rid = heapq.heappop(events)
        q = by_id[rid]
        if kind == "cancel":
            if rid not in live or cancel_due.get(rid) != now:
                continue
            b = release(rid)
            out.cancelled.append(rid)
            if wl is not None:
                wl.leave(rid)
                wl.freed(b, now, cal, book, release)
            continue
        query = build_query(ec, cal, q, now, usual=usual)
        slot = None
        if query is not None:
            started, cpu = time.perf_counter(), time.process_time()
            slot = choose(query, rng)
            out.request_ms.append((time.perf_counter() - started) * 1000)
            # CPU time too: on a shared machine wall time also counts other people's work.
            out.request_cpu_ms.append((time.process_time() - cpu) * 1000)
        if progress:
            progress(1)
        booked = book(q, slot, now) if slot is not None else None
        if booked is None:
            out.turned_away.append(rid)
        if wl is not None:
            wl.join(q, booked, now)
    out.bookings = sorted(live.values(), key=lambda b: (b.start, b.request_id))
    # A request turned away and then booked from the waitlist is no longer turned away.
    gone = set(live) | set(out.cancelled)
    out.turned_away = [r for r in out.turned_away if r not in gone]
    if wl is not None:
        out.extra["waitlist"] = wl.stats_dict()
    out.wall_seconds = time.perf_counter() - t0
    out.peak_rss_mb = peak_rss_mb()
    return out


def median_p(values: Iterable[float], p: float) -> tuple[float | None, float | None]:
    v = sorted(values)
    if not v:
        return None, None
    k = min(len(v) - 1, max(0, round(p * (len(v) - 1))))
    return statistics.median(v), v[k]


def local_date(s: Scenario, dt: datetime) -> date:
    return dt.astimezone(s.tz).date()
