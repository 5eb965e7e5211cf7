from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models.base import Base, IdMixin, TimestampMixin


class PlanStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class ProcedureStatus(enum.StrEnum):
    PENDING = "PENDING"
    SCHEDULED = "SCHEDULED"
    DONE = "DONE"


class Patient(IdMixin, TimestampMixin, Base):
    __tablename__ = "patients"

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    usual_provider_id: Mapped[str | None] = mapped_column(
        ForeignKey("providers.id", ondelete="SET NULL")
    )
    # Created by an online new-patient booking; staff confirm the details.
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TreatmentPlan(IdMixin, TimestampMixin, Base):
    __tablename__ = "treatment_plans"

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # Stored as the plain names (VARCHAR(20), no CHECK), exactly as before the enum existed.
    status: Mapped[PlanStatus] = mapped_column(
        Enum(PlanStatus, native_enum=False, length=20, create_constraint=False),
        default=PlanStatus.ACTIVE,
    )

    procedures: Mapped[list[PlannedProcedure]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PlannedProcedure.sequence"
    )


class PlannedProcedure(IdMixin, Base):
    __tablename__ = "planned_procedures"

    plan_id: Mapped[str] = mapped_column(
        ForeignKey("treatment_plans.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(50))
    appointment_type_id: Mapped[str] = mapped_column(
        ForeignKey("appointment_types.id", ondelete="RESTRICT")
    )
    status: Mapped[ProcedureStatus] = mapped_column(
        Enum(ProcedureStatus, native_enum=False, length=20, create_constraint=False),
        default=ProcedureStatus.PENDING,
    )
