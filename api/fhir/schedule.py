"""Schedule: one per appointment type at the clinic's Location, id = the type's id.

Its actors are the Location and the Practitioners who can perform the type; its serviceType
is the type's code. A type's free Slots are what the engine offers for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request

from api.core.crud import find_in_clinic
from api.db import SessionDep
from api.errors import NotFound
from api.fhir import params, repository
from api.fhir.access import ReadsSchedule
from api.fhir.responses import FhirResponse, Resource, instant, reference, searchset
from api.fhir.terms import matches_token, service_type
from api.models import AppointmentType, Clinic, Provider

router = APIRouter(include_in_schema=False)


def to_fhir(kind: AppointmentType, clinic: Clinic, everyone: Sequence[Provider]) -> Resource:
    actors = [reference("Location", clinic.id, clinic.name)] + [
        reference("Practitioner", p.id, p.name) for p in repository.qualified(kind, everyone)
    ]
    return {
        "resourceType": "Schedule",
        "id": kind.id,
        "meta": {"lastUpdated": instant(kind.updated_at)},
        "active": kind.active,
        "serviceType": [service_type(kind)],
        "actor": actors,
        "comment": f"{kind.name}, {kind.default_duration} minutes",
    }


@router.get("/Schedule/{schedule_id}")
def read_schedule(schedule_id: str, session: SessionDep, caller: ReadsSchedule) -> FhirResponse:
    kind = find_in_clinic(session, AppointmentType, schedule_id, caller.clinic_id)
    clinic = session.get(Clinic, caller.clinic_id)
    if kind is None or clinic is None:
        raise NotFound(f"No Schedule with id '{schedule_id}' in your clinic.")
    return FhirResponse(to_fhir(kind, clinic, repository.providers(session, clinic.id)))


def matching(request: Request, kinds: Sequence[AppointmentType]) -> list[AppointmentType]:
    """The types a Schedule search names: `_id`, `service-type`, `actor`, `active`."""
    ids = params.all_values(request, "_id")
    tokens = params.all_values(request, "service-type")
    active = request.query_params.get("active")
    return [
        k
        for k in kinds
        if (not ids or k.id in ids)
        and (not tokens or any(matches_token(k, t) for t in tokens))
        and (active is None or k.active == (active == "true"))
    ]


@router.get("/Schedule")
def search_schedules(request: Request, session: SessionDep, caller: ReadsSchedule) -> FhirResponse:
    page = params.paging(request)
    clinic = session.get(Clinic, caller.clinic_id)
    if clinic is None:
        raise NotFound("Your clinic no longer exists.")
    everyone = repository.providers(session, clinic.id)
    found = [
        to_fhir(k, clinic, everyone)
        for k in matching(request, repository.types(session, clinic.id))
    ]
    actors = [
        params.reference_id("actor", a, a.split("/")[0] if "/" in a else "Practitioner")
        for a in params.all_values(request, "actor")
    ]
    if actors:
        found = [
            r for r in found if any(a["reference"].split("/")[-1] in actors for a in r["actor"])
        ]
    return FhirResponse(
        searchset(
            request,
            found[page.offset : page.offset + page.count],
            total=len(found),
            offset=page.offset,
            count=page.count,
        )
    )
