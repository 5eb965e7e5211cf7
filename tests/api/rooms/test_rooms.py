from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import ScheduleException, ScheduleTemplate
from tests.api.patients.factories import make_appointment, make_type
from tests.conftest import ClinicWorld

URL = "/api/rooms"


def _fields(body: dict[str, object]) -> list[str]:
    return [e["field"] for e in body["errors"]]  # type: ignore[index]


class TestRoomCrud:
    def test_create_read_update_delete(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        created = client.post(URL, json={"name": "Imaging", "kind": "X-Ray"}, headers=h)
        assert created.status_code == 201, created.text
        room = created.json()
        assert room["kind"] == "x-ray"  # one spelling per kind, so appointment types match
        assert room["active"] is True and room["clinicId"] == world.clinic.id

        assert client.get(f"{URL}/{room['id']}", headers=h).json()["name"] == "Imaging"

        updated = client.put(f"{URL}/{room['id']}", json={"kind": "scanner"}, headers=h).json()
        assert updated["kind"] == "scanner" and updated["name"] == "Imaging"

        assert client.delete(f"{URL}/{room['id']}", headers=h).status_code == 204
        gone = client.get(f"{URL}/{room['id']}", headers=h)
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"

    def test_filters_by_kind_and_active(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        scan = client.post(URL, json={"name": "Scan 1", "kind": "scanner"}, headers=h).json()
        client.post(URL, json={"name": "X 1", "kind": "x-ray"}, headers=h)
        old = client.post(
            URL, json={"name": "Scan 0", "kind": "scanner", "active": False}, headers=h
        ).json()

        scanners = client.get(URL, params={"kind": "Scanner"}, headers=h).json()
        assert [r["name"] for r in scanners["items"]] == ["Scan 0", "Scan 1"]
        usable = client.get(URL, params={"kind": "scanner", "active": True}, headers=h).json()
        assert [r["id"] for r in usable["items"]] == [scan["id"]] and usable["total"] == 1
        retired = client.get(URL, params={"active": False}, headers=h).json()
        assert [r["id"] for r in retired["items"]] == [old["id"]]
        assert client.get(URL, params={"kind": "consult"}, headers=h).json()["total"] == 0

    def test_pagination(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        for name in ("C", "A", "B"):
            client.post(URL, json={"name": name, "kind": "consult"}, headers=h)
        page = client.get(URL, params={"limit": 2, "offset": 1}, headers=h).json()
        assert [r["name"] for r in page["items"]] == ["B", "C"]
        assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)


class TestRoomValidation:
    def test_duplicate_name_is_conflict(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        client.post(URL, json={"name": "Imaging", "kind": "x-ray"}, headers=h)
        again = client.post(URL, json={"name": "Imaging", "kind": "scanner"}, headers=h)
        assert again.status_code == 409 and "Imaging" in again.json()["detail"]

    def test_rename_onto_existing_name_is_conflict(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("admin")
        client.post(URL, json={"name": "Imaging", "kind": "x-ray"}, headers=h)
        other = client.post(URL, json={"name": "Consult", "kind": "consult"}, headers=h).json()
        clash = client.put(f"{URL}/{other['id']}", json={"name": "Imaging"}, headers=h)
        assert clash.status_code == 409 and "Imaging" in clash.json()["detail"]
        assert client.get(f"{URL}/{other['id']}", headers=h).json()["name"] == "Consult"

    def test_same_name_in_another_clinic_is_fine(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld
    ) -> None:
        body = {"name": "Imaging", "kind": "x-ray"}
        assert client.post(URL, json=body, headers=world.headers("admin")).status_code == 201
        assert client.post(URL, json=body, headers=other_world.headers("admin")).status_code == 201

    def test_kind_must_be_a_slug(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        for kind in ("x ray", "x_ray", "-scan", "scan-", "", "a" * 51):
            bad = client.post(URL, json={"name": "R", "kind": kind}, headers=h)
            assert bad.status_code == 422, kind
            assert _fields(bad.json()) == ["kind"], kind

    def test_missing_and_null_fields(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        missing = client.post(URL, json={"name": "R"}, headers=h)
        assert missing.status_code == 422 and _fields(missing.json()) == ["kind"]
        rid = client.post(URL, json={"name": "R", "kind": "consult"}, headers=h).json()["id"]
        null = client.put(f"{URL}/{rid}", json={"kind": None}, headers=h)
        assert null.status_code == 422 and _fields(null.json()) == ["kind"]
        assert client.get(f"{URL}/{rid}", headers=h).json()["kind"] == "consult"
        typo = client.put(f"{URL}/{rid}", json={"knd": "x"}, headers=h)
        assert typo.status_code == 422 and _fields(typo.json()) == ["knd"]


class TestRoomDelete:
    def test_room_with_appointments_is_kept(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        h = world.headers("admin")
        rid = client.post(URL, json={"name": "Imaging", "kind": "x-ray"}, headers=h).json()["id"]
        make_appointment(
            db,
            clinic_id=world.clinic.id,
            patient_id=world.patient.id,
            provider_id=world.provider.id,
            type_id=make_type(db, world.clinic.id).id,
            room_id=rid,
        )
        refused = client.delete(f"{URL}/{rid}", headers=h)
        assert refused.status_code == 409 and "appointments" in refused.json()["detail"]
        assert client.get(f"{URL}/{rid}", headers=h).status_code == 200

    def test_room_in_a_schedule_is_kept(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        h = world.headers("admin")
        rid = client.post(URL, json={"name": "Imaging", "kind": "x-ray"}, headers=h).json()["id"]
        template = ScheduleTemplate(clinic_id=world.clinic.id, name="Week")
        template.exceptions = [
            ScheduleException(resource_type="room", resource_id=rid, date=date(2031, 1, 1))
        ]
        db.add(template)
        db.commit()
        refused = client.delete(f"{URL}/{rid}", headers=h)
        assert refused.status_code == 409 and "schedule exceptions" in refused.json()["detail"]


class TestRoomPermissions:
    def test_staff_read_only_admin_writes(self, client: TestClient, world: ClinicWorld) -> None:
        rid = client.post(
            URL, json={"name": "R", "kind": "consult"}, headers=world.headers("admin")
        ).json()["id"]
        for role in ("frontdesk", "provider"):
            h = world.headers(role)
            assert client.get(URL, headers=h).json()["total"] == 1
            assert client.get(f"{URL}/{rid}", headers=h).status_code == 200
            assert client.post(URL, json={"name": "X", "kind": "a"}, headers=h).status_code == 403
            assert client.put(f"{URL}/{rid}", json={"name": "Y"}, headers=h).status_code == 403
            assert client.delete(f"{URL}/{rid}", headers=h).status_code == 403

    def test_patient_role_is_forbidden_everywhere(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        rid = client.post(
            URL, json={"name": "R", "kind": "consult"}, headers=world.headers("admin")
        ).json()["id"]
        h = world.headers("patient")
        assert client.get(URL, headers=h).status_code == 403
        assert client.get(f"{URL}/{rid}", headers=h).status_code == 403
        assert client.post(URL, json={"name": "X", "kind": "a"}, headers=h).status_code == 403
        assert client.put(f"{URL}/{rid}", json={"name": "X"}, headers=h).status_code == 403
        assert client.delete(f"{URL}/{rid}", headers=h).status_code == 403


class TestRoomIsolation:
    def test_other_clinic_room_is_invisible(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld
    ) -> None:
        theirs = client.post(
            URL, json={"name": "Theirs", "kind": "x-ray"}, headers=other_world.headers("admin")
        ).json()
        mine = world.headers("admin")
        assert client.get(f"{URL}/{theirs['id']}", headers=mine).status_code == 404
        stolen = client.put(f"{URL}/{theirs['id']}", json={"name": "Stolen"}, headers=mine)
        assert stolen.status_code == 404
        assert client.delete(f"{URL}/{theirs['id']}", headers=mine).status_code == 404
        assert client.get(URL, params={"kind": "x-ray"}, headers=mine).json()["total"] == 0
        kept = client.get(f"{URL}/{theirs['id']}", headers=other_world.headers("admin")).json()
        assert kept["name"] == "Theirs"
