"""The clinic's bookable resources: providers, chairs, rooms and assistants."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TimestampMixin


class Provider(IdMixin, TimestampMixin, Base):
    """A member of staff who sees patients (orthodontist, hygienist)."""

    __tablename__ = "providers"

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(100))
    color: Mapped[str | None] = mapped_column(String(7))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Chair(IdMixin, TimestampMixin, Base):
    __tablename__ = "chairs"
    __table_args__ = (UniqueConstraint("clinic_id", "name"),)

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Room(IdMixin, TimestampMixin, Base):
    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("clinic_id", "name"),)

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(50))  # "scanner", "x-ray", "consult"
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Assistant(IdMixin, TimestampMixin, Base):
    """A chairside assistant: held for a whole appointment like a chair, for the types that
    need one (``appointment_types.needs_assistant``). Optional: a clinic without assistants
    books exactly as before."""

    __tablename__ = "assistants"
    __table_args__ = (UniqueConstraint("clinic_id", "name"),)

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    color: Mapped[str | None] = mapped_column(String(7))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
