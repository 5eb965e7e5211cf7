from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models.base import Base, IdMixin, TimestampMixin


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
    status: Mapped[str] = mapped_column(String(20), default="ACTIVE")  # ACTIVE/COMPLETED/CANCELLED

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
    status: Mapped[str] = mapped_column(String(20), default="PENDING")  # PENDING/SCHEDULED/DONE
