"""Appointment/$hold (IHE): hold a proposed time for a few minutes, as the widget's holds do.

The hold is a portal slot hold (the same table, expiry and clinic lock), owned by the FHIR
caller: one active hold per machine client or staff user, replaced by their next one, busy
time for everyone else until it expires, and not in the way of its owner's own $book. It
keeps the assistant the engine chose too, and $book of the held time books them. An
`Idempotency-Key` replays the first answer, as on $book.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from api.booking import checks
from api.booking.schemas import Override, PartInput
from api.core import clock
from api.core.idempotency import IdempotencyKey, respond_once
from api.db import SessionDep
from api.errors import InvalidInput
from api.fhir import proposals
from api.fhir.access import WritesAppointments
from api.fhir.caller import FhirCaller
from api.fhir.operation_params import Inputs
from api.fhir.responses import FhirResponse, Resource, instant, one_match
from api.fhir.terms import HOLD_EXPIRES
from api.models import SlotHold
from api.portal import repository as portal_repository
from api.portal.holds import lock_clinic
from api.portal.offer import portal_settings

router = APIRouter(include_in_schema=False)


def hold_owner(caller: FhirCaller) -> str:
    return f"fhir:{caller.client_id or caller.principal.user_id}"


def planned(session: Any, clinic: Any, proposal: proposals.Proposal) -> list[checks.PlannedPart]:
    part = PartInput(
        appointment_type_id=proposal.kind.id,
        provider_id=proposal.provider_id,
        chair_id=proposal.chair_id,
        room_id=proposal.room_id,
        start_time=proposal.start,
        duration=proposal.minutes,
    )
    return checks.plan_parts(session, clinic, [part], "")


def proposal_named(inputs: Inputs, session: Any, caller: FhirCaller) -> proposals.Proposal:
    ref = inputs.reference("appointment-reference")
    if ref is None:
        raise InvalidInput(
            "appointment-reference",
            "Name the proposed Appointment to hold (appointment-reference), one that $find "
            "returned.",
        )
    return proposals.decode(session, caller.clinic_id, ref.rstrip("/").rpartition("/")[2])


@router.post("/Appointment/$hold")
def hold(
    request: Request,
    session: SessionDep,
    caller: WritesAppointments,
    body: Annotated[Any, Body()],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def run() -> tuple[int, Any, dict[str, str]]:
        return 200, _hold(request, session, caller, body), {}

    return respond_once(
        session, caller.principal.user_id, request, idempotency_key, body, run, FhirResponse
    )


def _hold(request: Request, session: Session, caller: FhirCaller, body: Any) -> Resource:
    proposal = proposal_named(Inputs.from_body(body), session, caller)
    clinic = lock_clinic(session, caller.clinic_id)
    owner = hold_owner(caller)
    ctx = checks.Context(
        session, caller.principal, getattr(request.state, "request_id", None), hold_owner=owner
    )
    parts = planned(session, clinic, proposal)
    checks.check_rules(ctx, clinic, parts, proposal.patient_id or "", Override())
    now = clock.now()
    minutes = portal_settings(session, clinic.id).hold_minutes
    portal_repository.delete_holds_of(session, owner)
    portal_repository.delete_expired_holds(session, clinic.id, now - timedelta(hours=1))
    part = parts[0]
    occupied_start, occupied_end = part.occupied
    held = SlotHold(
        clinic_id=clinic.id,
        owner=owner,
        appointment_type_id=part.kind.id,
        start_time=part.start,
        end_time=part.end,
        occupied_start=occupied_start,
        occupied_end=occupied_end,
        provider_id=part.provider_id,
        chair_id=part.chair_id,
        room_id=part.room_id,
        # The one check_rules chose: busy for everyone else now, and the one $book takes.
        assistant_id=part.assistant_id,
        expires_at=now + timedelta(minutes=minutes),
        held_since=now,
    )
    session.add(held)
    session.flush()
    resource = proposals.to_fhir(proposal, clinic.id, status="pending")
    resource.setdefault("extension", []).append(
        {"url": HOLD_EXPIRES, "valueInstant": instant(held.expires_at)}
    )
    return one_match(request, resource, now)
