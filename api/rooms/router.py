from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth.deps import Configure, ViewCalendar
from api.core.fetch import by_id
from api.core.paging import Paging, page_of
from api.db import SessionDep
from api.errors import problem_responses
from api.models import Room
from api.rooms import service
from api.rooms.schemas import RoomCreate, RoomRead, RoomUpdate, normalize_kind
from api.schemas import Page, QueryBool

router = APIRouter(prefix="/api/rooms", tags=["rooms"])


RoomById = Annotated[Room, by_id(service.get_room, "room_id")]


@router.get("", response_model=Page[RoomRead], responses=problem_responses(401, 403, 422))
def list_rooms(
    session: SessionDep,
    principal: ViewCalendar,
    window: Paging,
    active: QueryBool | None = None,
    kind: Annotated[str | None, Query(max_length=50, examples=["x-ray"])] = None,
) -> Page[RoomRead]:
    # Same normalisation as on write, so ?kind=X-Ray finds the rooms stored as "x-ray".
    wanted = None if kind is None else str(normalize_kind(kind))
    found = service.list_rooms(session, principal, active=active, kind=wanted, window=window)
    return page_of(RoomRead.model_validate, found, window)


@router.post(
    "",
    response_model=RoomRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
def create_room(body: RoomCreate, session: SessionDep, principal: Configure) -> RoomRead:
    return RoomRead.model_validate(service.create_room(session, principal, body))


@router.get("/{room_id}", response_model=RoomRead, responses=problem_responses(401, 403, 404))
def get_room(_: ViewCalendar, room: RoomById) -> RoomRead:
    return RoomRead.model_validate(room)


@router.put(
    "/{room_id}", response_model=RoomRead, responses=problem_responses(401, 403, 404, 409, 422)
)
def update_room(body: RoomUpdate, session: SessionDep, _: Configure, room: RoomById) -> RoomRead:
    return RoomRead.model_validate(service.update_room(session, room, body))


@router.delete(
    "/{room_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_room(session: SessionDep, _: Configure, room: RoomById) -> None:
    service.delete_room(session, room)
