"""The seed's Appointment model, field for field, plus what concurrency and audit need."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow
from api.models.patient import PlannedProcedure


class AppointmentStatus(enum.StrEnum):
    SCHEDULED = "SCHEDULED"
    CONFIRMED = "CONFIRMED"
    CHECKED_IN = "CHECKED_IN"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


# Cancelled and no-show appointments free their time (busy time, held intervals, the caps).
INACTIVE_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)


class AppointmentSource(enum.StrEnum):
    STAFF = "STAFF"
    ONLINE = "ONLINE"
    PHONE = "PHONE"
    RECALL = "RECALL"
    TREATMENT_PLAN = "TREATMENT_PLAN"
    WAITLIST = "WAITLIST"
    # Booked by a partner system (a machine client through /fhir) on the practice's behalf: not
    # the patient's own self-service, so the portal's caps on ONLINE bookings do not count it.
    # The column is a plain string (no CHECK, no native enum), so a new value needs no migration.
    PARTNER = "PARTNER"


appointment_procedures = Table(
    "appointment_procedures",
    Base.metadata,
    Column("appointment_id", ForeignKey("appointments.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "procedure_id", ForeignKey("planned_procedures.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Appointment(IdMixin, TimestampMixin, Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="time_order"),
        CheckConstraint("duration > 0", name="duration_positive"),
        CheckConstraint(
            "occupied_start <= start_time AND occupied_end >= end_time", name="occupied"
        ),
        # The calendar and the engine both ask "what is busy in this window of this clinic".
        Index("ix_appointments_clinic_window", "clinic_id", "occupied_start"),
        Index("ix_appointments_patient_window", "patient_id", "start_time"),
    )

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)

    start_time: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    end_time: Mapped[datetime] = mapped_column(UTCDateTime())
    duration: Mapped[int] = mapped_column(Integer)
    # start/end widened by the type's buffers: what the provider, chair and room are held for.
    occupied_start: Mapped[datetime] = mapped_column(UTCDateTime())
    occupied_end: Mapped[datetime] = mapped_column(UTCDateTime())

    appointment_type_id: Mapped[str] = mapped_column(ForeignKey("appointment_types.id"))
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    chair_id: Mapped[str | None] = mapped_column(ForeignKey("chairs.id"))
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id"))
    # Set when the type needs an assistant (chosen by the engine unless pinned); held like the
    # chair, for the whole occupied span.
    assistant_id: Mapped[str | None] = mapped_column(ForeignKey("assistants.id"))
    # Doctor time (solver.time_pattern): this appointment's own pattern, fitted to its duration;
    # None holds the provider for the whole appointment as before.
    time_pattern: Mapped[str | None] = mapped_column(String(96))
    # False when the provider is recorded (the seed requires one) but not held: a type without
    # needsProvider, or a pattern without D. Such rows stay out of the provider exclusion.
    holds_provider: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    status: Mapped[AppointmentStatus] = mapped_column(
        Enum(AppointmentStatus, native_enum=False, length=20),
        default=AppointmentStatus.SCHEDULED,
        index=True,
    )

    treatment_plan_id: Mapped[str | None] = mapped_column(ForeignKey("treatment_plans.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    patient_notes: Mapped[str | None] = mapped_column(Text)

    booked_by: Mapped[str] = mapped_column(String(32))
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[AppointmentSource] = mapped_column(
        Enum(AppointmentSource, native_enum=False, length=20), default=AppointmentSource.STAFF
    )
    template_slot_id: Mapped[str | None] = mapped_column(
        ForeignKey("template_slots.id", ondelete="SET NULL")
    )

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Parts of one multi-appointment visit share a visit id.
    visit_id: Mapped[str | None] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # A staff override of double-booking takes the row out of the exclusion constraints.
    conflict_override: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str | None] = mapped_column(Text)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    cancellation_fee_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    cancellation_fee_currency: Mapped[str | None] = mapped_column(String(3))
    # Online bookings by provisional new patients wait for staff confirmation.
    needs_confirmation: Mapped[bool] = mapped_column(Boolean, default=False)

    procedures: Mapped[list[PlannedProcedure]] = relationship(
        secondary=appointment_procedures, lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}
