"""Everything under /fhir, in the order its routes must match (operations before `{id}`).

Not in the OpenAPI schema: FHIR clients read /fhir/metadata (the CapabilityStatement), and the
routes' scopes are SMART scopes, not the permissions the JSON API's matrix tests walk.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.fhir import (
    appointment,
    book,
    bulk_publish,
    find,
    hold,
    location,
    metadata,
    patient,
    practitioner,
    schedule,
    slot,
)

router = APIRouter(prefix="/fhir", tags=["fhir"])
OPERATIONS = (find, hold, book, bulk_publish)
RESOURCES = (metadata, location, practitioner, schedule, slot, appointment, patient)
for module in (*OPERATIONS, *RESOURCES):
    router.include_router(module.router)
