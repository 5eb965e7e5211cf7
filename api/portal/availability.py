"""Free times as the portal lists them, and the alternatives a refused booking offers instead."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.booking import availability
from api.booking.busy_cache import Versions, versions
from api.booking.provider_time import responsible_provider
from api.booking.rules import BookingConflict
from api.core import clock
from api.errors import InvalidInput
from api.models import AppointmentType, Clinic, Patient
from api.portal import availability_cache
from api.portal.availability_cache import FreeTime
from api.portal.availability_config import portal_offer
from api.portal.identity import PortalCaller
from api.portal.offer import on_grid
from api.portal.schemas import (
    PortalAvailability,
    PortalDay,
    PortalSlot,
    SlotChoice,
)

DEFAULT_DAYS = 14
# The longest window one portal query may ask for: a month of times is all a widget shows, and
# longer windows cost an engine run over weeks of busy time per request (issue 12, finding 5).
MAX_DAYS = 31

ALTERNATIVES = 5
# Busy time read around the asked days (buffers reach across midnight): the cache's token covers
# at least what the engine reads for them.
BUSY_MARGIN = timedelta(days=1)


def _whole_days(clinic: Clinic, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The clinic-local days that [start, end) touches, from midnight to midnight, in UTC."""
    zone = ZoneInfo(clinic.time_zone)
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return (
        datetime.combine(first, time(0), zone).astimezone(UTC),
        datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC),
    )


@dataclass(frozen=True)
class FreeTimesQuery:
    """One portal question to the engine: this caller's free times of one type in [start, end)
    on the portal's grid of `step_minutes`, as of `now`, searched for at most `time_limit` s."""

    caller: PortalCaller
    clinic: Clinic
    current: Versions
    type_id: str
    step_minutes: int
    start: datetime
    end: datetime
    now: datetime
    time_limit: float


def _free_times(session: Session, query: FreeTimesQuery) -> tuple[tuple[FreeTime, ...], bool]:
    """The engine's starts on the portal grid in [start, end), and whether the search finished."""
    caller, clinic = query.caller, query.clinic
    req = availability.AvailabilityRequest(
        type_ids=[query.type_id],
        window_start=query.start,
        window_end=query.end,
        durations=[],
        patient_id=caller.patient_id,
        limit=100_000,
        online_only=True,
    )
    # Lead time and horizon come from the clinic's policy; the portal never overrides them.
    found = availability.find(
        session, clinic, req, query.now, time_limit=query.time_limit, hold_owner=caller.owner
    )
    times = []
    recorded: str | None = None
    for slot in found.slots:
        # Patients choose from a tidy grid (e.g. :00 :15 :30 :45), not every engine start.
        if not on_grid(clinic, query.step_minutes, slot.start_time):
            continue
        part = slot.parts[0]
        provider_id = part.provider_id
        if provider_id is None:
            # A type that needs no provider: list the one booking records for this caller, so
            # the time the widget sends back books as listed (api/booking/provider_time.py).
            kind = session.get(AppointmentType, query.type_id)
            assert kind is not None  # checked bookable, and this transaction still sees it
            recorded = recorded or responsible_provider(
                session, clinic.id, kind, _usual_provider(session, caller)
            )
            provider_id = recorded
        times.append(
            FreeTime(slot.start_time, slot.end_time, provider_id, part.chair_id, part.room_id)
        )
    return tuple(times), found.complete


def _usual_provider(session: Session, caller: PortalCaller) -> str | None:
    patient = session.get(Patient, caller.patient_id) if caller.patient_id else None
    return patient.usual_provider_id if patient else None


def _cached_free_times(
    session: Session, query: FreeTimesQuery
) -> tuple[tuple[FreeTime, ...], bool]:
    """`_free_times` for the whole local days around the window, from the worker's cache when
    nothing it depends on changed (api/portal/availability_cache.py)."""
    caller, clinic, now = query.caller, query.clinic, query.now
    days_from, days_to = _whole_days(clinic, query.start, query.end)
    question = (query.type_id, days_from, days_to, caller.patient_id, query.step_minutes)
    # Read before the engine runs: an entry is then at worst newer than its key, never older.
    found = availability_cache.lookup(
        session,
        clinic,
        query.current,
        question,
        days_from - BUSY_MARGIN,
        days_to + BUSY_MARGIN,
        caller.owner,
        now,
    )
    cached = availability_cache.get(session, found.key)
    if cached is not None:
        return cached, True
    times, complete = _free_times(session, replace(query, start=days_from, end=days_to))
    if complete:  # a search cut short by its time limit is not an answer to keep
        availability_cache.put(session, found.key, times, found.valid_until)
    return times, complete


