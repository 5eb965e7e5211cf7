"""FHIR JSON responses: the media type, and searchset Bundles with their paging links."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
DEFAULT_COUNT = 50
MAX_COUNT = 1000

Resource = dict[str, Any]


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def instant(moment: datetime) -> str:
    """A FHIR instant in UTC with a Z, to the second (what the engine's minutes ever need)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def full_url(request: Request, resource: Resource) -> str:
    return f"{base_url(request)}/{resource['resourceType']}/{resource['id']}"


def _page_link(request: Request, offset: int, count: int) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("_offset",)]
    params = [(k, v) for k, v in params if k != "_count"] + [("_count", str(count))]
    if offset:
        params.append(("_offset", str(offset)))
    return f"{str(request.url).split('?', 1)[0]}?{urlencode(params)}"


def searchset(
    request: Request,
    matches: Sequence[Resource],
    *,
    total: int,
    offset: int,
    count: int,
    included: Sequence[Resource] = (),
) -> Resource:
    """A searchset page: `matches` is this page's resources, `total` all that matched."""
    links = [{"relation": "self", "url": _page_link(request, offset, count)}]
    if offset + count < total:
        links.append({"relation": "next", "url": _page_link(request, offset + count, count)})
    if offset > 0:
        links.append(
            {"relation": "previous", "url": _page_link(request, max(0, offset - count), count)}
        )
    entries = [
        {"fullUrl": full_url(request, r), "resource": r, "search": {"mode": "match"}}
        for r in matches
    ] + [
        {"fullUrl": full_url(request, r), "resource": r, "search": {"mode": "include"}}
        for r in included
    ]
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(datetime.now(UTC)),
        "total": total,
        "link": links,
        "entry": entries,
    }


def one_match(request: Request, resource: Resource, at: datetime) -> Resource:
    """The searchset Bundle IHE's $hold and $book answer with: the one Appointment."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(at),
        "total": 1,
        "entry": [
            {"fullUrl": full_url(request, resource), "resource": resource,
             "search": {"mode": "match"}}
        ],
    }  # fmt: skip


def reference(resource_type: str, resource_id: str, display: str | None = None) -> Resource:
    ref: Resource = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        ref["display"] = display
    return ref
