from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.core.crud import (
    apply_changes,
    delete_unless_used,
    get_in_clinic,
    list_in_clinic,
    schedule_references,
)
from api.models import (
    Appointment,
    Provider,
    TemplateSlot,
    User,
    appointment_type_providers,
)
from api.providers.schemas import ProviderCreate, ProviderUpdate


def list_providers(
    session: Session, principal: Principal, *, active: bool | None, limit: int, offset: int
) -> tuple[list[Provider], int]:
    where = [] if active is None else [Provider.active.is_(active)]
    return list_in_clinic(
        session,
        Provider,
        principal.clinic_id,
        where=where,
        # id last: names repeat, and pagination needs a total order.
        order_by=[Provider.name, Provider.id],
        limit=limit,
        offset=offset,
    )


def get_provider(session: Session, principal: Principal, provider_id: str) -> Provider:
    return get_in_clinic(session, Provider, provider_id, principal.clinic_id, "provider")


def create_provider(session: Session, principal: Principal, data: ProviderCreate) -> Provider:
    provider = Provider(clinic_id=principal.clinic_id, **data.model_dump(by_alias=False))
    session.add(provider)
    session.flush()
    return provider


def update_provider(session: Session, provider: Provider, data: ProviderUpdate) -> Provider:
    # Explicit nulls for name/active were already refused by the schema; the remaining Nones
    # are deliberate clears of title/color.
    apply_changes(provider, data.model_dump(by_alias=False, exclude_unset=True))
    session.flush()
    return provider


def delete_provider(session: Session, provider: Provider) -> None:
    """Template slots and appointment-type restrictions cascade, and staff logins would lose
    their provider (a type restricted to only this provider would even open to everyone), so
    all of them count as uses."""
    uses = {
        "appointments": select(Appointment.id).where(Appointment.provider_id == provider.id),
        **schedule_references("provider", provider.id),
        "template slots": select(TemplateSlot.id).where(TemplateSlot.provider_id == provider.id),
        "appointment types": select(appointment_type_providers.c.provider_id).where(
            appointment_type_providers.c.provider_id == provider.id
        ),
        "user accounts": select(User.id).where(User.provider_id == provider.id),
    }
    delete_unless_used(session, provider, "provider", provider.name, uses)
