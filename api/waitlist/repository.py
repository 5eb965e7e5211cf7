"""Every waitlist query: the clinic's entries and offers, and the busy time matching needs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.booking.repository import active_appointment
from api.core.crud import in_clinic
from api.models import (
    Appointment,
    OfferStatus,
    Patient,
    RecipientStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOfferRecipient,
    WaitlistStatus,
)

# Stored statuses of entries still on the list; whether one has in fact expired is read at use.
ON_THE_LIST = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


def entries(
    session: Session,
    clinic_id: str,
    *,
    statuses: Iterable[WaitlistStatus] = (),
    appointment_type_id: str | None = None,
    patient_id: str | None = None,
) -> list[WaitlistEntry]:
    """The clinic's entries, oldest first; ``statuses`` are stored statuses."""
    stmt = in_clinic(WaitlistEntry, clinic_id)
    wanted = list(statuses)
    if wanted:
        stmt = stmt.where(WaitlistEntry.status.in_(wanted))
    if appointment_type_id is not None:
        stmt = stmt.where(WaitlistEntry.appointment_type_id == appointment_type_id)
    if patient_id is not None:
        stmt = stmt.where(WaitlistEntry.patient_id == patient_id)
    return list(session.scalars(stmt.order_by(WaitlistEntry.created_at, WaitlistEntry.id)))


def appointments_by_id(session: Session, ids: Iterable[str]) -> dict[str, Appointment]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = session.scalars(select(Appointment).where(Appointment.id.in_(wanted)))
    return {a.id: a for a in rows}


def patients_by_id(session: Session, ids: Iterable[str]) -> dict[str, Patient]:
    """One query for a page of entries' patients (matching reads hundreds at once)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {p.id: p for p in session.scalars(select(Patient).where(Patient.id.in_(wanted)))}


def open_offers_by_entry(
    session: Session, entry_ids: Iterable[str], now: datetime
) -> dict[str, str]:
    """Entry id → the id of the unexpired open offer it is a recipient of (still unanswered)."""
    wanted = sorted(set(entry_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(WaitlistOfferRecipient.entry_id, WaitlistOffer.id)
        .join(WaitlistOffer, WaitlistOffer.id == WaitlistOfferRecipient.offer_id)
        .where(
            WaitlistOfferRecipient.entry_id.in_(wanted),
            WaitlistOfferRecipient.status == RecipientStatus.SENT,
            WaitlistOffer.status == OfferStatus.OPEN,
            WaitlistOffer.expires_at > now,
        )
    )
    return {entry_id: offer_id for entry_id, offer_id in rows}


def patient_busy(
    session: Session, clinic_id: str, patient_ids: Iterable[str], start: datetime, end: datetime
) -> dict[str, list[Appointment]]:
    """The active appointments of these patients that overlap [start, end), by patient."""
    wanted = sorted(set(patient_ids))
    out: dict[str, list[Appointment]] = {}
    if not wanted:
        return out
    rows = session.scalars(
        select(Appointment).where(
            Appointment.clinic_id == clinic_id,
            Appointment.patient_id.in_(wanted),
            active_appointment(),
            Appointment.start_time < end,
            Appointment.end_time > start,
        )
    )
    for row in rows:
        out.setdefault(row.patient_id, []).append(row)
    return out


def visit_of(session: Session, appointment: Appointment) -> list[Appointment]:
    """The active appointments of the appointment's visit (itself alone when it has none)."""
    if appointment.visit_id is None:
        return [appointment]
    return list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.clinic_id == appointment.clinic_id,
                Appointment.visit_id == appointment.visit_id,
                active_appointment(),
            )
            .order_by(Appointment.start_time)
        )
    )


def offers(
    session: Session, clinic_id: str, statuses: Iterable[OfferStatus] = ()
) -> list[WaitlistOffer]:
    stmt = in_clinic(WaitlistOffer, clinic_id)
    wanted = list(statuses)
    if wanted:
        stmt = stmt.where(WaitlistOffer.status.in_(wanted))
    return list(session.scalars(stmt.order_by(WaitlistOffer.created_at.desc())))


def lock_offer(session: Session, offer_id: str) -> WaitlistOffer | None:
    """The offer row locked for the rest of the transaction on PostgreSQL (SQLite's write
    transaction is already exclusive): two acceptances of one offer run one after the other."""
    return session.scalar(
        select(WaitlistOffer)
        .where(WaitlistOffer.id == offer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def stale_open_offers(session: Session, clinic_id: str, now: datetime) -> list[WaitlistOffer]:
    return list(
        session.scalars(
            in_clinic(WaitlistOffer, clinic_id).where(
                WaitlistOffer.status == OfferStatus.OPEN, WaitlistOffer.expires_at <= now
            )
        )
    )
