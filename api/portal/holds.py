"""Slot holds: a patient or guest reserves a time for a few minutes while they finish booking."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from api.booking import checks
from api.booking.rules import BookingConflict
from api.booking.schemas import Override, PartInput
from api.core import clock
from api.errors import NotFound
from api.models import (
    Clinic,
    SlotHold,
)
from api.portal import hold_caps, repository
from api.portal.availability import with_alternatives
from api.portal.identity import PortalCaller
from api.portal.offer import bookable_type, check_on_grid, portal_settings
from api.portal.schemas import (
    HoldRead,
    SlotChoice,
)


def lock_clinic(session: Session, clinic_id: str) -> Clinic:
    """Serialise hold placement per clinic on PostgreSQL (SQLite already has BEGIN IMMEDIATE):
    two guests choosing the same time at once cannot both get it."""
    clinic = repository.lock_clinic(session, clinic_id)
    if clinic is None:
        raise NotFound("This clinic no longer exists.")
    return clinic


def _planned(session: Session, clinic: Clinic, choice: SlotChoice) -> list[checks.PlannedPart]:
    part = PartInput(
        appointment_type_id=choice.appointment_type_id,
        provider_id=choice.provider_id,
        chair_id=choice.chair_id,
        room_id=choice.room_id,
        start_time=choice.start_time,
    )
    return checks.plan_parts(session, clinic, [part], "")


def place_hold(
    ctx: checks.Context,
    caller: PortalCaller,
    choice: SlotChoice,
    time_limit: float,
    network: str,
) -> HoldRead:
    """Hold a time for the caller, within the caps on guest holds (api/portal/hold_caps.py)."""
    session = ctx.session
    clinic = lock_clinic(session, caller.clinic_id)
    kind = bookable_type(session, caller, choice.appointment_type_id)
    check_on_grid(session, clinic, choice.start_time)
    parts = _planned(session, clinic, choice)
    try:
        # The same engine check a booking gets, the caller's own hold excluded.
        checks.check_rules(ctx, clinic, parts, caller.patient_id or "", Override())
    except BookingConflict as exc:
        raise with_alternatives(exc, session, caller, clinic, choice, time_limit) from exc
    now = clock.now()
    minutes = portal_settings(session, clinic.id).hold_minutes
    part = parts[0]
    ask = hold_caps.HoldRequest(clinic, caller, network, part, now)
    hold_caps.check_guest_caps(session, ask)
    span = hold_caps.hold_span(session, ask, minutes)
    # At most one active hold per owner: a new choice replaces the previous one. Long-expired
    # holds of the clinic go too, so the table stays small without a background job.
    repository.delete_holds_of(session, caller.owner)
    repository.delete_expired_holds(session, clinic.id, now - timedelta(hours=1))
    occupied_start, occupied_end = part.occupied
    hold = SlotHold(
        clinic_id=clinic.id,
        owner=caller.owner,
        appointment_type_id=kind.id,
        start_time=part.start,
        end_time=part.end,
        occupied_start=occupied_start,
        occupied_end=occupied_end,
        provider_id=part.provider_id,
        chair_id=part.chair_id,
        room_id=part.room_id,
        # The one check_rules chose (api/booking/assistants.py): busy for everyone else now,
        # and the one the booking takes (held_assistant).
        assistant_id=part.assistant_id,
        expires_at=span.expires_at,
        network=network,
        held_since=span.held_since,
    )
    session.add(hold)
    session.flush()
    return HoldRead(
        id=hold.id,
        appointment_type_id=kind.id,
        start_time=hold.start_time,
        end_time=hold.end_time,
        expires_at=hold.expires_at,
        hold_minutes=minutes,
    )


def held_assistant(
    session: Session, clinic_id: str, owner: str, type_id: str, start: datetime
) -> str | None:
    """The assistant the owner's unexpired hold of this time keeps, for the booking made from
    it to pin: the hold reserved them, so confirming books them, not whoever comes first by
    name. None without such a hold (the booking then chooses, as a staff booking does). Every
    hold owner books this way: a portal caller, a FHIR client's $book, an accepted waitlist
    offer."""
    hold = repository.own_hold(session, clinic_id, owner, type_id, start, clock.now())
    return hold.assistant_id if hold is not None else None


def release_hold(session: Session, caller: PortalCaller) -> int:
    return repository.delete_holds_of(session, caller.owner)
