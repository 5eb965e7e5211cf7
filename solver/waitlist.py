"""Waitlist matching: which waiting requests fit a freed gap, where, and in what order.

``match_gap(clinic, gap, requests, now)`` is exactly "per-request availability restricted to the
gap" (the oracle test in tests/solver/test_waitlist.py), computed with as few engine searches
as the requests allow: a search depends only on the visit asked for and the window it is
searched in, so requests that share both share one ``find_availability`` call. Per request it
then only reads the result: the first start its patient is free for and (when it would replace
a booking) earlier than that booking. A request whose patient has busy time inside its window
is searched on its own, because the patient's time can change which resources the engine
picks, and so which starts remain.

A request's acceptable window is clinic-local: dates, weekdays, and hours inside which the whole
visit must lie. Inside one gap it becomes at most one interval per local day the gap touches.

The preferred provider is a preference, not a rule: the first start with that provider is taken
when there is one (one more search, shared the same way), else the first start with anyone.

Score terms (points, higher first; ties: waiting longest, then id), each with a reason:

- ``gap_fill`` +3.0 x the share of the gap's minutes the visit spans;
- ``earlier`` +0.1 per clinic-local day earlier than the booking it replaces, at most +3.0;
- ``waited`` +0.1 per whole day on the list, at most +2.0;
- ``priority`` +1.0 per step;
- ``preferred_provider`` +1.0 when every part needing a provider has the preferred one.
"""

from __future__ import annotations

import time as clock
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from solver.availability import find_availability
from solver.errors import InvalidQuery
from solver.problem import BusyInterval, Clinic, Preferences, SlotQuery, Visit, VisitPart
from solver.result import PartAssignment, ScoreTerm, Slot
from solver.validate import validate

GAP_FILL = 3.0
EARLIER_PER_DAY = 0.1
EARLIER_MAX = 3.0
WAITED_PER_DAY = 0.1
WAITED_MAX = 2.0
PRIORITY_STEP = 1.0
PREFERRED_PROVIDER = 1.0

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Gap:
    """Freed time: an interval and the chair and/or provider it frees (``None``: any)."""

    start: datetime
    end: datetime
    chair_id: str | None = None
    provider_id: str | None = None


@dataclass(frozen=True)
class LocalWindow:
    """When a patient could come, clinic-local; ``None`` / an empty set leaves a side open."""

    earliest_date: date | None = None
    latest_date: date | None = None
    weekdays: frozenset[int] = frozenset()  # ISO 0 = Monday .. 6; empty: every day
    earliest_time: time | None = None
    latest_time: time | None = None


@dataclass(frozen=True)
class WaitingRequest:
    id: str
    visit: Visit
    waiting_since: datetime
    window: LocalWindow = LocalWindow()
    patient_busy: tuple[BusyInterval, ...] = ()
    preferred_provider_id: str | None = None
    priority: int = 0
    # The start of the later booking this would replace: a fit must start before it.
    replaces_start: datetime | None = None


@dataclass(frozen=True)
class WaitlistMatch:
    request_id: str
    slot: Slot
    score: float
    terms: tuple[ScoreTerm, ...]


@dataclass(frozen=True)
class WaitlistMatches:
    """Every fitting request, best first. ``complete`` is False when a time limit cut a search
    short (a listed match is still bookable; some may be missing)."""

    matches: tuple[WaitlistMatch, ...]
    complete: bool
    searches: int = field(default=0, compare=False)


def _holds_provider(clinic: Clinic, part: VisitPart) -> bool:
    spec = next((t for t in clinic.types if t.id == part.type_id), None)
    if spec is None or not spec.needs_provider:
        return False
    pattern = part.time_pattern or spec.time_pattern
    return pattern is None or "D" in pattern


def _needs_chair(clinic: Clinic, part: VisitPart) -> bool:
    spec = next((t for t in clinic.types if t.id == part.type_id), None)
    return spec is not None and spec.needs_chair


def pinned_to_gap(
    clinic: Clinic, gap: Gap, visit: Visit, provider_id: str | None = None
) -> Visit | None:
    """The visit with every part that needs the gap's kind of resource pinned to it, and (when
    given) every provider-holding part to ``provider_id``. None when no part would use the
    freed chair (or provider): such a visit cannot fill the gap, however free the time is."""
    parts = []
    uses_chair = uses_provider = False
    for part in visit.parts:
        provider = part.provider_id
        if _holds_provider(clinic, part):
            provider = gap.provider_id or provider_id or provider
            uses_provider = True
        chair = part.chair_id
        if gap.chair_id and _needs_chair(clinic, part):
            chair, uses_chair = gap.chair_id, True
        parts.append(replace(part, provider_id=provider, chair_id=chair))
    if (gap.chair_id and not uses_chair) or (gap.provider_id and not uses_provider):
        return None
    return replace(visit, parts=tuple(parts))


