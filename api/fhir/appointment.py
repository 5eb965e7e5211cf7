"""Appointment read and search: the clinic's appointments as FHIR Appointments."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from api.core.crud import find_in_clinic
from api.db import SessionDep
from api.errors import InvalidInput, NotFound
from api.fhir import params, proposals, repository
from api.fhir.access import ReadsAppointment
from api.fhir.location import caller_location
from api.fhir.responses import FhirResponse, Resource, instant, reference, searchset
from api.fhir.slots import slot_id
from api.fhir.terms import APPOINTMENT_STATUS, service_type, statuses_for
from api.models import Appointment, AppointmentStatus, AppointmentType, Provider

router = APIRouter(include_in_schema=False)


def to_fhir(session: Session, appt: Appointment) -> Resource:
    kind = session.get(AppointmentType, appt.appointment_type_id)
    provider = session.get(Provider, appt.provider_id)
    assert kind is not None and provider is not None  # foreign keys
    resource: Resource = {
        "resourceType": "Appointment",
        "id": appt.id,
        "meta": {"versionId": str(appt.version), "lastUpdated": instant(appt.updated_at)},
        "status": APPOINTMENT_STATUS[appt.status],
        "serviceType": [service_type(kind)],
        "start": instant(appt.start_time),
        "end": instant(appt.end_time),
        "minutesDuration": appt.duration,
        "slot": [reference("Slot", slot_id(kind.id, appt.start_time))],
        "created": instant(appt.booked_at),
        "participant": [
            {"actor": reference("Patient", appt.patient_id), "status": "accepted"},
            {
                "actor": reference("Practitioner", provider.id, provider.name),
                "status": "accepted",
            },
            {"actor": reference("Location", appt.clinic_id), "status": "accepted"},
        ],
    }
    if appt.status == AppointmentStatus.CANCELLED and appt.cancellation_reason:
        resource["cancelationReason"] = {"text": appt.cancellation_reason}
    return resource


def etag(appt: Appointment) -> str:
    return f'W/"{appt.version}"'


def get(session: Session, clinic_id: str, appointment_id: str) -> Appointment:
    appt = find_in_clinic(session, Appointment, appointment_id, clinic_id)
    if appt is None:
        raise NotFound(f"No Appointment with id '{appointment_id}' in your clinic.")
    return appt


@router.get("/Appointment/{appointment_id}")
def read_appointment(
    appointment_id: str, session: SessionDep, caller: ReadsAppointment, response: Response
) -> FhirResponse:
    if appointment_id.startswith("p-"):
        # A proposal from $find: its id spells it out; nothing is stored until $book.
        proposal = proposals.decode(session, caller.clinic_id, appointment_id)
        return FhirResponse(proposals.to_fhir(proposal, caller.clinic_id))
    appt = get(session, caller.clinic_id, appointment_id)
    return FhirResponse(to_fhir(session, appt), headers={"ETag": etag(appt)})


def _one(request: Request, name: str, resource_type: str) -> str | None:
    values = params.all_values(request, name)
    if len(values) > 1:
        raise InvalidInput(name, f"Give one {name} (several are not supported).")
    return params.reference_id(name, values[0], resource_type) if values else None


@router.get("/Appointment")
def search_appointments(
    request: Request, session: SessionDep, caller: ReadsAppointment
) -> FhirResponse:
    page = params.paging(request)
    clinic = caller_location(session, caller.clinic_id)
    wanted = params.date_range(
        "date", request.query_params.getlist("date"), ZoneInfo(clinic.time_zone)
    )
    statuses: list[AppointmentStatus] = []
    for code in params.all_values(request, "status"):
        ours = statuses_for(code)
        if not ours:
            known = ", ".join(sorted(set(APPOINTMENT_STATUS.values())))
            raise InvalidInput("status", f"No appointment has status '{code}'; use {known}.")
        statuses += ours
    rows, total = repository.appointments(
        session,
        clinic.id,
        patient_id=_one(request, "patient", "Patient"),
        provider_id=_one(request, "practitioner", "Practitioner"),
        statuses=statuses,
        lower=wanted.lower,
        upper=wanted.upper,
        offset=page.offset,
        count=page.count,
    )
    return FhirResponse(
        searchset(
            request,
            [to_fhir(session, a) for a in rows],
            total=total,
            offset=page.offset,
            count=page.count,
        )
    )
