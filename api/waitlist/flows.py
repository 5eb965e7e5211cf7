"""Waitlist operations that span entries, offers and booking, as the steps a person would name."""

from __future__ import annotations

from api.booking import checks
from api.config import Settings
from api.core import clock
from api.errors import Conflict
from api.models import WaitlistEntry, WaitlistStatus
from api.waitlist import audit, booking, entries, offers, repository
from api.waitlist.booking import Booked
from api.waitlist.schemas import WaitlistBook


def withdraw_entry(
    ctx: checks.Context, entry: WaitlistEntry, *, actor_id: str | None = None
) -> WaitlistEntry:
    """Take the entry off the list; an open offer to it counts as declined for it."""
    session = ctx.session
    clinic = checks.caller_clinic(session, ctx.principal)
    now = clock.now()
    actor = actor_id or ctx.principal.user_id
    view = entries.settle(session, clinic, entry, now)
    if view.status not in repository.ON_THE_LIST:
        raise Conflict(f"This waitlist entry is already {view.status.value}.")
    before = audit.entry_snapshot(entry)
    if view.open_offer_id is not None:
        offers.decline_for_entry(ctx, view.open_offer_id, entry, now, actor)
    entry.status = WaitlistStatus.WITHDRAWN
    session.flush()
    audit.entry_event(session, entry, "waitlist.withdraw", actor, ctx.request_id, before)
    return entry


def book_directly(
    ctx: checks.Context, settings: Settings, entry: WaitlistEntry, body: WaitlistBook
) -> Booked:
    """Staff book the entry now. If it is in an open offer, the offer closes as taken by this
    booking first, so its holds do not stand in the way and the other recipients are told."""
    session = ctx.session
    clinic = checks.caller_clinic(session, ctx.principal)
    now = clock.now()
    offers.settle_clinic(session, clinic.id, now, ctx)
    view = entries.settle(session, clinic, entry, now)
    if view.status not in repository.ON_THE_LIST:
        raise Conflict(f"This waitlist entry is {view.status.value}; it cannot be booked.")
    offer = repository.lock_offer(session, view.open_offer_id) if view.open_offer_id else None
    if offer is not None:
        offers.release_holds(session, offer)
        session.flush()
    done = booking.book_entry(ctx, entry, body.part_list(), body, notes=body.notes)
    if offer is not None:
        offers.close_as_taken(
            ctx,
            offer,
            entry.id,
            [a.id for a in done.appointments],
            now,
            ctx.principal.user_id,
        )
    return done
