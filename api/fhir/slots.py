"""Which Slots a Schedule has: free ones are exactly the engine's availability for the type,
busy ones the starts of the type's live appointments the engine no longer offers.

A Slot is one (appointment type, start) pair, so its id is derived from both and a $book can
name it; its end is the engine's (default duration) for a free one, the appointment's for a
busy one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from api.booking import availability
from api.booking.checks import STAFF_ROLES
from api.errors import InvalidInput
from api.fhir import repository
from api.fhir.caller import FhirCaller
from api.fhir.params import Range
from api.models import AppointmentType, Clinic

DEFAULT_DAYS = 14
MAX_DAYS = availability.MAX_DAYS
_ID_TIME = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class PublishedSlot:
    kind: AppointmentType
    start: datetime
    end: datetime
    free: bool

    @property
    def id(self) -> str:
        return slot_id(self.kind.id, self.start)


@dataclass(frozen=True)
class SlotSearch:
    slots: list[PublishedSlot]
    # False when the engine's time limit cut a type's search short (some free starts missing).
    complete: bool


def slot_id(type_id: str, start: datetime) -> str:
    return f"{type_id}-{start.astimezone(UTC).strftime(_ID_TIME)}"


def parse_slot_id(value: str) -> tuple[str, datetime] | None:
    type_id, _, stamp = value.rpartition("-")
    try:
        start = datetime.strptime(stamp, _ID_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None
    return (type_id, start) if type_id else None


def window(wanted: Range, now: datetime) -> tuple[datetime, datetime]:
    """The searched starts: from now (or later) for DEFAULT_DAYS unless the search says."""
    lower = max(wanted.lower or now, now)
    upper = wanted.upper or lower + timedelta(days=DEFAULT_DAYS)
    if upper - lower > timedelta(days=MAX_DAYS):
        raise InvalidInput(
            "start",
            f"Ask for at most {MAX_DAYS} days of slots at a time (start=ge... with start=lt...).",
        )
    return lower, upper


def _free(
    session: Session,
    clinic: Clinic,
    kind: AppointmentType,
    lower: datetime,
    upper: datetime,
    now: datetime,
    *,
    time_limit: float,
    over_guest_holds: bool,
) -> tuple[list[PublishedSlot], bool]:
    horizon = now + timedelta(days=clinic.max_horizon_days)
    lower = max(lower, now)  # nothing in the past is free
    if not kind.active or lower >= min(upper, horizon):
        return [], True
    # The engine wants the whole visit inside its window: reach past the last start by the
    # longest the visit (with its buffers) can last, then keep only the starts asked for.
    reach = timedelta(minutes=kind.buffer_before + kind.max_duration + kind.buffer_after)
    request = availability.AvailabilityRequest(
        type_ids=[kind.id],
        window_start=lower,
        window_end=upper + reach,
        durations=[],
        limit=1_000_000,
    )
    found = availability.find(
        session, clinic, request, now, time_limit=time_limit, over_guest_holds=over_guest_holds
    )
    slots = [
        PublishedSlot(kind, s.start_time, s.end_time, free=True)
        for s in found.slots
        if lower <= s.start_time < upper
    ]
    return slots, found.complete


def search(
    session: Session,
    clinic: Clinic,
    caller: FhirCaller,
    kinds: Sequence[AppointmentType],
    lower: datetime,
    upper: datetime,
    now: datetime,
    *,
    time_limit: float,
    published: bool = False,
) -> SlotSearch:
    """``published``: for the public feed, where a guest's hold is busy whoever asks."""
    # Staff book over anonymous guests' holds, so for them those times are free (as in the
    # staff API); for a machine client a guest's hold is busy, as it is for the portal.
    over_guest_holds = caller.principal.role in STAFF_ROLES and not published
    out: list[PublishedSlot] = []
    complete = True
    for kind in kinds:
        free, done = _free(
            session,
            clinic,
            kind,
            lower,
            upper,
            now,
            time_limit=time_limit,
            over_guest_holds=over_guest_holds,
        )
        complete = complete and done
        out += free
    free_keys = {(s.kind.id, s.start) for s in out}
    by_id = {k.id: k for k in kinds}
    for type_id, start, end in repository.booked_starts(
        session, clinic.id, list(by_id), lower, upper
    ):
        start = start.astimezone(UTC)
        if (type_id, start) not in free_keys:
            out.append(PublishedSlot(by_id[type_id], start, end.astimezone(UTC), free=False))
    out.sort(key=lambda s: (s.start, s.kind.id))
    return SlotSearch(out, complete)
