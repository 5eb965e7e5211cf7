"""Waitlist request and response bodies (docs/waitlist.md is the contract)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from api.booking.schemas import (
    NOTE_MAX,
    AppointmentRead,
    Duration,
    NamedRef,
    Override,
    ScoreTermRead,
    SlotRead,
)
from api.models import OfferStatus, RecipientStatus, WaitlistSource, WaitlistStatus
from api.schedule_templates.schemas import ClockTime, Weekday
from api.schemas import (
    ApiModel,
    AsJsonInt,
    IsoDate,
    IsoDateTime,
    JsonBool,
    MultilineText,
    StrictInput,
)

Priority = Annotated[int, Field(ge=0, le=10, description="0..10, higher is more urgent"), AsJsonInt]
GapMinutes = Annotated[int, Field(ge=0, le=24 * 60), AsJsonInt]
Notes = Annotated[str, MultilineText]


class WaitlistPart(StrictInput):
    """One part of the visit the patient waits for; the first part's gap fields are ignored."""

    appointment_type_id: str
    duration: Duration | None = None
    min_gap_minutes: GapMinutes = 0
    max_gap_minutes: GapMinutes = 30


def window_order(window: Any) -> None:
    """The acceptable window's two sides in order (dates inclusive, hours end after start)."""
    if window.earliest_date and window.latest_date and window.latest_date < window.earliest_date:
        raise ValueError("latestDate must not be before earliestDate")
    if window.earliest_time and window.latest_time and window.latest_time <= window.earliest_time:
        raise ValueError("latestTime must be after earliestTime")


class _Window(StrictInput):
    earliest_date: IsoDate | None = None
    latest_date: IsoDate | None = None
    weekdays: list[Weekday] | None = Field(None, max_length=7)
    earliest_time: ClockTime | None = None
    latest_time: ClockTime | None = None
    preferred_provider_id: str | None = None
    priority: Priority = 0
    notes: Notes | None = Field(None, max_length=NOTE_MAX)

    @model_validator(mode="after")
    def _window_order(self) -> _Window:
        window_order(self)
        return self


class WaitlistEntryCreate(_Window):
    patient_id: str
    appointment_type_id: str | None = None
    duration: Duration | None = None
    parts: list[WaitlistPart] | None = Field(None, min_length=1, max_length=6)
    same_provider: JsonBool = False
    same_chair: JsonBool = False
    replaces_appointment_id: str | None = None

    @model_validator(mode="after")
    def _type_or_parts(self) -> WaitlistEntryCreate:
        if self.parts is not None and (self.appointment_type_id or self.duration):
            raise ValueError("send either appointmentTypeId (and duration) or parts, not both")
        if self.parts is None and self.appointment_type_id is None:
            if self.replaces_appointment_id is None:
                raise ValueError(
                    "required: appointmentTypeId or parts (or replacesAppointmentId to wait "
                    "for what that booking is)"
                )
            if self.duration is not None:
                raise ValueError("duration needs the appointmentTypeId it is for")
        return self


class WaitlistEntryUpdate(StrictInput):
    """PUT: the fields sent change; null clears an optional field."""

    appointment_type_id: str | None = None
    duration: Duration | None = None
    parts: list[WaitlistPart] | None = Field(None, min_length=1, max_length=6)
    same_provider: JsonBool | None = None
    same_chair: JsonBool | None = None
    earliest_date: IsoDate | None = None
    latest_date: IsoDate | None = None
    weekdays: list[Weekday] | None = Field(None, max_length=7)
    earliest_time: ClockTime | None = None
    latest_time: ClockTime | None = None
    preferred_provider_id: str | None = None
    priority: Priority | None = None
    notes: Notes | None = Field(None, max_length=NOTE_MAX)
    replaces_appointment_id: str | None = None

    @model_validator(mode="after")
    def _type_or_parts(self) -> WaitlistEntryUpdate:
        if self.parts is not None and (self.appointment_type_id or self.duration):
            raise ValueError("send either appointmentTypeId (and duration) or parts, not both")
        return self


class PartRead(ApiModel):
    appointment_type_id: str
    duration: int
    min_gap_minutes: int = 0
    max_gap_minutes: int = 0


class WaitlistEntryRead(ApiModel):
    id: str
    clinic_id: str
    patient_id: str
    patient: NamedRef
    appointment_type_id: str
    parts: list[PartRead]
    same_provider: bool
    same_chair: bool
    earliest_date: date | None
    latest_date: date | None
    weekdays: list[int]
    earliest_time: ClockTime | None
    latest_time: ClockTime | None
    preferred_provider_id: str | None
    priority: int
    notes: str | None
    replaces_appointment_id: str | None
    replaces_start_time: datetime | None
    status: WaitlistStatus
    source: WaitlistSource
    booked_appointment_id: str | None
    open_offer_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class GapRead(ApiModel):
    start: datetime
    end: datetime
    chair_id: str | None
    provider_id: str | None
    appointment_id: str | None


