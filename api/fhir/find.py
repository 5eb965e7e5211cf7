"""Appointment/$find (IHE ITI-115): proposed Appointments, ranked as best fit ranks them."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Request

from api.auth.deps import SettingsDep
from api.booking import availability
from api.booking.checks import STAFF_ROLES
from api.core import clock
from api.db import SessionDep
from api.errors import InvalidInput
from api.fhir import params, repository
from api.fhir.access import ReadsSlot
from api.fhir.location import caller_location
from api.fhir.operation_params import Inputs
from api.fhir.proposals import Proposal, to_fhir
from api.fhir.responses import FhirResponse, full_url, instant
from api.fhir.terms import matches_token
from api.models import Clinic

router = APIRouter(include_in_schema=False)

MAX_PROPOSALS = 50


def _find(
    request: Request, session: SessionDep, caller: Any, inputs: Inputs, time_limit: float
) -> FhirResponse:
    clinic: Clinic = caller_location(session, caller.clinic_id)
    zone = ZoneInfo(clinic.time_zone)
    start, end = inputs.text("start"), inputs.text("end")
    lower = params.date_range("start", [f"ge{start}"], zone).lower if start else None
    # An end date without a time includes that whole clinic-local day.
    end_prefix = "le" if end and len(end) == 10 else "lt"
    upper = params.date_range("end", [f"{end_prefix}{end}"], zone).upper if end else None
    token = inputs.text("service-type") or inputs.text("appointment-type")
    kinds = [k for k in repository.types(session, clinic.id) if token and matches_token(k, token)]
    if token and not kinds:
        raise InvalidInput("service-type", f"No appointment type has the code '{token}'.")
    practitioner = inputs.reference("practitioner")
    patient = inputs.reference("patient")
    if not kinds and not patient:
        raise InvalidInput(
            "service-type",
            "Give a service-type (an appointment type's code), or a patient to find the "
            "next procedure on their treatment plan.",
        )
    count = inputs.text("_count") or "10"
    if not count.isdigit() or not 1 <= int(count) <= MAX_PROPOSALS:
        raise InvalidInput("_count", f"_count must be from 1 to {MAX_PROPOSALS}.")
    found = availability.find(
        session,
        clinic,
        availability.AvailabilityRequest(
            type_ids=[kinds[0].id] if kinds else [],
            window_start=lower,
            window_end=upper,
            durations=[],
            provider_id=params.reference_id("practitioner", practitioner, "Practitioner")
            if practitioner
            else None,
            patient_id=params.reference_id("patient", patient, "Patient") if patient else None,
            mode="best",
            limit=int(count),
        ),
        clock.now(),
        time_limit=time_limit,
        over_guest_holds=caller.principal.role in STAFF_ROLES,
    )
    by_id = {k.id: k for k in repository.types(session, clinic.id)}
    entries = []
    for rank, suggestion in enumerate(found.suggestions):
        part = suggestion.parts[0]
        proposal = Proposal(
            kind=by_id[part.appointment_type_id],
            start=part.start_time,
            minutes=part.duration,
            provider_id=part.provider_id,
            chair_id=part.chair_id,
            room_id=part.room_id,
            patient_id=found.patient_id,
        )
        resource = to_fhir(proposal, clinic.id)
        entries.append(
            {
                "fullUrl": full_url(request, resource),
                "resource": resource,
                # Best first; FHIR's score runs from 0 to 1, so the rank stands in for points.
                "search": {"mode": "match", "score": round(1 - rank / len(found.suggestions), 4)},
            }
        )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(clock.now()),
        "total": len(entries),
        "entry": entries,
    }
    return FhirResponse(bundle)


@router.post("/Appointment/$find")
def find_post(
    request: Request,
    session: SessionDep,
    caller: ReadsSlot,
    settings: SettingsDep,
    body: Annotated[Any, Body()],
) -> FhirResponse:
    return _find(
        request, session, caller, Inputs.from_body(body), settings.solver_time_limit_seconds
    )


@router.get("/Appointment/$find")
def find_get(
    request: Request, session: SessionDep, caller: ReadsSlot, settings: SettingsDep
) -> FhirResponse:
    return _find(
        request, session, caller, Inputs.from_query(request), settings.solver_time_limit_seconds
    )
