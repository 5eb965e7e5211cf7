"""The patient portal's queries: caps, holds, confirmations, invitations and what it lists.

The portal's services (`holds`, `hold_caps`, `new_patients`, `online_booking`, `availability`,
`availability_cache`, `invitations`, `offer`, `own_appointments`, `web`, `cors`) hold the rules
and ask here for the rows they count or read, so each query is written once. Clinic-scoped
reads start from `api.core.crud.in_clinic` (appointments from `booking.repository.readable`),
so another clinic's rows are never counted; what is busy time stays `active_appointment`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from api.booking import repository as appointments
from api.booking.repository import GUEST_OWNER_PREFIX, active_appointment
from api.core.crud import InClinic, in_clinic
from api.models import (
    Appointment,
    AppointmentSource,
    AppointmentType,
    Clinic,
    EmailConfirmation,
    PatientInvitation,
    Provider,
    SlotHold,
    User,
)


def _count(session: Session, stmt: Select[object]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


# --------------------------------------------------------------------------- clinics


def lock_clinic(session: Session, clinic_id: str) -> Clinic | None:
    """The clinic row locked for key-share on PostgreSQL (SQLite serialises the whole write)."""
    return session.scalar(
        select(Clinic).where(Clinic.id == clinic_id).with_for_update(key_share=True)
    )


def first_online_clinic(session: Session) -> Clinic | None:
    """The oldest active clinic with an active online-bookable type (the demo page's clinic)."""
    return session.scalar(
        select(Clinic)
        .join(AppointmentType, AppointmentType.clinic_id == Clinic.id)
        .where(Clinic.active, AppointmentType.online_bookable, AppointmentType.active)
        .order_by(Clinic.created_at)
        .limit(1)
    )


def website_origins(session: Session) -> list[list[str] | None]:
    """Each active clinic's practice-site origins, as stored."""
    return list(session.scalars(select(Clinic.website_origins).where(Clinic.active)))


def online_types(session: Session, clinic_id: str) -> list[AppointmentType]:
    """The clinic's active online-bookable types, by name."""
    return list(
        session.scalars(
            in_clinic(AppointmentType, clinic_id)
            .where(AppointmentType.active.is_(True), AppointmentType.online_bookable.is_(True))
            .order_by(AppointmentType.name)
        )
    )


def provider_names(session: Session, clinic_id: str) -> dict[str, str]:
    return {p.id: p.name for p in session.scalars(in_clinic(Provider, clinic_id))}


# --------------------------------------------------------------------------- appointments


def upcoming(
    session: Session, caller: InClinic, patient_id: str, now: datetime
) -> list[Appointment]:
    """The patient's active appointments that have not ended, soonest first."""
    return list(
        session.scalars(
            appointments.readable(caller)
            .where(
                Appointment.patient_id == patient_id,
                active_appointment(),
                Appointment.end_time > now,
            )
            .order_by(Appointment.start_time)
        )
    )


def active_online_bookings(session: Session, clinic_id: str, patient_id: str, now: datetime) -> int:
    """The patient's upcoming active appointments booked online."""
    return _count(
        session,
        in_clinic(Appointment, clinic_id).where(
            Appointment.patient_id == patient_id,
            Appointment.source == AppointmentSource.ONLINE,
            Appointment.start_time > now,
            active_appointment(),
        ),
    )


def bookings_by(session: Session, clinic_id: str, user_id: str) -> int:
    """Appointments this account (a guest booking session) has booked, whatever their status."""
    return _count(
        session, in_clinic(Appointment, clinic_id).where(Appointment.booked_by == user_id)
    )


# --------------------------------------------------------------------------- new patients


def _confirmations(clinic_id: str) -> Select[EmailConfirmation]:
    return in_clinic(EmailConfirmation, clinic_id).join(
        Appointment, Appointment.id == EmailConfirmation.appointment_id
    )


def confirmed_since(session: Session, clinic_id: str, since: datetime) -> int:
    """New-patient bookings confirmed by email from `since` on."""
    return _count(session, _confirmations(clinic_id).where(EmailConfirmation.confirmed_at >= since))


def standing_for_email(session: Session, clinic_id: str, email: str, since: datetime) -> int:
    """Active new-patient bookings made for this email (lower-case) from `since` on."""
    return _count(
        session,
        _confirmations(clinic_id).where(
            func.lower(EmailConfirmation.email) == email,
            EmailConfirmation.created_at >= since,
            active_appointment(),
        ),
    )


def unconfirmed_starting(
    session: Session, clinic_id: str, day_start: datetime, day_end: datetime, now: datetime
) -> int:
    """Active new-patient bookings starting in [day_start, day_end) still inside their
    provisional window."""
    return _count(
        session,
        _confirmations(clinic_id).where(
            EmailConfirmation.confirmed_at.is_(None),
            EmailConfirmation.hold_until > now,
            Appointment.start_time >= day_start,
            Appointment.start_time < day_end,
            active_appointment(),
        ),
    )


# --------------------------------------------------------------------------- slot holds


def _other_guests_holds(clinic_id: str, owner: str, now: datetime) -> Select[SlotHold]:
    # Every other guest's unexpired hold; the caller's own is about to be replaced.
    return in_clinic(SlotHold, clinic_id).where(
        SlotHold.owner.startswith(GUEST_OWNER_PREFIX),
        SlotHold.owner != owner,
        SlotHold.expires_at > now,
    )


def network_hold_expiries(
    session: Session, clinic_id: str, owner: str, network: str, now: datetime
) -> list[datetime]:
    """When each other guest hold from this network expires."""
    stmt = _other_guests_holds(clinic_id, owner, now).where(SlotHold.network == network)
    return list(session.scalars(stmt.with_only_columns(SlotHold.expires_at)))


@dataclass(frozen=True)
class Reservation:
    """Time a guest reserves without a confirmed booking, and until when."""

    occupied_start: datetime
    occupied_end: datetime
    until: datetime


def guest_reservations(
    session: Session,
    clinic_id: str,
    owner: str,
    day_start: datetime,
    day_end: datetime,
    now: datetime,
) -> list[Reservation]:
    """Other guests' holds and unconfirmed new-patient bookings starting in [day_start, day_end)."""
    holds = session.execute(
        _other_guests_holds(clinic_id, owner, now)
        .with_only_columns(SlotHold.occupied_start, SlotHold.occupied_end, SlotHold.expires_at)
        .where(SlotHold.start_time >= day_start, SlotHold.start_time < day_end)
    ).all()
    waiting = session.execute(
        _confirmations(clinic_id)
        .with_only_columns(
            Appointment.occupied_start, Appointment.occupied_end, EmailConfirmation.hold_until
        )
        .where(
            Appointment.clinic_id == clinic_id,
            Appointment.start_time >= day_start,
            Appointment.start_time < day_end,
            EmailConfirmation.confirmed_at.is_(None),
            EmailConfirmation.hold_until > now,
            active_appointment(),
        )
    ).all()
    return [Reservation(start, end, until) for start, end, until in [*holds, *waiting]]


def first_held_since(
    session: Session,
    clinic_id: str,
    start: datetime,
    provider_id: str | None,
    holders: Iterable[ColumnElement[bool]],
    expired_after: datetime,
) -> datetime | None:
    """When any of these holders first held this start with this provider, among holds that
    expired after `expired_after`."""
    return session.scalar(
        in_clinic(SlotHold, clinic_id)
        .with_only_columns(func.min(SlotHold.held_since))
        .where(
            SlotHold.start_time == start,
            SlotHold.provider_id == provider_id,
            or_(*holders),
            SlotHold.expires_at > expired_after,
        )
    )


def holder(owner: str, network: str | None) -> list[ColumnElement[bool]]:
    """Who counts as the same holder: the owner, and for a guest any guest session from the
    same network."""
    same = [SlotHold.owner == owner]
    if network is not None:
        same.append(
            and_(SlotHold.network == network, SlotHold.owner.startswith(GUEST_OWNER_PREFIX))
        )
    return same


def own_hold(
    session: Session, clinic_id: str, owner: str, type_id: str, start: datetime, now: datetime
) -> SlotHold | None:
    """The owner's unexpired hold of this type at this start."""
    return session.scalar(
        in_clinic(SlotHold, clinic_id).where(
            SlotHold.owner == owner,
            SlotHold.appointment_type_id == type_id,
            SlotHold.start_time == start,
            SlotHold.expires_at > now,
        )
    )


def delete_holds_of(session: Session, owner: str) -> int:
    result = session.execute(delete(SlotHold).where(SlotHold.owner == owner))
    return int(getattr(result, "rowcount", 0) or 0)


def delete_expired_holds(session: Session, clinic_id: str, before: datetime) -> None:
    session.execute(
        delete(SlotHold).where(SlotHold.clinic_id == clinic_id, SlotHold.expires_at < before)
    )


# --------------------------------------------------------------------------- invitations


def patient_account(session: Session, patient_id: str) -> User | None:
    return session.scalar(select(User).where(User.patient_id == patient_id, User.role == "patient"))


def account_with_email(session: Session, clinic_id: str, address: str) -> User | None:
    """The clinic's account with this (lower-case) email; other clinics' are not looked at."""
    return session.scalar(in_clinic(User, clinic_id).where(func.lower(User.email) == address))


def close_open_invitations(session: Session, user_id: str) -> None:
    session.execute(
        delete(PatientInvitation).where(
            PatientInvitation.user_id == user_id, PatientInvitation.used_at.is_(None)
        )
    )


def invitation_by_token_hash(session: Session, token_hash: str) -> PatientInvitation | None:
    return session.scalar(
        select(PatientInvitation).where(PatientInvitation.token_hash == token_hash)
    )
