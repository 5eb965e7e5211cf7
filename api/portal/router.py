"""The patient portal: the seed's two endpoints plus what the booking widget needs around them.

The clinic staff's side of the portal (its settings, inviting a patient) is `staff_router.py`.

Over 400 lines on purpose: every patient-facing endpoint of the portal, each only parse, call
a service, shape the answer, next to the rate-limit rules and idempotency guard they share, so
the whole public surface a guest can reach is read (and reviewed) in one file.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse

from api.auth.deps import PatientPortal, SettingsDep
from api.booking import checks
from api.booking.busy_cache import Versions
from api.core.idempotency import IdempotencyKey, respond_once
from api.core.network import network_of
from api.core.ratelimit import Rule, client_ip, per_ip
from api.db import SessionDep, WriteSessionDep
from api.errors import Forbidden, problem_responses
from api.portal import (
    availability,
    confirm_page,
    holds,
    invitations,
    new_patients,
    offer,
    online_booking,
    own_appointments,
)
from api.portal.availability_config import current_clinic
from api.portal.identity import (
    GUEST_MINUTES,
    Caller,
    PortalCaller,
    check_origin,
    issue_guest_token,
)
from api.portal.schemas import (
    AcceptedInvite,
    AcceptInvite,
    BookingConfirmation,
    CancelRequest,
    EmailConfirmationRequest,
    EmailConfirmationResult,
    GuestSession,
    GuestSessionRequest,
    HoldRead,
    NewPatientBook,
    PortalAppointment,
    PortalAvailability,
    PortalBook,
    PortalClinic,
    RescheduleRequest,
    SlotChoice,
)
from api.schemas import IsoDateTime

router = APIRouter(prefix="/api/patient-portal", tags=["patient portal"])

GUEST_SESSIONS = Rule("guest-session", 30, 3600, "booking sessions from your network")
NEW_PATIENT_BOOKINGS = Rule("new-patient", 5, 3600, "new-patient bookings from your network")
HOLDS = Rule("holds", 60, 3600, "time choices from your network")
INVITE_ACCEPTS = Rule("accept-invite", 10, 900, "attempts to use an invitation")
AVAILABILITY = Rule("portal-availability", 120, 60, "availability searches from your network")
BOOKINGS = Rule("portal-book", 10, 3600, "online bookings from your network")
EMAIL_CONFIRMATIONS = Rule("email-confirm", 30, 900, "booking confirmations from your network")


def _ctx(session: SessionDep, caller: PortalCaller, request: Request) -> checks.Context:
    return checks.Context(
        session,
        caller.principal,
        getattr(request.state, "request_id", None),
        hold_owner=caller.owner,
    )


def _caller_clinic(session: SessionDep, caller: PortalCaller, request: Request) -> Any:
    clinic = offer.public_clinic(session, caller.clinic_id)
    check_origin(request, clinic)
    return clinic


# --------------------------------------------------------------------------- public


@router.get(
    "/clinics/{clinic_id}", response_model=PortalClinic, responses=problem_responses(403, 404)
)
def get_clinic(clinic_id: str, session: SessionDep, request: Request) -> PortalClinic:
    """Public: the clinic's name, zone and online-bookable types, for the widget's first step."""
    clinic = offer.public_clinic(session, clinic_id)
    check_origin(request, clinic)
    return offer.clinic_info(session, clinic)


@router.post(
    "/guest-session",
    response_model=GuestSession,
    responses=problem_responses(403, 404, 422, 429),
    dependencies=[Depends(per_ip(GUEST_SESSIONS))],
)
def guest_session(
    body: GuestSessionRequest, session: SessionDep, settings: SettingsDep, request: Request
) -> GuestSession:
    """Public: a short signed session for booking without an account (new patients)."""
    clinic = offer.public_clinic(session, body.clinic_id)
    check_origin(request, clinic)
    return GuestSession(
        guest_token=issue_guest_token(settings, clinic.id), expires_in=GUEST_MINUTES * 60
    )


@router.post(
    "/accept-invite",
    response_model=AcceptedInvite,
    responses=problem_responses(422, 429),
    dependencies=[Depends(per_ip(INVITE_ACCEPTS))],
)
def accept_invite(body: AcceptInvite, session: SessionDep) -> AcceptedInvite:
    """Public: set the portal password with the invitation token; then sign in as usual."""
    user = invitations.accept_invite(session, body.token, body.password)
    assert user.patient_id is not None
    return AcceptedInvite(email=user.email, patient_id=user.patient_id)


# --------------------------------------------------------------------------- patient or guest


@router.get(
    "/available-slots",
    response_model=PortalAvailability,
    responses=problem_responses(401, 403, 404, 422, 429),
    dependencies=[Depends(per_ip(AVAILABILITY))],
)
def available_slots(
    session: SessionDep,
    caller: Caller,
    settings: SettingsDep,
    request: Request,
    appointment_type_id: Annotated[str, Query(alias="appointmentTypeId")],
    start: Annotated[IsoDateTime | None, Query(alias="from")] = None,
    end: Annotated[IsoDateTime | None, Query(alias="to")] = None,
) -> PortalAvailability:
    """Bookable times for one online-bookable type, grouped by clinic-local day.

    The clinic's minimum lead time and horizon always apply; the window defaults to 14 days and
    may be at most 31 (422 beyond).
    """
    # One query for the clinic and both its versions: all a repeated listing reads
    # (api/portal/availability_config.py).
    clinic = current_clinic(session, caller.clinic_id)
    check_origin(request, clinic)
    return availability.available(
        session,
        caller,
        clinic,
        appointment_type_id,
        start,
        end,
        time_limit=settings.solver_time_limit_seconds,
        cached=True,
        current=Versions(str(clinic.config_version), str(clinic.busy_version)),
    )


@router.post(
    "/holds",
    status_code=status.HTTP_201_CREATED,
    response_model=HoldRead,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
    dependencies=[Depends(per_ip(HOLDS))],
)
def place_hold(
    body: SlotChoice,
    session: SessionDep,
    caller: Caller,
    settings: SettingsDep,
    request: Request,
) -> HoldRead:
    """Hold a listed time for a few minutes (replacing the caller's previous hold).

    409 with `alternatives` when the time was taken meanwhile.
    """
    _caller_clinic(session, caller, request)
    return holds.place_hold(
        _ctx(session, caller, request),
        caller,
        body,
        settings.solver_time_limit_seconds,
        network_of(client_ip(request)),
    )


@router.delete(
    "/holds", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 403)
)
def release_hold(session: SessionDep, caller: Caller, request: Request) -> Response:
    _caller_clinic(session, caller, request)
    holds.release_hold(session, caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/new-patient-bookings",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingConfirmation,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
    dependencies=[Depends(per_ip(NEW_PATIENT_BOOKINGS))],
)
def book_new_patient(
    body: NewPatientBook,
    session: SessionDep,
    caller: Caller,
    settings: SettingsDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Book without an account: a provisional patient, an appointment staff confirm.

    The patient must confirm it through the link we email them: until then it holds its time
    only until `emailConfirmBy`, and only confirmed bookings count toward the clinic's daily
    new-patient cap. Needs a guest session; capped per session, per email and per clinic each
    day, and in unconfirmed bookings per day (409 names the limit).
    """
    _caller_clinic(session, caller, request)
    ctx = _ctx(session, caller, request)

    def run() -> tuple[int, Any, dict[str, str]]:
        appt, pending = new_patients.book_new_patient(
            ctx, caller, body, settings, settings.solver_time_limit_seconds
        )
        confirmation = own_appointments.confirmation(session, appt)
        confirmation.email_confirm_by = pending.hold_until
        confirmation.email_confirm_minutes = offer.portal_settings(
            session, caller.clinic_id
        ).new_patient_confirm_minutes
        return 201, confirmation, {}

    return respond_once(
        ctx.session,
        ctx.principal.user_id,
        request,
        idempotency_key,
        body.model_dump(mode="json"),
        run,
    )


def _confirmation_result(done: new_patients.Confirmation) -> EmailConfirmationResult:
    local = done.appointment.start_time.astimezone(ZoneInfo(done.clinic.time_zone))
    return EmailConfirmationResult(
        outcome=done.outcome.value,
        confirmed=done.stands,
        message=done.message,
        appointment_id=done.appointment.id,
        local_start=local.strftime("%Y-%m-%d %H:%M"),
        time_zone=done.clinic.time_zone,
        alternatives=done.alternatives,
    )


@router.post(
    "/new-patient-bookings/confirm",
    response_model=EmailConfirmationResult,
    responses={409: {"model": EmailConfirmationResult}, **problem_responses(422, 429)},
    dependencies=[Depends(per_ip(EMAIL_CONFIRMATIONS))],
)
def confirm_new_patient_booking(
    body: EmailConfirmationRequest, session: SessionDep, settings: SettingsDep, request: Request
) -> JSONResponse:
    """Public: confirm a new patient's booking with the token from the emailed link.

    Repeating it is harmless. 200 when the booking stands; 409 when it cannot (the time was
    taken after the provisional window, the clinic cancelled it, or the day's cap filled),
    with the next free times in `alternatives`.
    """
    done = new_patients.confirm(
        session,
        settings,
        body.token,
        getattr(request.state, "request_id", None),
        settings.solver_time_limit_seconds,
    )
    result = _confirmation_result(done)
    return JSONResponse(
        jsonable_encoder(result, by_alias=True), status_code=200 if done.stands else 409
    )


# The emailed link opens a page on its own path: sharing the JSON endpoint's path would make
# that path advertise GET in `Allow` although the schema (rightly) documents only POST.
@router.get(
    "/confirm-booking",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(per_ip(EMAIL_CONFIRMATIONS))],
)
def confirm_new_patient_booking_page(
    session: WriteSessionDep,
    settings: SettingsDep,
    request: Request,
    token: Annotated[str, Query(max_length=2000)] = "",
) -> HTMLResponse:
    """The page the emailed link opens: confirms, then says in words what happened."""
    try:
        done = new_patients.confirm(
            session,
            settings,
            token,
            getattr(request.state, "request_id", None),
            settings.solver_time_limit_seconds,
        )
    except new_patients.LinkInvalid as exc:
        return HTMLResponse(confirm_page.invalid(exc.detail), status_code=400)
    return HTMLResponse(confirm_page.render(done), status_code=200 if done.stands else 409)


