from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models.base import Base, IdMixin, TimestampMixin
from api.models.resources import Assistant, Provider

appointment_type_providers = Table(
    "appointment_type_providers",
    Base.metadata,
    Column(
        "appointment_type_id",
        ForeignKey("appointment_types.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
)

appointment_type_assistants = Table(
    "appointment_type_assistants",
    Base.metadata,
    Column(
        "appointment_type_id",
        ForeignKey("appointment_types.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("assistant_id", ForeignKey("assistants.id", ondelete="CASCADE"), primary_key=True),
)


class AppointmentType(IdMixin, TimestampMixin, Base):
    __tablename__ = "appointment_types"
    __table_args__ = (
        UniqueConstraint("clinic_id", "code"),
        CheckConstraint(
            "min_duration > 0 AND min_duration <= default_duration"
            " AND default_duration <= max_duration",
            name="duration_bounds",
        ),
        CheckConstraint("buffer_before >= 0 AND buffer_after >= 0", name="buffers"),
    )

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(50))
    color: Mapped[str] = mapped_column(String(7), default="#4a90d9")
    default_duration: Mapped[int] = mapped_column(Integer)
    min_duration: Mapped[int] = mapped_column(Integer)
    max_duration: Mapped[int] = mapped_column(Integer)
    online_bookable: Mapped[bool] = mapped_column(Boolean, default=False)
    new_patient_bookable: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_provider: Mapped[bool] = mapped_column(Boolean, default=True)
    needs_chair: Mapped[bool] = mapped_column(Boolean, default=True)
    # Held for the whole appointment with its buffers, like the chair (issue 13, slice 7).
    needs_assistant: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    room_kind: Mapped[str | None] = mapped_column(String(50))
    buffer_before: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after: Mapped[int] = mapped_column(Integer, default=0)
    # One character per 5 minutes of default_duration: D provider time, A assistant time
    # (solver.time_pattern). None: the provider for the whole appointment.
    time_pattern: Mapped[str | None] = mapped_column(String(96))
    # Procedure codes this type usually covers (e.g. "ADJ", "SCAN"); plans match on them.
    procedure_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    # Empty: every provider of the clinic may perform it.
    providers: Mapped[list[Provider]] = relationship(
        secondary=appointment_type_providers, lazy="selectin"
    )
    # Empty: every assistant of the clinic may assist (only read when needs_assistant).
    assistants: Mapped[list[Assistant]] = relationship(
        secondary=appointment_type_assistants, lazy="selectin"
    )
