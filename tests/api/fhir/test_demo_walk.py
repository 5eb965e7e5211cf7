"""The demo clinic's whole FHIR output, as a partner would crawl it, parses with the R4B models."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.demo import DEMO_PASSWORD
from tests.api.fhir.conftest import FHIR_JSON, entries, fhir_get, parse_fhir


def _all(client: TestClient, path: str, headers: dict[str, str], **query: Any) -> list[Any]:
    bundle = fhir_get(client, path, headers, _count=200, **query)
    found = entries(bundle)
    while nxt := [link["url"] for link in bundle["link"] if link["relation"] == "next"]:
        bundle = parse_fhir(client.get(nxt[0], headers=headers).json())
        found += entries(bundle)
    assert len(found) == bundle["total"]
    return found


@pytest.mark.demo_clinic
def test_every_resource_of_the_demo_clinic_parses(client: TestClient) -> None:
    token = client.post(
        "/api/auth/token",
        data={"username": "frontdesk@brightside.example", "password": DEMO_PASSWORD},
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    fhir_get(client, "/fhir/metadata", {})
    (location,) = _all(client, "/fhir/Location", headers)
    practitioners = _all(client, "/fhir/Practitioner", headers)
    schedules = _all(client, "/fhir/Schedule", headers)
    assert practitioners and schedules
    for p in practitioners:
        fhir_get(client, f"/fhir/Practitioner/{p['id']}", headers)
    slots = _all(client, "/fhir/Slot", headers)  # every schedule, the next two weeks
    assert {s["status"] for s in slots} == {"free", "busy"}
    appointments = _all(client, "/fhir/Appointment", headers)
    assert len(appointments) >= 200
    patients = {
        a["actor"]["reference"] for appt in appointments for a in appt["participant"]
        if a["actor"]["reference"].startswith("Patient/")
    }  # fmt: skip
    for ref in sorted(patients)[:60]:
        fhir_get(client, f"/fhir/{ref}", headers)
    for schedule in schedules[:3]:
        code = schedule["serviceType"][0]["coding"][0]["code"]
        resp = client.post(
            "/fhir/Appointment/$find",
            content=json.dumps({"resourceType": "Parameters", "parameter": [
                {"name": "service-type", "valueString": code}]}),
            headers={**headers, "Content-Type": FHIR_JSON},
        )  # fmt: skip
        assert resp.status_code == 200, resp.text[:500]
        parse_fhir(resp.json())
    manifest = client.get("/fhir/$bulk-publish", headers=headers).json()  # not a resource
    for output in manifest["output"]:
        lines = client.get(output["url"], headers=headers).text.splitlines()
        for line in lines:
            parse_fhir(json.loads(line))
    assert location["name"]
