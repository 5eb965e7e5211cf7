"""Appointment queries. Each list and get starts from `readable`, so an appointment of another
clinic is simply not there: it answers exactly like an id that does not exist."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from api.core import clock
from api.core.crud import InClinic, find_in_clinic, in_clinic
from api.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    AppointmentType,
    Chair,
    Patient,
    Provider,
    Room,
    TreatmentPlan,
)
from api.models.email_confirmation import unconfirmed_lapsed


def readable(who: InClinic) -> Select[Appointment]:
    return in_clinic(Appointment, who.clinic_id)


def get(session: Session, who: InClinic, appointment_id: str) -> Appointment | None:
    return find_in_clinic(session, Appointment, appointment_id, who.clinic_id)


@dataclass(frozen=True)
class AppointmentFilter:
    """What the staff calendar list narrows by; None and empty mean "any"."""

    start: datetime | None = None
    end: datetime | None = None
    provider_id: str | None = None
    chair_id: str | None = None
    room_id: str | None = None
    patient_id: str | None = None
    appointment_type_id: str | None = None
    visit_id: str | None = None
    statuses: Sequence[AppointmentStatus] = field(default_factory=tuple)
    sources: Sequence[AppointmentSource] = field(default_factory=tuple)
    include_cancelled: bool = False

    def conditions(self) -> list[Any]:
        where: list[Any] = []
        if not self.include_cancelled:
            where.append(Appointment.deleted_at.is_(None))
            # Lapsed unconfirmed new-patient bookings are as good as cancelled: their time is free.
            where.append(~unconfirmed_lapsed(clock.now()))
        if self.start is not None:
            where.append(Appointment.end_time > self.start)
        if self.end is not None:
            where.append(Appointment.start_time < self.end)
        for column, value in (
            (Appointment.provider_id, self.provider_id),
            (Appointment.chair_id, self.chair_id),
            (Appointment.room_id, self.room_id),
            (Appointment.patient_id, self.patient_id),
            (Appointment.appointment_type_id, self.appointment_type_id),
            (Appointment.visit_id, self.visit_id),
        ):
            if value is not None:
                where.append(column == value)
        if self.statuses:
            where.append(Appointment.status.in_(self.statuses))
        if self.sources:
            where.append(Appointment.source.in_(self.sources))
        return where


def page(
    session: Session, who: InClinic, wanted: AppointmentFilter, *, limit: int, offset: int
) -> tuple[list[Appointment], int]:
    """One page in calendar order, and how many match in all."""
    stmt = readable(who).where(*wanted.conditions())
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Appointment.start_time, Appointment.id).limit(limit).offset(offset)
    )
    return list(rows), total


def visit_appointment_ids(session: Session, appointment: Appointment) -> list[str]:
    """The ids of the appointments booked together with this one as a visit, in time order."""
    if appointment.visit_id is None:
        return []
    return list(
        session.scalars(
            readable(appointment)
            .with_only_columns(Appointment.id)
            .where(Appointment.visit_id == appointment.visit_id)
            .order_by(Appointment.start_time)
        )
    )


@dataclass(frozen=True)
class Related:
    """The rows an appointment names, for its detail view."""

    kind: AppointmentType
    patient: Patient
    provider: Provider
    chair: Chair | None
    room: Room | None
    plan: TreatmentPlan | None
    visit_appointment_ids: list[str]


def related(session: Session, appointment: Appointment) -> Related:
    kind = session.get(AppointmentType, appointment.appointment_type_id)
    patient = session.get(Patient, appointment.patient_id)
    provider = session.get(Provider, appointment.provider_id)
    assert kind is not None and patient is not None and provider is not None
    return Related(
        kind=kind,
        patient=patient,
        provider=provider,
        chair=session.get(Chair, appointment.chair_id) if appointment.chair_id else None,
        room=session.get(Room, appointment.room_id) if appointment.room_id else None,
        plan=session.get(TreatmentPlan, appointment.treatment_plan_id)
        if appointment.treatment_plan_id
        else None,
        visit_appointment_ids=visit_appointment_ids(session, appointment),
    )
