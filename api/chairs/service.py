from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.chairs.schemas import ChairCreate, ChairUpdate
from api.core.crud import (
    apply_changes,
    delete_unless_used,
    flush_or_conflict,
    get_in_clinic,
    list_in_clinic,
    schedule_references,
)
from api.models import Appointment, Chair, TemplateSlot


def list_chairs(
    session: Session, principal: Principal, *, active: bool | None, limit: int, offset: int
) -> tuple[list[Chair], int]:
    where = [] if active is None else [Chair.active.is_(active)]
    return list_in_clinic(
        session,
        Chair,
        principal.clinic_id,
        where=where,
        order_by=[Chair.name],
        limit=limit,
        offset=offset,
    )


def get_chair(session: Session, principal: Principal, chair_id: str) -> Chair:
    return get_in_clinic(session, Chair, chair_id, principal.clinic_id, "chair")


def create_chair(session: Session, principal: Principal, data: ChairCreate) -> Chair:
    chair = Chair(clinic_id=principal.clinic_id, **data.model_dump(by_alias=False))
    session.add(chair)
    flush_or_conflict(session, f"A chair named '{data.name}' already exists in your clinic.")
    return chair


def update_chair(session: Session, chair: Chair, data: ChairUpdate) -> Chair:
    changes = {
        k: v
        for k, v in data.model_dump(by_alias=False, exclude_unset=True).items()
        if v is not None
    }
    apply_changes(chair, changes)
    flush_or_conflict(session, f"A chair named '{data.name}' already exists in your clinic.")
    return chair


def delete_chair(session: Session, chair: Chair) -> None:
    """Template slots would cascade away with the chair, so they count as uses too."""
    uses = {
        "appointments": select(Appointment.id).where(Appointment.chair_id == chair.id),
        **schedule_references("chair", chair.id),
        "template slots": select(TemplateSlot.id).where(TemplateSlot.chair_id == chair.id),
    }
    delete_unless_used(session, chair, "chair", chair.name, uses)
