"""Patient-portal bodies: only what a patient may see (no staff notes, no other patients)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import EmailStr, Field, field_validator

from api.booking.schemas import NOTE_MAX, Money
from api.models import AppointmentStatus
from api.schemas import (
    ApiModel,
    AsJsonInt,
    InlineText,
    IsoDate,
    IsoDateTime,
    JsonBool,
    MultilineText,
    StrictInput,
)


class PortalType(ApiModel):
    id: str
    name: str
    color: str
    duration: int
    new_patient_bookable: bool


class PortalClinic(ApiModel):
    """What the widget needs to start: public, by clinic id."""

    id: str
    name: str
    time_zone: str
    hold_minutes: int
    min_lead_time_minutes: int
    max_horizon_days: int
    appointment_types: list[PortalType]


class PortalSlot(ApiModel):
    start_time: datetime
    end_time: datetime
    local_time: str  # "09:15" in the clinic's zone
    provider_id: str
    chair_id: str | None
    room_id: str | None
    provider_name: str | None = None  # only when the clinic shows provider names


class PortalDay(ApiModel):
    date: str  # clinic-local ISO date
    slots: list[PortalSlot]


class PortalAvailability(ApiModel):
    time_zone: str
    appointment_type_id: str
    duration: int
    complete: bool
    days: list[PortalDay]


class SlotChoice(StrictInput):
    """A time the widget listed: its start and the resources it came with."""

    appointment_type_id: str
    start_time: IsoDateTime
    provider_id: str
    chair_id: str | None = None
    room_id: str | None = None


class HoldRead(ApiModel):
    id: str
    appointment_type_id: str
    start_time: datetime
    end_time: datetime
    expires_at: datetime
    hold_minutes: int


class PortalBook(SlotChoice):
    patient_notes: Annotated[str, MultilineText] | None = Field(None, max_length=NOTE_MAX)


class NewPatientDetails(StrictInput):
    first_name: Annotated[str, InlineText] = Field(min_length=1, max_length=100)
    last_name: Annotated[str, InlineText] = Field(min_length=1, max_length=100)
    date_of_birth: IsoDate
    email: EmailStr
    phone: str = Field(min_length=5, max_length=40, pattern=r"^[0-9+() .\-]+$")

    @field_validator("first_name", "last_name", "phone")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _past(cls, value: date) -> date:
        if value >= date.today() or value.year < 1900:
            raise ValueError("give a real date of birth in the past")
        return value


class NewPatientBook(PortalBook):
    patient: NewPatientDetails


class PortalAppointment(ApiModel):
    id: str
    appointment_type_id: str
    appointment_type_name: str
    start_time: datetime
    end_time: datetime
    local_start: str  # "2026-11-25 09:15" clinic-local
    time_zone: str
    duration: int
    status: AppointmentStatus
    provider_id: str
    provider_name: str | None
    patient_notes: str | None
    source: str
    needs_confirmation: bool
    can_cancel: bool
    can_reschedule: bool
    # What cancelling now would cost: shown before the patient confirms.
    late_cancel_fee: Money | None
    cancellation_fee: Money | None


class BookingConfirmation(PortalAppointment):
    ics: str  # the iCalendar file, ready for a download link
    # A new patient's booking: the time is held until then, unless they open the link we
    # emailed them (after that, confirming books it again only if it is still free).
    email_confirm_by: datetime | None = None
    email_confirm_minutes: int | None = None


class EmailConfirmationRequest(StrictInput):
    token: str = Field(min_length=10, max_length=2000)


class EmailConfirmationResult(ApiModel):
    """What confirming a new patient's booking through the emailed link did."""

    outcome: str  # confirmed, already_confirmed, rebooked, taken, cancelled, full
    confirmed: bool
    message: str
    appointment_id: str
    local_start: str
    time_zone: str
    alternatives: list[dict[str, Any]]


class CancelRequest(StrictInput):
    reason: Annotated[str, MultilineText] = Field(
        "Cancelled online by the patient", min_length=1, max_length=1000
    )
    # Must be true when a late-cancel fee applies: the patient has seen and accepted it.
    accept_fee: JsonBool = False


class RescheduleRequest(StrictInput):
    start_time: IsoDateTime
    provider_id: str
    chair_id: str | None = None
    room_id: str | None = None


class GuestSession(ApiModel):
    guest_token: str
    expires_in: int


class GuestSessionRequest(StrictInput):
    clinic_id: str


class InviteRequest(StrictInput):
    email: EmailStr | None = None  # defaults to the patient's email on file
    valid_hours: Annotated[int, Field(ge=1, le=24 * 14), AsJsonInt] = 72


class InviteRead(ApiModel):
    user_id: str
    patient_id: str
    email: str
    invitation_token: str
    expires_at: datetime


class AcceptInvite(StrictInput):
    token: str = Field(min_length=10, max_length=200)
    password: str = Field(min_length=10, max_length=200)


class AcceptedInvite(ApiModel):
    email: str
    patient_id: str


class PortalSettingsRead(ApiModel):
    hold_minutes: int
    slot_step_minutes: int
    new_patient_daily_cap: int
    new_patient_email_daily_cap: int
    show_provider_names: bool
    max_active_online_bookings: int
    new_patient_confirm_minutes: int
    new_patient_unconfirmed_daily_cap: int
    guest_share_percent: int


class PortalSettingsUpdate(StrictInput):
    hold_minutes: Annotated[int, Field(ge=1, le=60), AsJsonInt] | None = None
    slot_step_minutes: Annotated[int, Field(ge=5, le=120), AsJsonInt] | None = None
    new_patient_daily_cap: Annotated[int, Field(ge=0, le=10_000), AsJsonInt] | None = None
    new_patient_email_daily_cap: Annotated[int, Field(ge=0, le=100), AsJsonInt] | None = None
    show_provider_names: JsonBool | None = None
    max_active_online_bookings: Annotated[int, Field(ge=0, le=100), AsJsonInt] | None = None
    new_patient_confirm_minutes: Annotated[int, Field(ge=5, le=60), AsJsonInt] | None = None
    new_patient_unconfirmed_daily_cap: Annotated[int, Field(ge=0, le=100), AsJsonInt] | None = None
    # The share of a day's provider time guests may reserve at once (docs/security-holds.md).
    guest_share_percent: Annotated[int, Field(ge=1, le=100), AsJsonInt] | None = None

    def changes(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.model_dump(by_alias=False, exclude_unset=True).items()
            if v is not None
        }