def available(
    session: Session,
    caller: PortalCaller,
    clinic: Clinic,
    type_id: str,
    start: datetime | None,
    end: datetime | None,
    *,
    time_limit: float,
    limit: int | None = None,
    cached: bool = False,
    current: Versions | None = None,
) -> PortalAvailability:
    """Free times on the portal grid; `cached` answers from the worker's cache when current
    (the listing endpoint; write paths computing alternatives ask the engine afresh).

    `current` is the clinic's versions as this transaction read them (the listing reads them
    with the clinic's row); read here, after this transaction's own writes, when not given.
    """
    current = current or versions(session, clinic.id)
    # Type, portal settings and provider names are configuration: one copy per config_version.
    offer = portal_offer(session, clinic.id, current.config)
    kind = offer.bookable_type(caller, type_id)
    now = clock.now()
    start = max(start or now, now)
    end = end or start + timedelta(days=DEFAULT_DAYS)
    if end - start > timedelta(days=MAX_DAYS):
        asked = (end - start) / timedelta(days=1)
        raise InvalidInput(
            "to",
            f"Ask for at most {MAX_DAYS} days of times at once (this asks for {asked:.0f}); "
            "ask again from the last day shown for later times.",
            maxDays=MAX_DAYS,
        )
    # The same window rules as the engine's (to after from, from before the horizon).
    availability.window_for(start, end, clinic, now)
    query = FreeTimesQuery(
        caller, clinic, current, kind.id, offer.slot_step_minutes, start, end, now, time_limit
    )
    times, complete = (_cached_free_times if cached else _free_times)(session, query)
    zone = ZoneInfo(clinic.time_zone)
    names = offer.provider_names
    # A cached answer covers whole days and was computed a little earlier: keep the asked
    # window, and drop starts that have come inside the lead time since.
    earliest = max(start, now + timedelta(minutes=clinic.min_lead_time_minutes))
    days: dict[str, list[PortalSlot]] = {}
    count = 0
    for free in times:
        if free.start < earliest or free.end > end:
            continue
        local = free.start.astimezone(zone)
        days.setdefault(local.date().isoformat(), []).append(
            PortalSlot(
                start_time=free.start,
                end_time=free.end,
                local_time=local.strftime("%H:%M"),
                provider_id=free.provider_id,
                chair_id=free.chair_id,
                room_id=free.room_id,
                provider_name=names.get(free.provider_id),
            )
        )
        count += 1
        if limit is not None and count >= limit:
            break
    return PortalAvailability(
        time_zone=clinic.time_zone,
        appointment_type_id=kind.id,
        duration=kind.default_duration,
        complete=complete,
        days=[PortalDay(date=d, slots=s) for d, s in days.items()],
    )


def alternatives(
    session: Session, caller: PortalCaller, clinic: Clinic, choice: SlotChoice, time_limit: float
) -> list[dict[str, object]]:
    """The next few free times from the wanted one on: what a 409 offers instead."""
    found = available(
        session,
        caller,
        clinic,
        choice.appointment_type_id,
        choice.start_time.astimezone(UTC),
        None,
        time_limit=time_limit,
        limit=ALTERNATIVES,
    )
    return [s.model_dump(mode="json", by_alias=True) for d in found.days for s in d.slots]


def with_alternatives(
    exc: BookingConflict,
    session: Session,
    caller: PortalCaller,
    clinic: Clinic,
    choice: SlotChoice,
    time_limit: float,
) -> BookingConflict:
    """The same 409, told in a patient's words, with fresh times to choose from."""
    # The conflict's details name other bookings' ids; a patient sees only that it is taken.
    codes = sorted({str(c.get("code")) for c in exc.extra.get("conflicts", [])})
    detail = (
        "You already have an appointment at that time. Please choose another time."
        if codes == ["patient_busy"]
        else "Sorry, that time has just been taken. Please choose another time."
    )
    fresh = BookingConflict(
        detail,
        reasons=codes,
        alternatives=alternatives(session, caller, clinic, choice, time_limit),
    )
    fresh.__cause__ = exc
    return fresh
