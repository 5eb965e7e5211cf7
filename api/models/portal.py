"""Patient-portal tables: per-clinic portal settings, short slot holds and patient invitations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, IdMixin, UTCDateTime, utcnow


class PortalSettings(Base):
    """How a clinic's online booking behaves; a clinic without a row uses the defaults."""

    __tablename__ = "portal_settings"
    __table_args__ = (
        CheckConstraint("hold_minutes BETWEEN 1 AND 60", name="hold_minutes"),
        CheckConstraint("slot_step_minutes BETWEEN 5 AND 120", name="slot_step"),
        CheckConstraint(
            "new_patient_daily_cap >= 0 AND new_patient_email_daily_cap >= 0", name="caps"
        ),
        CheckConstraint("max_active_online_bookings >= 0", name="active_online_cap"),
        CheckConstraint(
            "new_patient_confirm_minutes BETWEEN 5 AND 60", name="new_patient_confirm_minutes"
        ),
        CheckConstraint("new_patient_unconfirmed_daily_cap >= 0", name="unconfirmed_cap"),
        CheckConstraint("guest_share_percent BETWEEN 1 AND 100", name="guest_share"),
    )

    clinic_id: Mapped[str] = mapped_column(
        ForeignKey("clinics.id", ondelete="CASCADE"), primary_key=True
    )
    hold_minutes: Mapped[int] = mapped_column(Integer, default=5)
    # Patients see starts on this clinic-local grid (every 15 minutes), not every engine start.
    slot_step_minutes: Mapped[int] = mapped_column(Integer, default=15)
    # New-patient (no account) bookings: at most this many per clinic and per email per day.
    new_patient_daily_cap: Mapped[int] = mapped_column(Integer, default=20)
    new_patient_email_daily_cap: Mapped[int] = mapped_column(Integer, default=1)
    show_provider_names: Mapped[bool] = mapped_column(Boolean, default=False)
    # A signed-in patient may hold at most this many upcoming online bookings at once, so one
    # account cannot reserve a clinic's free week.
    max_active_online_bookings: Mapped[int] = mapped_column(Integer, default=3)
    # A new patient's online booking holds its time this long until they confirm it by email.
    new_patient_confirm_minutes: Mapped[int] = mapped_column(Integer, default=15)
    # At most this many unconfirmed new-patient bookings may hold time on one clinic-local day,
    # so made-up emails cannot block more than a small share of any day (see
    # docs/security-new-patients.md).
    new_patient_unconfirmed_daily_cap: Mapped[int] = mapped_column(Integer, default=2)
    # Guests together may reserve at most this share of a clinic-local day's provider time at
    # once, in holds and unconfirmed new-patient bookings (docs/security-holds.md).
    guest_share_percent: Mapped[int] = mapped_column(Integer, default=10)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SlotHold(IdMixin, Base):
    """A time a patient or guest chose in the widget, busy for everyone else until it expires.

    Expired holds are simply ignored (every read compares `expires_at` with now), so no
    background job is needed; rows are pruned when the owner places their next hold.
    """

    __tablename__ = "slot_holds"
    __table_args__ = (
        Index("ix_slot_holds_clinic_window", "clinic_id", "occupied_start"),
        Index("ix_slot_holds_clinic_network", "clinic_id", "network"),
        CheckConstraint("end_time > start_time", name="time_order"),
    )

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    # "patient:<id>" or "guest:<session id>": one active hold per owner.
    owner: Mapped[str] = mapped_column(String(80), index=True)
    appointment_type_id: Mapped[str] = mapped_column(
        ForeignKey("appointment_types.id", ondelete="CASCADE")
    )
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime] = mapped_column(UTCDateTime())
    occupied_start: Mapped[datetime] = mapped_column(UTCDateTime())
    occupied_end: Mapped[datetime] = mapped_column(UTCDateTime())
    provider_id: Mapped[str | None] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    chair_id: Mapped[str | None] = mapped_column(ForeignKey("chairs.id", ondelete="CASCADE"))
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    # The assistant the engine chose for a type that needs one, kept like the chair. No ON
    # DELETE here (SQLite cannot add one without rebuilding the table, migration 0020):
    # deleting an assistant deletes their holds first (api/assistants/service.py).
    assistant_id: Mapped[str | None] = mapped_column(ForeignKey("assistants.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The caller's network: the IPv4 address, or the /64 an IPv6 address lies in (one home or
    # phone gets a whole /64), for the per-network cap on guest holds.
    network: Mapped[str | None] = mapped_column(String(64))
    # When this owner or network first held this time: renewing keeps it, so a time can be
    # held only so long in all (docs/security-holds.md).
    held_since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PatientInvitation(IdMixin, Base):
    """A single-use, expiring invitation for a patient to set their portal password.

    Only the SHA-256 of the token is stored: a database leak does not hand out accounts.
    """

    __tablename__ = "patient_invitations"

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
