"""Schedule templates: weekly working hours, date exceptions and reserved template slots."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models.base import Base, IdMixin, TimestampMixin

RESOURCE_TYPES = ("provider", "chair", "room", "assistant")


class ScheduleTemplate(IdMixin, TimestampMixin, Base):
    """One clinic's week. Booking uses the clinic's active template; planners compare others."""

    __tablename__ = "schedule_templates"
    __table_args__ = (
        # Booking reads "the" active template; two would make availability ambiguous.
        Index(
            "uq_schedule_templates_one_active",
            "clinic_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=False)

    working_hours: Mapped[list[WorkingHours]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="WorkingHours.weekday"
    )
    exceptions: Mapped[list[ScheduleException]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ScheduleException.date"
    )
    template_slots: Mapped[list[TemplateSlot]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TemplateSlot.weekday"
    )


class WorkingHours(IdMixin, Base):
    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("start_time < end_time", name="order"),
    )

    template_id: Mapped[str] = mapped_column(
        ForeignKey("schedule_templates.id", ondelete="CASCADE"), index=True
    )
    resource_type: Mapped[str] = mapped_column(String(10))
    resource_id: Mapped[str] = mapped_column(String(32), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class ScheduleException(IdMixin, Base):
    """Replaces one local date's hours for one resource; no blocks means closed that day."""

    __tablename__ = "schedule_exceptions"

    template_id: Mapped[str] = mapped_column(
        ForeignKey("schedule_templates.id", ondelete="CASCADE"), index=True
    )
    resource_type: Mapped[str] = mapped_column(String(10))
    resource_id: Mapped[str] = mapped_column(String(32))
    date: Mapped[date] = mapped_column(Date)
    # [["09:00", "12:00"], ...] clinic-local; empty list: closed.
    blocks: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    reason: Mapped[str | None] = mapped_column(String(200))


class TemplateSlot(IdMixin, Base):
    __tablename__ = "template_slots"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("start_time < end_time", name="order"),
    )

    template_id: Mapped[str] = mapped_column(
        ForeignKey("schedule_templates.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    chair_id: Mapped[str | None] = mapped_column(ForeignKey("chairs.id", ondelete="CASCADE"))
    provider_id: Mapped[str | None] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    appointment_type_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
