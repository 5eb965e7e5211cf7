"""Free times as the portal lists them, and the alternatives a refused booking offers instead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.booking import availability
from api.booking.rules import BookingConflict
from api.core import clock
from api.models import (
    Clinic,
    Provider,
)
from api.portal.identity import PortalCaller
from api.portal.offer import bookable_type, on_grid, portal_settings
from api.portal.schemas import (
    PortalAvailability,
    PortalDay,
    PortalSlot,
    SlotChoice,
)

DEFAULT_DAYS = 14


ALTERNATIVES = 5


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
) -> PortalAvailability:
    kind = bookable_type(session, caller, type_id)
    settings = portal_settings(session, clinic.id)
    now = clock.now()
    start = max(start or now, now)
    end = end or start + timedelta(days=DEFAULT_DAYS)
    req = availability.AvailabilityRequest(
        type_ids=[kind.id],
        window_start=start,
        window_end=end,
        durations=[],
        patient_id=caller.patient_id,
        limit=100_000,
        online_only=True,
    )
    # Lead time and horizon come from the clinic's policy; the portal never overrides them.
    found = availability.find(
        session, clinic, req, now, time_limit=time_limit, hold_owner=caller.owner
    )
    zone = ZoneInfo(clinic.time_zone)
    names: dict[str, str] = {}
    if settings.show_provider_names:
        names = {
            p.id: p.name
            for p in session.scalars(select(Provider).where(Provider.clinic_id == clinic.id))
        }
    days: dict[str, list[PortalSlot]] = {}
    count = 0
    for slot in found.slots:
        local = slot.start_time.astimezone(zone)
        # Patients choose from a tidy grid (e.g. :00 :15 :30 :45), not every engine start.
        if not on_grid(clinic, settings.slot_step_minutes, slot.start_time):
            continue
        part = slot.parts[0]
        assert part.provider_id is not None
        days.setdefault(slot.local_date, []).append(
            PortalSlot(
                start_time=slot.start_time,
                end_time=slot.end_time,
                local_time=local.strftime("%H:%M"),
                provider_id=part.provider_id,
                chair_id=part.chair_id,
                room_id=part.room_id,
                provider_name=names.get(part.provider_id),
            )
        )
        count += 1
        if limit is not None and count >= limit:
            break
    return PortalAvailability(
        time_zone=clinic.time_zone,
        appointment_type_id=kind.id,
        duration=kind.default_duration,
        complete=found.complete,
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
