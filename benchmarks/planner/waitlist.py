"""The simulator's waitlist (``--waitlist``): cancelled time offered to requests that want it.

Who waits: a request turned away (no time inside its window), and a request booked on a later
day than the first day it could come (it wants an earlier day; its booking stands until it
moves). An entry leaves when it is booked on the day it wanted, when its request is cancelled,
or when no time it could take is left (its window, or the days before its booking, have passed).

When a booking is cancelled, its freed time (its chairs and rooms over its span; the doctor's
time as the calendar now has it free, which includes the freed ``D`` runs) is offered to the
waiting requests in the order they joined, longest wait first. Whether a request fits is the
policy's own engine call (first-available's earliest start, best fit's top suggestion) on the
request's query narrowed to that span, to those chairs and rooms and, for a request that already
has a booking, to the days before it. Each offer is taken with probability
``Scenario.waitlist_accept`` (a seeded RNG per policy); a declined entry stays on the list but is
not asked again for the same freed time. After each acceptance the list is asked again from its
head, until no waiting request fits what is left. A request that moves earlier frees its later
booking, which is offered the same way and counted apart (``moved_away_*``).

Per cancellation (``WaitlistStats``):

- freed minutes: the cancelled booking's minutes;
- fittable minutes: the freed minutes (per chair and room) that some waiting request could take
  at that moment: the union, over every waiting entry, of what each start the engine's
  availability offers it inside the freed time would hold of it. It is the fill rate's
  denominator, so cancelled time that no waiting request fits is not counted as missed, and no
  run of offers can book more than it (every later booking into the freed time was one of those
  starts);
- rebooked minutes: the freed minutes the waitlist's bookings hold.

Days brought forward: for each request moved earlier, its old booking's local date minus the
new one's.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from benchmarks.planner.engine_clinic import EngineClinic, acceptable_blocks, request_window
from benchmarks.planner.simulate import (
    Booking,
    Calendar,
    Chooser,
    Interval,
    build_query,
)
from benchmarks.scenarios.model import Request, Scenario
from solver import Slot, find_availability


@dataclass
class Entry:
    q: Request
    seq: int  # join order: the longest wait is offered first
    wanted: date  # the first local date the patient could come when they asked
    current: Booking | None  # the later booking an earlier day would replace


@dataclass
class WaitlistStats:
    joined_turned_away: int = 0
    joined_booked_later: int = 0
    offers: int = 0
    accepted: int = 0
    recovered_requests: int = 0  # turned away, then booked from the list
    moved_earlier: int = 0
    days_brought_forward: list[int] = field(default_factory=list)
    cancellations: int = 0
    cancellations_fittable: int = 0
    cancelled_minutes: int = 0
    fittable_minutes: int = 0
    rebooked_minutes: int = 0
    moved_away_minutes: int = 0
    moved_away_refilled_minutes: int = 0

    def as_dict(self) -> dict[str, Any]:
        days = self.days_brought_forward
        return {
            "accept_probability": None,  # filled in by ``Waitlist.stats_dict``
            "joined_turned_away": self.joined_turned_away,
            "joined_booked_later": self.joined_booked_later,
            "offers": self.offers,
            "accepted": self.accepted,
            "recovered_requests": self.recovered_requests,
            "moved_earlier": self.moved_earlier,
            "days_brought_forward_total": sum(days),
            "days_brought_forward_median": statistics.median(days) if days else None,
            "cancellations": self.cancellations,
            "cancellations_fittable": self.cancellations_fittable,
            "cancelled_minutes": self.cancelled_minutes,
            "fittable_cancelled_minutes": self.fittable_minutes,
            "rebooked_cancelled_minutes": self.rebooked_minutes,
            "fill_rate_of_fittable": (
                self.rebooked_minutes / self.fittable_minutes if self.fittable_minutes else None
            ),
            "moved_away_minutes": self.moved_away_minutes,
            "moved_away_refilled_minutes": self.moved_away_refilled_minutes,
        }


# The simulator's own bookkeeping, passed in so this module does not import the loop.
BookFn = Callable[[Request, Slot, datetime], Booking]
ReleaseFn = Callable[[str], Booking]


class Waitlist:
    def __init__(
        self,
        s: Scenario,
        ec: EngineClinic,
        choose: Chooser,
        usual: bool,
        rng: random.Random,
    ) -> None:
        self.s = s
        self.ec = ec
        self.choose = choose
        self.usual = usual
        self.rng = rng
        self.entries: dict[str, Entry] = {}
        self.stats = WaitlistStats()
        self._seq = 0
        self.lead = timedelta(minutes=s.min_lead_minutes)

    def stats_dict(self) -> dict[str, Any]:
        return {**self.stats.as_dict(), "accept_probability": self.s.waitlist_accept}

    def _day(self, dt: datetime) -> date:
        return dt.astimezone(self.s.tz).date()

    def wanted_day(self, q: Request, now: datetime) -> date | None:
        """The first local date the patient can come, from ``now`` on (None: no time left)."""
        earliest = now + self.lead
        for a, z in acceptable_blocks(self.s, q):
            if z > earliest:
                return self._day(max(a, earliest))
        return None

    def join(self, q: Request, booking: Booking | None, now: datetime) -> None:
        wanted = self.wanted_day(q, now)
        if wanted is None:
            return
        if booking is None:
            self.stats.joined_turned_away += 1
        elif self._day(booking.start) > wanted:
            self.stats.joined_booked_later += 1
        else:
            return
        self._seq += 1
        self.entries[q.id] = Entry(q, self._seq, wanted, booking)

    def leave(self, request_id: str) -> None:
        self.entries.pop(request_id, None)

    def _window(self, e: Entry, span: Interval) -> Interval | None:
        a, z = span
        if e.current is not None:
            z = min(z, self.s.instant(self._day(e.current.start), time()))
        ws, we = request_window(self.s, e.q)
        a, z = max(a, ws), min(z, we)
        return (a, z) if a < z else None

    def _prune(self, now: datetime) -> None:
        for rid, e in list(self.entries.items()):
            w = self._window(e, (now + self.lead, self.s.horizon[1]))
            if w is None:
                del self.entries[rid]

    def _pass(
        self,
        cal: Calendar,
        span: Interval,
        only: frozenset[str],
        now: datetime,
        accept: Callable[[], bool],
        book: Callable[[Entry, Slot], Booking],
    ) -> list[Booking]:
        """Offer ``span`` on ``only`` to the list; returns the bookings made into it."""
        made: list[Booking] = []
        asked: set[str] = set()
        again = True
        while again:
            again = False
            for e in sorted(self.entries.values(), key=lambda e: e.seq):
                if e.q.id in asked:
                    continue
                w = self._window(e, span)
                if w is None:
                    continue
                query = build_query(self.ec, cal, e.q, now, self.usual, within=w, only=only)
                slot = self.choose(query, self.rng) if query is not None else None
                if slot is None:
                    continue
                asked.add(e.q.id)
                self.stats.offers += 1
                if not accept():
                    continue
                made.append(book(e, slot))
                # The freed time is smaller now: ask again from the head of the list.
                again = True
                break
        return made

    def _could_fill(
        self, cal: Calendar, freed: dict[str, list[Interval]], span: Interval, now: datetime
    ) -> int:
        """Freed minutes that some waiting request could take: every start the engine offers
        any entry inside the freed time, the union of what those slots would hold of it."""
        covered: dict[str, set[int]] = defaultdict(set)
        only = frozenset(freed)
        for e in self.entries.values():
            w = self._window(e, span)
            query = (
                build_query(self.ec, cal, e.q, now, self.usual, within=w, only=only)
                if w is not None
                else None
            )
            if query is None:
                continue
            for slot in find_availability(query).slots:
                for p in slot.parts:
                    for rid in (p.chair_id, p.room_id):
                        if rid in freed:
                            covered[rid] |= _minutes(p.start, p.end)
        return sum(
            len(covered[rid] & set().union(*(_minutes(a, z) for a, z in ivs)))
            for rid, ivs in freed.items()
        )

    def freed(
        self,
        cancelled: Booking,
        now: datetime,
        cal: Calendar,
        book_real: BookFn,
        release_real: ReleaseFn,
    ) -> None:
        """Offer a cancelled booking's time, then the time of every booking that moved earlier
        to take it (and so on)."""
        self._prune(now)
        self.stats.cancellations += 1
        self.stats.cancelled_minutes += cancelled.minutes
        span, freed = _freed(cancelled)
        fittable = self._could_fill(cal, freed, span, now)
        self.stats.fittable_minutes += fittable
        self.stats.cancellations_fittable += fittable > 0
        if not fittable:
            return
        moved: list[Booking] = []

        def accept() -> bool:
            return self.rng.random() < self.s.waitlist_accept

        def book(e: Entry, slot: Slot) -> Booking:
            self.stats.accepted += 1
            old = e.current
            if old is not None:
                release_real(e.q.id)
            b = book_real(e.q, slot, now)
            if old is None:
                self.stats.recovered_requests += 1
            else:
                self.stats.moved_earlier += 1
                self.stats.days_brought_forward.append(
                    (self._day(old.start) - self._day(b.start)).days
                )
                moved.append(old)
            if self._day(b.start) > e.wanted:
                e.current = b
            else:
                del self.entries[e.q.id]
            return b

        for b in self._pass(cal, span, frozenset(freed), now, accept, book):
            self.stats.rebooked_minutes += _taken(b, freed)
        while moved:
            old = moved.pop(0)
            self.stats.moved_away_minutes += old.minutes
            span, freed = _freed(old)
            for b in self._pass(cal, span, frozenset(freed), now, accept, book):
                self.stats.moved_away_refilled_minutes += _taken(b, freed)


def _minutes(a: datetime, z: datetime) -> set[int]:
    lo = int(a.timestamp()) // 60
    return set(range(lo, int(z.timestamp()) // 60))


def _freed(b: Booking) -> tuple[Interval, dict[str, list[Interval]]]:
    """A booking's time as one span, and what it held of each chair and room."""
    span = (min(p.start for p in b.parts), max(p.end for p in b.parts))
    freed: dict[str, list[Interval]] = defaultdict(list)
    for p in b.parts:
        for rid in (p.chair_id, p.room_id):
            if rid:
                freed[rid].append((p.start, p.end))
    return span, dict(freed)


def _taken(b: Booking, freed: dict[str, list[Interval]]) -> int:
    """Minutes of the freed chairs' and rooms' time that booking ``b`` holds."""
    return sum(
        len(_minutes(p.start, p.end) & _minutes(a, z))
        for p in b.parts
        for rid in (p.chair_id, p.room_id)
        if rid in freed
        for a, z in freed[rid]
    )
