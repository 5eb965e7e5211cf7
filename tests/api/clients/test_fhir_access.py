"""A machine client's token on /fhir: its clinic only, its scopes only, revoked or expired = 401."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from time_machine import TimeMachineFixture

from tests.api.clients.support import create_client, request_token
from tests.conftest import ClinicWorld


def _bearer(
    client: TestClient, created: dict[str, Any], scope: str | None = None
) -> dict[str, str]:
    resp = request_token(client, created, scope)
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _outcome_text(resp: Any) -> str:
    body = resp.json()
    assert body["resourceType"] == "OperationOutcome"
    return " ".join(issue["details"]["text"] for issue in body["issue"])


def test_reads_its_own_clinic_and_nothing_of_another(
    client: TestClient, world: ClinicWorld, other_world: ClinicWorld
) -> None:
    auth = _bearer(client, create_client(client, world, ["system/*.read"]))
    own = client.get(f"/fhir/Location/{world.clinic.id}", headers=auth)
    assert own.status_code == 200
    assert own.json()["name"] == world.clinic.name
    listed = client.get("/fhir/Location", headers=auth).json()
    assert [e["resource"]["id"] for e in listed["entry"]] == [world.clinic.id]
    theirs = client.get(f"/fhir/Location/{other_world.clinic.id}", headers=auth)
    assert theirs.status_code == 404
    practitioner = client.get(f"/fhir/Practitioner/{other_world.provider.id}", headers=auth)
    assert practitioner.status_code == 404


def test_a_scope_not_held_is_403_naming_it(client: TestClient, world: ClinicWorld) -> None:
    auth = _bearer(client, create_client(client, world, ["system/Location.read"]))
    assert client.get("/fhir/Location", headers=auth).status_code == 200
    resp = client.get("/fhir/Practitioner", headers=auth)
    assert resp.status_code == 403
    assert "system/Practitioner.read" in _outcome_text(resp)


def test_a_token_asked_for_fewer_scopes_holds_only_those(
    client: TestClient, world: ClinicWorld
) -> None:
    created = create_client(client, world, ["system/*.read"])
    auth = _bearer(client, created, "system/Location.read")
    assert client.get("/fhir/Location", headers=auth).status_code == 200
    assert client.get("/fhir/Practitioner", headers=auth).status_code == 403


def test_narrowing_the_grant_applies_to_tokens_already_issued(
    client: TestClient, world: ClinicWorld
) -> None:
    created = create_client(client, world, ["system/*.read"])
    auth = _bearer(client, created)
    assert client.get("/fhir/Practitioner", headers=auth).status_code == 200
    client.put(
        f"/api/clients/{created['id']}",
        headers=world.headers("admin"),
        json={"scopes": ["system/Location.read"]},
    )
    assert client.get("/fhir/Practitioner", headers=auth).status_code == 403
    assert client.get("/fhir/Location", headers=auth).status_code == 200


def test_revoking_ends_tokens_already_issued(client: TestClient, world: ClinicWorld) -> None:
    created = create_client(client, world, ["system/*.read"])
    auth = _bearer(client, created)
    assert client.get("/fhir/Location", headers=auth).status_code == 200
    client.post(f"/api/clients/{created['id']}/revoke", headers=world.headers("admin"))
    resp = client.get("/fhir/Location", headers=auth)
    assert resp.status_code == 401
    assert "revoked" in _outcome_text(resp)


def test_a_token_expires_after_five_minutes(
    client: TestClient, world: ClinicWorld, frozen_clock: TimeMachineFixture
) -> None:
    auth = _bearer(client, create_client(client, world, ["system/*.read"]))
    frozen_clock.shift(299)
    assert client.get("/fhir/Location", headers=auth).status_code == 200
    frozen_clock.shift(2)
    resp = client.get("/fhir/Location", headers=auth)
    assert resp.status_code == 401
    assert "expired" in _outcome_text(resp)


def test_a_forged_client_token_is_401(client: TestClient, world: ClinicWorld) -> None:
    auth = _bearer(client, create_client(client, world, ["system/*.read"]))
    header, payload, signature = auth["Authorization"].removeprefix("Bearer ").split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    resp = client.get("/fhir/Location", headers={"Authorization": f"Bearer {forged}"})
    assert resp.status_code == 401
