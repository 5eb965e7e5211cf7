"""Booking online: the staff booking rules, with the portal's caps and in the patient's words.

Nothing in the portal re-implements a booking rule: availability goes through
`booking.availability`, and holds, bookings, cancellations and moves through `booking.checks`
and the booking operations `booking.create`, `booking.cancel`, `booking.reschedule` (the same
engine check, the same database guarantees). What the portal adds is who may do what:
online-bookable types only, the patient from the token only, lead time and horizon never
overridden, slot holds, and the caps that keep a guest from reserving every free slot.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.booking import checks
from api.booking.create import create as create_appointments
from api.booking.rules import BookingConflict
from api.booking.schemas import AppointmentCreate
from api.core import clock
from api.errors import Conflict
from api.models import (
    Appointment,
    AppointmentSource,
    Clinic,
)
from api.portal import repository
from api.portal.availability import with_alternatives
from api.portal.holds import held_assistant, release_hold
from api.portal.identity import PortalCaller
from api.portal.offer import bookable_type, check_on_grid, portal_settings
from api.portal.schemas import (
    PortalBook,
)


def create_online(
    ctx: checks.Context,
    caller: PortalCaller,
    clinic: Clinic,
    patient_id: str,
    body: PortalBook,
    time_limit: float,
) -> Appointment:
    check_on_grid(ctx.session, clinic, body.start_time)
    create = AppointmentCreate(
        patient_id=patient_id,
        appointment_type_id=body.appointment_type_id,
        provider_id=body.provider_id,
        chair_id=body.chair_id,
        room_id=body.room_id,
        assistant_id=held_assistant(
            ctx.session, caller.clinic_id, caller.owner, body.appointment_type_id, body.start_time
        ),
        start_time=body.start_time,
        patient_notes=body.patient_notes,
        source=AppointmentSource.ONLINE,
    )
    try:
        rows = create_appointments(ctx, create)
    except BookingConflict as exc:
        raise with_alternatives(exc, ctx.session, caller, clinic, body, time_limit) from exc
    release_hold(ctx.session, caller)  # booking inside the hold consumes it
    return rows[0]


def book(
    ctx: checks.Context, caller: PortalCaller, body: PortalBook, time_limit: float
) -> Appointment:
    assert caller.patient_id is not None
    clinic = checks.caller_clinic(ctx.session, ctx.principal)
    bookable_type(ctx.session, caller, body.appointment_type_id)
    _check_online_cap(ctx.session, clinic, caller.patient_id)
    return create_online(ctx, caller, clinic, caller.patient_id, body, time_limit)


def _check_online_cap(session: Session, clinic: Clinic, patient_id: str) -> None:
    cap = portal_settings(session, clinic.id).max_active_online_bookings
    active = repository.active_online_bookings(session, clinic.id, patient_id, clock.now())
    if active >= cap:
        raise Conflict(
            f"You already have {active} upcoming appointments booked online, the most this "
            "clinic allows at once; cancel one, or call us to book another.",
            activeOnlineBookings=active,
            limit=cap,
        )
