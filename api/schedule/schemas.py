"""The calendar's background as the engine sees it: expanded hours, breaks and template slots."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from api.schedule_templates.schemas import ResourceType
from api.schemas import ApiModel


class TimeSpan(ApiModel):
    start_time: datetime
    end_time: datetime


class BreakRead(TimeSpan):
    label: str = Field(description="As the template names it: the exception's reason, or Break")


class ExceptionRead(ApiModel):
    reason: str | None


class ResourceDayRead(ApiModel):
    date: date
    hours: list[TimeSpan] = Field(description="Merged as the engine books inside them")
    breaks: list[BreakRead] = Field(description="The gaps between consecutive working stretches")
    exception: ExceptionRead | None = Field(
        description="Set when a dated exception replaces the weekly hours on this date"
    )


class ResourceRef(ApiModel):
    resource_type: ResourceType
    resource_id: str


class ResourceScheduleRead(ResourceRef):
    days: list[ResourceDayRead]


class TemplateSlotOnDateRead(TimeSpan):
    template_slot_id: str
    name: str
    appointment_type_ids: list[str]
    chair_id: str | None
    provider_id: str | None
    applies_to: list[ResourceRef] = Field(
        description="The active chairs and providers whose time the slot reserves"
    )


class ScheduleHoursRead(ApiModel):
    time_zone: str
    window_start: datetime = Field(alias="from")
    window_end: datetime = Field(alias="to")
    resources: list[ResourceScheduleRead]
    template_slots: list[TemplateSlotOnDateRead]
