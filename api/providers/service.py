from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.core.crud import Resource, is_active, schedule_references
from api.core.paging import PageQuery
from api.models import (
    Appointment,
    Provider,
    TemplateSlot,
    User,
    appointment_type_providers,
)
from api.providers.schemas import ProviderCreate, ProviderUpdate

# id last: names repeat, and pagination needs a total order.
PROVIDERS = Resource(Provider, "provider", order_by=(Provider.name, Provider.id))


def list_providers(
    session: Session, principal: Principal, *, active: bool | None, window: PageQuery
) -> tuple[list[Provider], int]:
    return PROVIDERS.list(session, principal.clinic_id, window, is_active(Provider, active))


def get_provider(session: Session, principal: Principal, provider_id: str) -> Provider:
    return PROVIDERS.get(session, principal.clinic_id, provider_id)


def create_provider(session: Session, principal: Principal, data: ProviderCreate) -> Provider:
    return PROVIDERS.add(
        session, Provider(clinic_id=principal.clinic_id, **data.model_dump(by_alias=False))
    )


def update_provider(session: Session, provider: Provider, data: ProviderUpdate) -> Provider:
    # Explicit nulls for name/active were already refused by the schema; the remaining Nones
    # are deliberate clears of title/color.
    return PROVIDERS.change(session, provider, data.model_dump(by_alias=False, exclude_unset=True))


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
    PROVIDERS.delete(session, provider, label=provider.name, uses=uses)
