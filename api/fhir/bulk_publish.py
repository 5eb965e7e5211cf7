"""SMART Scheduling Links: GET /fhir/$bulk-publish and its NDJSON files.

What is published is what a patient can book online: the clinic's Location, a Schedule per
online-bookable type, and the free Slots of those types for the next two weeks on the widget's
grid of start times (the engine's availability, a guest's hold counted busy), each with the
deep link that opens the booking widget at that time. The manifest's and each file's ETag is a
hash of the files' content, so a poller's If-None-Match gets a 304 until something changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Request, Response

from api.auth.deps import SettingsDep
from api.core import clock
from api.db import SessionDep
from api.errors import NotFound
from api.fhir import location, params, repository, schedule, slot, slots
from api.fhir.access import ReadsSlot
from api.fhir.caller import FhirCaller
from api.fhir.responses import FhirResponse, base_url, instant
from api.models import Clinic
from api.portal import repository as portal_repository
from api.portal.offer import on_grid, portal_settings

router = APIRouter(include_in_schema=False)

NDJSON = "application/fhir+ndjson"
FILES = ("Location", "Schedule", "Slot")
PUBLISHED_DAYS = slots.DEFAULT_DAYS


@dataclass(frozen=True)
class Publication:
    files: dict[str, bytes]

    def etag(self, name: str | None = None) -> str:
        digest = hashlib.sha256()
        for kind in (name,) if name else FILES:
            digest.update(kind.encode() + b"\0" + self.files[kind])
        return f'"{digest.hexdigest()[:32]}"'


def booking_link(request: Request, clinic: Clinic, free: slots.PublishedSlot) -> str:
    """The widget at this type and time, on the page Slotwise serves with it."""
    query = urlencode(
        {"clinic": clinic.id, "slotwise-type": free.kind.id, "slotwise-start": instant(free.start)}
    )
    return f"{str(request.base_url).rstrip('/')}/demo/practice-site?{query}"


def _ndjson(resources: list[dict[str, object]]) -> bytes:
    return b"".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for r in resources
    )


def publish(
    request: Request,
    session: SessionDep,
    caller: FhirCaller,
    since: datetime | None,
    time_limit: float,
) -> Publication:
    clinic = location.caller_location(session, caller.clinic_id)
    kinds = portal_repository.online_types(session, clinic.id)
    everyone = repository.providers(session, clinic.id)
    now = clock.now()
    found = slots.search(
        session,
        clinic,
        caller,
        kinds,
        now,
        now + timedelta(days=PUBLISHED_DAYS),
        now,
        time_limit=time_limit,
        published=True,
    )
    step = portal_settings(session, clinic.id).slot_step_minutes
    free = [s for s in found.slots if s.free and on_grid(clinic, step, s.start)]

    def fresh(updated: datetime) -> bool:
        return since is None or updated >= since

    return Publication(
        {
            "Location": _ndjson([location.to_fhir(clinic)] if fresh(clinic.updated_at) else []),
            "Schedule": _ndjson(
                [schedule.to_fhir(k, clinic, everyone) for k in kinds if fresh(k.updated_at)]
            ),
            # A free slot has no stored row to date: every poll gets the current free slots.
            "Slot": _ndjson([slot.to_fhir(s, booking_link(request, clinic, s)) for s in free]),
        }
    )


Since = Annotated[str | None, Query(alias="_since")]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match")]


def _since(session: SessionDep, caller: FhirCaller, value: str | None) -> datetime | None:
    if value is None:
        return None
    zone = ZoneInfo(location.caller_location(session, caller.clinic_id).time_zone)
    return params.date_range("_since", [f"ge{value}"], zone).lower


def _not_modified(if_none_match: str | None, etag: str) -> bool:
    return if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}


@router.get("/$bulk-publish")
def manifest(
    request: Request,
    session: SessionDep,
    caller: ReadsSlot,
    settings: SettingsDep,
    since: Since = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    published = publish(
        request, session, caller, _since(session, caller, since), settings.solver_time_limit_seconds
    )
    etag = published.etag()
    if _not_modified(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    query = f"?{urlencode({'_since': since})}" if since else ""
    return FhirResponse(
        {
            "transactionTime": instant(clock.now()),
            "request": str(request.url),
            "output": [
                {"type": kind, "url": f"{base_url(request)}/$bulk-publish/{kind}.ndjson{query}"}
                for kind in FILES
            ],
            "error": [],
        },
        headers={"ETag": etag, "Cache-Control": "no-cache"},
    )


@router.get("/$bulk-publish/{name}.ndjson")
def published_file(
    name: str,
    request: Request,
    session: SessionDep,
    caller: ReadsSlot,
    settings: SettingsDep,
    since: Since = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    if name not in FILES:
        raise NotFound(f"No published file '{name}.ndjson'; the manifest lists Location, "
                       "Schedule and Slot.")  # fmt: skip
    published = publish(
        request, session, caller, _since(session, caller, since), settings.solver_time_limit_seconds
    )
    etag = published.etag(name)
    if _not_modified(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(
        published.files[name],
        media_type=NDJSON,
        headers={"ETag": etag, "Cache-Control": "no-cache"},
    )
