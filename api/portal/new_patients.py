"""New patients book online without an account; the booking stands once they confirm by email.

A guest's booking creates a provisional patient and an appointment that holds its time for a
short provisional window (the portal setting `newPatientConfirmMinutes`, 15 by default), and
writes a mail with a confirmation link into the outbox in the same transaction. Only a booking
confirmed through the link counts toward the clinic's daily new-patient cap; one left
unconfirmed frees its time when the window ends (api/models/email_confirmation.py). So made-up
emails can neither drain the cap nor hold a clinic's day. docs/security-new-patients.md has the
numbers and why.

The link carries a signed token (the app's secret, its own audience, 24 hours at most) naming
the confirmation; the row makes it single-use and confirming twice harmless. Confirming after
the window books the time again if it is still free, and otherwise says it is gone and offers
the next free times.

Over 400 lines on purpose: one flow (book, the link and its mail, confirm or release) whose
steps share the provisional window's rules; read top to bottom it is the story above.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import jwt
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.auth.deps import Principal
from api.auth.tokens import ALGORITHM
from api.booking import checks, persist
from api.booking.cancel import cancel as cancel_appointment
from api.booking.rules import BookingConflict
from api.booking.schemas import Override
from api.config import Settings
from api.core import clock
from api.errors import Conflict, DomainError, InvalidInput
from api.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Clinic,
    EmailConfirmation,
    Patient,
    PortalSettings,
)
from api.notifications import outbox
from api.portal import availability, hold_caps, holds, offer, online_booking, repository
from api.portal.identity import PortalCaller
from api.portal.schemas import NewPatientBook, SlotChoice

MAIL_KIND = "new_patient_confirmation"
LINK_HOURS = 24
CONFIRM_PATH = "/api/patient-portal/confirm-booking"
# Who the audit trail names when the patient confirms through the link (they have no account).
LINK_ACTOR = "email-link"


# --------------------------------------------------------------------------- booking


def confirmed_today(session: Session, clinic: Clinic, now: datetime) -> int:
    since, _ = hold_caps.local_day(clinic, now)
    return repository.confirmed_since(session, clinic.id, since)


def _check_caps(
    ctx: checks.Context,
    clinic: Clinic,
    settings: PortalSettings,
    email: str,
    start: datetime,
    now: datetime,
) -> None:
    """Counted under the clinic lock, so two requests cannot both take the last place."""
    session = ctx.session
    if repository.bookings_by(session, clinic.id, ctx.principal.user_id):
        raise Conflict(
            "This booking session has already made a booking; to book again, reload the page."
        )
    if confirmed_today(session, clinic, now) >= settings.new_patient_daily_cap:
        raise Conflict(
            "We cannot take more new-patient bookings online today; please call us to book."
        )
    since, _ = hold_caps.local_day(clinic, now)
    standing = repository.standing_for_email(session, clinic.id, email, since)
    if standing >= settings.new_patient_email_daily_cap:
        raise Conflict(
            f"A new-patient booking for {email} was already made today; we will be in touch, "
            "or call us to change it."
        )
    day_start, day_end = hold_caps.local_day(clinic, start)
    waiting = repository.unconfirmed_starting(session, clinic.id, day_start, day_end, now)
    if waiting >= settings.new_patient_unconfirmed_daily_cap:
        day = start.astimezone(ZoneInfo(clinic.time_zone))
        raise Conflict(
            f"Other new patients are confirming bookings for {day:%A %d %B} right now. Please "
            f"choose another day, try again in {settings.new_patient_confirm_minutes} minutes, "
            "or call us.",
            retryAfter=settings.new_patient_confirm_minutes * 60,
        )


def book_new_patient(
    ctx: checks.Context,
    caller: PortalCaller,
    body: NewPatientBook,
    settings: Settings,
    time_limit: float,
) -> tuple[Appointment, EmailConfirmation]:
    """A provisional patient, an appointment flagged for staff confirmation that holds its time
    until the patient confirms by email, and the mail with the link."""
    session = ctx.session
    if not caller.is_guest:
        raise Conflict("You are signed in: book with /api/patient-portal/book instead.")
    clinic = holds.lock_clinic(session, caller.clinic_id)
    kind = offer.bookable_type(session, caller, body.appointment_type_id)
    portal = offer.portal_settings(session, clinic.id)
    now = clock.now()
    email = str(body.patient.email).lower()
    _check_caps(ctx, clinic, portal, email, body.start_time, now)
    # Unconfirmed, this booking reserves time like a hold: within the guests' share of the day.
    minutes = timedelta(minutes=kind.buffer_before + kind.default_duration + kind.buffer_after)
    hold_caps.check_day_share(session, clinic, caller, body.start_time, minutes, now)
    details = body.patient
    patient = Patient(
        clinic_id=clinic.id,
        first_name=details.first_name,
        last_name=details.last_name,
        date_of_birth=details.date_of_birth,
        email=email,
        phone=details.phone,
        provisional=True,
    )
    session.add(patient)
    session.flush()
    appt = online_booking.create_online(ctx, caller, clinic, patient.id, body, time_limit)
    before = audit.snapshot(appt)
    appt.needs_confirmation = True
    session.flush()
    audit.record(
        session,
        ctx.principal,
        action="flag_for_confirmation",
        appointment=appt,
        before=before,
        request_id=ctx.request_id,
        reason="online booking by a new patient without an account",
    )
    confirmation = EmailConfirmation(
        clinic_id=clinic.id,
        appointment_id=appt.id,
        patient_id=patient.id,
        email=email,
        hold_until=now + timedelta(minutes=portal.new_patient_confirm_minutes),
        link_expires_at=min(now + timedelta(hours=LINK_HOURS), appt.start_time),
    )
    session.add(confirmation)
    session.flush()
    _write_mail(session, settings, clinic, kind, patient, appt, confirmation, portal)
    return appt, confirmation


# --------------------------------------------------------------------------- the link and mail


def _audience(settings: Settings) -> str:
    # Its own audience: a confirmation link can never pass as a sign-in or guest token.
    return settings.jwt_audience + ":email-confirmation"


def link_token(settings: Settings, confirmation: EmailConfirmation) -> str:
    payload = {
        "sub": confirmation.id,
        "typ": "email-confirmation",
        "iss": settings.jwt_issuer,
        "aud": _audience(settings),
        "iat": int(confirmation.created_at.timestamp()),
        "exp": int(confirmation.link_expires_at.timestamp()),
    }
    return jwt.encode(payload, settings.signing_secret(), algorithm=ALGORITHM)


def confirmation_link(settings: Settings, confirmation: EmailConfirmation) -> str:
    base = settings.public_url.rstrip("/")
    return f"{base}{CONFIRM_PATH}?token={link_token(settings, confirmation)}"


class LinkInvalid(InvalidInput):
    def __init__(self, detail: str) -> None:
        super().__init__("token", detail)


def read_link(settings: Settings, token: str) -> str:
    """The confirmation id a valid link names; LinkInvalid otherwise."""
    try:
        payload = jwt.decode(
            token,
            settings.signing_secret(),
            algorithms=[ALGORITHM],
            audience=_audience(settings),
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise LinkInvalid(
            "This confirmation link has expired; please book again, or call us."
        ) from exc
    except jwt.InvalidTokenError as exc:
        raise LinkInvalid(
            "This confirmation link is not valid; open the link from your email exactly as it "
            "was sent, or book again."
        ) from exc
    if payload.get("typ") != "email-confirmation":
        raise LinkInvalid("This confirmation link is not valid; please book again.")
    return str(payload["sub"])


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _write_mail(
    session: Session,
    settings: Settings,
    clinic: Clinic,
    kind: AppointmentType,
    patient: Patient,
    appt: Appointment,
    confirmation: EmailConfirmation,
    portal: PortalSettings,
) -> None:
    link = confirmation_link(settings, confirmation)
    local = appt.start_time.astimezone(ZoneInfo(clinic.time_zone))
    when = f"{local:%A %d %B %Y} at {local:%H:%M} ({clinic.time_zone})"
    minutes = portal.new_patient_confirm_minutes
    clinic_name, kind_name = _one_line(clinic.name), _one_line(kind.name)
    lines = [
        f"Hello {patient.first_name},",
        "",
        f"Thank you for booking a {kind_name} at {clinic_name} on {when}.",
        "",
        f"Please confirm the booking within {minutes} minutes by opening this link:",
        link,
        "",
        f"We hold the time for you for {minutes} minutes; after that it is offered to other "
        "patients. If you confirm later, we book it for you again if it is still free.",
        "",
        "If you did not make this booking, ignore this email and nothing more will happen.",
        "",
        clinic_name,
    ]
    e = html.escape
    html_body = (
        f"<p>Hello {e(patient.first_name)},</p>"
        f"<p>Thank you for booking a {e(kind_name)} at {e(clinic_name)} on {e(when)}.</p>"
        f'<p><a href="{e(link, quote=True)}">Confirm my booking</a> '
        f"(within {minutes} minutes).</p>"
        f"<p>We hold the time for you for {minutes} minutes; after that it is offered to other "
        "patients. If you confirm later, we book it for you again if it is still free.</p>"
        "<p>If you did not make this booking, ignore this email and nothing more will "
        f"happen.</p><p>{e(clinic_name)}</p>"
    )
    outbox.enqueue(
        session,
        kind=MAIL_KIND,
        clinic_id=clinic.id,
        recipient=confirmation.email,
        subject=f"Please confirm your {kind_name} at {clinic_name}"[:200],
        text_body="\n".join(lines),
        html_body=html_body,
        related={"appointmentId": appt.id, "patientId": patient.id},
    )


# --------------------------------------------------------------------------- confirming


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    REBOOKED = "rebooked"  # confirmed after the window, the time still free
    TAKEN = "taken"  # confirmed after the window, the time booked by someone else
    CANCELLED = "cancelled"  # the clinic cancelled it first
    FULL = "full"  # the day's new-patient cap filled before this confirmation


STANDS = frozenset({Outcome.CONFIRMED, Outcome.ALREADY_CONFIRMED, Outcome.REBOOKED})


@dataclass
class Confirmation:
    outcome: Outcome
    message: str
    appointment: Appointment
    clinic: Clinic
    alternatives: list[dict[str, object]] = field(default_factory=list)

    @property
    def stands(self) -> bool:
        return self.outcome in STANDS


def _link_principal(clinic_id: str) -> Principal:
    return Principal(user_id=LINK_ACTOR, clinic_id=clinic_id, role="guest", permissions=frozenset())


def confirm(
    session: Session, settings: Settings, token: str, request_id: str | None, time_limit: float
) -> Confirmation:
    """Confirm the booking a link names. Safe to repeat: a second click changes nothing."""
    confirmation_id = read_link(settings, token)
    row = session.get(EmailConfirmation, confirmation_id)
    if row is None:
        raise LinkInvalid("This confirmation link is not valid; please book again.")
    # The clinic lock orders this after any booking or confirmation in flight, so the daily
    # cap is counted once per place.
    clinic = holds.lock_clinic(session, row.clinic_id)
    session.refresh(row)
    appt = session.get(Appointment, row.appointment_id, populate_existing=True)
    assert appt is not None
    ctx = checks.Context(session, _link_principal(clinic.id), request_id)
    now = clock.now()
    portal = offer.portal_settings(session, clinic.id)
    if row.confirmed_at is not None:
        return Confirmation(
            Outcome.ALREADY_CONFIRMED, "You had already confirmed this booking.", appt, clinic
        )
    if appt.status == AppointmentStatus.CANCELLED and row.released_at is None:
        return Confirmation(
            Outcome.CANCELLED,
            "The clinic has cancelled this booking. Please book again, or call us.",
            appt,
            clinic,
        )
    if confirmed_today(session, clinic, now) >= portal.new_patient_daily_cap:
        _release(ctx, appt, row, now, "the day's online new-patient places filled first")
        return Confirmation(
            Outcome.FULL,
            "We cannot confirm more new-patient bookings online today, so this time has been "
            "released. Please call us to book.",
            appt,
            clinic,
        )
    late = row.hold_until <= now
    if late and not _still_free(ctx, clinic, appt):
        _release(ctx, appt, row, now, "confirmed after the provisional window; time taken")
        return Confirmation(
            Outcome.TAKEN,
            f"We could hold this time for {portal.new_patient_confirm_minutes} minutes only, "
            "and it has been booked by someone else since. Please choose another time.",
            appt,
            clinic,
            alternatives=_alternatives(session, clinic, appt, time_limit),
        )
    before = audit.snapshot(appt)
    if appt.status == AppointmentStatus.CANCELLED:  # released when the window ended: restore
        appt.status = AppointmentStatus.SCHEDULED
        appt.deleted_at = None
        appt.cancellation_reason = None
    row.confirmed_at = now
    row.released_at = None
    try:
        persist.save(ctx, clinic, appt)
    except BookingConflict:
        # Booked by staff in the instant since the check; persist.save rolled the transaction back.
        return _taken_after_race(session, settings, confirmation_id, request_id, time_limit)
    audit.record(
        session,
        ctx.principal,
        action="confirm_email",
        appointment=appt,
        before=before,
        request_id=request_id,
        reason="the new patient confirmed the booking through the link sent to "
        + ("their email, after the provisional window" if late else "their email"),
    )
    if late:
        return Confirmation(
            Outcome.REBOOKED,
            "You confirmed after the time we could hold it, but it was still free, so it is "
            "booked for you.",
            appt,
            clinic,
        )
    return Confirmation(Outcome.CONFIRMED, "Thank you for confirming.", appt, clinic)


def _still_free(ctx: checks.Context, clinic: Clinic, appt: Appointment) -> bool:
    kind = ctx.session.get(AppointmentType, appt.appointment_type_id)
    assert kind is not None
    part = checks.PlannedPart(
        kind=kind,
        start=appt.start_time,
        minutes=appt.duration,
        provider_id=appt.provider_id,
        chair_id=appt.chair_id,
        room_id=appt.room_id,
        template_slot_id=appt.template_slot_id,
        procedure_ids=[],
        assistant_id=appt.assistant_id,
    )
    try:
        checks.check_rules(ctx, clinic, [part], appt.patient_id, Override(), exclude=[appt.id])
    except DomainError:  # taken, or now inside the lead time or out of hours: not bookable
        return False
    return True


def _release(
    ctx: checks.Context, appt: Appointment, row: EmailConfirmation, now: datetime, why: str
) -> None:
    row.released_at = row.released_at or now
    if appt.status != AppointmentStatus.CANCELLED and appt.deleted_at is None:
        cancel_appointment(ctx, appt, f"Not confirmed in time: {why}.", None, waive_fee=True)
    ctx.session.flush()


def _alternatives(
    session: Session, clinic: Clinic, appt: Appointment, time_limit: float
) -> list[dict[str, object]]:
    caller = PortalCaller(
        clinic_id=clinic.id, principal=_link_principal(clinic.id), guest_id=LINK_ACTOR
    )
    choice = SlotChoice(
        appointment_type_id=appt.appointment_type_id,
        start_time=max(appt.start_time, clock.now()),
        provider_id=appt.provider_id,
        chair_id=appt.chair_id,
        room_id=appt.room_id,
    )
    try:
        return availability.alternatives(session, caller, clinic, choice, time_limit)
    except DomainError:  # the type is no longer offered online: no times to suggest
        return []


def _taken_after_race(
    session: Session, settings: Settings, confirmation_id: str, request_id: str | None, limit: float
) -> Confirmation:
    row = session.get(EmailConfirmation, confirmation_id)
    assert row is not None
    clinic = holds.lock_clinic(session, row.clinic_id)
    appt = session.get(Appointment, row.appointment_id, populate_existing=True)
    assert appt is not None
    ctx = checks.Context(session, _link_principal(clinic.id), request_id)
    _release(ctx, appt, row, clock.now(), "confirmed after the provisional window; time taken")
    return Confirmation(
        Outcome.TAKEN,
        "This time has just been booked by someone else. Please choose another time.",
        appt,
        clinic,
        alternatives=_alternatives(session, clinic, appt, limit),
    )
