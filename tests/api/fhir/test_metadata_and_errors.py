"""The CapabilityStatement, and errors under /fhir as OperationOutcome."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.fhir.conftest import Clinic, fhir_get


def test_metadata_is_public_and_lists_what_is_served(client: TestClient) -> None:
    cs = fhir_get(client, "/fhir/metadata", {})
    assert cs["fhirVersion"] == "4.0.1"
    rest = cs["rest"][0]
    served = {r["type"]: r for r in rest["resource"]}
    assert set(served) == {"Location", "Practitioner", "Schedule", "Slot", "Appointment", "Patient"}
    slot_params = {p["name"] for p in served["Slot"]["searchParam"]}
    assert {"schedule", "start", "status", "service-type"} <= slot_params
    token = rest["security"]["extension"][0]["extension"][0]["valueUri"]
    assert token.endswith("/fhir/auth/token")
    # Every advertised search interaction answers (not a 404 or 405).
    headers = {}
    for kind, entry in served.items():
        if {"code": "search-type"} in entry["interaction"]:
            resp = client.get(f"/fhir/{kind}", headers=headers)
            assert resp.status_code == 401, kind  # there, but needs a token


def test_no_token_is_a_401_operation_outcome(client: TestClient) -> None:
    outcome = fhir_get(client, "/fhir/Practitioner", {}, expect=401)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "login"
    assert "Authorization: Bearer" in outcome["issue"][0]["details"]["text"]


def test_unknown_id_and_path_are_404_operation_outcomes(client: TestClient, clinic: Clinic) -> None:
    outcome = fhir_get(client, "/fhir/Practitioner/nope", clinic.headers(), expect=404)
    assert outcome["issue"][0]["code"] == "not-found"
    assert "No Practitioner with id 'nope'" in outcome["issue"][0]["details"]["text"]
    assert fhir_get(client, "/fhir/Nothing", clinic.headers(), expect=404)["issue"]


def test_bad_search_value_names_the_parameter(client: TestClient, clinic: Clinic) -> None:
    outcome = fhir_get(client, "/fhir/Slot", clinic.headers(), expect=422, start="ge-tomorrow")
    issue = outcome["issue"][0]
    assert issue["expression"] == ["start"]
    assert "not a FHIR date" in issue["details"]["text"]


def test_patients_use_the_portal_not_fhir(client: TestClient, clinic: Clinic) -> None:
    outcome = fhir_get(client, "/fhir/Location", clinic.headers("patient"), expect=403)
    assert "patient portal" in outcome["issue"][0]["details"]["text"]


def test_the_json_api_keeps_problem_json(client: TestClient) -> None:
    resp = client.get("/api/booking/appointments")
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")
