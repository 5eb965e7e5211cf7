"""Reading appointments for the staff endpoints.

Each change is an operation in its own module (`create`, `update`, `reschedule`, `duplicate`,
`cancel`) over the shared checks (`checks`) and writes (`persist`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.audit import service as audit
from api.auth.deps import Principal
from api.auth.permissions import Role
from api.booking import repository
from api.booking.provider_time import provider_time
from api.booking.schemas import AppointmentRead, AuditRead, Money, ProviderTime
from api.errors import Forbidden, NotFound
from api.models import Appointment


def to_read(appointment: Appointment) -> AppointmentRead:
    fee = None
    if appointment.cancellation_fee_amount is not None:
        fee = Money(
            amount=appointment.cancellation_fee_amount,
            currency=appointment.cancellation_fee_currency or "",
        )
    return AppointmentRead.model_validate(
        {
            **{
                name: getattr(appointment, name)
                for name in AppointmentRead.model_fields
                if name not in ("procedure_ids", "cancellation_fee", "provider_time")
            },
            "procedure_ids": [p.id for p in appointment.procedures],
            "cancellation_fee": fee,
            "provider_time": [
                ProviderTime(start_time=begin, end_time=end)
                for begin, end in provider_time(appointment)
            ],
        }
    )


def get_appointment(session: Session, principal: Principal, appointment_id: str) -> Appointment:
    appointment = repository.get(session, principal, appointment_id)
    if appointment is None:
        raise NotFound(f"No appointment with id '{appointment_id}' in your clinic.")
    return appointment


def get_for_update(session: Session, principal: Principal, appointment_id: str) -> Appointment:
    appointment = get_appointment(session, principal, appointment_id)
    if principal.role == Role.PROVIDER and appointment.provider_id != principal.provider_id:
        raise Forbidden("Providers may change only their own appointments.")
    return appointment


def audit_trail(session: Session, clinic_id: str, entity_id: str) -> list[AuditRead]:
    """What the audit log holds on one appointment or waitlist entry, oldest first, with what
    each step changed."""
    return [
        AuditRead(
            id=e.id,
            action=e.action,
            actor_id=e.actor_id,
            at=e.at,
            request_id=e.request_id,
            reason=e.reason,
            changes=audit.changes(e.before, e.after),
            before=e.before,
            after=e.after,
        )
        for e in audit.entries_for(session, clinic_id, entity_id)
    ]
