"""Patient self-service on top of the staff booking rules.

Nothing here re-implements a booking rule: availability goes through `booking.availability`,
and holds, bookings, cancellations and moves through `booking.checks` and the booking
operations `booking.create`, `booking.cancel`, `booking.reschedule` (the same engine check,
the same database guarantees). What the portal adds is who may do what: online-bookable types
only, the patient from the token only, lead time and horizon never overridden, slot holds,
and the caps that keep a guest from reserving every free slot.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.auth.passwords import hash_password
from api.booking import availability, checks
from api.booking import repository as appointments
from api.booking.cancel import cancel as cancel_appointment
from api.booking.cancel import late_cancel_fee
from api.booking.clinic_state import active_appointment
from api.booking.create import create as create_appointments
from api.booking.reschedule import reschedule as reschedule_appointment
from api.booking.rules import BookingConflict
from api.booking.schemas import AppointmentCreate, Money, Override, PartInput
from api.booking.schemas import RescheduleRequest as StaffReschedule
from api.core import clock
from api.core.crud import find_in_clinic
from api.errors import Conflict, InvalidInput, NotFound
from api.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    AppointmentType,
    Clinic,
    Patient,
    PatientInvitation,
    PortalSettings,
    Provider,
    SlotHold,
    User,
)
from api.portal import ics
from api.portal.identity import PortalCaller
from api.portal.schemas import (
    BookingConfirmation,
    HoldRead,
    InviteRead,
    PortalAppointment,
    PortalAvailability,
    PortalBook,
    PortalClinic,
    PortalDay,
    PortalSlot,
    PortalType,
    SlotChoice,
)

DEFAULT_DAYS = 14
ALTERNATIVES = 5


# --------------------------------------------------------------------------- clinic and settings


def portal_settings(session: Session, clinic_id: str) -> PortalSettings:
    """The clinic's row, or the defaults (unsaved) when it never changed them."""
    row = session.get(PortalSettings, clinic_id)
    if row is None:
        row = PortalSettings(
            clinic_id=clinic_id,
            hold_minutes=5,
            slot_step_minutes=15,
            new_patient_daily_cap=20,
            new_patient_email_daily_cap=1,
            show_provider_names=False,
            max_active_online_bookings=3,
            new_patient_confirm_minutes=15,
            new_patient_unconfirmed_daily_cap=2,
        )
    return row


def public_clinic(session: Session, clinic_id: str) -> Clinic:
    clinic = session.get(Clinic, clinic_id)
    if clinic is None or not clinic.active:
        raise NotFound(f"No clinic with id '{clinic_id}' takes bookings online.")
    return clinic


def clinic_info(session: Session, clinic: Clinic) -> PortalClinic:
    settings = portal_settings(session, clinic.id)
    kinds = session.scalars(
        select(AppointmentType)
        .where(
            AppointmentType.clinic_id == clinic.id,
            AppointmentType.active.is_(True),
            AppointmentType.online_bookable.is_(True),
        )
        .order_by(AppointmentType.name)
    )
    return PortalClinic(
        id=clinic.id,
        name=clinic.name,
        time_zone=clinic.time_zone,
        hold_minutes=settings.hold_minutes,
        min_lead_time_minutes=clinic.min_lead_time_minutes,
        max_horizon_days=clinic.max_horizon_days,
        appointment_types=[
            PortalType(
                id=k.id,
                name=k.name,
                color=k.color,
                duration=k.default_duration,
                new_patient_bookable=k.new_patient_bookable,
            )
            for k in kinds
        ],
    )


