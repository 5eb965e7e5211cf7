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
from api.core.fetch import by_id
from api.core.paging import Paging, page_of
from api.db import SessionDep
from api.errors import problem_responses
from api.models import AppointmentType
from api.schemas import Page, QueryBool

router = APIRouter(prefix="/api/appointment-types", tags=["appointment types"])


AppointmentTypeById = Annotated[AppointmentType, by_id(service.get_appointment_type, "type_id")]


@router.get(
    "", response_model=Page[AppointmentTypeRead], responses=problem_responses(401, 403, 422)
)
def list_appointment_types(
    session: SessionDep,
    principal: ViewCalendar,
    window: Paging,
    active: QueryBool | None = None,
    online_bookable: Annotated[QueryBool | None, Query(alias="onlineBookable")] = None,
) -> Page[AppointmentTypeRead]:
    found = service.list_appointment_types(
        session, principal, active=active, online_bookable=online_bookable, window=window
    )
    return page_of(AppointmentTypeRead.from_model, found, window)


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
def get_appointment_type(_: ViewCalendar, appt_type: AppointmentTypeById) -> AppointmentTypeRead:
    return AppointmentTypeRead.from_model(appt_type)


@router.put(
    "/{type_id}",
    response_model=AppointmentTypeRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_appointment_type(
    body: AppointmentTypeUpdate, session: SessionDep, _: Configure, appt_type: AppointmentTypeById
) -> AppointmentTypeRead:
    return AppointmentTypeRead.from_model(service.update_appointment_type(session, appt_type, body))


@router.delete(
    "/{type_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_appointment_type(
    session: SessionDep, _: Configure, appt_type: AppointmentTypeById
) -> None:
    service.delete_appointment_type(session, appt_type)
