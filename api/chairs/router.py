from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from api.auth.deps import Configure, ViewCalendar
from api.chairs import service
from api.chairs.schemas import ChairCreate, ChairRead, ChairUpdate
from api.core.fetch import by_id
from api.core.paging import Paging, page_of
from api.db import SessionDep
from api.errors import problem_responses
from api.models import Chair
from api.schemas import Page, QueryBool

router = APIRouter(prefix="/api/chairs", tags=["chairs"])


ChairById = Annotated[Chair, by_id(service.get_chair, "chair_id")]


@router.get("", response_model=Page[ChairRead], responses=problem_responses(401, 403, 422))
def list_chairs(
    session: SessionDep,
    principal: ViewCalendar,
    window: Paging,
    active: QueryBool | None = None,
) -> Page[ChairRead]:
    found = service.list_chairs(session, principal, active=active, window=window)
    return page_of(ChairRead.model_validate, found, window)


@router.post(
    "",
    response_model=ChairRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
def create_chair(body: ChairCreate, session: SessionDep, principal: Configure) -> ChairRead:
    return ChairRead.model_validate(service.create_chair(session, principal, body))


@router.get("/{chair_id}", response_model=ChairRead, responses=problem_responses(401, 403, 404))
def get_chair(_: ViewCalendar, chair: ChairById) -> ChairRead:
    return ChairRead.model_validate(chair)


@router.put(
    "/{chair_id}", response_model=ChairRead, responses=problem_responses(401, 403, 404, 409, 422)
)
def update_chair(
    body: ChairUpdate, session: SessionDep, _: Configure, chair: ChairById
) -> ChairRead:
    return ChairRead.model_validate(service.update_chair(session, chair, body))


@router.delete(
    "/{chair_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_chair(session: SessionDep, _: Configure, chair: ChairById) -> None:
    service.delete_chair(session, chair)