def bookable_type(session: Session, caller: PortalCaller, type_id: str) -> AppointmentType:
    """The type, if this caller may book it online; otherwise 422 saying to call the clinic.

    Patients may book online-bookable types; guests (no account) only those also marked for
    new patients. Another clinic's type answers exactly as a type that does not exist.
    """
    kind = find_in_clinic(session, AppointmentType, type_id, caller.clinic_id)
    if kind is None or not kind.active:
        raise InvalidInput("appointmentTypeId", f"No appointment type with id '{type_id}'.")
    if not kind.online_bookable:
        raise InvalidInput(
            "appointmentTypeId", f"'{kind.name}' cannot be booked online; please call us."
        )
    if caller.is_guest and not kind.new_patient_bookable:
        raise InvalidInput(
            "appointmentTypeId",
            f"'{kind.name}' is for registered patients: sign in to book it, or call us.",
        )
    return kind


# --------------------------------------------------------------------------- availability


def available(
    session: Session,
    caller: PortalCaller,
    clinic: Clinic,
    type_id: str,
    start: datetime | None,
    end: datetime | None,
    *,
    time_limit: float,
    limit: int | None = None,
) -> PortalAvailability:
    kind = bookable_type(session, caller, type_id)
    settings = portal_settings(session, clinic.id)
    now = clock.now()
    start = max(start or now, now)
    end = end or start + timedelta(days=DEFAULT_DAYS)
    req = availability.AvailabilityRequest(
        type_ids=[kind.id],
        window_start=start,
        window_end=end,
        durations=[],
        patient_id=caller.patient_id,
        limit=100_000,
        online_only=True,
    )
    # Lead time and horizon come from the clinic's policy; the portal never overrides them.
    found = availability.find(
        session, clinic, req, now, time_limit=time_limit, hold_owner=caller.owner
    )
    zone = ZoneInfo(clinic.time_zone)
    names: dict[str, str] = {}
    if settings.show_provider_names:
        names = {
            p.id: p.name
            for p in session.scalars(select(Provider).where(Provider.clinic_id == clinic.id))
        }
    days: dict[str, list[PortalSlot]] = {}
    count = 0
    for slot in found.slots:
        local = slot.start_time.astimezone(zone)
        # Patients choose from a tidy grid (e.g. :00 :15 :30 :45), not every engine start.
        if not on_grid(clinic, settings.slot_step_minutes, slot.start_time):
            continue
        part = slot.parts[0]
        assert part.provider_id is not None
        days.setdefault(slot.local_date, []).append(
            PortalSlot(
                start_time=slot.start_time,
                end_time=slot.end_time,
                local_time=local.strftime("%H:%M"),
                provider_id=part.provider_id,
                chair_id=part.chair_id,
                room_id=part.room_id,
                provider_name=names.get(part.provider_id),
            )
        )
        count += 1
        if limit is not None and count >= limit:
            break
    return PortalAvailability(
        time_zone=clinic.time_zone,
        appointment_type_id=kind.id,
        duration=kind.default_duration,
        complete=found.complete,
        days=[PortalDay(date=d, slots=s) for d, s in days.items()],
    )


def alternatives(
    session: Session, caller: PortalCaller, clinic: Clinic, choice: SlotChoice, time_limit: float
) -> list[dict[str, object]]:
    """The next few free times from the wanted one on: what a 409 offers instead."""
    found = available(
        session,
        caller,
        clinic,
        choice.appointment_type_id,
        choice.start_time.astimezone(UTC),
        None,
        time_limit=time_limit,
        limit=ALTERNATIVES,
    )
    return [s.model_dump(mode="json", by_alias=True) for d in found.days for s in d.slots]


def _with_alternatives(
    exc: BookingConflict,
    session: Session,
    caller: PortalCaller,
    clinic: Clinic,
    choice: SlotChoice,
    time_limit: float,
) -> BookingConflict:
    """The same 409, told in a patient's words, with fresh times to choose from."""
    # The conflict's details name other bookings' ids; a patient sees only that it is taken.
    codes = sorted({str(c.get("code")) for c in exc.extra.get("conflicts", [])})
    detail = (
        "You already have an appointment at that time. Please choose another time."
        if codes == ["patient_busy"]
        else "Sorry, that time has just been taken. Please choose another time."
    )
    fresh = BookingConflict(
        detail,
        reasons=codes,
        alternatives=alternatives(session, caller, clinic, choice, time_limit),
    )
    fresh.__cause__ = exc
    return fresh


