"""The hours view: each active resource's days and the template slots, as the engine expands them.

Nothing is worked out here that the engine does not already decide: hours, breaks and slot
instances come from ``solver.schedule`` over the same cached configuration booking uses, so the
calendar shades exactly the time availability searches. This module adds the template's words
(exception reasons, slot names) and the window rules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.booking.clinic_config import ClinicConfig, ResourceRow, clinic_config
from api.errors import InvalidInput, NotFound
from api.models import Clinic
from api.schedule import repository
from api.schedule.schemas import (
    BreakRead,
    ExceptionRead,
    ResourceDayRead,
    ResourceRef,
    ResourceScheduleRead,
    ScheduleHoursRead,
    TemplateSlotOnDateRead,
    TimeSpan,
)
from solver.problem import ResourceKind, WeeklyHours
from solver.schedule import ResourceDay, clinic_dates, resource_days, slots_on

MAX_WINDOW_DAYS = 42  # six weeks: a month view with its leading and trailing days
BREAK = "Break"
# A day's margin inside the years datetime can hold, so whole local days around any window exist.
_EARLIEST = datetime(1, 1, 3, tzinfo=UTC)
_LATEST = datetime(9999, 12, 29, tzinfo=UTC)


def _check_window(start: datetime, end: datetime) -> None:
    if end <= start:
        raise InvalidInput(
            "to", f"'to' ({end.isoformat()}) must be after 'from' ({start.isoformat()})."
        )
    if end - start > timedelta(days=MAX_WINDOW_DAYS):
        days = (end - start) / timedelta(days=1)
        raise InvalidInput(
            "to",
            f"The window is {days:g} days long; ask for at most {MAX_WINDOW_DAYS} days at a "
            "time (e.g. one request per visible week or month).",
        )
    if start < _EARLIEST or end > _LATEST:
        raise InvalidInput("from", "The window must lie between the years 0001 and 9999.")


def _resources(config: ClinicConfig) -> list[tuple[ResourceKind, ResourceRow]]:
    return [
        (kind, row)
        for kind, rows in (
            (ResourceKind.PROVIDER, config.providers),
            (ResourceKind.CHAIR, config.chairs),
            (ResourceKind.ROOM, config.rooms),
            (ResourceKind.ASSISTANT, config.assistants),
        )
        for row in rows
    ]


def _day(day: ResourceDay, reason: str | None) -> ResourceDayRead:
    # On an exception date the exception is why the day has its gaps: they carry its reason.
    label = (reason or BREAK) if day.exception else BREAK
    return ResourceDayRead(
        date=day.date,
        hours=[TimeSpan(start_time=s.start, end_time=s.end) for s in day.hours],
        breaks=[BreakRead(start_time=s.start, end_time=s.end, label=label) for s in day.breaks],
        exception=ExceptionRead(reason=reason) if day.exception else None,
    )


def hours(
    session: Session, principal: Principal, start: datetime, end: datetime
) -> ScheduleHoursRead:
    _check_window(start, end)
    clinic = session.get(Clinic, principal.clinic_id)
    if clinic is None:
        raise NotFound("Your clinic no longer exists.")
    tz = clinic.time_zone
    config = clinic_config(session, clinic.id)
    dates: list[date] = clinic_dates(tz, start, end)
    reasons = repository.exception_reasons(session, config.template_id, dates[0], dates[-1])
    resources = _resources(config)
    schedules = [
        ResourceScheduleRead(
            resource_type=kind.value,
            resource_id=row.id,
            days=[
                _day(day, reasons.get((kind.value, row.id, day.date)))
                for day in resource_days(
                    config.hours.get((kind.value, row.id), WeeklyHours()), tz, dates
                )
            ],
        )
        for kind, row in resources
    ]
    names = repository.slot_names(session, config.template_id)
    slots = [
        TemplateSlotOnDateRead(
            template_slot_id=on.slot.id,
            name=names.get(on.slot.id, ""),
            start_time=on.span.start,
            end_time=on.span.end,
            appointment_type_ids=sorted(on.slot.type_ids),
            chair_id=on.slot.chair_id,
            provider_id=on.slot.provider_id,
            applies_to=[
                ResourceRef(resource_type=kind.value, resource_id=row.id)
                for kind, row in resources
                if on.slot.applies_to(kind, row.id)
            ],
        )
        for on in slots_on(config.template_slots, tz, dates)
    ]
    return ScheduleHoursRead(
        time_zone=tz,
        window_start=start,
        window_end=end,
        resources=schedules,
        template_slots=slots,
    )
