"""Treatment plans: the calendar reads them; the staff who book appointments edit them.

Writes need CreateAppointment, like patients: plans are drawn up and updated at the front desk
while booking the next visits, not as clinic configuration.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth.deps import CreateAppointment, ViewCalendar
from api.core.fetch import by_id
from api.core.paging import Paging, page_of
from api.db import SessionDep
from api.errors import problem_responses
from api.models import TreatmentPlan
from api.schemas import Page
from api.treatment_plans import service
from api.treatment_plans.schemas import (
    PlanStatus,
    TreatmentPlanCreate,
    TreatmentPlanRead,
    TreatmentPlanUpdate,
)

router = APIRouter(prefix="/api/treatment-plans", tags=["treatment plans"])


PlanById = Annotated[TreatmentPlan, by_id(service.get_plan, "plan_id")]


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
def get_plan(_: ViewCalendar, plan: PlanById) -> TreatmentPlanRead:
    return TreatmentPlanRead.model_validate(plan)


@router.put(
    "/{plan_id}",
    response_model=TreatmentPlanRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_plan(
    body: TreatmentPlanUpdate, session: SessionDep, principal: CreateAppointment, plan: PlanById
) -> TreatmentPlanRead:
    """Partial update; `procedures`, when sent, replaces the list (409 if that would drop a
    procedure booked on an appointment)."""
    return TreatmentPlanRead.model_validate(service.update_plan(session, principal, plan, body))


@router.delete(
    "/{plan_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_plan(session: SessionDep, _: CreateAppointment, plan: PlanById) -> None:
    service.delete_plan(session, plan)
