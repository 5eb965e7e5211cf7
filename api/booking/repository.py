"""Appointment queries: what the calendar lists and opens, and which bookings hold time.

Each list and get starts from `readable`, so an appointment of another clinic is simply not
there: it answers exactly like an id that does not exist. Busy time is one rule,
`active_appointment`, shared by the engine's clinic state, the 409 bodies (`overlapping`) and
the portal's caps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from api.core import clock
from api.core.crud import InClinic, find_in_clinic, in_clinic
from api.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    AppointmentType,
    Assistant,
    Chair,
    HeldInterval,
    Patient,
    Provider,
    Room,
    SlotHold,
    TreatmentPlan,
)
from api.models.appointment import INACTIVE_STATUSES
from api.models.email_confirmation import unconfirmed_lapsed
from api.models.held_interval import Held

# Slot-hold owners: "patient:<patient id>" or "guest:<guest session id>".
GUEST_OWNER_PREFIX = "guest:"


def active_appointment() -> ColumnElement[bool]:
    # Cancelled and no-show appointments free their time; overridden ones are the staff's call
    # and still occupy the resources (the engine should not offer a slot on top of them).
    # A new patient's booking left unconfirmed past its provisional window frees its time
    # from that instant, before anything cancels the row (api/models/email_confirmation.py).
    return and_(
        Appointment.deleted_at.is_(None),
        Appointment.status.not_in(INACTIVE_STATUSES),
        ~unconfirmed_lapsed(clock.now()),
    )


def busy_rows(
    session: Session, clinic_id: str, start: datetime, end: datetime
) -> Iterable[Sequence[Any]]:
    """(id, occupied start and end, provider, chair, room, start, duration, time pattern,
    holds provider, assistant) of each active appointment whose occupied time overlaps
    [start, end).

    Plain rows, not ORM objects: a two-week query reads hundreds of appointments.
    """
    return session.execute(
        select(
            Appointment.id,
            Appointment.occupied_start,
            Appointment.occupied_end,
            Appointment.provider_id,
            Appointment.chair_id,
            Appointment.room_id,
            Appointment.start_time,
            Appointment.duration,
            Appointment.time_pattern,
            Appointment.holds_provider,
            Appointment.assistant_id,
        ).where(
            Appointment.clinic_id == clinic_id,
            active_appointment(),
            Appointment.occupied_start < end,
            Appointment.occupied_end > start,
        )
    )


def patient_appointments(
    session: Session, clinic_id: str, patient_id: str, start: datetime, end: datetime
) -> list[Appointment]:
    """The patient's active appointments whose attended time overlaps [start, end)."""
    return list(
        session.scalars(
            in_clinic(Appointment, clinic_id).where(
                Appointment.patient_id == patient_id,
                active_appointment(),
                Appointment.start_time < end,
                Appointment.end_time > start,
            )
        )
    )


def active_holds(
    session: Session, clinic_id: str, start: datetime, end: datetime
) -> list[SlotHold]:
    """Unexpired slot holds overlapping [start, end); expired ones are ignored, not deleted."""
    return list(
        session.scalars(
            select(SlotHold).where(
                SlotHold.clinic_id == clinic_id,
                SlotHold.expires_at > clock.now(),
                SlotHold.occupied_start < end,
                SlotHold.occupied_end > start,
            )
        )
    )


def release_guest_holds_under(session: Session, rows: Iterable[Appointment]) -> int:
    """Delete the guest holds that these active appointments' time and resources fall on.

    Staff book over a guest's hold (it is not busy time for them); the hold goes in the same
    transaction, so the guest who later tries to book it gets the ordinary 409 with other times.
    """
    clauses = []
    for row in rows:
        if row.deleted_at is not None or row.status in INACTIVE_STATUSES:
            continue
        resources = [
            column == value
            for column, value in (
                (SlotHold.provider_id, row.provider_id if row.holds_provider else None),
                (SlotHold.chair_id, row.chair_id),
                (SlotHold.room_id, row.room_id),
                (SlotHold.assistant_id, row.assistant_id),
            )
            if value
        ]
        if resources:
            clauses.append(
                and_(
                    SlotHold.clinic_id == row.clinic_id,
                    SlotHold.occupied_start < row.occupied_end,
                    SlotHold.occupied_end > row.occupied_start,
                    or_(*resources),
                )
            )
    if not clauses:
        return 0
    table = SlotHold.__table__
    # Core on the session's connection: this runs just before a flush, not inside one's ORM.
    result = session.connection().execute(
        delete(table).where(  # type: ignore[arg-type]
            table.c.owner.startswith(GUEST_OWNER_PREFIX),
            or_(*clauses),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def overlapping(
    session: Session,
    clinic_id: str,
    held: Iterable[Held],
    attended: tuple[datetime, datetime],
    *,
    patient_id: str | None,
    exclude: Iterable[str] = (),
) -> list[Appointment]:
    """Active appointments that clash with the given held time or the patient's (for 409 bodies).

    Resources are compared on `held_intervals`, the rows the database's exclusion constraint
    compares: with doctor time two appointments of one provider may share their span without
    sharing a minute of provider time, and those did not clash.
    """
    clauses: list[ColumnElement[bool]] = []
    resource_clash = [
        and_(
            HeldInterval.resource_id == h.resource_id,
            HeldInterval.start_time < h.end,
            HeldInterval.end_time > h.start,
        )
        for h in held
    ]
    if resource_clash:
        clauses.append(
            Appointment.id.in_(
                select(HeldInterval.appointment_id).where(
                    HeldInterval.clinic_id == clinic_id, or_(*resource_clash)
                )
            )
        )
    if patient_id:
        clauses.append(
            and_(
                Appointment.patient_id == patient_id,
                Appointment.start_time < attended[1],
                Appointment.end_time > attended[0],
            )
        )
    if not clauses:
        return []
    excluded = list(exclude)
    stmt = select(Appointment).where(
        Appointment.clinic_id == clinic_id, active_appointment(), or_(*clauses)
    )
    if excluded:
        stmt = stmt.where(Appointment.id.not_in(excluded))
    return list(session.scalars(stmt.order_by(Appointment.start_time)))


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
    assistant_id: str | None = None
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
            (Appointment.assistant_id, self.assistant_id),
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
    assistant: Assistant | None = None


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
        assistant=session.get(Assistant, appointment.assistant_id)
        if appointment.assistant_id
        else None,
        plan=session.get(TreatmentPlan, appointment.treatment_plan_id)
        if appointment.treatment_plan_id
        else None,
        visit_appointment_ids=visit_appointment_ids(session, appointment),
    )
