"""Booking request and response bodies; JSON names follow the seed's Appointment model."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from api.models import AppointmentSource, AppointmentStatus
from api.schemas import ApiModel, AsJsonInt, IsoDateTime, JsonBool, MultilineText, StrictInput

NOTE_MAX = 4000
# Minutes.
Duration = Annotated[int, Field(ge=1, le=24 * 60), AsJsonInt]


class Override(StrictInput):
    """Staff with booking:override_conflicts may book over a conflict, giving a reason."""

    override: JsonBool = False
    override_reason: Annotated[str, MultilineText] | None = Field(None, max_length=1000)
    # Booking inside the clinic's minimum lead time (e.g. a same-hour emergency repair).
    override_lead_time: JsonBool = False

    @model_validator(mode="after")
    def _reason_required(self) -> Override:
        if (self.override or self.override_lead_time) and not (self.override_reason or "").strip():
            raise ValueError("overrideReason is required when overriding")
        return self


def _duration_from_end(
    start: datetime | None, end: datetime | None, duration: int | None
) -> int | None:
    """endTime is another way to say duration; both must agree when both are sent."""
    if end is None or start is None:
        return duration
    minutes = (end - start).total_seconds() / 60
    if duration is not None and minutes != duration:
        raise ValueError("endTime must equal startTime + duration; send one of them")
    if minutes <= 0 or minutes != int(minutes):
        raise ValueError("endTime must be a whole number of minutes after startTime")
    return int(minutes)


# A type that needs no provider records its responsible provider without holding them; when
# providerId is absent booking picks it (api/booking/provider_time.py), as availability offers
# such times without one. Every other type still requires it (a 422 naming providerId).
ProviderId = Annotated[
    str | None,
    Field(
        description="Required unless the type needs no provider (needsProvider false), for "
        "which the patient's usual provider (else the type's first) is recorded."
    ),
]


# Only for types that need an assistant (needsAssistant): a pin; absent, booking picks a free
# qualified one.
AssistantId = Annotated[
    str | None,
    Field(
        description="Pins the assistant for a type that needs one; absent or null lets booking "
        "choose a free qualified assistant."
    ),
]


class PartInput(StrictInput):
    appointment_type_id: str
    provider_id: ProviderId = None
    chair_id: str | None = None
    room_id: str | None = None
    assistant_id: AssistantId = None
    start_time: IsoDateTime
    end_time: IsoDateTime | None = None
    duration: Duration | None = None
    template_slot_id: str | None = None
    procedure_ids: list[str] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _end_matches(self) -> PartInput:
        self.duration = _duration_from_end(self.start_time, self.end_time, self.duration)
        return self


class AppointmentCreate(Override):
    """One appointment (part fields at the top level) or a visit (`parts`, booked together)."""

    patient_id: str
    appointment_type_id: str | None = None
    provider_id: ProviderId = None
    chair_id: str | None = None
    room_id: str | None = None
    assistant_id: AssistantId = None
    start_time: IsoDateTime | None = None
    end_time: IsoDateTime | None = None
    duration: Duration | None = None
    template_slot_id: str | None = None
    procedure_ids: list[str] = Field(default_factory=list, max_length=50)
    parts: list[PartInput] | None = Field(None, min_length=1, max_length=6)

    treatment_plan_id: str | None = None
    notes: Annotated[str, MultilineText] | None = Field(None, max_length=NOTE_MAX)
    patient_notes: Annotated[str, MultilineText] | None = Field(None, max_length=NOTE_MAX)
    source: AppointmentSource = AppointmentSource.STAFF

    @model_validator(mode="after")
    def _single_or_visit(self) -> AppointmentCreate:
        single = {"appointmentTypeId": self.appointment_type_id, "startTime": self.start_time}
        if self.parts is not None:
            extra = [
                k for k, v in {**single, "providerId": self.provider_id}.items() if v is not None
            ]
            resources = (self.chair_id, self.room_id, self.assistant_id)
            if extra or any(resources) or self.duration or self.template_slot_id:
                raise ValueError(
                    "send either the appointment's fields or `parts`, not both "
                    f"(found {', '.join(extra) or 'resource fields'} beside parts)"
                )
            return self
        missing = [k for k, v in single.items() if v is None]
        if missing:
            raise ValueError(f"required: {', '.join(missing)} (or `parts` for a visit)")
        self.duration = _duration_from_end(self.start_time, self.end_time, self.duration)
        self.end_time = None
        return self

    def part_inputs(self) -> list[PartInput]:
        if self.parts is not None:
            return list(self.parts)
        assert self.appointment_type_id and self.start_time
        return [
            PartInput(
                appointment_type_id=self.appointment_type_id,
                provider_id=self.provider_id,
                chair_id=self.chair_id,
                room_id=self.room_id,
                assistant_id=self.assistant_id,
                start_time=self.start_time,
                end_time=self.end_time,
                duration=self.duration,
                template_slot_id=self.template_slot_id,
                procedure_ids=self.procedure_ids,
            )
        ]


class AppointmentUpdate(Override):
    """PUT: the fields sent change; time moves go through /reschedule."""

    provider_id: str | None = None
    chair_id: str | None = None
    room_id: str | None = None
    # A pin; null lets booking choose again (the current assistant first, while free).
    assistant_id: AssistantId = None
    duration: Duration | None = None
    # This appointment's own pattern (D/A per 5 minutes of its duration); null: the provider
    # for the whole appointment. Absent: kept, fitted to a new duration.
    time_pattern: str | None = Field(None, max_length=24 * 12)
    notes: Annotated[str, MultilineText] | None = Field(None, max_length=NOTE_MAX)
    patient_notes: Annotated[str, MultilineText] | None = Field(None, max_length=NOTE_MAX)
    status: AppointmentStatus | None = None


class RescheduleRequest(Override):
    start_time: IsoDateTime
    duration: Duration | None = None
    provider_id: str | None = None
    chair_id: str | None = None
    room_id: str | None = None
    # Absent or null: the current assistant if free at the new time, else another qualified one.
    assistant_id: AssistantId = None


class DuplicateRequest(Override):
    """Copy to `startTime`, or to the engine's next best-fit time when none is given."""

    start_time: IsoDateTime | None = None
    provider_id: str | None = None
    chair_id: str | None = None
    room_id: str | None = None
    # Absent or null: the copied appointment's assistant if free then, else another qualified one.
    assistant_id: AssistantId = None
    notes: Annotated[str, MultilineText] | None = Field(None, max_length=NOTE_MAX)


