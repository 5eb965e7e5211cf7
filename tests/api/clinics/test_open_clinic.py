"""Opening a clinic: only the platform operator may; the clinic comes with its first admin, who
signs in, sees only that clinic and sets it up."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import Clinic, User
from tests.api.clinics.conftest import ADMIN_PASSWORD, opening
from tests.conftest import PASSWORD, ClinicWorld


def _clinics(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(Clinic)) or 0)


def _sign_in(client: TestClient, email: str, password: str = ADMIN_PASSWORD) -> dict[str, str]:
    resp = client.post("/api/auth/token", data={"username": email, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


class TestOnlyThePlatformOpensClinics:
    def test_a_clinic_admin_cannot_open_a_clinic(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        before = _clinics(db)
        for role in ("admin", "frontdesk", "provider", "patient"):
            resp = client.post("/api/clinics", json=opening(), headers=world.headers(role))
            assert resp.status_code == 403, (role, resp.text)
            assert resp.headers["content-type"] == "application/problem+json"
        assert "slotwise clinics create" in resp.json()["detail"]
        assert _clinics(db) == before
        assert db.scalar(select(User).where(User.email == "owner@harbour-dental.example")) is None

    def test_the_operator_loses_the_right_at_once_when_unmarked(
        self, client: TestClient, world: ClinicWorld, db: Session, operator: dict[str, str]
    ) -> None:
        user = db.get(User, world.users["admin"].id)
        assert user is not None
        user.platform_operator = False
        db.commit()
        # Same token, issued while they were the operator: the flag is read on each request.
        assert client.post("/api/clinics", json=opening(), headers=operator).status_code == 403

    def test_me_lists_the_platform_permission_only_for_the_operator(
        self, client: TestClient, world: ClinicWorld, operator: dict[str, str]
    ) -> None:
        mine = client.get("/api/auth/me", headers=operator).json()["permissions"]
        theirs = client.get("/api/auth/me", headers=world.headers("frontdesk")).json()
        assert "platform:open_clinic" in mine
        assert "platform:open_clinic" not in theirs["permissions"]


class TestOpeningAClinic:
    def test_the_first_admin_signs_in_to_their_new_clinic_and_configures_it(
        self, client: TestClient, world: ClinicWorld, operator: dict[str, str]
    ) -> None:
        body = opening(websiteOrigins=["https://www.harbour-dental.example/"])
        resp = client.post("/api/clinics", json=body, headers=operator)
        assert resp.status_code == 201, resp.text
        opened = resp.json()
        assert opened["name"] == "Harbour Dental" and opened["timeZone"] == "Europe/London"
        assert opened["websiteOrigins"] == ["https://www.harbour-dental.example"]
        assert opened["active"] is True
        # The booking policy starts from the documented defaults.
        assert opened["minLeadTimeMinutes"] == 120 and opened["slotGranularityMinutes"] == 5
        assert "firstAdmin" not in opened and "password" not in resp.text

        owner = _sign_in(client, "Owner@Harbour-Dental.example")
        me = client.get("/api/auth/me", headers=owner).json()
        assert me["clinicId"] == opened["id"] and me["role"] == "admin"
        assert "platform:open_clinic" not in me["permissions"]
        listed = client.get("/api/clinics", headers=owner).json()
        assert [c["id"] for c in listed["items"]] == [opened["id"]]
        changed = client.put(
            f"/api/clinics/{opened['id']}", json={"maxHorizonDays": 30}, headers=owner
        )
        assert changed.status_code == 200 and changed.json()["maxHorizonDays"] == 30
        # The new admin runs only their own clinic: the operator's is another clinic's.
        assert client.get(f"/api/clinics/{world.clinic.id}", headers=owner).status_code == 404
        assert (
            client.post("/api/clinics", json=opening("Another"), headers=owner).status_code == 403
        )
        # And the operator's own clinic is untouched by the one they opened.
        assert client.get("/api/clinics", headers=operator).json()["items"][0]["id"] == (
            world.clinic.id
        )

    def test_a_first_admin_who_works_at_another_clinic_keeps_both_accounts(
        self, client: TestClient, world: ClinicWorld, operator: dict[str, str]
    ) -> None:
        # Accounts are per clinic: the Smile Clinic's front desk also runs the new clinic.
        email = world.users["frontdesk"].email
        body = opening(firstAdmin={"email": email.upper(), "password": ADMIN_PASSWORD})
        resp = client.post("/api/clinics", json=body, headers=operator)
        assert resp.status_code == 201, resp.text
        new_admin = client.get("/api/auth/me", headers=_sign_in(client, email)).json()
        assert new_admin["clinicId"] == resp.json()["id"] and new_admin["role"] == "admin"
        old = client.get("/api/auth/me", headers=_sign_in(client, email, PASSWORD)).json()
        assert old["clinicId"] == world.clinic.id and old["role"] == "frontdesk"

    def test_a_short_password_or_missing_admin_names_the_field(
        self, client: TestClient, operator: dict[str, str]
    ) -> None:
        short = opening(firstAdmin={"email": "a@b.example", "password": "short"})
        resp = client.post("/api/clinics", json=short, headers=operator)
        assert resp.status_code == 422
        assert [e["field"] for e in resp.json()["errors"]] == ["firstAdmin.password"]
        missing = {k: v for k, v in opening().items() if k != "firstAdmin"}
        resp = client.post("/api/clinics", json=missing, headers=operator)
        assert resp.status_code == 422
        assert [e["field"] for e in resp.json()["errors"]] == ["firstAdmin"]

    def test_a_website_origin_with_a_path_is_refused(
        self, client: TestClient, operator: dict[str, str]
    ) -> None:
        body = opening(websiteOrigins=["https://www.harbour-dental.example/book"])
        resp = client.post("/api/clinics", json=body, headers=operator)
        assert resp.status_code == 422
        assert "without a path" in resp.json()["detail"]
