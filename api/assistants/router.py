from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from api.assistants import service
from api.assistants.schemas import AssistantCreate, AssistantRead, AssistantUpdate
from api.auth.deps import Configure, ViewCalendar
from api.core.fetch import by_id
from api.core.paging import Paging, page_of
from api.db import SessionDep
from api.errors import problem_responses
from api.models import Assistant
from api.schemas import Page, QueryBool

router = APIRouter(prefix="/api/assistants", tags=["assistants"])


AssistantById = Annotated[Assistant, by_id(service.get_assistant, "assistant_id")]


@router.get("", response_model=Page[AssistantRead], responses=problem_responses(401, 403, 422))
def list_assistants(
    session: SessionDep,
    principal: ViewCalendar,
    window: Paging,
    active: QueryBool | None = None,
) -> Page[AssistantRead]:
    found = service.list_assistants(session, principal, active=active, window=window)
    return page_of(AssistantRead.model_validate, found, window)


@router.post(
    "",
    response_model=AssistantRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
def create_assistant(
    body: AssistantCreate, session: SessionDep, principal: Configure
) -> AssistantRead:
    return AssistantRead.model_validate(service.create_assistant(session, principal, body))


@router.get(
    "/{assistant_id}", response_model=AssistantRead, responses=problem_responses(401, 403, 404)
)
def get_assistant(_: ViewCalendar, assistant: AssistantById) -> AssistantRead:
    return AssistantRead.model_validate(assistant)


@router.put(
    "/{assistant_id}",
    response_model=AssistantRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_assistant(
    body: AssistantUpdate, session: SessionDep, _: Configure, assistant: AssistantById
) -> AssistantRead:
    return AssistantRead.model_validate(service.update_assistant(session, assistant, body))


@router.delete(
    "/{assistant_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_assistant(session: SessionDep, _: Configure, assistant: AssistantById) -> None:
    service.delete_assistant(session, assistant)
