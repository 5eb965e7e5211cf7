"""The clinic admin's /api/clients: create (secret shown once), list, change, rotate, revoke."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import MachineClient
from tests.api.clients.support import create_client, request_token
from tests.conftest import ClinicWorld


class TestCreate:
    def test_secret_is_shown_once_and_stored_only_as_a_hash(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        created = create_client(client, world, ["system/Slot.read", "system/Slot.read"])
        assert created["id"].startswith("swc_") and len(created["id"]) == 32
        assert created["clientSecret"].startswith("sws_")
        assert created["scopes"] == ["system/Slot.read"]
        assert created["active"] is True
        assert created["createdBy"] == world.users["admin"].id
        stored = db.get(MachineClient, created["id"])
        assert stored is not None
        assert stored.secret_hash.startswith("$argon2")
        assert created["clientSecret"] not in stored.secret_hash
        listed = client.get("/api/clients", headers=world.headers("admin")).json()
        assert [c["id"] for c in listed["items"]] == [created["id"]]
        assert "clientSecret" not in listed["items"][0]
        one = client.get(f"/api/clients/{created['id']}", headers=world.headers("admin")).json()
        assert "clientSecret" not in one

    def test_a_scope_outside_the_grammar_is_refused_naming_it(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        for bad in ("patient/Slot.read", "system/Invoice.read", "system/Slot.delete", "*"):
            resp = client.post(
                "/api/clients",
                headers=world.headers("admin"),
                json={"name": "Marketplace", "scopes": [bad]},
            )
            assert resp.status_code == 422, bad
            assert bad in resp.text
        resp = client.post(
            "/api/clients", headers=world.headers("admin"), json={"name": "X", "scopes": []}
        )
        assert resp.status_code == 422

    def test_frontdesk_may_not_manage_clients(self, client: TestClient, world: ClinicWorld) -> None:
        resp = client.post(
            "/api/clients",
            headers=world.headers("frontdesk"),
            json={"name": "Site", "scopes": ["system/*.read"]},
        )
        assert resp.status_code == 403
        assert "clients:manage" in resp.json()["detail"]


class TestOtherClinic:
    def test_another_clinics_client_is_not_found(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld
    ) -> None:
        theirs = create_client(client, other_world, ["system/*.read"])
        admin = world.headers("admin")
        assert client.get("/api/clients", headers=admin).json()["items"] == []
        for method, path in (
            ("GET", ""),
            ("PUT", ""),
            ("POST", "/rotate-secret"),
            ("POST", "/revoke"),
        ):
            resp = client.request(
                method, f"/api/clients/{theirs['id']}{path}", headers=admin, json={}
            )
            assert resp.status_code == 404, (method, path)
        # Nothing happened to it.
        assert request_token(client, theirs).status_code == 200


class TestChange:
    def test_rename_and_narrow_scopes(self, client: TestClient, world: ClinicWorld) -> None:
        created = create_client(client, world, ["system/*.read", "system/Appointment.write"])
        resp = client.put(
            f"/api/clients/{created['id']}",
            headers=world.headers("admin"),
            json={"name": "Website (read only)", "scopes": ["system/*.read"]},
        )
        assert resp.status_code == 200
        assert resp.json()["name"] == "Website (read only)"
        assert resp.json()["scopes"] == ["system/*.read"]
        refused = request_token(client, created, "system/Appointment.write")
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_scope"

    def test_rotation_retires_the_old_secret(self, client: TestClient, world: ClinicWorld) -> None:
        created = create_client(client, world, ["system/Slot.read"])
        resp = client.post(
            f"/api/clients/{created['id']}/rotate-secret", headers=world.headers("admin")
        )
        assert resp.status_code == 200
        rotated = resp.json()
        assert rotated["clientSecret"] != created["clientSecret"]
        assert rotated["secretRotatedAt"] is not None
        assert request_token(client, created).status_code == 401
        assert request_token(client, rotated).status_code == 200

    def test_revoked_is_final(self, client: TestClient, world: ClinicWorld) -> None:
        created = create_client(client, world, ["system/Slot.read"])
        admin = world.headers("admin")
        resp = client.post(f"/api/clients/{created['id']}/revoke", headers=admin)
        assert resp.status_code == 200
        assert resp.json()["active"] is False
        assert resp.json()["revokedAt"] is not None
        first = resp.json()["revokedAt"]
        again = client.post(f"/api/clients/{created['id']}/revoke", headers=admin)
        assert again.json()["revokedAt"] == first
        assert request_token(client, created).status_code == 401
        for path, body in (("/rotate-secret", None), ("", {"name": "Back again"})):
            method = "PUT" if body else "POST"
            resp = client.request(
                method, f"/api/clients/{created['id']}{path}", headers=admin, json=body
            )
            assert resp.status_code == 409
            assert "create a new client" in resp.json()["detail"]
