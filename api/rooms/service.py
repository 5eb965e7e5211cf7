from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.core.crud import Resource, is_active, schedule_references
from api.core.paging import PageQuery
from api.models import Appointment, Room
from api.rooms.schemas import RoomCreate, RoomUpdate

ROOMS = Resource(
    Room,
    "room",
    order_by=(Room.name,),
    duplicate=lambda room: f"A room named '{room.name}' already exists in your clinic.",
)


def list_rooms(
    session: Session,
    principal: Principal,
    *,
    active: bool | None,
    kind: str | None,
    window: PageQuery,
) -> tuple[list[Room], int]:
    where = is_active(Room, active)
    if kind is not None:
        where.append(Room.kind == kind)
    return ROOMS.list(session, principal.clinic_id, window, where)


def get_room(session: Session, principal: Principal, room_id: str) -> Room:
    return ROOMS.get(session, principal.clinic_id, room_id)


def create_room(session: Session, principal: Principal, data: RoomCreate) -> Room:
    return ROOMS.add(
        session, Room(clinic_id=principal.clinic_id, **data.model_dump(by_alias=False))
    )


def update_room(session: Session, room: Room, data: RoomUpdate) -> Room:
    # Explicit nulls were refused by the schema, so every value here is a real change.
    return ROOMS.change(session, room, data.model_dump(by_alias=False, exclude_unset=True))


def delete_room(session: Session, room: Room) -> None:
    uses = {
        "appointments": select(Appointment.id).where(Appointment.room_id == room.id),
        **schedule_references("room", room.id),
    }
    ROOMS.delete(session, room, label=room.name, uses=uses)