# --------------------------------------------------------------------------- signed-in patient


def _patient_caller(principal: PatientPortal) -> PortalCaller:
    if principal.patient_id is None:
        raise Forbidden("This account is not linked to a patient record.")
    return PortalCaller(
        clinic_id=principal.clinic_id, principal=principal, patient_id=principal.patient_id
    )


SignedInPatient = Annotated[PortalCaller, Depends(_patient_caller)]


@router.post(
    "/book",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingConfirmation,
    responses=problem_responses(401, 403, 409, 422, 429),
    dependencies=[Depends(per_ip(BOOKINGS))],
)
def book(
    body: PortalBook,
    session: SessionDep,
    caller: SignedInPatient,
    settings: SettingsDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Book for yourself (the patient comes from the token). Source is ONLINE.

    Every rule is checked again; 409 with `alternatives` when the time was taken meanwhile.
    """
    _caller_clinic(session, caller, request)
    ctx = _ctx(session, caller, request)

    def run() -> tuple[int, Any, dict[str, str]]:
        appt = online_booking.book(ctx, caller, body, settings.solver_time_limit_seconds)
        return 201, own_appointments.confirmation(session, appt), {}

    return respond_once(
        ctx.session,
        ctx.principal.user_id,
        request,
        idempotency_key,
        body.model_dump(mode="json"),
        run,
    )


@router.get(
    "/appointments",
    response_model=list[PortalAppointment],
    responses=problem_responses(401, 403),
)
def my_appointments(
    session: SessionDep, caller: SignedInPatient, request: Request
) -> list[PortalAppointment]:
    """Your upcoming appointments, each with the late-cancel fee cancelling now would cost."""
    _caller_clinic(session, caller, request)
    return [
        own_appointments.to_portal(session, a) for a in own_appointments.upcoming(session, caller)
    ]


@router.get(
    "/appointments/{appointment_id}",
    response_model=PortalAppointment,
    responses=problem_responses(401, 403, 404),
)
def my_appointment(
    appointment_id: str, session: SessionDep, caller: SignedInPatient, request: Request
) -> PortalAppointment:
    _caller_clinic(session, caller, request)
    return own_appointments.to_portal(
        session, own_appointments.own_appointment(session, caller, appointment_id)
    )


@router.get(
    "/appointments/{appointment_id}/calendar.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "iCalendar file"},
        **problem_responses(401, 403, 404),
    },
)
def my_appointment_ics(
    appointment_id: str, session: SessionDep, caller: SignedInPatient, request: Request
) -> Response:
    _caller_clinic(session, caller, request)
    appt = own_appointments.own_appointment(session, caller, appointment_id)
    return Response(
        own_appointments.calendar_file(session, appt),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="appointment.ics"'},
    )


@router.post(
    "/appointments/{appointment_id}/cancel",
    response_model=PortalAppointment,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def cancel(
    appointment_id: str,
    body: CancelRequest,
    session: SessionDep,
    caller: SignedInPatient,
    request: Request,
) -> PortalAppointment:
    """Cancel your appointment. Inside the late-cancel window, send `acceptFee: true`."""
    _caller_clinic(session, caller, request)
    appt = own_appointments.own_appointment(session, caller, appointment_id)
    own_appointments.cancel(
        _ctx(session, caller, request), caller, appt, body.reason, body.accept_fee
    )
    return own_appointments.to_portal(session, appt)


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response_model=BookingConfirmation,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def reschedule(
    appointment_id: str,
    body: RescheduleRequest,
    session: SessionDep,
    caller: SignedInPatient,
    settings: SettingsDep,
    request: Request,
) -> BookingConfirmation:
    """Move your appointment to another listed time, when its type may be booked online."""
    _caller_clinic(session, caller, request)
    appt = own_appointments.own_appointment(session, caller, appointment_id)
    choice = SlotChoice(
        appointment_type_id=appt.appointment_type_id,
        start_time=body.start_time,
        provider_id=body.provider_id,
        chair_id=body.chair_id,
        room_id=body.room_id,
    )
    own_appointments.reschedule(
        _ctx(session, caller, request), caller, appt, choice, settings.solver_time_limit_seconds
    )
    return own_appointments.confirmation(session, appt)
