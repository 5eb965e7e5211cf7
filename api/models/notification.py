"""The mail outbox: every email the service sends is first a row here, written in the same
transaction as the change it tells someone about, so a booking and its mail commit together or
not at all. A dispatcher sends the rows after the commit (``api.notifications``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, UTCDateTime, utcnow


class OutboxMail(IdMixin, Base):
    __tablename__ = "mail_outbox"
    # The dispatcher asks "what is unsent and due"; sent rows are history.
    __table_args__ = (Index("ix_mail_outbox_due", "sent_at", "next_attempt_at"),)

    clinic_id: Mapped[str | None] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    # What the mail is for ("new_patient_confirmation", later "waitlist_offer"), for operators
    # reading the table and for tests.
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # The rows the mail is about, e.g. {"appointmentId": ..., "patientId": ...}.
    related: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A dispatcher sending this row right now; another one leaves it alone until then.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
