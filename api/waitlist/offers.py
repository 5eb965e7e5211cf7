"""Offers of freed time to the top few waiting entries; the first to accept books it.

Each recipient is offered the slot matching found for them, held against every other booking
by portal slot holds owned by the offer (`waitlist-offer:<id>`) until the offer expires or
closes. Accepting locks the offer row, so of many acceptances at once exactly one books; the
rest see the offer taken. Expiry is read at use (`settle`): whoever looks first after
`expires_at` closes it, writes its audit row and puts its entries back to waiting.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.orm import Session

from api.booking import checks
from api.booking.availability import to_slot_read
from api.config import Settings
from api.core import clock
from api.core.crud import find_in_clinic
from api.errors import Conflict, InvalidInput, NotFound
from api.models import (
    AppointmentType,
    Clinic,
    OfferStatus,
    Patient,
    RecipientStatus,
    SlotHold,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOfferRecipient,
    WaitlistStatus,
)
from api.waitlist import audit, entries, links, mails, matching, repository
from api.waitlist.schemas import (
    BookPart,
    OfferCreate,
    OfferRead,
    RecipientRead,
)
from solver import Gap, WaitlistMatch
from solver.result import PartAssignment, Slot

HOLD_OWNER_PREFIX = "waitlist-offer:"


def hold_owner(offer: WaitlistOffer | str) -> str:
    return HOLD_OWNER_PREFIX + (offer if isinstance(offer, str) else offer.id)


# --------------------------------------------------------------------------- slots as stored


def slot_json(slot: Slot) -> list[dict[str, Any]]:
    return [
        {
            "appointmentTypeId": p.type_id,
            "startTime": p.start.isoformat(),
            "endTime": p.end.isoformat(),
            "providerId": p.provider_id,
            "chairId": p.chair_id,
            "roomId": p.room_id,
            "templateSlotId": p.template_slot_id,
            "providerTime": [[a.isoformat(), b.isoformat()] for a, b in p.provider_time],
        }
        for p in slot.parts
    ]


def slot_of(stored: list[dict[str, Any]]) -> Slot:
    parts = tuple(
        PartAssignment(
            type_id=p["appointmentTypeId"],
            start=datetime.fromisoformat(p["startTime"]),
            end=datetime.fromisoformat(p["endTime"]),
            provider_id=p["providerId"],
            chair_id=p["chairId"],
            room_id=p["roomId"],
            template_slot_id=p["templateSlotId"],
            provider_time=tuple(
                (datetime.fromisoformat(a), datetime.fromisoformat(b))
                for a, b in p.get("providerTime", [])
            ),
        )
        for p in stored
    )
    return Slot(parts[0].start, parts[-1].end, parts)


def booking_parts(recipient: WaitlistOfferRecipient) -> list[BookPart]:
    return [
        BookPart(
            start_time=datetime.fromisoformat(p["startTime"]),
            provider_id=p["providerId"],
            chair_id=p["chairId"],
            room_id=p["roomId"],
        )
        for p in recipient.slot
    ]


# --------------------------------------------------------------------------- reading


def to_read(session: Session, clinic: Clinic, offer: WaitlistOffer) -> OfferRead:
    zone = ZoneInfo(clinic.time_zone)
    status = offer.status
    if status == OfferStatus.OPEN and offer.expires_at <= clock.now():
        status = OfferStatus.EXPIRED
    recipients = []
    for r in offer.recipients:
        patient = session.get(Patient, r.patient_id)
        recipients.append(
            RecipientRead(
                id=r.id,
                entry_id=r.entry_id,
                patient_id=r.patient_id,
                status=r.status,
                slot=to_slot_read(slot_of(r.slot), zone),
                mailed=bool(patient and patient.email),
                responded_at=r.responded_at,
            )
        )
    return OfferRead(
        id=offer.id,
        status=status,
        gap=matching.FreedTime(
            Gap(offer.gap_start, offer.gap_end, offer.gap_chair_id, offer.gap_provider_id),
            offer.gap_appointment_id,
        ).read(),
        expires_at=offer.expires_at,
        created_at=offer.created_at,
        recipients=recipients,
        booked_appointment_ids=list(offer.booked_appointment_ids or []),
        accepted_entry_id=offer.accepted_entry_id,
    )


def get_offer(session: Session, who: Any, offer_id: str) -> WaitlistOffer:
    offer = find_in_clinic(session, WaitlistOffer, offer_id, who.clinic_id)
    if offer is None:
        raise NotFound(f"No waitlist offer with id '{offer_id}' in your clinic.")
    return offer


# --------------------------------------------------------------------------- closing


def release_holds(session: Session, offer: WaitlistOffer) -> None:
    session.execute(delete(SlotHold).where(SlotHold.owner == hold_owner(offer)))


def _back_to_waiting(session: Session, recipients: Iterable[WaitlistOfferRecipient]) -> None:
    for r in recipients:
        entry = session.get(WaitlistEntry, r.entry_id)
        if entry is not None and entry.status == WaitlistStatus.OFFERED:
            entry.status = WaitlistStatus.WAITING


def _close(
    session: Session, offer: WaitlistOffer, status: OfferStatus, now: datetime
) -> dict[str, Any]:
    before = audit.offer_snapshot(offer)
    offer.status = status
    offer.closed_at = now
    release_holds(session, offer)
    _back_to_waiting(session, (r for r in offer.recipients if r.status == RecipientStatus.SENT))
    return before


def settle(
    session: Session, offer: WaitlistOffer, now: datetime, actor_id: str, request_id: str | None
) -> None:
    """An open offer past its expiry becomes expired, observed and audited now."""
    if offer.status == OfferStatus.OPEN and offer.expires_at <= now:
        before = _close(session, offer, OfferStatus.EXPIRED, now)
        session.flush()
        audit.offer_event(session, offer, "waitlist.offer.expire", actor_id, request_id, before)


def settle_clinic(session: Session, clinic_id: str, now: datetime, ctx: checks.Context) -> None:
    for offer in repository.stale_open_offers(session, clinic_id, now):
        settle(session, offer, now, ctx.principal.user_id, ctx.request_id)


def close_as_taken(
    ctx: checks.Context,
    offer: WaitlistOffer,
    entry_id: str,
    appointment_ids: list[str],
    now: datetime,
    actor_id: str,
) -> None:
    """The offer went to ``entry_id`` (accepted, or staff booked that entry directly): every
    other recipient still waiting for an answer is told it was taken and stays on the list."""
    before = audit.offer_snapshot(offer)
    offer.status = OfferStatus.ACCEPTED
    offer.closed_at = now
    offer.accepted_entry_id = entry_id
    offer.booked_appointment_ids = list(appointment_ids)
    release_holds(ctx.session, offer)
    clinic = ctx.session.get(Clinic, offer.clinic_id)
    assert clinic is not None
    for r in offer.recipients:
        if r.entry_id == entry_id:
            r.status = RecipientStatus.ACCEPTED
            r.responded_at = now
        elif r.status == RecipientStatus.SENT:
            r.status = RecipientStatus.TAKEN
            _back_to_waiting(ctx.session, [r])
            mails.taken(ctx.session, clinic, r)
    ctx.session.flush()
    audit.offer_event(ctx.session, offer, "waitlist.offer.accept", actor_id, ctx.request_id, before)


def decline_for_entry(
    ctx: checks.Context, offer_id: str, entry: WaitlistEntry, now: datetime, actor_id: str
) -> None:
    offer = repository.lock_offer(ctx.session, offer_id)
    if offer is None or offer.status != OfferStatus.OPEN:
        return
    recipient = next((r for r in offer.recipients if r.entry_id == entry.id), None)
    if recipient is None or recipient.status != RecipientStatus.SENT:
        return
    before = audit.offer_snapshot(offer)
    recipient.status = RecipientStatus.DECLINED
    recipient.responded_at = now
    if entry.status == WaitlistStatus.OFFERED:
        entry.status = WaitlistStatus.WAITING
    reason = None
    if all(r.status != RecipientStatus.SENT for r in offer.recipients):
        # Nobody left to accept it: the held time goes back to everyone at once.
        offer.status = OfferStatus.WITHDRAWN
        offer.closed_at = now
        release_holds(ctx.session, offer)
        reason = "every recipient declined"
    ctx.session.flush()
    audit.offer_event(
        ctx.session, offer, "waitlist.offer.decline", actor_id, ctx.request_id, before, reason
    )


def withdraw(ctx: checks.Context, offer: WaitlistOffer) -> WaitlistOffer:
    now = clock.now()
    locked = repository.lock_offer(ctx.session, offer.id)
    assert locked is not None
    settle(ctx.session, locked, now, ctx.principal.user_id, ctx.request_id)
    if locked.status != OfferStatus.OPEN:
        raise Conflict(f"This offer is already {locked.status.value}.")
    before = _close(ctx.session, locked, OfferStatus.WITHDRAWN, now)
    ctx.session.flush()
    audit.offer_event(
        ctx.session,
        locked,
        "waitlist.offer.withdraw",
        ctx.principal.user_id,
        ctx.request_id,
        before,
    )
    return locked


# --------------------------------------------------------------------------- making an offer


def _chosen(
    session: Session, clinic: Clinic, body: OfferCreate, freed: matching.FreedTime, limit: float
) -> list[tuple[entries.EntryView, WaitlistMatch]]:
    if body.entry_ids is None:
        found = matching.find_matches(session, clinic, freed, limit).found
        return found[: body.count]
    rows = []
    for i, entry_id in enumerate(dict.fromkeys(body.entry_ids)):
        entry = find_in_clinic(session, WaitlistEntry, entry_id, clinic.id)
        if entry is None:
            raise InvalidInput(f"entryIds.{i}", f"No waitlist entry with id '{entry_id}'.")
        rows.append(entry)
    now = clock.now()
    for view in entries.views(session, clinic, rows, now):
        if view.status != WaitlistStatus.WAITING:
            raise Conflict(
                f"Waitlist entry {view.entry.id} is {view.status.value}; only waiting entries "
                "can be offered time.",
                entryId=view.entry.id,
            )
    found = matching.find_matches(session, clinic, freed, limit, only=rows).found
    fitting = {v.entry.id for v, _ in found}
    missing = [e.id for e in rows if e.id not in fitting]
    if missing:
        raise InvalidInput(
            "entryIds",
            f"These entries do not fit the freed time: {', '.join(missing)}.",
            entryIds=missing,
        )
    order = {e.id: i for i, e in enumerate(rows)}
    return sorted(found, key=lambda pair: order[pair[0].entry.id])


def _hold(
    session: Session, offer: WaitlistOffer, types: dict[str, AppointmentType], slot: Slot
) -> None:
    for part in slot.parts:
        kind = types[part.type_id]
        session.add(
            SlotHold(
                clinic_id=offer.clinic_id,
                owner=hold_owner(offer),
                appointment_type_id=kind.id,
                start_time=part.start,
                end_time=part.end,
                occupied_start=part.start - timedelta(minutes=kind.buffer_before),
                occupied_end=part.end + timedelta(minutes=kind.buffer_after),
                provider_id=part.provider_id,
                chair_id=part.chair_id,
                room_id=part.room_id,
                # The one the engine matched: nobody else's until the offer closes, and the
                # one accepting books (book_entry, held_assistant).
                assistant_id=part.assistant_id,
                expires_at=offer.expires_at,
                held_since=offer.created_at,
            )
        )


def create(ctx: checks.Context, settings: Settings, body: OfferCreate) -> WaitlistOffer:
    session = ctx.session
    clinic = checks.caller_clinic(session, ctx.principal)
    now = clock.now()
    settle_clinic(session, clinic.id, now, ctx)
    freed = matching.freed_time(session, clinic, body)
    chosen = _chosen(session, clinic, body, freed, settings.solver_time_limit_seconds)
    if not chosen:
        raise InvalidInput(
            "appointmentId" if body.appointment_id else "start",
            "No waiting entry fits this time; nothing was offered.",
        )
    gap = freed.gap
    offer = WaitlistOffer(
        clinic_id=clinic.id,
        status=OfferStatus.OPEN,
        gap_start=gap.start,
        gap_end=gap.end,
        gap_chair_id=gap.chair_id,
        gap_provider_id=gap.provider_id,
        gap_appointment_id=freed.appointment_id,
        expires_at=now + timedelta(minutes=body.valid_minutes),
        created_by=ctx.principal.user_id,
        created_at=now,
        booked_appointment_ids=[],
    )
    session.add(offer)
    session.flush()
    types = {t.id: t for t in session.query(AppointmentType).filter_by(clinic_id=clinic.id)}
    for rank, (view, match) in enumerate(chosen):
        recipient = WaitlistOfferRecipient(
            offer_id=offer.id,
            entry_id=view.entry.id,
            patient_id=view.entry.patient_id,
            rank=rank,
            status=RecipientStatus.SENT,
            slot=slot_json(match.slot),
            start_time=match.slot.start,
            end_time=match.slot.end,
        )
        offer.recipients.append(recipient)
        view.entry.status = WaitlistStatus.OFFERED
        _hold(session, offer, types, match.slot)
    session.flush()
    for recipient in offer.recipients:
        token = links.offer_token(settings, recipient.id, now, offer.expires_at)
        mails.offer(session, settings, clinic, recipient, offer, links.offer_link(settings, token))
    audit.offer_event(session, offer, "waitlist.offer", ctx.principal.user_id, ctx.request_id, None)
    return offer
