"""Held intervals: the time each active appointment holds each of its resources, one row each.

Why a table: with doctor time an appointment holds its chair and room for the whole span with
buffers but its provider only during the pattern's ``D`` runs (``solver.time_pattern
.provider_held``), which one pair of columns on ``appointments`` cannot say. One row per
(resource, interval) lets a single PostgreSQL exclusion constraint
``(resource_id WITH =, tstzrange(start_time, end_time, '[)') WITH &&)`` (migration 0013) make an
overlap of one resource's held time impossible whatever the application does, raw SQL included.
Resource ids are random 128-bit ids, so a provider, a chair, a room and an assistant never
share one. SQLite has
no exclusion constraints: the rows are written there by the same code, and BEGIN IMMEDIATE
(``api/db.py``) keeps serialising the engine's check with the write, as before.

Rows are derived, never edited. A unit-of-work hook (``before_flush``) writes them when an
appointment is inserted and rewrites them in the same flush when a field they come from changes
(status, deletion, override, times, duration, buffers, resources, pattern). Why a hook rather than
a call in each operation: every path that writes an appointment (staff create, update,
reschedule, cancel, duplicate, the portal, new-patient confirmation, the demo seed) goes through
the session, so none can forget, and the rows always commit or roll back with their appointment.
Only appointments that hold time get rows: not cancelled, not no-show, not deleted and not
double-booked on purpose by staff (``conflict_override``), the rows the exclusion constraints of
migration 0002 covered.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Connection,
    ForeignKey,
    Index,
    String,
    delete,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from api.models.appointment import INACTIVE_STATUSES, Appointment
from api.models.base import Base, IdMixin, UTCDateTime
from solver.time_pattern import provider_held


class ResourceKind(enum.StrEnum):
    PROVIDER = "provider"
    CHAIR = "chair"
    ROOM = "room"
    ASSISTANT = "assistant"


class HeldInterval(IdMixin, Base):
    __tablename__ = "held_intervals"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="time_order"),
        CheckConstraint(
            "resource_kind IN ('provider', 'chair', 'room', 'assistant')", name="resource_kind"
        ),
        # The 409 body's "who won" lookup and SQLite's overlap queries: one resource, by time.
        Index("ix_held_intervals_resource_window", "resource_id", "start_time"),
    )

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    # The words working hours use for the same resources ("provider", "chair", "room",
    # "assistant").
    resource_kind: Mapped[str] = mapped_column(String(10))
    resource_id: Mapped[str] = mapped_column(String(32))
    appointment_id: Mapped[str] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime] = mapped_column(UTCDateTime())

    # Many-to-one only: the unit of work then inserts the appointment first and fills in
    # appointment_id, also for an appointment whose id is not assigned before the flush.
    appointment: Mapped[Appointment] = relationship()


@dataclass(frozen=True)
class Held:
    """One interval a resource is held for, before it is a row."""

    kind: ResourceKind
    resource_id: str
    start: datetime
    end: datetime


def holds_time(appointment: Appointment) -> bool:
    return (
        appointment.deleted_at is None
        and appointment.status not in INACTIVE_STATUSES
        and not appointment.conflict_override
    )


def _whole_minutes(delta: timedelta) -> int:
    return int(delta.total_seconds()) // 60


def held_by(appointment: Appointment) -> list[Held]:
    """What an appointment holds: chair, room and assistant for the whole span with buffers
    (an assistant seats the patient and cleans up, as the chair is turned over), the provider
    for ``provider_held``'s runs (the whole span without a pattern, the ``D`` runs with one, none
    when the appointment does not hold its provider). Empty when it holds no time at all."""
    if not holds_time(appointment):
        return []
    held = [
        Held(kind, resource_id, appointment.occupied_start, appointment.occupied_end)
        for kind, resource_id in (
            (ResourceKind.CHAIR, appointment.chair_id),
            (ResourceKind.ROOM, appointment.room_id),
            (ResourceKind.ASSISTANT, appointment.assistant_id),
        )
        if resource_id
    ]
    # None on a row not yet inserted is the column's default (it holds its provider): defaults
    # are applied by the INSERT, after this runs.
    if appointment.holds_provider is not False:
        start = appointment.start_time
        runs = provider_held(
            appointment.time_pattern,
            appointment.duration,
            _whole_minutes(start - appointment.occupied_start),
            _whole_minutes(appointment.occupied_end - appointment.end_time),
        )
        held.extend(
            Held(
                ResourceKind.PROVIDER,
                appointment.provider_id,
                start + timedelta(minutes=begin),
                start + timedelta(minutes=end),
            )
            for begin, end in runs
            if end > begin
        )
    return held


# The fields held_by reads: a change to any of them rewrites the appointment's rows.
DERIVED_FROM = (
    "clinic_id",
    "status",
    "deleted_at",
    "conflict_override",
    "start_time",
    "end_time",
    "duration",
    "occupied_start",
    "occupied_end",
    "provider_id",
    "chair_id",
    "room_id",
    "assistant_id",
    "time_pattern",
    "holds_provider",
)


def release(connection: Connection, appointment_ids: Iterable[str]) -> None:
    """Delete the held rows of these appointments (core: safe inside a flush)."""
    ids = sorted(set(appointment_ids))
    if ids:
        table = HeldInterval.__table__
        connection.execute(delete(table).where(table.c.appointment_id.in_(ids)))  # type: ignore[arg-type]


def _changed(appointment: Appointment) -> bool:
    attrs = inspect(appointment).attrs
    return any(attrs[name].history.has_changes() for name in DERIVED_FROM)


@event.listens_for(Session, "before_flush")
def _write_held(session: Session, _context: Any, _instances: Any) -> None:
    stale: list[str] = []
    fresh: list[Appointment] = []
    for obj in session.new:
        if isinstance(obj, Appointment):
            fresh.append(obj)
    for obj in session.dirty:
        if isinstance(obj, Appointment) and _changed(obj):
            stale.append(obj.id)
            fresh.append(obj)
    # The old rows go first, by a statement that runs now, so an appointment moved by a few
    # minutes never collides with its own previous time when the new rows are inserted.
    if stale:
        release(session.connection(), stale)
    # One order for every transaction (resource, then time): two bookings that race for the
    # same resources wait for each other in the same order, which keeps deadlocks rare.
    rows = sorted(
        ((appointment, held) for appointment in fresh for held in held_by(appointment)),
        key=lambda pair: (pair[1].resource_id, pair[1].start),
    )
    session.add_all(
        HeldInterval(
            appointment=appointment,
            clinic_id=appointment.clinic_id,
            resource_kind=held.kind.value,
            resource_id=held.resource_id,
            start_time=held.start,
            end_time=held.end,
        )
        for appointment, held in rows
    )
