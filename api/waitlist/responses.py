"""The patient's side of an offer, by the signed link alone: see it, accept it, decline it.

No sign-in: the token names one recipient of one offer and can book only that recipient's
slot. The booking is made for the entry's patient through the staff booking operations with
no override (every rule applies; the offer's own holds are not busy time for it), recorded
as booked by the offer link.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.auth.permissions import Role
from api.booking import checks
from api.booking.schemas import Override
from api.config import Settings
from api.core import clock
from api.models import (
    AppointmentType,
    Clinic,
    OfferStatus,
    Provider,
    RecipientStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOfferRecipient,
)
from api.portal.offer import portal_settings
from api.waitlist import booking, links, offers, repository
from api.waitlist.audit import LINK_ACTOR
from api.waitlist.schemas import PortalOfferRead


def _status(offer: WaitlistOffer, recipient: WaitlistOfferRecipient) -> str:
    if recipient.status != RecipientStatus.SENT:
        return recipient.status.value
    if offer.status == OfferStatus.OPEN:
        return "open"
    if offer.status == OfferStatus.ACCEPTED:
        return RecipientStatus.TAKEN.value
    return offer.status.value


def _message(status: str, when: str, until: str) -> str:
    return {
        "open": f"This time is offered to you until {until}. The first patient to accept gets it.",
        "accepted": f"It is yours: you are booked for {when}.",
        "taken": "Another patient took this time a moment before you; you are still on the "
        "waitlist.",
        "declined": "You declined this time; you are still on the waitlist.",
        "expired": f"This offer ran out at {until}; you are still on the waitlist.",
        "withdrawn": "The clinic withdrew this offer; you are still on the waitlist.",
    }[status]


def view(
    session: Session, offer: WaitlistOffer, recipient: WaitlistOfferRecipient
) -> PortalOfferRead:
    clinic = session.get(Clinic, offer.clinic_id)
    assert clinic is not None
    zone = ZoneInfo(clinic.time_zone)
    first = recipient.slot[0]
    kind = session.get(AppointmentType, first["appointmentTypeId"])
    provider_name = None
    if portal_settings(session, clinic.id).show_provider_names and first["providerId"]:
        provider = session.get(Provider, first["providerId"])
        provider_name = provider.name if provider else None
    local = recipient.start_time.astimezone(zone)
    until = offer.expires_at.astimezone(zone)
    status = _status(offer, recipient)
    mine = status == RecipientStatus.ACCEPTED.value
    return PortalOfferRead(
        status=status,
        message=_message(
            status, f"{local:%A %d %B %Y} at {local:%H:%M}", f"{until:%H:%M} on {until:%d %B}"
        ),
        clinic_name=clinic.name,
        time_zone=clinic.time_zone,
        appointment_type_name=kind.name if kind else "",
        start_time=recipient.start_time,
        end_time=recipient.end_time,
        local_start=f"{local:%Y-%m-%d %H:%M}",
        provider_name=provider_name,
        expires_at=offer.expires_at,
        booked_appointment_id=next(iter(offer.booked_appointment_ids or []), None)
        if mine
        else None,
    )


def _open(
    session: Session, settings: Settings, token: str, request_id: str | None
) -> tuple[WaitlistOffer, WaitlistOfferRecipient, datetime]:
    """The token's offer (locked) and recipient, with a past expiry observed now."""
    recipient_id = links.read_token(settings, token)
    offer_id = session.scalar(
        select(WaitlistOfferRecipient.offer_id).where(WaitlistOfferRecipient.id == recipient_id)
    )
    offer = repository.lock_offer(session, offer_id) if offer_id else None
    if offer is None:
        raise links.LinkInvalid()
    # Read again after the lock: another acceptance may have committed while this one waited.
    recipient = session.get(WaitlistOfferRecipient, recipient_id, populate_existing=True)
    assert recipient is not None
    now = clock.now()
    offers.settle(session, offer, now, LINK_ACTOR, request_id)
    return offer, recipient, now


def _ctx(
    session: Session, offer: WaitlistOffer, entry: WaitlistEntry, request_id: str | None
) -> checks.Context:
    principal = Principal(
        user_id=LINK_ACTOR,
        clinic_id=offer.clinic_id,
        role=Role.PATIENT,
        permissions=frozenset(),
        patient_id=entry.patient_id,
    )
    return checks.Context(session, principal, request_id, hold_owner=offers.hold_owner(offer))


def show(
    session: Session, settings: Settings, token: str, request_id: str | None
) -> PortalOfferRead:
    offer, recipient, _ = _open(session, settings, token, request_id)
    return view(session, offer, recipient)


def accept(
    session: Session, settings: Settings, token: str, request_id: str | None
) -> tuple[int, PortalOfferRead]:
    """201 when this acceptance booked it, 200 when this recipient already had, else 409."""
    offer, recipient, now = _open(session, settings, token, request_id)
    if recipient.status == RecipientStatus.ACCEPTED:
        return 200, view(session, offer, recipient)
    if offer.status != OfferStatus.OPEN or recipient.status != RecipientStatus.SENT:
        return 409, view(session, offer, recipient)
    entry = session.get(WaitlistEntry, recipient.entry_id)
    assert entry is not None
    ctx = _ctx(session, offer, entry, request_id)
    done = booking.book_entry(ctx, entry, offers.booking_parts(recipient), Override())
    offers.close_as_taken(ctx, offer, entry.id, [a.id for a in done.appointments], now, LINK_ACTOR)
    return 201, view(session, offer, recipient)


def decline(
    session: Session, settings: Settings, token: str, request_id: str | None
) -> tuple[int, PortalOfferRead]:
    offer, recipient, now = _open(session, settings, token, request_id)
    if recipient.status == RecipientStatus.DECLINED:
        return 200, view(session, offer, recipient)
    if offer.status != OfferStatus.OPEN or recipient.status != RecipientStatus.SENT:
        return 409, view(session, offer, recipient)
    entry = session.get(WaitlistEntry, recipient.entry_id)
    assert entry is not None
    offers.decline_for_entry(
        _ctx(session, offer, entry, request_id), offer.id, entry, now, LINK_ACTOR
    )
    return 200, view(session, offer, recipient)
