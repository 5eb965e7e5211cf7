from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TimestampMixin


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"
    # Unique per clinic only (migration 0010): each clinic's accounts are its own, so one clinic
    # cannot learn that an address has an account at another.
    __table_args__ = (UniqueConstraint("clinic_id", "email", name="uq_users_clinic_id_email"),)

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))  # stored lower-case
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin / frontdesk / provider / patient
    full_name: Mapped[str] = mapped_column(String(200), default="")
    # A provider user acts for this provider; a patient user is bound to this patient.
    provider_id: Mapped[str | None] = mapped_column(ForeignKey("providers.id", ondelete="SET NULL"))
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Runs the platform (opens clinics) besides their role in their own clinic.
    platform_operator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