def acceptable(tz_name: str, gap: Gap, window: LocalWindow) -> tuple[Interval, ...]:
    """The parts of the gap inside the window: one interval per acceptable local day."""
    tz = ZoneInfo(tz_name)
    first = gap.start.astimezone(tz).date()
    last = gap.end.astimezone(tz).date()
    out: list[Interval] = []
    day = first
    while day <= last:
        ok = (
            (window.earliest_date is None or day >= window.earliest_date)
            and (window.latest_date is None or day <= window.latest_date)
            and (not window.weekdays or day.weekday() in window.weekdays)
        )
        if ok:
            lo = datetime.combine(day, window.earliest_time or time(0), tzinfo=tz)
            hi = (
                datetime.combine(day, window.latest_time, tzinfo=tz)
                if window.latest_time is not None
                else datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
            )
            start, end = max(lo, gap.start), min(hi, gap.end)
            if start < end:
                out.append((start.astimezone(gap.start.tzinfo), end.astimezone(gap.start.tzinfo)))
        day += timedelta(days=1)
    return tuple(out)


def _overlaps(busy: Sequence[BusyInterval], lo: datetime, hi: datetime) -> bool:
    return any(b.start < hi and lo < b.end for b in busy)


def _patient_free(slot: Slot, busy: Sequence[BusyInterval]) -> bool:
    return not any(_overlaps(busy, p.start, p.end) for p in slot.parts)


class _Searches:
    """The engine's answers, one per (visit, window, patient busy) asked; shared by requests."""

    def __init__(self, clinic: Clinic, now: datetime, time_limit: float) -> None:
        self.clinic, self.now = clinic, now
        self.deadline = clock.perf_counter() + time_limit
        self.cache: dict[
            tuple[Visit, Interval, tuple[BusyInterval, ...]], tuple[SlotQuery, Sequence[Slot]]
        ] = {}
        # Keyed by the query's id: every query lives in ``cache`` for the whole call.
        self.swaps: dict[tuple[int, datetime, str], Slot | None] = {}
        self.complete = True
        self.busy = {r.id: r.busy for r in clinic.resources}

    def busy_during(self, provider_id: str, parts: Sequence[PartAssignment]) -> bool:
        busy = self.busy.get(provider_id, ())
        return any(_overlaps(busy, lo, hi) for p in parts for lo, hi in p.provider_time)

    def slots(
        self, visit: Visit, window: Interval, busy: tuple[BusyInterval, ...]
    ) -> tuple[SlotQuery, Sequence[Slot]]:
        key = (visit, window, busy)
        found = self.cache.get(key)
        if found is None:
            query = SlotQuery(
                clinic=self.clinic,
                visit=visit,
                window_start=window[0],
                window_end=window[1],
                now=self.now,
                patient_busy=busy,
                preferences=Preferences(),
                time_limit_seconds=max(self.deadline - clock.perf_counter(), 0.05),
            )
            try:
                result = find_availability(query)
            except InvalidQuery:
                # A pin the type cannot take (a provider not qualified for it, a type no longer
                # offered): nothing of this visit fits here.
                found = self.cache[key] = (query, ())
            else:
                self.complete = self.complete and result.complete
                found = self.cache[key] = (query, result.slots)
        return found


def _fitting(
    searches: _Searches, visit: Visit | None, windows: tuple[Interval, ...], request: WaitingRequest
) -> Iterator[tuple[Slot, SlotQuery]]:
    """The request's fitting slots in start order, each with the query it was found by."""
    if visit is None:
        return
    for window in windows:
        # Only busy time inside the window can matter; without any, the search is shared.
        own = tuple(b for b in request.patient_busy if b.start < window[1] and window[0] < b.end)
        query, slots = searches.slots(visit, window, own)
        for slot in slots:
            if request.replaces_start is not None and slot.start >= request.replaces_start:
                return
            if _patient_free(slot, request.patient_busy):
                yield slot, query


