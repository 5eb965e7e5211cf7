"""A new patient's online booking waits for them to confirm it through a link sent to their email.

Until then the appointment holds its time only for a short provisional window
(``hold_until``). The rule is read at use, so no background job is needed for correctness:

- ``unconfirmed_lapsed(now)`` is true for an appointment whose window has passed unconfirmed;
  booking's "active appointment" predicate excludes those, so the engine, conflict checks and
  the calendar treat that time as free from that instant.
- PostgreSQL's exclusion constraints cannot read the clock, so a lapsed row would still block an
  overlapping insert there. Before any flush that writes an active appointment, the clinic's
  lapsed bookings are therefore cancelled for real in the same transaction
  (``release_lapsed``), and the database constraint stays the final word on double booking.

A staff member who confirms the appointment (status CONFIRMED or later) takes it out of the
window: only a SCHEDULED appointment lapses.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, and_, event, exists, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from api.core import clock
from api.models.appointment import Appointment, AppointmentStatus
from api.models.base import Base, IdMixin, UTCDateTime, utcnow
from api.models.held_interval import release as release_held

RELEASE_REASON = "Not confirmed by email within the provisional window; the time was released."


class EmailConfirmation(IdMixin, Base):
    __tablename__ = "email_confirmations"
    __table_args__ = (Index("ix_email_confirmations_clinic_window", "clinic_id", "hold_until"),)

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    appointment_id: Mapped[str] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), unique=True
    )
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    # Unconfirmed, the appointment's time is free for others from this instant on.
    hold_until: Mapped[datetime] = mapped_column(UTCDateTime())
    # The link still works after the window (it re-books the time if it is still free).
    link_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the lapsed appointment was cancelled for real (see release_lapsed).
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def unconfirmed_lapsed(now: datetime) -> ColumnElement[bool]:
    """The appointment's provisional window passed without the patient confirming."""
    # An alias, correlated to appointments only: queries that already select from
    # email_confirmations (the portal's caps) use this predicate too.
    pending = EmailConfirmation.__table__.alias("lapsed_check")
    return and_(
        Appointment.status == AppointmentStatus.SCHEDULED,
        exists()
        .where(
            pending.c.appointment_id == Appointment.id,
            pending.c.confirmed_at.is_(None),
            pending.c.hold_until <= now,
        )
        .correlate(Appointment),
    )


def release_lapsed(
    session: Session, clinic_ids: Iterable[str], now: datetime, *, keep: Iterable[str] = ()
) -> list[str]:
    """Cancel the clinics' lapsed unconfirmed appointments; returns their ids.

    Core statements on the session's connection: an ORM query here would autoflush into the
    flush that called us. The version is bumped so a stale copy elsewhere gets a 412.
    """
    appointments = Appointment.__table__
    confirmations = EmailConfirmation.__table__
    connection = session.connection()
    ids = set(
        connection.scalars(
            select(confirmations.c.appointment_id)
            .join(appointments, appointments.c.id == confirmations.c.appointment_id)
            .where(
                confirmations.c.clinic_id.in_(sorted(set(clinic_ids))),
                confirmations.c.confirmed_at.is_(None),
                confirmations.c.released_at.is_(None),
                confirmations.c.hold_until <= now,
                appointments.c.status == AppointmentStatus.SCHEDULED.value,
                appointments.c.deleted_at.is_(None),
            )
        )
    ) - set(keep)
    if not ids:
        return []
    ordered = sorted(ids)  # one lock order for every transaction: no deadlock between sweeps
    cancelled = connection.scalars(
        update(appointments)  # type: ignore[arg-type]
        .where(
            appointments.c.id.in_(ordered),
            appointments.c.status == AppointmentStatus.SCHEDULED.value,
            appointments.c.deleted_at.is_(None),
        )
        .values(
            status=AppointmentStatus.CANCELLED.value,
            deleted_at=now,
            cancellation_reason=RELEASE_REASON,
            version=appointments.c.version + 1,
            updated_at=now,
        )
        .returning(appointments.c.id)
    ).all()
    # Their held time goes with them, before the flush that called us inserts the new rows; only
    # for the rows this statement cancelled (one confirmed meanwhile keeps its time).
    release_held(connection, cancelled)
    connection.execute(
        update(confirmations)  # type: ignore[arg-type]
        .where(confirmations.c.appointment_id.in_(ordered), confirmations.c.released_at.is_(None))
        .values(released_at=now)
    )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Appointment) and obj.id in ids:
            session.expire(obj)
    return ordered


@event.listens_for(Session, "before_flush")
def _release_before_booking(session: Session, _context: Any, _instances: Any) -> None:
    clinic_ids: set[str] = set()
    writing: set[str] = set()
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Appointment):
            continue
        if obj.deleted_at is not None or obj.status in (
            AppointmentStatus.CANCELLED,
            AppointmentStatus.NO_SHOW,
        ):
            continue
        if obj in session.new or session.is_modified(obj, include_collections=False):
            clinic_ids.add(obj.clinic_id)
            if obj.id is not None:
                writing.add(obj.id)
    if clinic_ids:
        release_lapsed(session, clinic_ids, clock.now(), keep=writing)