# --------------------------------------------------------------------------- holds and booking


def lock_clinic(session: Session, clinic_id: str) -> Clinic:
    """Serialise hold placement per clinic on PostgreSQL (SQLite already has BEGIN IMMEDIATE):
    two guests choosing the same time at once cannot both get it."""
    clinic = session.scalar(
        select(Clinic).where(Clinic.id == clinic_id).with_for_update(key_share=True)
    )
    if clinic is None:
        raise NotFound("This clinic no longer exists.")
    return clinic


def on_grid(clinic: Clinic, step_minutes: int, start: datetime) -> bool:
    """Whether a start is one of the clinic-local grid times the widget lists."""
    local = start.astimezone(ZoneInfo(clinic.time_zone))
    return (
        not local.second
        and not local.microsecond
        and not ((local.hour * 60 + local.minute) % step_minutes)
    )


def check_on_grid(session: Session, clinic: Clinic, start: datetime) -> None:
    """Guests and patients book only the times the widget lists: 422 for any other start.

    The engine accepts any start on the clinic's (finer) staff granularity; online bookings
    keep to the portal's grid so a script cannot wedge bookings between listed times and
    leave gaps nobody else can book.
    """
    step = portal_settings(session, clinic.id).slot_step_minutes
    if not on_grid(clinic, step, start):
        local = start.astimezone(ZoneInfo(clinic.time_zone))
        raise InvalidInput(
            "startTime",
            f"Online bookings start every {step} minutes ({local:%H:%M} {clinic.time_zone} is "
            "not one of those times); choose one of the listed times.",
            slotStepMinutes=step,
        )


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
    ctx: checks.Context, caller: PortalCaller, choice: SlotChoice, time_limit: float
) -> HoldRead:
    session = ctx.session
    clinic = lock_clinic(session, caller.clinic_id)
    kind = bookable_type(session, caller, choice.appointment_type_id)
    check_on_grid(session, clinic, choice.start_time)
    parts = _planned(session, clinic, choice)
    try:
        # The same engine check a booking gets, the caller's own hold excluded.
        checks.check_rules(ctx, clinic, parts, caller.patient_id or "", Override())
    except BookingConflict as exc:
        raise _with_alternatives(exc, session, caller, clinic, choice, time_limit) from exc
    now = clock.now()
    minutes = portal_settings(session, clinic.id).hold_minutes
    # At most one active hold per owner: a new choice replaces the previous one. Long-expired
    # holds of the clinic go too, so the table stays small without a background job.
    session.execute(delete(SlotHold).where(SlotHold.owner == caller.owner))
    session.execute(
        delete(SlotHold).where(
            SlotHold.clinic_id == clinic.id, SlotHold.expires_at < now - timedelta(hours=1)
        )
    )
    part = parts[0]
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
        expires_at=now + timedelta(minutes=minutes),
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


def release_hold(session: Session, caller: PortalCaller) -> int:
    result = session.execute(delete(SlotHold).where(SlotHold.owner == caller.owner))
    return int(getattr(result, "rowcount", 0) or 0)


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
        start_time=body.start_time,
        patient_notes=body.patient_notes,
        source=AppointmentSource.ONLINE,
    )
    try:
        rows = create_appointments(ctx, create)
    except BookingConflict as exc:
        raise _with_alternatives(exc, ctx.session, caller, clinic, body, time_limit) from exc
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
    active = (
        session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(
                Appointment.clinic_id == clinic.id,
                Appointment.patient_id == patient_id,
                Appointment.source == AppointmentSource.ONLINE,
                Appointment.start_time > clock.now(),
                active_appointment(),
            )
        )
        or 0
    )
    if active >= cap:
        raise Conflict(
            f"You already have {active} upcoming appointments booked online, the most this "
            "clinic allows at once; cancel one, or call us to book another.",
            activeOnlineBookings=active,
            limit=cap,
        )