class MatchRead(ApiModel):
    entry: WaitlistEntryRead
    slot: SlotRead
    score: float
    terms: list[ScoreTermRead]


class MatchesRead(ApiModel):
    gap: GapRead
    time_zone: str
    total: int
    complete: bool
    matches: list[MatchRead]


class BookPart(StrictInput):
    start_time: IsoDateTime
    provider_id: str | None = None
    chair_id: str | None = None
    room_id: str | None = None
    appointment_type_id: str | None = None
    duration: Duration | None = None


class WaitlistBook(Override):
    """The slot to book (usually a match's `slot`): top-level fields or one entry per part."""

    start_time: IsoDateTime | None = None
    provider_id: str | None = None
    chair_id: str | None = None
    room_id: str | None = None
    parts: list[BookPart] | None = Field(None, min_length=1, max_length=6)
    notes: Notes | None = Field(None, max_length=NOTE_MAX)

    @model_validator(mode="after")
    def _single_or_parts(self) -> WaitlistBook:
        if self.parts is None and self.start_time is None:
            raise ValueError("required: startTime (or parts, one per part of the visit)")
        if self.parts is not None and (
            self.start_time or self.provider_id or self.chair_id or self.room_id
        ):
            raise ValueError("send either the slot's top-level fields or parts, not both")
        return self

    def part_list(self) -> list[BookPart]:
        if self.parts is not None:
            return list(self.parts)
        assert self.start_time is not None
        return [
            BookPart(
                start_time=self.start_time,
                provider_id=self.provider_id,
                chair_id=self.chair_id,
                room_id=self.room_id,
            )
        ]


class WaitlistBooked(ApiModel):
    entry: WaitlistEntryRead
    appointments: list[AppointmentRead]
    cancelled_appointment_ids: list[str]


class GapQuery(StrictInput):
    """The freed time, as `GET …/matches` and `POST …/offers` take it."""

    appointment_id: str | None = None
    chair_id: str | None = None
    provider_id: str | None = None
    start: IsoDateTime | None = None
    end: IsoDateTime | None = None


class OfferCreate(GapQuery):
    entry_ids: list[str] | None = Field(None, min_length=1, max_length=20)
    count: Annotated[int, Field(ge=1, le=20), AsJsonInt] = 3
    valid_minutes: Annotated[int, Field(ge=5, le=24 * 60), AsJsonInt] = 120


class RecipientRead(ApiModel):
    id: str
    entry_id: str
    patient_id: str
    status: RecipientStatus
    slot: SlotRead
    mailed: bool
    responded_at: datetime | None


class OfferRead(ApiModel):
    id: str
    status: OfferStatus
    gap: GapRead
    expires_at: datetime
    created_at: datetime
    recipients: list[RecipientRead]
    booked_appointment_ids: list[str]
    accepted_entry_id: str | None


class OfferToken(StrictInput):
    token: str = Field(max_length=2000)


class PortalOfferRead(ApiModel):
    """What a patient sees on the offer page; `status` is theirs (taken: someone else)."""

    status: str
    message: str
    clinic_name: str
    time_zone: str
    appointment_type_name: str
    start_time: datetime
    end_time: datetime
    local_start: str
    provider_name: str | None
    expires_at: datetime
    booked_appointment_id: str | None


class PortalJoin(StrictInput):
    """A patient asks to be told of an earlier time for one of their bookings."""

    replaces_appointment_id: str
    earliest_date: IsoDate | None = None
    latest_date: IsoDate | None = None
    weekdays: list[Weekday] | None = Field(None, max_length=7)
    earliest_time: ClockTime | None = None
    latest_time: ClockTime | None = None
    notes: Notes | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _window_order(self) -> PortalJoin:
        window_order(self)
        return self


class PortalWaitlistEntry(ApiModel):
    id: str
    status: WaitlistStatus
    appointment_type_id: str
    replaces_appointment_id: str | None
    replaces_start_time: datetime | None
    earliest_date: date | None
    latest_date: date | None
    weekdays: list[int]
    earliest_time: ClockTime | None
    latest_time: ClockTime | None
    created_at: datetime


def dump_parts(parts: list[dict[str, Any]]) -> list[PartRead]:
    return [PartRead.model_validate(p) for p in parts]