class Money(ApiModel):
    amount: Decimal
    currency: str


class ProviderTime(ApiModel):
    """A stretch of an appointment during which its provider is needed (doctor time)."""

    start_time: datetime
    end_time: datetime


class AppointmentRead(ApiModel):
    id: str
    clinic_id: str
    patient_id: str
    start_time: datetime
    end_time: datetime
    duration: int
    appointment_type_id: str
    provider_id: str
    chair_id: str | None
    room_id: str | None
    # Set when the type needs an assistant; null otherwise.
    assistant_id: str | None
    status: AppointmentStatus
    treatment_plan_id: str | None
    procedure_ids: list[str]
    notes: str | None
    patient_notes: str | None
    booked_by: str
    booked_at: datetime
    source: AppointmentSource
    template_slot_id: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    visit_id: str | None
    version: int
    conflict_override: bool
    override_reason: str | None
    cancellation_reason: str | None
    cancellation_fee: Money | None
    needs_confirmation: bool
    # Doctor time: the appointment's own pattern (null: the provider for all of it) and when
    # the provider is needed (empty when it only records its provider).
    time_pattern: str | None
    provider_time: list[ProviderTime]


class NamedRef(ApiModel):
    id: str
    name: str


class TypeRef(NamedRef):
    code: str
    color: str
    min_duration: int
    max_duration: int
    default_duration: int


class RoomRef(NamedRef):
    kind: str


class ProcedureRef(ApiModel):
    id: str
    name: str
    code: str | None
    status: str
    sequence: int


class AppointmentDetail(AppointmentRead):
    appointment_type: TypeRef
    patient: NamedRef
    provider: NamedRef
    chair: NamedRef | None
    room: RoomRef | None
    assistant: NamedRef | None
    treatment_plan: NamedRef | None
    procedures: list[ProcedureRef]
    visit_appointment_ids: list[str]


class VisitRead(ApiModel):
    visit_id: str
    appointments: list[AppointmentRead]


class AuditRead(ApiModel):
    id: int
    action: str
    actor_id: str
    at: datetime
    request_id: str | None
    reason: str | None
    changes: dict[str, list[object]]
    before: dict[str, object] | None
    after: dict[str, object] | None


class PartSlot(ApiModel):
    appointment_type_id: str
    start_time: datetime
    end_time: datetime
    duration: int
    provider_id: str | None
    chair_id: str | None
    room_id: str | None
    template_slot_id: str | None
    provider_time: list[ProviderTime] = Field(default_factory=list)
    # The assistant the engine chose for a type that needs one (staff side only).
    assistant_id: str | None = None


class SlotRead(ApiModel):
    start_time: datetime
    end_time: datetime
    local_date: str
    parts: list[PartSlot]


class ScoreTermRead(ApiModel):
    rule: str
    points: float
    reason: str


class SuggestionRead(SlotRead):
    score: float
    terms: list[ScoreTermRead]


class AvailabilityRead(ApiModel):
    mode: Literal["all", "best"]
    time_zone: str
    complete: bool
    status: str | None = None
    slots: list[SlotRead] = Field(default_factory=list)
    suggestions: list[SuggestionRead] = Field(default_factory=list)
    # Quick booking: what the suggestion is for, so one click can book it.
    patient_id: str | None = None
    treatment_plan_id: str | None = None
    procedure_ids: list[str] = Field(default_factory=list)


class ConflictItem(ApiModel):
    code: str
    message: str
    resource: str | None = None
    resource_id: str | None = None
    appointment_id: str | None = None
    part_index: int = 0
