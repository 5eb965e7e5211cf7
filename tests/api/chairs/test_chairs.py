from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ClinicWorld


class TestChairCrud:
    def test_create_read_update_delete(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        created = client.post("/api/chairs", json={"name": "Chair 1"}, headers=h)
        assert created.status_code == 201, created.text
        chair = created.json()
        assert chair["name"] == "Chair 1" and chair["active"] is True
        assert chair["clinicId"] == world.clinic.id

        got = client.get(f"/api/chairs/{chair['id']}", headers=h)
        assert got.json()["name"] == "Chair 1"

        updated = client.put(f"/api/chairs/{chair['id']}", json={"active": False}, headers=h)
        assert updated.json()["active"] is False and updated.json()["name"] == "Chair 1"

        listed = client.get("/api/chairs", params={"active": False}, headers=h).json()
        assert [c["id"] for c in listed["items"]] == [chair["id"]] and listed["total"] == 1

        assert client.delete(f"/api/chairs/{chair['id']}", headers=h).status_code == 204
        gone = client.get(f"/api/chairs/{chair['id']}", headers=h)
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"

    def test_duplicate_name_is_conflict(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        client.post("/api/chairs", json={"name": "Chair 1"}, headers=h)
        again = client.post("/api/chairs", json={"name": "Chair 1"}, headers=h)
        assert again.status_code == 409
        assert "Chair 1" in again.json()["detail"]

    def test_blank_name_and_unknown_field_are_rejected(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("admin")
        blank = client.post("/api/chairs", json={"name": ""}, headers=h)
        assert blank.status_code == 422
        assert blank.json()["errors"][0]["field"] == "name"
        typo = client.post("/api/chairs", json={"name": "C", "actve": False}, headers=h)
        assert typo.status_code == 422
        assert typo.json()["errors"][0]["field"] == "actve"

    def test_frontdesk_reads_but_cannot_configure(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        assert client.get("/api/chairs", headers=world.headers("frontdesk")).status_code == 200
        denied = client.post("/api/chairs", json={"name": "X"}, headers=world.headers("frontdesk"))
        assert denied.status_code == 403
        assert "booking:configure" in denied.json()["detail"]

    def test_other_clinic_chair_is_invisible(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld
    ) -> None:
        theirs = client.post(
            "/api/chairs", json={"name": "Theirs"}, headers=other_world.headers("admin")
        ).json()
        mine = world.headers("admin")
        assert client.get(f"/api/chairs/{theirs['id']}", headers=mine).status_code == 404
        assert (
            client.put(
                f"/api/chairs/{theirs['id']}", json={"name": "Stolen"}, headers=mine
            ).status_code
            == 404
        )
        assert client.delete(f"/api/chairs/{theirs['id']}", headers=mine).status_code == 404
        assert client.get("/api/chairs", headers=mine).json()["total"] == 0


def test_chair_in_a_schedule_cannot_be_deleted(client: TestClient, world: ClinicWorld, db) -> None:  # type: ignore[no-untyped-def]
    from datetime import time

    from api.models import ScheduleTemplate, WorkingHours

    h = world.headers("admin")
    chair = client.post("/api/chairs", json={"name": "Chair 9"}, headers=h).json()
    template = ScheduleTemplate(clinic_id=world.clinic.id, name="Week", active=True)
    template.working_hours.append(
        WorkingHours(
            resource_type="chair",
            resource_id=chair["id"],
            weekday=0,
            start_time=time(8),
            end_time=time(12),
        )
    )
    db.add(template)
    db.commit()
    resp = client.delete(f"/api/chairs/{chair['id']}", headers=h)
    assert resp.status_code == 409
    assert "working hours" in resp.json()["detail"]
    assert client.get(f"/api/chairs/{chair['id']}", headers=h).status_code == 200
