"""The queries /fhir needs, every one limited to the caller's clinic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.crud import in_clinic
from api.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Provider,
)
from api.models.appointment import INACTIVE_STATUSES


def providers(session: Session, clinic_id: str) -> Sequence[Provider]:
    return session.scalars(in_clinic(Provider, clinic_id).order_by(Provider.id)).all()


def types(session: Session, clinic_id: str) -> Sequence[AppointmentType]:
    return session.scalars(in_clinic(AppointmentType, clinic_id).order_by(AppointmentType.id)).all()


def qualified(kind: AppointmentType, everyone: Sequence[Provider]) -> list[Provider]:
    """Who can perform the type: its listed providers, or (none listed) every provider."""
    chosen = kind.providers or [p for p in everyone if p.active]
    return sorted((p for p in chosen if p.active), key=lambda p: p.id)


def booked_starts(
    session: Session, clinic_id: str, type_ids: Sequence[str], lower: datetime, upper: datetime
) -> Sequence[tuple[str, datetime, datetime]]:
    """(type id, start, latest end) of the clinic's live appointments starting in [lower, upper)."""
    rows = session.execute(
        select(
            Appointment.appointment_type_id, Appointment.start_time, func.max(Appointment.end_time)
        )
        .where(
            Appointment.clinic_id == clinic_id,
            Appointment.appointment_type_id.in_(type_ids),
            Appointment.start_time >= lower,
            Appointment.start_time < upper,
            Appointment.deleted_at.is_(None),
            Appointment.status.not_in(INACTIVE_STATUSES),
        )
        .group_by(Appointment.appointment_type_id, Appointment.start_time)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def appointments(
    session: Session,
    clinic_id: str,
    *,
    patient_id: str | None,
    provider_id: str | None,
    statuses: Sequence[AppointmentStatus],
    lower: datetime | None,
    upper: datetime | None,
    offset: int,
    count: int,
) -> tuple[Sequence[Appointment], int]:
    query = in_clinic(Appointment, clinic_id)
    if patient_id is not None:
        query = query.where(Appointment.patient_id == patient_id)
    if provider_id is not None:
        query = query.where(Appointment.provider_id == provider_id)
    if statuses:
        query = query.where(Appointment.status.in_(statuses))
    if lower is not None:
        query = query.where(Appointment.end_time > lower)
    if upper is not None:
        query = query.where(Appointment.start_time < upper)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Appointment.start_time, Appointment.id).offset(offset).limit(count)
    ).all()
    return rows, total
