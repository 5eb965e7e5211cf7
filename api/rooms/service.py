from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.core.crud import (
    apply_changes,
    delete_unless_used,
    flush_or_conflict,
    get_in_clinic,
    list_in_clinic,
    schedule_references,
)
from api.models import Appointment, Room
from api.rooms.schemas import RoomCreate, RoomUpdate


def _duplicate(name: str) -> str:
    return f"A room named '{name}' already exists in your clinic."


def list_rooms(
    session: Session,
    principal: Principal,
    *,
    active: bool | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Room], int]:
    where: list[ColumnElement[bool]] = []
    if active is not None:
        where.append(Room.active.is_(active))
    if kind is not None:
        where.append(Room.kind == kind)
    return list_in_clinic(
        session,
        Room,
        principal.clinic_id,
        where=where,
        order_by=[Room.name],
        limit=limit,
        offset=offset,
    )


def get_room(session: Session, principal: Principal, room_id: str) -> Room:
    return get_in_clinic(session, Room, room_id, principal.clinic_id, "room")


def create_room(session: Session, principal: Principal, data: RoomCreate) -> Room:
    room = Room(clinic_id=principal.clinic_id, **data.model_dump(by_alias=False))
    session.add(room)
    flush_or_conflict(session, _duplicate(data.name))
    return room


def update_room(session: Session, room: Room, data: RoomUpdate) -> Room:
    # Explicit nulls were refused by the schema, so every value here is a real change.
    apply_changes(room, data.model_dump(by_alias=False, exclude_unset=True))
    flush_or_conflict(session, _duplicate(room.name))
    return room


def delete_room(session: Session, room: Room) -> None:
    uses = {
        "appointments": select(Appointment.id).where(Appointment.room_id == room.id),
        **schedule_references("room", room.id),
    }
    delete_unless_used(session, room, "room", room.name, uses)
