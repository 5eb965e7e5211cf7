from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from api.models import AppointmentType
from api.schemas import ApiModel, AsJsonInt, InlineText, JsonBool, NotBlank, StrictInput, Trim

# Minutes; 480 is a full clinic day, beyond which a "type" is a data-entry mistake.
Minutes = Annotated[int, Field(ge=1, le=480), AsJsonInt]
Buffer = Annotated[int, Field(ge=0, le=120), AsJsonInt]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
RoomKind = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=50)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=50), Trim, NotBlank, InlineText]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), Trim, NotBlank, InlineText]
# One character per 5 minutes of defaultDuration (480 minutes at most); which characters and how
# many are checked by solver.time_pattern.check_pattern so the message says exactly what is wrong.
TimePattern = Annotated[
    str,
    StringConstraints(max_length=96),
    Field(
        description="Doctor time: one character per 5 minutes of defaultDuration, D (provider "
        "needed) or A (assistant time, provider free), e.g. AADA for a 20-minute adjustment. "
        "Absent or null: the provider for the whole appointment."
    ),
]
ProcedureCode = Annotated[
    str, StringConstraints(min_length=1, max_length=50), Trim, NotBlank, InlineText
]


class AppointmentTypeCreate(StrictInput):
    name: Name
    code: Code
    color: Color = "#4a90d9"
    default_duration: Minutes
    # Omitted bounds default to defaultDuration: a fixed-length type unless said otherwise.
    min_duration: Minutes | None = None
    max_duration: Minutes | None = None
    online_bookable: JsonBool = False
    new_patient_bookable: JsonBool = False
    needs_provider: JsonBool = True
    provider_ids: list[str] = Field(
        default_factory=list, description="Providers who may do it; empty means any provider."
    )
    needs_chair: JsonBool = True
    needs_assistant: JsonBool = False
    assistant_ids: list[str] = Field(
        default_factory=list,
        description="Assistants who may assist it (read when needsAssistant); empty means any.",
    )
    room_kind: RoomKind | None = None
    buffer_before: Buffer = 0
    buffer_after: Buffer = 0
    time_pattern: TimePattern | None = None
    procedure_codes: list[ProcedureCode] = Field(default_factory=list)
    active: JsonBool = True


class AppointmentTypeUpdate(StrictInput):
    name: Name | None = None
    code: Code | None = None
    color: Color | None = None
    default_duration: Minutes | None = None
    min_duration: Minutes | None = None
    max_duration: Minutes | None = None
    online_bookable: JsonBool | None = None
    new_patient_bookable: JsonBool | None = None
    needs_provider: JsonBool | None = None
    provider_ids: list[str] | None = None
    needs_chair: JsonBool | None = None
    needs_assistant: JsonBool | None = None
    assistant_ids: list[str] | None = None
    # null clears the room requirement (and below the time pattern): there null is meaningful.
    room_kind: RoomKind | None = None
    buffer_before: Buffer | None = None
    buffer_after: Buffer | None = None
    # null clears the pattern (the provider for the whole appointment again).
    time_pattern: TimePattern | None = None
    procedure_codes: list[ProcedureCode] | None = None
    active: JsonBool | None = None


class AppointmentTypeRead(ApiModel):
    id: str
    clinic_id: str
    name: str
    code: str
    color: str
    default_duration: int
    min_duration: int
    max_duration: int
    online_bookable: bool
    new_patient_bookable: bool
    needs_provider: bool
    provider_ids: list[str]
    needs_chair: bool
    needs_assistant: bool
    assistant_ids: list[str]
    room_kind: str | None
    buffer_before: int
    buffer_after: int
    time_pattern: str | None
    procedure_codes: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, obj: AppointmentType) -> AppointmentTypeRead:
        # The ORM holds Provider and Assistant rows; the API speaks ids, sorted so responses
        # are stable.
        links = {"provider_ids", "assistant_ids"}
        return cls.model_validate(
            {
                **{name: getattr(obj, name) for name in cls.model_fields if name not in links},
                "provider_ids": sorted(p.id for p in obj.providers),
                "assistant_ids": sorted(a.id for a in obj.assistants),
            }
        )
