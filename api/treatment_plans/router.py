"""Treatment plans: the calendar reads them; the staff who book appointments edit them.

Writes need CreateAppointment, like patients: plans are drawn up and updated at the front desk
while booking the next visits, not as clinic configuration.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth.deps import CreateAppointment, ViewCalendar
from api.core.paging import Paging, page_of
from api.db import SessionDep
from api.errors import problem_responses
from api.schemas import Page
from api.treatment_plans import service
from api.treatment_plans.schemas import (
    PlanStatus,
    TreatmentPlanCreate,
    TreatmentPlanRead,
    TreatmentPlanUpdate,
)

router = APIRouter(prefix="/api/treatment-plans", tags=["treatment plans"])


@router.get("", response_model=Page[TreatmentPlanRead], responses=problem_responses(401, 403, 422))
def list_plans(
    session: SessionDep,
    principal: ViewCalendar,
    window: Paging,
    patient_id: Annotated[str | None, Query(alias="patientId")] = None,
    plan_status: Annotated[PlanStatus | None, Query(alias="status")] = None,
) -> Page[TreatmentPlanRead]:
    found = service.list_plans(
        session, principal, patient_id=patient_id, status=plan_status, window=window
    )
    return page_of(TreatmentPlanRead.model_validate, found, window)


@router.post(
    "",
    response_model=TreatmentPlanRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 422),
)
def create_plan(
    body: TreatmentPlanCreate, session: SessionDep, principal: CreateAppointment
) -> TreatmentPlanRead:
    return TreatmentPlanRead.model_validate(service.create_plan(session, principal, body))


@router.get(
    "/{plan_id}", response_model=TreatmentPlanRead, responses=problem_responses(401, 403, 404)
)
def get_plan(plan_id: str, session: SessionDep, principal: ViewCalendar) -> TreatmentPlanRead:
    return TreatmentPlanRead.model_validate(service.get_plan(session, principal, plan_id))


@router.put(
    "/{plan_id}",
    response_model=TreatmentPlanRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_plan(
    plan_id: str, body: TreatmentPlanUpdate, session: SessionDep, principal: CreateAppointment
) -> TreatmentPlanRead:
    """Partial update; `procedures`, when sent, replaces the list (409 if that would drop a
    procedure booked on an appointment)."""
    plan = service.get_plan(session, principal, plan_id)
    return TreatmentPlanRead.model_validate(service.update_plan(session, principal, plan, body))


@router.delete(
    "/{plan_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_plan(plan_id: str, session: SessionDep, principal: CreateAppointment) -> None:
    service.delete_plan(session, service.get_plan(session, principal, plan_id))
