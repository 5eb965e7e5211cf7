"""Slot read and search: free times straight from the engine, busy ones from appointments."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request

from api.auth.deps import SettingsDep
from api.core import clock
from api.core.crud import find_in_clinic
from api.db import SessionDep
from api.errors import InvalidInput, NotFound
from api.fhir import params, repository, slots
from api.fhir.access import ReadsSlot
from api.fhir.location import caller_location
from api.fhir.responses import FhirResponse, Resource, instant, reference, searchset
from api.fhir.terms import BOOKING_DEEP_LINK, matches_token, service_type
from api.models import AppointmentType

router = APIRouter(include_in_schema=False)


def to_fhir(slot: slots.PublishedSlot, booking_link: str | None = None) -> Resource:
    resource: Resource = {
        "resourceType": "Slot",
        "id": slot.id,
        "schedule": reference("Schedule", slot.kind.id),
        "serviceType": [service_type(slot.kind)],
        "status": "free" if slot.free else "busy",
        "start": instant(slot.start),
        "end": instant(slot.end),
    }
    if booking_link is not None:
        resource["extension"] = [{"url": BOOKING_DEEP_LINK, "valueUrl": booking_link}]
    return resource


def incomplete_notice() -> Resource:
    return {
        "resourceType": "OperationOutcome",
        "id": "incomplete",
        "issue": [
            {
                "severity": "warning",
                "code": "incomplete",
                "details": {
                    "text": "The engine's time limit cut this search short: some free slots may "
                    "be missing (every one listed is bookable). Ask for a shorter window."
                },
            }
        ],
    }


@router.get("/Slot/{slot_id}")
def read_slot(
    slot_id: str, session: SessionDep, caller: ReadsSlot, settings: SettingsDep
) -> FhirResponse:
    parsed = slots.parse_slot_id(slot_id)
    kind = find_in_clinic(session, AppointmentType, parsed[0], caller.clinic_id) if parsed else None
    if parsed is None or kind is None:
        raise NotFound(f"No Slot with id '{slot_id}' in your clinic.")
    start = parsed[1]
    clinic = caller_location(session, caller.clinic_id)
    found = slots.search(
        session,
        clinic,
        caller,
        [kind],
        start,
        start + timedelta(seconds=1),
        clock.now(),
        time_limit=settings.solver_time_limit_seconds,
    )
    if not found.slots:
        raise NotFound(
            f"Slot '{slot_id}' is not offered (any more): the time has passed, or nothing is "
            "booked or free then. Search for Slots again."
        )
    return FhirResponse(to_fhir(found.slots[0]))


@router.get("/Slot")
def search_slots(
    request: Request, session: SessionDep, caller: ReadsSlot, settings: SettingsDep
) -> FhirResponse:
    page = params.paging(request)
    clinic = caller_location(session, caller.clinic_id)
    kinds = list(repository.types(session, clinic.id))
    schedule_ids = [
        params.reference_id("schedule", v, "Schedule")
        for v in params.all_values(request, "schedule")
    ]
    if schedule_ids:
        kinds = [k for k in kinds if k.id in schedule_ids]
    tokens = params.all_values(request, "service-type")
    if tokens:
        kinds = [k for k in kinds if any(matches_token(k, t) for t in tokens)]
    statuses = params.all_values(request, "status")
    unknown = [s for s in statuses if s not in ("free", "busy")]
    if unknown:
        raise InvalidInput(
            "status", f"Slot status '{unknown[0]}' is never published: use free or busy."
        )
    zone = ZoneInfo(clinic.time_zone)
    wanted = params.date_range("start", request.query_params.getlist("start"), zone)
    now = clock.now()
    lower, upper = slots.window(wanted, now)
    found = slots.search(
        session,
        clinic,
        caller,
        kinds,
        lower,
        upper,
        now,
        time_limit=settings.solver_time_limit_seconds,
    )
    chosen = [s for s in found.slots if not statuses or ("free" if s.free else "busy") in statuses]
    bundle = searchset(
        request,
        [to_fhir(s) for s in chosen[page.offset : page.offset + page.count]],
        total=len(chosen),
        offset=page.offset,
        count=page.count,
    )
    if not found.complete:
        bundle["entry"].append({"resource": incomplete_notice(), "search": {"mode": "outcome"}})
    return FhirResponse(bundle)
