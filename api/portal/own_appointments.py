"""A patient's own appointments: listing, the calendar file, cancelling and moving them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.booking import checks
from api.booking import repository as appointments
from api.booking.cancel import cancel as cancel_appointment
from api.booking.cancel import late_cancel_fee
from api.booking.reschedule import reschedule as reschedule_appointment
from api.booking.rules import BookingConflict
from api.booking.schemas import Money
from api.booking.schemas import RescheduleRequest as StaffReschedule
from api.core import clock
from api.errors import Conflict, InvalidInput, NotFound
from api.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Clinic,
    Provider,
)
from api.portal import ics, repository
from api.portal.availability import with_alternatives
from api.portal.holds import held_assistant, release_hold
from api.portal.identity import PortalCaller
from api.portal.offer import check_on_grid, portal_settings
from api.portal.schemas import (
    BookingConfirmation,
    PortalAppointment,
    SlotChoice,
)


def own_appointment(session: Session, caller: PortalCaller, appointment_id: str) -> Appointment:
    """The caller's own appointment; anyone else's answers exactly like one that does not exist."""
    appt = appointments.get(session, caller, appointment_id)
    if appt is None or caller.patient_id is None or appt.patient_id != caller.patient_id:
        raise NotFound(f"You have no appointment with id '{appointment_id}'.")
    return appt


def upcoming(session: Session, caller: PortalCaller) -> list[Appointment]:
    if caller.patient_id is None:
        return []  # a guest has no appointments of their own
    return repository.upcoming(session, caller, caller.patient_id, clock.now())


def self_service_refusal(appt: Appointment, now: datetime) -> str | None:
    """Why the patient may not cancel or move this appointment themselves, or None if they may.

    Only a future, not yet started, SCHEDULED or CONFIRMED appointment is the patient's to
    change: cancelling a past one would turn a no-show into a cancellation, and a checked-in
    or finished visit is the clinic's record. `canCancel`/`canReschedule` and the two
    endpoints read this one rule, so the portal never offers what it would then refuse.
    """
    if appt.deleted_at is not None or appt.status == AppointmentStatus.CANCELLED:
        return "This appointment is already cancelled."
    if appt.status not in checks.MOVABLE:
        state = appt.status.value.lower().replace("_", " ")
        return f"This appointment is {state}; please call the clinic about it."
    if appt.start_time <= now:
        when = "is over" if appt.end_time <= now else "has already started"
        return f"This appointment {when}; please call the clinic about it."
    return None


def to_portal(session: Session, appt: Appointment) -> PortalAppointment:
    clinic = session.get(Clinic, appt.clinic_id)
    kind = session.get(AppointmentType, appt.appointment_type_id)
    provider = session.get(Provider, appt.provider_id)
    assert clinic is not None and kind is not None and provider is not None
    settings = portal_settings(session, clinic.id)
    zone = ZoneInfo(clinic.time_zone)
    now = clock.now()
    open_ = self_service_refusal(appt, now) is None
    fee = None
    if appt.cancellation_fee_amount is not None:
        fee = Money(
            amount=appt.cancellation_fee_amount, currency=appt.cancellation_fee_currency or ""
        )
    return PortalAppointment(
        id=appt.id,
        appointment_type_id=kind.id,
        appointment_type_name=kind.name,
        start_time=appt.start_time,
        end_time=appt.end_time,
        local_start=appt.start_time.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        time_zone=clinic.time_zone,
        duration=appt.duration,
        status=appt.status,
        provider_id=provider.id,
        provider_name=provider.name if settings.show_provider_names else None,
        patient_notes=appt.patient_notes,
        source=appt.source.value,
        needs_confirmation=appt.needs_confirmation,
        can_cancel=open_,
        can_reschedule=open_ and kind.online_bookable,
        late_cancel_fee=late_cancel_fee(clinic, appt, now) if open_ else None,
        cancellation_fee=fee,
    )


def calendar_file(session: Session, appt: Appointment) -> str:
    clinic = session.get(Clinic, appt.clinic_id)
    kind = session.get(AppointmentType, appt.appointment_type_id)
    assert clinic is not None and kind is not None
    zone = ZoneInfo(clinic.time_zone)
    local = appt.start_time.astimezone(zone)
    description = (
        f"{kind.name} at {clinic.name}, {local:%A %d %B %Y %H:%M} ({clinic.time_zone})."
        + (" The clinic will confirm this booking." if appt.needs_confirmation else "")
    )
    return ics.event(
        uid=f"{appt.id}@slotwise",
        start=appt.start_time,
        end=appt.end_time,
        summary=f"{kind.name} at {clinic.name}",
        description=description,
        location=clinic.name,
        stamp=clock.now(),
        tentative=appt.needs_confirmation,
    )


def confirmation(session: Session, appt: Appointment) -> BookingConfirmation:
    return BookingConfirmation(
        **to_portal(session, appt).model_dump(by_alias=False), ics=calendar_file(session, appt)
    )


def cancel(
    ctx: checks.Context, caller: PortalCaller, appt: Appointment, reason: str, accept_fee: bool
) -> Appointment:
    now = clock.now()
    refusal = self_service_refusal(appt, now)
    if refusal is not None:
        raise Conflict(refusal)
    clinic = checks.caller_clinic(ctx.session, ctx.principal)
    fee = late_cancel_fee(clinic, appt, now)
    if fee is not None and not accept_fee:
        raise InvalidInput(
            "acceptFee",
            f"Cancelling now, within {clinic.late_cancel_window_hours} hours of the appointment, "
            f"costs {fee.amount} {fee.currency}; send acceptFee: true to cancel anyway.",
            lateCancelFee=fee.model_dump(mode="json", by_alias=True),
        )
    return cancel_appointment(ctx, appt, reason, None)


def reschedule(
    ctx: checks.Context,
    caller: PortalCaller,
    appt: Appointment,
    choice: SlotChoice,
    time_limit: float,
) -> Appointment:
    refusal = self_service_refusal(appt, clock.now())
    if refusal is not None:
        raise Conflict(refusal)
    kind = ctx.session.get(AppointmentType, appt.appointment_type_id)
    assert kind is not None
    if not kind.online_bookable:
        raise Conflict(f"A {kind.name} cannot be moved online; please call us to change it.")
    if choice.appointment_type_id != kind.id:
        raise InvalidInput(
            "appointmentTypeId", "Rescheduling keeps the appointment type; choose a time for it."
        )
    clinic = checks.caller_clinic(ctx.session, ctx.principal)
    check_on_grid(ctx.session, clinic, choice.start_time)
    body = StaffReschedule(
        start_time=choice.start_time,
        provider_id=choice.provider_id,
        chair_id=choice.chair_id,
        room_id=choice.room_id,
        assistant_id=held_assistant(
            ctx.session, caller.clinic_id, caller.owner, kind.id, choice.start_time
        ),
    )
    try:
        reschedule_appointment(ctx, appt, body, None)
    except BookingConflict as exc:
        raise with_alternatives(exc, ctx.session, caller, clinic, choice, time_limit) from exc
    release_hold(ctx.session, caller)
    return appt
