"""Treatment plan bodies.

A plan's procedures are sent and returned as one ordered list; `sequence` is the 1-based
position in that list, never sent. On PUT the list, when present, replaces the plan's
procedures whole: an item with an `id` of this plan keeps that procedure (and its links to
appointments), an item without one is new, and procedures left out are removed.

PUT is a partial update: only the fields sent change (procedures omitted: unchanged). Null for
any field is a 422 rather than being ignored, so a client bug never looks like a save;
`procedures: []` is how to empty the list. The patient of a plan cannot be changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from api.models import PlanStatus, ProcedureStatus
from api.schemas import ApiModel, BlankMeansNull, InlineText, NotBlank, NotNull, StrictInput, Trim

MAX_PROCEDURES = 100


Name = Annotated[str, StringConstraints(min_length=1, max_length=200), Trim, NotBlank, InlineText]
# The constraint sits on the inner str: on the whole `| None` union it would reject null.
Code = Annotated[
    Annotated[str, StringConstraints(max_length=50), Trim, InlineText] | None,
    BlankMeansNull(),
]


class ProcedureInput(StrictInput):
    id: str | None = Field(None, description="Keep this existing procedure of the plan.")
    name: Name
    code: Code = None
    appointment_type_id: str = Field(min_length=1)
    status: ProcedureStatus = ProcedureStatus.PENDING


class TreatmentPlanCreate(StrictInput):
    patient_id: str = Field(min_length=1)
    name: Name
    status: PlanStatus = PlanStatus.ACTIVE
    procedures: list[ProcedureInput] = Field(default_factory=list, max_length=MAX_PROCEDURES)


class TreatmentPlanUpdate(StrictInput):
    """Partial update; `procedures`, when sent, replaces the list whole. Null is a 422."""

    name: Annotated[Name | None, NotNull()] = None
    status: Annotated[PlanStatus | None, NotNull()] = None
    procedures: Annotated[
        Annotated[list[ProcedureInput], Field(max_length=MAX_PROCEDURES)] | None, NotNull()
    ] = None


class ProcedureRead(ApiModel):
    id: str
    sequence: int
    name: str
    code: str | None
    appointment_type_id: str
    status: ProcedureStatus


class TreatmentPlanRead(ApiModel):
    id: str
    clinic_id: str
    patient_id: str
    name: str
    status: PlanStatus
    procedures: list[ProcedureRead]
    created_at: datetime
    updated_at: datetime
