"""FHIR tests: the booking tests' configured clinic, and every resource checked against the
R4B models of `fhir.resources` (8.x ships R4B and R5, no plain R4; R4B's scheduling resources
are R4's)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class

from tests.api.booking.conftest import Clinic, clinic

__all__ = ["Clinic", "clinic", "fhir_get", "parse_fhir"]

FHIR_JSON = "application/fhir+json"


def parse_fhir(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate a resource (a Bundle's entries with it) against the R4B model; return it."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def fhir_get(
    client: TestClient, path: str, headers: dict[str, str], expect: int = 200, **params: Any
) -> dict[str, Any]:
    resp = client.get(path, headers=headers, params=params)
    assert resp.status_code == expect, resp.text[:2000]
    assert resp.headers["content-type"].startswith(FHIR_JSON)
    return parse_fhir(resp.json())


def entries(bundle: dict[str, Any], mode: str = "match") -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]
