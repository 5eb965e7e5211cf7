from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.assistants.schemas import AssistantCreate, AssistantUpdate
from api.auth.deps import Principal
from api.core.crud import Resource, is_active, schedule_references
from api.core.paging import PageQuery
from api.models import Appointment, Assistant, SlotHold, appointment_type_assistants

ASSISTANTS = Resource(
    Assistant,
    "assistant",
    order_by=(Assistant.name,),
    duplicate=lambda assistant: (
        f"An assistant named '{assistant.name}' already exists in your clinic."
    ),
)


def list_assistants(
    session: Session, principal: Principal, *, active: bool | None, window: PageQuery
) -> tuple[list[Assistant], int]:
    return ASSISTANTS.list(session, principal.clinic_id, window, is_active(Assistant, active))


def get_assistant(session: Session, principal: Principal, assistant_id: str) -> Assistant:
    return ASSISTANTS.get(session, principal.clinic_id, assistant_id)


def create_assistant(session: Session, principal: Principal, data: AssistantCreate) -> Assistant:
    return ASSISTANTS.add(
        session, Assistant(clinic_id=principal.clinic_id, **data.model_dump(by_alias=False))
    )


def update_assistant(session: Session, assistant: Assistant, data: AssistantUpdate) -> Assistant:
    # Explicit nulls for name/active were refused by the schema; a None left is a clear of color.
    return ASSISTANTS.change(
        session, assistant, data.model_dump(by_alias=False, exclude_unset=True)
    )


def delete_assistant(session: Session, assistant: Assistant) -> None:
    """Type qualifications cascade with the assistant, and a type only this assistant may
    assist would silently open to every assistant, so they count as uses too."""
    uses = {
        "appointments": select(Appointment.id).where(Appointment.assistant_id == assistant.id),
        **schedule_references("assistant", assistant.id),
        "appointment types": select(appointment_type_assistants.c.assistant_id).where(
            appointment_type_assistants.c.assistant_id == assistant.id
        ),
    }
    # Holds last minutes and are no use worth keeping an assistant for: they go with them
    # (rolled back with the request if a use above refuses the delete).
    session.execute(delete(SlotHold).where(SlotHold.assistant_id == assistant.id))
    ASSISTANTS.delete(session, assistant, label=assistant.name, uses=uses)