def _with_provider(
    searches: _Searches, slot: Slot, query: SlotQuery, provider_id: str
) -> Slot | None:
    """The slot with ``provider_id`` on every part that holds a provider, if every rule allows
    it (``validate``, a fraction of a search's cost; one search per provider would multiply the
    searches by the clinic's providers)."""
    held = [p for p in slot.parts if p.provider_time]
    if not held or all(p.provider_id == provider_id for p in held):
        return slot if held else None
    key = (id(query), slot.start, provider_id)
    if key not in searches.swaps and searches.busy_during(provider_id, held):
        # The provider's busy time alone rules it out: no need for the whole check.
        searches.swaps[key] = None
    if key not in searches.swaps:
        parts = tuple(
            replace(p, provider_id=provider_id) if p.provider_time else p for p in slot.parts
        )
        searches.swaps[key] = replace(slot, parts=parts) if _valid(query, parts) else None
    return searches.swaps[key]


def _valid(query: SlotQuery, parts: tuple[PartAssignment, ...]) -> bool:
    try:
        return not validate(query, parts)
    except InvalidQuery:  # the provider is not qualified for a part's type
        return False


def _choose(
    searches: _Searches, visit: Visit | None, windows: tuple[Interval, ...], request: WaitingRequest
) -> Slot | None:
    """The first fitting start; with a preferred provider, the first where they can do it."""
    first = None
    for slot, query in _fitting(searches, visit, windows, request):
        if request.preferred_provider_id is None:
            return slot
        first = first or slot
        mine = _with_provider(searches, slot, query, request.preferred_provider_id)
        if mine is not None:
            return mine
    return first


def _days(delta: timedelta) -> int:
    return max(int(delta.total_seconds() // 86400), 0)


def score_terms(
    clinic: Clinic, gap: Gap, request: WaitingRequest, slot: Slot, now: datetime
) -> tuple[ScoreTerm, ...]:
    gap_minutes = (gap.end - gap.start).total_seconds() / 60
    visit_minutes = (slot.end - slot.start).total_seconds() / 60
    share = min(visit_minutes / gap_minutes, 1.0) if gap_minutes > 0 else 0.0
    terms = [
        ScoreTerm(
            "gap_fill",
            round(GAP_FILL * share, 2),
            f"fills {visit_minutes:.0f} of the {gap_minutes:.0f} freed minutes",
        )
    ]
    if request.replaces_start is not None:
        # Calendar days as the patient counts them: clinic-local dates, not 24-hour spans.
        zone = ZoneInfo(clinic.time_zone)
        local = request.replaces_start.astimezone(zone)
        days = max((local.date() - slot.start.astimezone(zone).date()).days, 0)
        terms.append(
            ScoreTerm(
                "earlier",
                round(min(days * EARLIER_PER_DAY, EARLIER_MAX), 2),
                f"{days} days earlier than their booking on {local:%d %b %Y}",
            )
        )
    waited = _days(now - request.waiting_since)
    terms.append(
        ScoreTerm(
            "waited",
            round(min(waited * WAITED_PER_DAY, WAITED_MAX), 2),
            f"waiting {waited} days",
        )
    )
    if request.priority:
        terms.append(
            ScoreTerm(
                "priority",
                round(request.priority * PRIORITY_STEP, 2),
                f"priority {request.priority}",
            )
        )
    if request.preferred_provider_id is not None:
        providers = {p.provider_id for p in slot.parts if p.provider_time}
        with_them = providers == {request.preferred_provider_id}
        terms.append(
            ScoreTerm(
                "preferred_provider",
                PREFERRED_PROVIDER if with_them else 0.0,
                "with their preferred provider"
                if with_them
                else "not with their preferred provider",
            )
        )
    return tuple(terms)


def match_gap(
    clinic: Clinic,
    gap: Gap,
    requests: Sequence[WaitingRequest],
    now: datetime,
    *,
    time_limit_seconds: float = 2.0,
) -> WaitlistMatches:
    """The requests that fit the gap, each with the first start it could have, best first."""
    searches = _Searches(clinic, now, time_limit_seconds)
    pinned: dict[Visit, Visit | None] = {}
    windows: dict[LocalWindow, tuple[Interval, ...]] = {}
    found: list[tuple[WaitingRequest, WaitlistMatch]] = []
    for request in requests:
        if request.visit not in pinned:
            pinned[request.visit] = pinned_to_gap(clinic, gap, request.visit)
        if request.window not in windows:
            windows[request.window] = acceptable(clinic.time_zone, gap, request.window)
        slot = _choose(searches, pinned[request.visit], windows[request.window], request)
        if slot is None:
            continue
        terms = score_terms(clinic, gap, request, slot, now)
        score = round(sum(t.points for t in terms), 2)
        found.append((request, WaitlistMatch(request.id, slot, score, terms)))
    found.sort(key=lambda pair: (-pair[1].score, pair[0].waiting_since, pair[0].id))
    return WaitlistMatches(
        tuple(m for _, m in found), searches.complete, searches=len(searches.cache)
    )
