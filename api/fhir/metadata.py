"""GET /fhir/metadata: the CapabilityStatement, listing exactly what this server does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from api.fhir.caller import SMART_CONFIGURATION_PATH, TOKEN_PATH
from api.fhir.responses import FHIR_JSON, FHIR_VERSION, FhirResponse, instant

router = APIRouter(include_in_schema=False)

IHE = "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/"
SMART_LINKS = "http://fhir-registry.smarthealthit.org/"

_ID = {"name": "_id", "type": "token"}
SEARCH_PARAMS: dict[str, list[dict[str, str]]] = {
    "Location": [_ID],
    "Practitioner": [_ID, {"name": "active", "type": "token"}],
    "Schedule": [
        _ID,
        {"name": "actor", "type": "reference"},
        {"name": "service-type", "type": "token"},
        {"name": "active", "type": "token"},
    ],
    "Slot": [
        {"name": "schedule", "type": "reference"},
        {"name": "start", "type": "date", "documentation": "ge/gt/le/lt/eq; at most 92 days"},
        {"name": "status", "type": "token", "documentation": "free or busy"},
        {"name": "service-type", "type": "token"},
    ],
    "Appointment": [
        {"name": "patient", "type": "reference"},
        {"name": "practitioner", "type": "reference"},
        {"name": "date", "type": "date"},
        {"name": "status", "type": "token"},
    ],
    "Patient": [],
}
OPERATIONS = {
    "Appointment": [
        {"name": "find", "definition": IHE + "appointment-find"},
        {"name": "hold", "definition": IHE + "appointment-hold"},
        {"name": "book", "definition": IHE + "appointment-book"},
    ]
}


def _resource(kind: str) -> dict[str, Any]:
    interactions = [{"code": "read"}]
    if kind != "Patient":
        interactions.append({"code": "search-type"})
    entry: dict[str, Any] = {"type": kind, "interaction": interactions}
    if SEARCH_PARAMS[kind]:
        entry["searchParam"] = SEARCH_PARAMS[kind] + [
            {"name": "_count", "type": "number"},
            {"name": "_offset", "type": "number"},
        ]
    if kind in OPERATIONS:
        entry["operation"] = OPERATIONS[kind]
    return entry


def capability_statement(base: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(datetime.now(UTC)),
        "publisher": "Slotwise",
        "kind": "instance",
        "software": {"name": "Slotwise", "version": "0.1.0"},
        "implementation": {"description": "Slotwise clinic scheduling", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": "Bearer tokens: OAuth2 client credentials for machine "
                    f"clients (token endpoint {TOKEN_PATH}, SMART configuration at "
                    f"{SMART_CONFIGURATION_PATH}), or a Slotwise staff user's token.",
                    "extension": [
                        {
                            "url": SMART_LINKS + "StructureDefinition/oauth-uris",
                            "extension": [
                                {
                                    "url": "token",
                                    "valueUri": base.removesuffix("/fhir") + TOKEN_PATH,
                                }
                            ],
                        }
                    ],
                },
                "resource": [_resource(kind) for kind in SEARCH_PARAMS],
                "operation": [
                    {
                        "name": "bulk-publish",
                        "definition": SMART_LINKS + "OperationDefinition/bulk-publish",
                    }
                ],
            }
        ],
    }


@router.get("/metadata")
def metadata(request: Request) -> FhirResponse:
    """Public, as FHIR requires: a client reads it before it has a token."""
    return FhirResponse(capability_statement(str(request.base_url).rstrip("/") + "/fhir"))
