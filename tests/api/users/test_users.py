"""Staff accounts: an admin lists them, deactivates one or changes its role; the change holds
on the account's very next request."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ClinicWorld

BASE = "/api/users"


def _put(client: TestClient, world: ClinicWorld, who: str, **body: object):  # type: ignore[no-untyped-def]
    return client.put(f"{BASE}/{world.users[who].id}", json=body, headers=world.headers("admin"))


def test_lists_the_clinics_staff_but_not_portal_accounts(
    client: TestClient, world: ClinicWorld, other_world: ClinicWorld
) -> None:
    resp = client.get(BASE, headers=world.headers("admin"))
    assert resp.status_code == 200, resp.text
    listed = {u["email"]: u["role"] for u in resp.json()["items"]}
    assert listed == {
        "admin@smile-clinic.example": "admin",
        "frontdesk@smile-clinic.example": "frontdesk",
        "provider@smile-clinic.example": "provider",
    }
    assert "passwordHash" not in resp.json()["items"][0]
    for user_id in (world.users["patient"].id, other_world.users["frontdesk"].id):
        missing = client.get(f"{BASE}/{user_id}", headers=world.headers("admin"))
        assert missing.status_code == 404
        assert missing.json()["detail"] == f"No staff account with id '{user_id}' in your clinic."


def test_a_deactivated_account_is_refused_at_once(client: TestClient, world: ClinicWorld) -> None:
    assert client.get("/api/auth/me", headers=world.headers("frontdesk")).status_code == 200
    resp = _put(client, world, "frontdesk", active=False)
    assert resp.status_code == 200 and resp.json()["active"] is False
    assert (
        client.get("/api/booking/appointments", headers=world.headers("frontdesk")).status_code
        == 401
    )
    again = _put(client, world, "frontdesk", active=True)
    assert again.status_code == 200
    assert (
        client.get("/api/booking/appointments", headers=world.headers("frontdesk")).status_code
        == 200
    )


def test_a_role_change_applies_to_the_next_request(client: TestClient, world: ClinicWorld) -> None:
    resp = _put(client, world, "admin", role="frontdesk")
    assert resp.status_code == 409 and "your own account" in resp.json()["detail"]
    demoted = _put(client, world, "frontdesk", role="provider", providerId=world.provider.id)
    assert demoted.status_code == 200, demoted.text
    assert demoted.json()["providerId"] == world.provider.id
    # A provider may not create appointments: the old frontdesk token now gets 403.
    refused = client.post("/api/booking/appointments", json={}, headers=world.headers("frontdesk"))
    assert refused.status_code == 403
    back = _put(client, world, "frontdesk", role="frontdesk")
    assert back.status_code == 200 and back.json()["providerId"] is None


def test_a_provider_account_names_a_provider_of_this_clinic(
    client: TestClient, world: ClinicWorld, other_world: ClinicWorld
) -> None:
    missing = _put(client, world, "frontdesk", role="provider")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "providerId"
    theirs = _put(client, world, "frontdesk", role="provider", providerId=other_world.provider.id)
    assert theirs.status_code == 422 and "No provider" in theirs.json()["detail"]
    stray = _put(client, world, "frontdesk", providerId=world.provider.id)
    assert stray.status_code == 422 and "Only a provider account" in stray.json()["detail"]
    unknown_role = _put(client, world, "frontdesk", role="patient")
    assert unknown_role.status_code == 422


def test_only_admins_manage_accounts(client: TestClient, world: ClinicWorld) -> None:
    for role in ("frontdesk", "provider", "patient"):
        resp = client.put(
            f"{BASE}/{world.users['provider'].id}",
            json={"active": False},
            headers=world.headers(role),
        )
        assert resp.status_code == 403, (role, resp.text)
    assert world.users["provider"].active is True
