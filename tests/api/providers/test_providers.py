from __future__ import annotations

from datetime import time

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import Clinic, ScheduleTemplate, WorkingHours
from tests.api.patients.factories import make_appointment, make_type
from tests.conftest import ClinicWorld

URL = "/api/providers"


def _fields(body: dict[str, object]) -> list[str]:
    return [e["field"] for e in body["errors"]]  # type: ignore[index]


class TestProviderCrud:
    def test_create_read_update_delete(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        created = client.post(
            URL, json={"name": "Dr Who", "title": "Orthodontist", "color": "#AA00ff"}, headers=h
        )
        assert created.status_code == 201, created.text
        provider = created.json()
        assert provider["name"] == "Dr Who" and provider["title"] == "Orthodontist"
        assert provider["color"] == "#aa00ff"  # stored lowercase
        assert provider["active"] is True and provider["clinicId"] == world.clinic.id

        got = client.get(f"{URL}/{provider['id']}", headers=h)
        assert got.status_code == 200 and got.json()["name"] == "Dr Who"

        updated = client.put(f"{URL}/{provider['id']}", json={"active": False}, headers=h).json()
        assert updated["active"] is False
        assert updated["name"] == "Dr Who" and updated["color"] == "#aa00ff"  # untouched

        inactive = client.get(URL, params={"active": False}, headers=h).json()
        assert [p["id"] for p in inactive["items"]] == [provider["id"]]
        assert inactive["total"] == 1
        active = client.get(URL, params={"active": True}, headers=h).json()
        assert [p["id"] for p in active["items"]] == [world.provider.id]

        assert client.delete(f"{URL}/{provider['id']}", headers=h).status_code == 204
        gone = client.get(f"{URL}/{provider['id']}", headers=h)
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"

    def test_null_clears_title_and_color(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        pid = client.post(
            URL, json={"name": "A", "title": "Hygienist", "color": "#123456"}, headers=h
        ).json()["id"]
        cleared = client.put(f"{URL}/{pid}", json={"title": None, "color": None}, headers=h)
        assert cleared.status_code == 200
        assert cleared.json()["title"] is None and cleared.json()["color"] is None

    def test_null_name_is_rejected_and_changes_nothing(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("admin")
        pid = client.post(URL, json={"name": "Keep"}, headers=h).json()["id"]
        refused = client.put(f"{URL}/{pid}", json={"name": None, "active": False}, headers=h)
        assert refused.status_code == 422
        assert _fields(refused.json()) == ["name"]
        again = client.get(f"{URL}/{pid}", headers=h).json()
        assert again["name"] == "Keep" and again["active"] is True

    def test_list_is_paginated_by_name(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        for name in ("Cara", "Abe", "Bea"):
            client.post(URL, json={"name": name}, headers=h)
        page = client.get(URL, params={"limit": 2, "offset": 0}, headers=h).json()
        # The world's "Dr Smile Clinic" sorts after the three.
        assert [p["name"] for p in page["items"]] == ["Abe", "Bea"]
        assert page["total"] == 4 and page["limit"] == 2 and page["offset"] == 0
        rest = client.get(URL, params={"limit": 2, "offset": 2}, headers=h).json()
        assert [p["name"] for p in rest["items"]] == ["Cara", "Dr Smile Clinic"]


class TestProviderValidation:
    def test_bad_color(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        for color in ("red", "#12345", "#1234567", "#ggg000"):
            bad = client.post(URL, json={"name": "X", "color": color}, headers=h)
            assert bad.status_code == 422, color
            assert bad.headers["content-type"] == "application/problem+json"
            assert _fields(bad.json()) == ["color"]

    def test_blank_name_missing_name_and_unknown_field(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("admin")
        assert _fields(client.post(URL, json={"name": "  "}, headers=h).json()) == ["name"]
        assert _fields(client.post(URL, json={"title": "Dr"}, headers=h).json()) == ["name"]
        typo = client.post(URL, json={"name": "X", "colour": "#000000"}, headers=h)
        assert typo.status_code == 422 and _fields(typo.json()) == ["colour"]

    def test_bad_active_filter(self, client: TestClient, world: ClinicWorld) -> None:
        bad = client.get(URL, params={"active": "maybe"}, headers=world.headers("admin"))
        assert bad.status_code == 422 and _fields(bad.json()) == ["active"]


class TestProviderDelete:
    def test_provider_with_appointments_is_kept(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        h = world.headers("admin")
        pid = client.post(URL, json={"name": "Busy"}, headers=h).json()["id"]
        kind = make_type(db, world.clinic.id)
        make_appointment(
            db,
            clinic_id=world.clinic.id,
            patient_id=world.patient.id,
            provider_id=pid,
            type_id=kind.id,
        )
        refused = client.delete(f"{URL}/{pid}", headers=h)
        assert refused.status_code == 409
        assert "appointments" in refused.json()["detail"]
        assert "active to false" in refused.json()["detail"]
        assert client.get(f"{URL}/{pid}", headers=h).status_code == 200

    def test_provider_with_working_hours_is_kept(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        h = world.headers("admin")
        pid = client.post(URL, json={"name": "Rostered"}, headers=h).json()["id"]
        template = ScheduleTemplate(clinic_id=world.clinic.id, name="Week", active=True)
        template.working_hours = [
            WorkingHours(
                resource_type="provider",
                resource_id=pid,
                weekday=0,
                start_time=time(9),
                end_time=time(17),
            )
        ]
        db.add(template)
        db.commit()
        refused = client.delete(f"{URL}/{pid}", headers=h)
        assert refused.status_code == 409 and "working hours" in refused.json()["detail"]

    def test_provider_with_a_login_is_kept(self, client: TestClient, world: ClinicWorld) -> None:
        # The world's provider is bound to the provider-role user.
        refused = client.delete(f"{URL}/{world.provider.id}", headers=world.headers("admin"))
        assert refused.status_code == 409 and "user accounts" in refused.json()["detail"]

    def test_usual_provider_of_a_patient_can_go(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        h = world.headers("admin")
        pid = client.post(URL, json={"name": "Leaving"}, headers=h).json()["id"]
        patient = client.post(
            "/api/patients",
            json={
                "firstName": "Ann",
                "lastName": "Lee",
                "dateOfBirth": "1990-01-01",
                "usualProviderId": pid,
            },
            headers=h,
        ).json()
        assert client.delete(f"{URL}/{pid}", headers=h).status_code == 204
        after = client.get(f"/api/patients/{patient['id']}", headers=h).json()
        assert after["usualProviderId"] is None


class TestProviderPermissions:
    def test_staff_read_only_admin_writes(self, client: TestClient, world: ClinicWorld) -> None:
        for role in ("frontdesk", "provider"):
            h = world.headers(role)
            assert client.get(URL, headers=h).status_code == 200
            assert client.get(f"{URL}/{world.provider.id}", headers=h).status_code == 200
            denied = client.post(URL, json={"name": "X"}, headers=h)
            assert denied.status_code == 403
            assert "booking:configure" in denied.json()["detail"]
            put = client.put(f"{URL}/{world.provider.id}", json={"name": "Y"}, headers=h)
            assert put.status_code == 403
            assert client.delete(f"{URL}/{world.provider.id}", headers=h).status_code == 403

    def test_patient_role_is_forbidden_everywhere(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("patient")
        pid = world.provider.id
        assert client.get(URL, headers=h).status_code == 403
        assert client.get(f"{URL}/{pid}", headers=h).status_code == 403
        assert client.post(URL, json={"name": "X"}, headers=h).status_code == 403
        assert client.put(f"{URL}/{pid}", json={"name": "X"}, headers=h).status_code == 403
        assert client.delete(f"{URL}/{pid}", headers=h).status_code == 403

    def test_anonymous_is_unauthorized(self, client: TestClient, world: ClinicWorld) -> None:
        assert client.get(URL).status_code == 401


class TestProviderIsolation:
    def test_other_clinic_provider_is_invisible(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld, db: Session
    ) -> None:
        theirs = client.post(
            URL, json={"name": "Theirs"}, headers=other_world.headers("admin")
        ).json()
        mine = world.headers("admin")
        assert client.get(f"{URL}/{theirs['id']}", headers=mine).status_code == 404
        stolen = client.put(f"{URL}/{theirs['id']}", json={"name": "Stolen"}, headers=mine)
        assert stolen.status_code == 404
        assert client.delete(f"{URL}/{theirs['id']}", headers=mine).status_code == 404
        listed = client.get(URL, headers=mine).json()
        assert [p["id"] for p in listed["items"]] == [world.provider.id]
        check = client.get(f"{URL}/{theirs['id']}", headers=other_world.headers("admin"))
        assert check.json()["name"] == "Theirs"
        assert db.get(Clinic, other_world.clinic.id) is not None
