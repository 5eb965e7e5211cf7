"""Appointment/$book (IHE ITI-117): book a proposed or held Appointment, or cancel one.

Booking goes through the staff booking operation (`api.booking.create`: the engine's check,
the database guarantees, the audit row naming the caller); the caller's own $hold is not in
its way and is consumed (a refused booking keeps it), and the assistant it kept is the one
booked. Per the profile, an `appointment-resource` whose status is `cancelled` cancels that
appointment (`api.booking.cancel`, the late-cancel fee included).

An `Idempotency-Key` works as on the staff booking endpoint (`api.core.idempotency`): a partner
retrying after a timeout gets the first answer instead of a second booking.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from api.booking import checks
from api.booking.cancel import cancel
from api.booking.create import create
from api.booking.schemas import AppointmentCreate
from api.core import clock
from api.core.crud import find_in_clinic
from api.core.idempotency import IdempotencyKey, respond_once
from api.db import SessionDep
from api.errors import InvalidInput
from api.fhir import appointment, proposals
from api.fhir.access import WritesAppointments
from api.fhir.caller import FhirCaller
from api.fhir.hold import hold_owner
from api.fhir.operation_params import Inputs, Resource
from api.fhir.repository import types
from api.fhir.responses import FhirResponse, one_match
from api.fhir.terms import CHAIR, ROOM, matches_token
from api.models import AppointmentSource, AppointmentType, Patient
from api.portal import repository as portal_repository
from api.portal.holds import held_assistant

router = APIRouter(include_in_schema=False)


def _ref_id(value: Any, field: str, resource_type: str) -> str | None:
    if value is None:
        return None
    text = value.get("reference") if isinstance(value, dict) else value
    if not isinstance(text, str) or not text.rstrip("/").rpartition("/")[0].endswith(resource_type):
        return None
    return text.rstrip("/").rpartition("/")[2]


def _from_resource(session: Session, caller: FhirCaller, res: Resource) -> proposals.Proposal:
    """A pending Appointment the client wrote itself: type, start, length, participants."""
    if isinstance(res.get("id"), str) and res["id"].startswith("p-"):
        return proposals.decode(session, caller.clinic_id, res["id"])
    try:
        start = datetime.fromisoformat(str(res["start"]).replace("Z", "+00:00"))
    except (KeyError, ValueError) as exc:
        raise InvalidInput("appointment-resource.start", "Give the start as a dateTime.") from exc
    if start.tzinfo is None:
        raise InvalidInput("appointment-resource.start", "The start needs a time zone (Z).")
    codes = [
        (c.get("system", "") + "|" if c.get("system") else "") + str(c.get("code"))
        for st in res.get("serviceType") or []
        for c in st.get("coding") or []
    ]
    kinds: list[AppointmentType] = [
        k for k in types(session, caller.clinic_id) if any(matches_token(k, c) for c in codes)
    ]
    if not kinds:
        raise InvalidInput(
            "appointment-resource.serviceType",
            "Name the appointment type by its code in serviceType (see the Schedules).",
        )
    actors = [p.get("actor") for p in res.get("participant") or []]
    extensions = {e.get("url"): e.get("valueString") for e in res.get("extension") or []}
    minutes = res.get("minutesDuration") or kinds[0].default_duration
    return proposals.Proposal(
        kind=kinds[0],
        start=start,
        minutes=int(minutes),
        provider_id=next(
            (i for a in actors if (i := _ref_id(a, "participant", "Practitioner"))), None
        ),
        chair_id=extensions.get(CHAIR),
        room_id=extensions.get(ROOM),
        patient_id=next((i for a in actors if (i := _ref_id(a, "participant", "Patient"))), None),
    )


def _patient_id(inputs: Inputs, proposal: proposals.Proposal) -> str:
    given = inputs.resource("patient-resource", "Patient")
    patient_id = proposal.patient_id or (given or {}).get("id")
    if not patient_id:
        raise InvalidInput(
            "patient-resource",
            "Say who the appointment is for: $find with a patient, or send patient-resource "
            "with the Patient's id.",
        )
    return str(patient_id)


def _cancel(request: Request, ctx: checks.Context, inputs: Inputs, res: Resource) -> Resource:
    appt = appointment.get(ctx.session, ctx.principal.clinic_id, str(res.get("id", "")))
    reason = (
        (res.get("cancelationReason") or {}).get("text")
        or inputs.text("comment")
        or "Cancelled through FHIR"
    )
    cancel(ctx, appt, str(reason)[:1000], None)
    return one_match(request, appointment.to_fhir(ctx.session, appt), clock.now())


@router.post("/Appointment/$book")
def book(
    request: Request,
    session: SessionDep,
    caller: WritesAppointments,
    body: Annotated[Any, Body()],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def run() -> tuple[int, Any, dict[str, str]]:
        return 200, _book(request, session, caller, body), {}

    return respond_once(
        session, caller.principal.user_id, request, idempotency_key, body, run, FhirResponse
    )


def _book(request: Request, session: Session, caller: FhirCaller, body: Any) -> Resource:
    inputs = Inputs.from_body(body)
    owner = hold_owner(caller)
    ctx = checks.Context(session, caller.principal, getattr(request.state, "request_id", None))
    res = inputs.resource("appointment-resource", "Appointment")
    ref = inputs.reference("appointment-reference")
    if res is not None and res.get("status") == "cancelled":
        portal_repository.delete_holds_of(session, owner)
        return _cancel(request, ctx, inputs, res)
    if res is not None and res.get("status") not in ("pending", "proposed"):
        raise InvalidInput(
            "appointment-resource.status",
            "Book a pending (or proposed) Appointment, or cancel one by sending it with status "
            "cancelled; to move an appointment, cancel it and book the new time.",
        )
    if res is not None:
        proposal = _from_resource(session, caller, res)
    elif ref is not None:
        proposal = proposals.decode(session, caller.clinic_id, ref.rstrip("/").rpartition("/")[2])
    else:
        raise InvalidInput(
            "appointment-reference",
            "Name the Appointment to book: appointment-reference (from $find or $hold) or "
            "appointment-resource.",
        )
    patient_id = _patient_id(inputs, proposal)
    if find_in_clinic(session, Patient, patient_id, caller.clinic_id) is None:
        raise InvalidInput("patient-resource", f"No patient with id '{patient_id}' in your clinic.")
    # The assistant the caller's $hold of this time kept is the one booked, read before the
    # hold goes. The hold goes before booking, so it is not in the booking's way (a refused
    # booking rolls the deletion back with it); with no hold owner in the context, staff book
    # over guests' holds as they do in the calendar and as their Slot search showed.
    assistant_id = held_assistant(
        session, caller.clinic_id, owner, proposal.kind.id, proposal.start
    )
    portal_repository.delete_holds_of(session, owner)
    rows = create(
        ctx,
        AppointmentCreate(
            patient_id=patient_id,
            appointment_type_id=proposal.kind.id,
            provider_id=proposal.provider_id,
            chair_id=proposal.chair_id,
            room_id=proposal.room_id,
            assistant_id=assistant_id,
            start_time=proposal.start,
            duration=proposal.minutes,
            patient_notes=inputs.text("comment"),
            # Staff booking through a FHIR client is a staff booking; a partner system books
            # for the practice, not as the patient's self-service (docs/fhir.md).
            source=AppointmentSource.STAFF
            if caller.client_id is None
            else AppointmentSource.PARTNER,
        ),
    )
    return one_match(request, appointment.to_fhir(session, rows[0]), clock.now())
