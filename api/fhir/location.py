"""Location: the clinic itself (Slotwise runs one site per clinic), id = the clinic's id."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.db import SessionDep
from api.errors import NotFound
from api.fhir import params
from api.fhir.access import ReadsLocation
from api.fhir.responses import FhirResponse, Resource, instant, searchset
from api.fhir.terms import TIMEZONE
from api.models import Clinic

router = APIRouter(include_in_schema=False)


def to_fhir(clinic: Clinic) -> Resource:
    return {
        "resourceType": "Location",
        "id": clinic.id,
        "meta": {"lastUpdated": instant(clinic.updated_at)},
        "extension": [{"url": TIMEZONE, "valueCode": clinic.time_zone}],
        "status": "active" if clinic.active else "inactive",
        "name": clinic.name,
        "mode": "instance",
    }


def caller_location(session: SessionDep, clinic_id: str) -> Clinic:
    clinic = session.get(Clinic, clinic_id)
    if clinic is None:
        raise NotFound("Your clinic no longer exists.")
    return clinic


@router.get("/Location/{location_id}")
def read_location(location_id: str, session: SessionDep, caller: ReadsLocation) -> FhirResponse:
    if location_id != caller.clinic_id:
        raise NotFound(f"No Location with id '{location_id}' in your clinic.")
    return FhirResponse(to_fhir(caller_location(session, caller.clinic_id)))


@router.get("/Location")
def search_locations(request: Request, session: SessionDep, caller: ReadsLocation) -> FhirResponse:
    page = params.paging(request)
    found = [to_fhir(caller_location(session, caller.clinic_id))]
    wanted = params.all_values(request, "_id")
    found = [r for r in found if not wanted or r["id"] in wanted]
    return FhirResponse(
        searchset(
            request,
            found[page.offset : page.offset + page.count],
            total=len(found),
            offset=page.offset,
            count=page.count,
        )
    )
