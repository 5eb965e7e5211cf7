from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.appointment_types import service
from api.appointment_types.schemas import (
    AppointmentTypeCreate,
    AppointmentTypeRead,
    AppointmentTypeUpdate,
)
from api.auth.deps import Configure, ViewCalendar
from api.db import SessionDep
from api.errors import problem_responses
from api.schemas import BIGINT_MAX, Page, QueryBool

router = APIRouter(prefix="/api/appointment-types", tags=["appointment types"])


@router.get(
    "", response_model=Page[AppointmentTypeRead], responses=problem_responses(401, 403, 422)
)
def list_appointment_types(
    session: SessionDep,
    principal: ViewCalendar,
    active: QueryBool | None = None,
    online_bookable: Annotated[QueryBool | None, Query(alias="onlineBookable")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> Page[AppointmentTypeRead]:
    items, total = service.list_appointment_types(
        session,
        principal,
        active=active,
        online_bookable=online_bookable,
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[AppointmentTypeRead.from_model(t) for t in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "",
    response_model=AppointmentTypeRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
def create_appointment_type(
    body: AppointmentTypeCreate, session: SessionDep, principal: Configure
) -> AppointmentTypeRead:
    return AppointmentTypeRead.from_model(service.create_appointment_type(session, principal, body))


@router.get(
    "/{type_id}",
    response_model=AppointmentTypeRead,
    responses=problem_responses(401, 403, 404),
)
def get_appointment_type(
    type_id: str, session: SessionDep, principal: ViewCalendar
) -> AppointmentTypeRead:
    return AppointmentTypeRead.from_model(service.get_appointment_type(session, principal, type_id))


@router.put(
    "/{type_id}",
    response_model=AppointmentTypeRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_appointment_type(
    type_id: str, body: AppointmentTypeUpdate, session: SessionDep, principal: Configure
) -> AppointmentTypeRead:
    appt_type = service.get_appointment_type(session, principal, type_id)
    return AppointmentTypeRead.from_model(service.update_appointment_type(session, appt_type, body))


@router.delete(
    "/{type_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_appointment_type(type_id: str, session: SessionDep, principal: Configure) -> None:
    service.delete_appointment_type(
        session, service.get_appointment_type(session, principal, type_id)
    )