# --------------------------------------------------------------------------- own appointments


def own_appointment(session: Session, caller: PortalCaller, appointment_id: str) -> Appointment:
    """The caller's own appointment; anyone else's answers exactly like one that does not exist."""
    appt = appointments.get(session, caller, appointment_id)
    if appt is None or caller.patient_id is None or appt.patient_id != caller.patient_id:
        raise NotFound(f"You have no appointment with id '{appointment_id}'.")
    return appt


def upcoming(session: Session, caller: PortalCaller) -> list[Appointment]:
    return list(
        session.scalars(
            appointments.readable(caller)
            .where(
                Appointment.patient_id == caller.patient_id,
                active_appointment(),
                Appointment.end_time > clock.now(),
            )
            .order_by(Appointment.start_time)
        )
    )


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
    )
    try:
        reschedule_appointment(ctx, appt, body, None)
    except BookingConflict as exc:
        raise _with_alternatives(exc, ctx.session, caller, clinic, choice, time_limit) from exc
    release_hold(ctx.session, caller)
    return appt


# --------------------------------------------------------------------------- invitations


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    session: Session,
    actor: Principal,
    patient_id: str,
    email: str | None,
    valid_hours: int,
) -> InviteRead:
    """A patient user (no password yet) and a single-use token to set one."""
    patient = find_in_clinic(session, Patient, patient_id, actor.clinic_id)
    if patient is None:
        raise NotFound(f"No patient with id '{patient_id}' in your clinic.")
    user = session.scalar(select(User).where(User.patient_id == patient.id, User.role == "patient"))
    if user is not None and user.password_hash:
        raise Conflict("This patient already has a portal account; they can sign in.")
    address = (email or (user.email if user else None) or patient.email or "").strip().lower()
    if not address:
        raise InvalidInput("email", "The patient has no email on file; give one to invite them.")
    # Only this clinic's accounts: whether another clinic has one with this address is none
    # of this clinic's business, and the answer must not depend on it (migration 0010).
    holder = session.scalar(
        select(User).where(User.clinic_id == patient.clinic_id, func.lower(User.email) == address)
    )
    if holder is not None and (user is None or holder.id != user.id):
        raise Conflict(f"The email {address} already belongs to another account at this clinic.")
    if user is None:
        user = User(
            clinic_id=patient.clinic_id,
            email=address,
            password_hash=None,
            role="patient",
            full_name=f"{patient.first_name} {patient.last_name}",
            patient_id=patient.id,
        )
        session.add(user)
    user.email = address
    session.flush()
    now = clock.now()
    # A new invitation replaces any earlier one still open.
    session.execute(
        delete(PatientInvitation).where(
            PatientInvitation.user_id == user.id, PatientInvitation.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    invitation = PatientInvitation(
        clinic_id=patient.clinic_id,
        user_id=user.id,
        token_hash=_token_hash(token),
        expires_at=now + timedelta(hours=valid_hours),
        created_by=actor.user_id,
    )
    session.add(invitation)
    session.flush()
    return InviteRead(
        user_id=user.id,
        patient_id=patient.id,
        email=address,
        invitation_token=token,
        expires_at=invitation.expires_at,
    )


def accept_invite(session: Session, token: str, password: str) -> User:
    invitation = session.scalar(
        select(PatientInvitation).where(PatientInvitation.token_hash == _token_hash(token))
    )
    now = clock.now()
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        # One answer for unknown, used and expired: the token itself reveals nothing.
        raise InvalidInput(
            "token",
            "This invitation link is not valid any more; ask the clinic for a new one.",
        )
    user = session.get(User, invitation.user_id)
    if user is None or not user.active:
        raise InvalidInput("token", "This account is closed; please contact the clinic.")
    user.password_hash = hash_password(password)
    invitation.used_at = now
    session.flush()
    return user
