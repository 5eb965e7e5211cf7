from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, TimestampMixin


class Clinic(IdMixin, TimestampMixin, Base):
    __tablename__ = "clinics"
    __table_args__ = (
        CheckConstraint("slot_granularity_minutes BETWEEN 1 AND 60", name="granularity"),
        CheckConstraint("min_lead_time_minutes >= 0", name="lead_time"),
        CheckConstraint("max_horizon_days >= 1", name="horizon"),
    )

    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    min_lead_time_minutes: Mapped[int] = mapped_column(Integer, default=120)
    late_cancel_window_hours: Mapped[int] = mapped_column(Integer, default=24)
    late_cancel_fee_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    late_cancel_fee_currency: Mapped[str] = mapped_column(String(3), default="GBP")
    slot_granularity_minutes: Mapped[int] = mapped_column(Integer, default=5)
    max_horizon_days: Mapped[int] = mapped_column(Integer, default=90)
    # Browser origins of the practice's own website, for the embeddable booking widget.
    website_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A new random token in the same transaction as any write to the clinic's providers,
    # chairs, rooms, appointment types or schedule templates (api/models/config_version.py).
    config_version: Mapped[str] = mapped_column(String(32), server_default="initial")
    # A new random token on every write to the clinic's appointments, slot holds or new-patient
    # confirmations, written by database triggers (migration 0018; docs/performance.md).
    busy_version: Mapped[str] = mapped_column(String(32), server_default="initial")
