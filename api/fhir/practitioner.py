"""Practitioner: a provider of the caller's clinic."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.core.crud import find_in_clinic
from api.db import SessionDep
from api.errors import NotFound
from api.fhir import params, repository
from api.fhir.access import ReadsPractitioner
from api.fhir.responses import FhirResponse, Resource, instant, searchset
from api.models import Provider

router = APIRouter(include_in_schema=False)


def to_fhir(provider: Provider) -> Resource:
    name: Resource = {"text": provider.name}
    if provider.title:
        name["suffix"] = [provider.title]
    return {
        "resourceType": "Practitioner",
        "id": provider.id,
        "meta": {"lastUpdated": instant(provider.updated_at)},
        "active": provider.active,
        "name": [name],
    }


@router.get("/Practitioner/{practitioner_id}")
def read_practitioner(
    practitioner_id: str, session: SessionDep, caller: ReadsPractitioner
) -> FhirResponse:
    provider = find_in_clinic(session, Provider, practitioner_id, caller.clinic_id)
    if provider is None:
        raise NotFound(f"No Practitioner with id '{practitioner_id}' in your clinic.")
    return FhirResponse(to_fhir(provider))


@router.get("/Practitioner")
def search_practitioners(
    request: Request, session: SessionDep, caller: ReadsPractitioner
) -> FhirResponse:
    page = params.paging(request)
    wanted = params.all_values(request, "_id")
    active = request.query_params.get("active")
    found = [
        p
        for p in repository.providers(session, caller.clinic_id)
        if (not wanted or p.id in wanted) and (active is None or p.active == (active == "true"))
    ]
    return FhirResponse(
        searchset(
            request,
            [to_fhir(p) for p in found[page.offset : page.offset + page.count]],
            total=len(found),
            offset=page.offset,
            count=page.count,
        )
    )
