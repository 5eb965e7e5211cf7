from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from api.auth.deps import Configure, ViewCalendar
from api.core.fetch import by_id
from api.core.paging import Paging, page_of
from api.db import SessionDep
from api.errors import problem_responses
from api.models import ScheduleTemplate
from api.schedule_templates import service
from api.schedule_templates.schemas import (
    ScheduleTemplateCreate,
    ScheduleTemplateRead,
    ScheduleTemplateUpdate,
)
from api.schemas import Page, QueryBool

router = APIRouter(prefix="/api/schedule-templates", tags=["schedule templates"])


TemplateById = Annotated[ScheduleTemplate, by_id(service.get_template, "template_id")]


@router.get(
    "", response_model=Page[ScheduleTemplateRead], responses=problem_responses(401, 403, 422)
)
def list_schedule_templates(
    session: SessionDep,
    principal: ViewCalendar,
    window: Paging,
    active: QueryBool | None = None,
) -> Page[ScheduleTemplateRead]:
    found = service.list_templates(session, principal, active=active, window=window)
    return page_of(ScheduleTemplateRead.from_model, found, window)


@router.post(
    "",
    response_model=ScheduleTemplateRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 422),
)
def create_schedule_template(
    body: ScheduleTemplateCreate, session: SessionDep, principal: Configure
) -> ScheduleTemplateRead:
    return ScheduleTemplateRead.from_model(service.create_template(session, principal, body))


# Declared before "/{template_id}" so "active" is not taken for an id.
@router.get(
    "/active", response_model=ScheduleTemplateRead, responses=problem_responses(401, 403, 404)
)
def get_active_schedule_template(
    session: SessionDep, principal: ViewCalendar
) -> ScheduleTemplateRead:
    return ScheduleTemplateRead.from_model(service.get_active_template(session, principal))


@router.get(
    "/{template_id}",
    response_model=ScheduleTemplateRead,
    responses=problem_responses(401, 403, 404),
)
def get_schedule_template(_: ViewCalendar, template: TemplateById) -> ScheduleTemplateRead:
    return ScheduleTemplateRead.from_model(template)


@router.put(
    "/{template_id}",
    response_model=ScheduleTemplateRead,
    responses=problem_responses(401, 403, 404, 422),
)
def update_schedule_template(
    body: ScheduleTemplateUpdate, session: SessionDep, _: Configure, template: TemplateById
) -> ScheduleTemplateRead:
    return ScheduleTemplateRead.from_model(service.update_template(session, template, body))


@router.delete(
    "/{template_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_schedule_template(session: SessionDep, _: Configure, template: TemplateById) -> None:
    service.delete_template(session, template)
