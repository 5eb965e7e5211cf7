"""A clinic's week as one document: working hours, date exceptions and reserved slots.

Format rules (HH:MM, 5-minute boundaries, weekday range) live here so pydantic reports them
with the item's path; rules that need the database or other items live in the service.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from api.models import ScheduleException, ScheduleTemplate, TemplateSlot, WorkingHours
from api.schemas import (
    ApiModel,
    AsJsonInt,
    InlineText,
    IsoDate,
    JsonBool,
    MultilineText,
    NotBlank,
    StrictInput,
    Trim,
)

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# The booking grid is built on 5-minute steps; anything finer cannot be booked anyway.
GRID_MINUTES = 5
_ON_GRID = r"^([01]\d|2[0-3]):[0-5][05]$"


def _parse_clock(value: object) -> time:
    if isinstance(value, time):
        parsed = value
    elif isinstance(value, str) and (m := _HHMM.match(value)):
        parsed = time(int(m.group(1)), int(m.group(2)))
    else:
        raise PydanticCustomError(
            "clock_format", "use 24-hour HH:MM, e.g. 08:30 (got {value!r})", {"value": value}
        )
    if parsed.minute % GRID_MINUTES or parsed.second or parsed.microsecond:
        raise PydanticCustomError(
            "clock_grid",
            "{value} is not on a 5-minute boundary; use e.g. {suggest}",
            {
                "value": parsed.strftime("%H:%M"),
                "suggest": parsed.replace(
                    minute=parsed.minute - parsed.minute % GRID_MINUTES, second=0, microsecond=0
                ).strftime("%H:%M"),
            },
        )
    return parsed


def format_clock(value: time) -> str:
    return value.strftime("%H:%M")


# Clinic-local wall-clock time, "HH:MM" on the wire.
ClockTime = Annotated[
    time,
    BeforeValidator(_parse_clock),
    PlainSerializer(format_clock, return_type=str),
    # The schema states the 5-minute grid too: minutes ending in 0 or 5.
    WithJsonSchema({"type": "string", "pattern": _ON_GRID, "examples": ["08:30"]}),
]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday"), AsJsonInt]
ResourceType = Literal["provider", "chair", "room", "assistant"]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), Trim, NotBlank, InlineText]


class TimeBlock(StrictInput):
    start: ClockTime
    end: ClockTime


class WorkingHoursIn(StrictInput):
    resource_type: ResourceType
    resource_id: str
    weekday: Weekday
    start: ClockTime
    end: ClockTime


class ScheduleExceptionIn(StrictInput):
    resource_type: ResourceType
    resource_id: str
    date: IsoDate
    blocks: list[TimeBlock] = Field(
        default_factory=list, description="That day's hours; empty means closed all day."
    )
    reason: Annotated[str, StringConstraints(max_length=200), MultilineText] | None = None


class TemplateSlotIn(StrictInput):
    id: str | None = Field(
        None,
        description="Send a slot's id back to keep it (appointments stay linked); "
        "ids that are not this template's slots are ignored and a new slot is made.",
    )
    name: Annotated[str, StringConstraints(max_length=200), Trim, InlineText] = ""
    weekday: Weekday
    start: ClockTime
    end: ClockTime
    chair_id: str | None = None
    provider_id: str | None = None
    appointment_type_ids: list[str]


class ScheduleTemplateCreate(StrictInput):
    name: Name
    active: JsonBool = False
    working_hours: list[WorkingHoursIn] = Field(default_factory=list)
    exceptions: list[ScheduleExceptionIn] = Field(default_factory=list)
    template_slots: list[TemplateSlotIn] = Field(default_factory=list)


class ScheduleTemplateUpdate(StrictInput):
    """Lists that are sent replace the stored list whole; lists not sent stay as they are."""

    name: Name | None = None
    active: JsonBool | None = None
    working_hours: list[WorkingHoursIn] | None = None
    exceptions: list[ScheduleExceptionIn] | None = None
    template_slots: list[TemplateSlotIn] | None = None


class WorkingHoursRead(ApiModel):
    resource_type: str
    resource_id: str
    weekday: int
    start: ClockTime
    end: ClockTime


class ScheduleExceptionRead(ApiModel):
    resource_type: str
    resource_id: str
    date: date
    blocks: list[TimeBlock]
    reason: str | None


class TemplateSlotRead(ApiModel):
    id: str
    name: str
    weekday: int
    start: ClockTime
    end: ClockTime
    chair_id: str | None
    provider_id: str | None
    appointment_type_ids: list[str]


class ScheduleTemplateRead(ApiModel):
    id: str
    clinic_id: str
    name: str
    active: bool
    working_hours: list[WorkingHoursRead]
    exceptions: list[ScheduleExceptionRead]
    template_slots: list[TemplateSlotRead]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, template: ScheduleTemplate) -> ScheduleTemplateRead:
        return cls(
            id=template.id,
            clinic_id=template.clinic_id,
            name=template.name,
            active=template.active,
            working_hours=[
                WorkingHoursRead(
                    resource_type=w.resource_type,
                    resource_id=w.resource_id,
                    weekday=w.weekday,
                    start=w.start_time,
                    end=w.end_time,
                )
                for w in sorted_working_hours(template.working_hours)
            ],
            exceptions=[
                ScheduleExceptionRead(
                    resource_type=e.resource_type,
                    resource_id=e.resource_id,
                    date=e.date,
                    blocks=[TimeBlock(start=s, end=t) for s, t in e.blocks],
                    reason=e.reason,
                )
                for e in sorted_exceptions(template.exceptions)
            ],
            template_slots=[
                TemplateSlotRead(
                    id=s.id,
                    name=s.name,
                    weekday=s.weekday,
                    start=s.start_time,
                    end=s.end_time,
                    chair_id=s.chair_id,
                    provider_id=s.provider_id,
                    appointment_type_ids=list(s.appointment_type_ids),
                )
                for s in sorted_slots(template.template_slots)
            ],
            created_at=template.created_at,
            updated_at=template.updated_at,
        )


# One stable order for reads and for the item indexes in errors about lists not sent in a PUT.
def sorted_working_hours(rows: list[WorkingHours]) -> list[WorkingHours]:
    return sorted(
        rows, key=lambda w: (w.weekday, w.start_time, w.end_time, w.resource_type, w.resource_id)
    )


def sorted_exceptions(rows: list[ScheduleException]) -> list[ScheduleException]:
    return sorted(rows, key=lambda e: (e.date, e.resource_type, e.resource_id))


def sorted_slots(rows: list[TemplateSlot]) -> list[TemplateSlot]:
    return sorted(rows, key=lambda s: (s.weekday, s.start_time, s.end_time, s.name, s.id))
