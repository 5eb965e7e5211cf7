"""A signed-in patient joins the waitlist for one of their bookings, sees their entries, leaves."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.booking import checks
from api.core import clock
from api.errors import NotFound
from api.models import Clinic, WaitlistEntry, WaitlistSource
from api.portal.identity import PortalCaller
from api.waitlist import entries, flows, repository
from api.waitlist.schemas import PortalJoin, PortalWaitlistEntry, WaitlistEntryCreate


def to_portal(view: entries.EntryView) -> PortalWaitlistEntry:
    e = view.entry
    return PortalWaitlistEntry(
        id=e.id,
        status=view.status,
        appointment_type_id=e.appointment_type_id,
        replaces_appointment_id=e.replaces_appointment_id,
        replaces_start_time=view.replaced.start_time if view.replaced else None,
        earliest_date=e.earliest_date,
        latest_date=e.latest_date,
        weekdays=sorted(e.weekdays or []),
        earliest_time=e.earliest_time,
        latest_time=e.latest_time,
        created_at=e.created_at,
    )


def join(ctx: checks.Context, caller: PortalCaller, body: PortalJoin) -> PortalWaitlistEntry:
    """ "Tell me if an earlier time frees up": the entry waits for what that booking is."""
    assert caller.patient_id is not None
    entry = entries.create(
        ctx,
        WaitlistEntryCreate(
            patient_id=caller.patient_id,
            replaces_appointment_id=body.replaces_appointment_id,
            earliest_date=body.earliest_date,
            latest_date=body.latest_date,
            weekdays=body.weekdays,
            earliest_time=body.earliest_time,
            latest_time=body.latest_time,
            notes=body.notes,
        ),
        source=WaitlistSource.PORTAL,
    )
    clinic = checks.caller_clinic(ctx.session, ctx.principal)
    return to_portal(entries.views(ctx.session, clinic, [entry], clock.now())[0])


def own_entries(
    session: Session, clinic: Clinic, caller: PortalCaller
) -> list[PortalWaitlistEntry]:
    rows = repository.entries(session, clinic.id, patient_id=caller.patient_id)
    return [to_portal(v) for v in entries.views(session, clinic, rows, clock.now())]


def own_entry(session: Session, caller: PortalCaller, entry_id: str) -> WaitlistEntry:
    """The caller's own entry; anyone else's answers exactly like one that does not exist."""
    entry = session.get(WaitlistEntry, entry_id)
    if (
        entry is None
        or entry.clinic_id != caller.clinic_id
        or entry.patient_id != caller.patient_id
    ):
        raise NotFound(f"You have no waitlist entry with id '{entry_id}'.")
    return entry


def leave(ctx: checks.Context, caller: PortalCaller, entry_id: str) -> PortalWaitlistEntry:
    entry = flows.withdraw_entry(ctx, own_entry(ctx.session, caller, entry_id))
    clinic = checks.caller_clinic(ctx.session, ctx.principal)
    return to_portal(entries.views(ctx.session, clinic, [entry], clock.now())[0])
