"""Waitlist tables (docs/waitlist.md): patients who want an earlier time, and offers of freed time.

An offer goes to several entries at once (one recipient row each, with the slot that entry
would get); the first recipient to accept books it. Expiry is read at use: an open offer past
`expires_at` is expired whoever looks first, so no background job is needed.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class WaitlistSource(enum.StrEnum):
    STAFF = "STAFF"
    PORTAL = "PORTAL"


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class RecipientStatus(enum.StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TAKEN = "taken"


class WaitlistEntry(IdMixin, TimestampMixin, Base):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 0 AND 10", name="priority"),
        # Matching reads the clinic's waiting entries; lists filter by status too.
        Index("ix_waitlist_entries_clinic_status", "clinic_id", "status"),
    )

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    # The first part's type, kept apart from `parts` so lists can filter on it.
    appointment_type_id: Mapped[str] = mapped_column(ForeignKey("appointment_types.id"))
    # [{"appointmentTypeId", "duration", "minGapMinutes", "maxGapMinutes"}], one per part.
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    same_provider: Mapped[bool] = mapped_column(Boolean, default=False)
    same_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    # The acceptable window, clinic-local; None (or no weekdays) leaves that side open.
    earliest_date: Mapped[date | None] = mapped_column(Date)
    latest_date: Mapped[date | None] = mapped_column(Date)
    weekdays: Mapped[list[int] | None] = mapped_column(JSON)
    earliest_time: Mapped[time | None] = mapped_column(Time)
    latest_time: Mapped[time | None] = mapped_column(Time)
    preferred_provider_id: Mapped[str | None] = mapped_column(ForeignKey("providers.id"))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    replaces_appointment_id: Mapped[str | None] = mapped_column(ForeignKey("appointments.id"))
    status: Mapped[WaitlistStatus] = mapped_column(
        Enum(WaitlistStatus, native_enum=False, length=20), default=WaitlistStatus.WAITING
    )
    source: Mapped[WaitlistSource] = mapped_column(
        Enum(WaitlistSource, native_enum=False, length=20), default=WaitlistSource.STAFF
    )
    created_by: Mapped[str] = mapped_column(String(32))
    booked_appointment_id: Mapped[str | None] = mapped_column(ForeignKey("appointments.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class WaitlistOffer(IdMixin, Base):
    __tablename__ = "waitlist_offers"
    __table_args__ = (
        CheckConstraint("gap_end > gap_start", name="gap_order"),
        Index("ix_waitlist_offers_clinic_created", "clinic_id", "created_at"),
    )

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    status: Mapped[OfferStatus] = mapped_column(
        Enum(OfferStatus, native_enum=False, length=20), default=OfferStatus.OPEN
    )
    # The freed time the offer was made for.
    gap_start: Mapped[datetime] = mapped_column(UTCDateTime())
    gap_end: Mapped[datetime] = mapped_column(UTCDateTime())
    gap_chair_id: Mapped[str | None] = mapped_column(ForeignKey("chairs.id"))
    gap_provider_id: Mapped[str | None] = mapped_column(ForeignKey("providers.id"))
    gap_appointment_id: Mapped[str | None] = mapped_column(ForeignKey("appointments.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_entry_id: Mapped[str | None] = mapped_column(ForeignKey("waitlist_entries.id"))
    # The appointment ids the accepted (or staff-booked) slot became.
    booked_appointment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)

    recipients: Mapped[list[WaitlistOfferRecipient]] = relationship(
        back_populates="offer",
        order_by="WaitlistOfferRecipient.rank",
        lazy="selectin",
        cascade="all, delete-orphan",
    )


class WaitlistOfferRecipient(IdMixin, Base):
    """One entry an offer went to, with the slot that entry would get if it accepts."""

    __tablename__ = "waitlist_offer_recipients"

    offer_id: Mapped[str] = mapped_column(
        ForeignKey("waitlist_offers.id", ondelete="CASCADE"), index=True
    )
    entry_id: Mapped[str] = mapped_column(ForeignKey("waitlist_entries.id"), index=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    rank: Mapped[int] = mapped_column(Integer)
    status: Mapped[RecipientStatus] = mapped_column(
        Enum(RecipientStatus, native_enum=False, length=20), default=RecipientStatus.SENT
    )
    # [{"appointmentTypeId", "startTime", "endTime", "duration", "providerId", "chairId",
    #   "roomId", "templateSlotId"}], one per part: what accepting books.
    slot: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    offer: Mapped[WaitlistOffer] = relationship(back_populates="recipients")
