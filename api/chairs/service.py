from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.chairs.schemas import ChairCreate, ChairUpdate
from api.core.crud import Resource, is_active, schedule_references
from api.core.paging import PageQuery
from api.models import Appointment, Chair, TemplateSlot

CHAIRS = Resource(
    Chair,
    "chair",
    order_by=(Chair.name,),
    duplicate=lambda chair: f"A chair named '{chair.name}' already exists in your clinic.",
)


def list_chairs(
    session: Session, principal: Principal, *, active: bool | None, window: PageQuery
) -> tuple[list[Chair], int]:
    return CHAIRS.list(session, principal.clinic_id, window, is_active(Chair, active))


def get_chair(session: Session, principal: Principal, chair_id: str) -> Chair:
    return CHAIRS.get(session, principal.clinic_id, chair_id)


def create_chair(session: Session, principal: Principal, data: ChairCreate) -> Chair:
    return CHAIRS.add(
        session, Chair(clinic_id=principal.clinic_id, **data.model_dump(by_alias=False))
    )


def update_chair(session: Session, chair: Chair, data: ChairUpdate) -> Chair:
    # A null means "not sent" for every chair field.
    changes = {
        k: v
        for k, v in data.model_dump(by_alias=False, exclude_unset=True).items()
        if v is not None
    }
    return CHAIRS.change(session, chair, changes)


def delete_chair(session: Session, chair: Chair) -> None:
    """Template slots would cascade away with the chair, so they count as uses too."""
    uses = {
        "appointments": select(Appointment.id).where(Appointment.chair_id == chair.id),
        **schedule_references("chair", chair.id),
        "template slots": select(TemplateSlot.id).where(TemplateSlot.chair_id == chair.id),
    }
    CHAIRS.delete(session, chair, label=chair.name, uses=uses)
