from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.core.crud import apply_changes, delete_or_conflict, get_in_clinic, list_in_clinic
from api.errors import Conflict
from api.models import (
    Appointment,
    Provider,
    ScheduleException,
    TemplateSlot,
    User,
    WorkingHours,
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


def _uses(session: Session, provider: Provider) -> list[str]:
    """What still points at the provider.

    Working hours and exceptions name resources by id without a foreign key, and template
    slots / appointment-type restrictions cascade, so the database alone would delete
    silently (an appointment type restricted to only this provider would even become open to
    every provider). Staff logins would lose their provider. Refuse instead.
    """
    checks = {
        "appointments": select(Appointment.id).where(Appointment.provider_id == provider.id),
        "working hours": select(WorkingHours.id).where(
            WorkingHours.resource_type == "provider", WorkingHours.resource_id == provider.id
        ),
        "schedule exceptions": select(ScheduleException.id).where(
            ScheduleException.resource_type == "provider",
            ScheduleException.resource_id == provider.id,
        ),
        "template slots": select(TemplateSlot.id).where(TemplateSlot.provider_id == provider.id),
        "appointment types": select(appointment_type_providers.c.provider_id).where(
            appointment_type_providers.c.provider_id == provider.id
        ),
        "user accounts": select(User.id).where(User.provider_id == provider.id),
    }
    return [what for what, stmt in checks.items() if session.scalar(select(exists(stmt)))]


def delete_provider(session: Session, provider: Provider) -> None:
    uses = _uses(session, provider)
    if uses:
        raise Conflict(
            f"Provider '{provider.name}' is still used by {', '.join(uses)}; "
            "set active to false instead of deleting it.",
        )
    # Backstop for a reference added concurrently: the foreign key still refuses.
    delete_or_conflict(session, provider, "provider")
