from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import Appointment, PlannedProcedure
from tests.api.patients.factories import make_appointment, make_type
from tests.conftest import ClinicWorld

URL = "/api/treatment-plans"


def _fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body["errors"]]


@pytest.fixture
def types(db: Session, world: ClinicWorld) -> dict[str, str]:
    return {code: make_type(db, world.clinic.id, code).id for code in ("SCAN", "FIT", "ADJ")}


def _plan(world: ClinicWorld, types: dict[str, str], **overrides: Any) -> dict[str, Any]:
    return {
        "patientId": world.patient.id,
        "name": "Braces",
        "procedures": [
            {"name": "Scan", "code": "SCAN", "appointmentTypeId": types["SCAN"]},
            {"name": "Fit braces", "code": "FIT", "appointmentTypeId": types["FIT"]},
        ],
        **overrides,
    }


def _create(client: TestClient, world: ClinicWorld, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(URL, json=body, headers=world.headers("frontdesk"))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _summary(plan: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(p["sequence"], p["name"], p["status"]) for p in plan["procedures"]]


class TestPlanCrud:
    def test_create_read_update_delete(
        self, client: TestClient, world: ClinicWorld, types: dict[str, str]
    ) -> None:
        h = world.headers("frontdesk")
        plan = _create(client, world, _plan(world, types))
        assert plan["status"] == "ACTIVE" and plan["patientId"] == world.patient.id
        assert _summary(plan) == [(1, "Scan", "PENDING"), (2, "Fit braces", "PENDING")]
        assert all(p["id"] for p in plan["procedures"])
        assert plan["procedures"][0]["appointmentTypeId"] == types["SCAN"]

        got = client.get(f"{URL}/{plan['id']}", headers=h).json()
        assert got["procedures"] == plan["procedures"]

        renamed = client.put(
            f"{URL}/{plan['id']}", json={"name": "Invisalign", "status": "COMPLETED"}, headers=h
        ).json()
        assert renamed["name"] == "Invisalign" and renamed["status"] == "COMPLETED"
        # Procedures not sent: unchanged, ids included.
        assert renamed["procedures"] == plan["procedures"]

        assert client.delete(f"{URL}/{plan['id']}", headers=h).status_code == 204
        gone = client.get(f"{URL}/{plan['id']}", headers=h)
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"

    def test_replacing_procedures_keeps_reorders_adds_and_removes(
        self, client: TestClient, world: ClinicWorld, types: dict[str, str], db: Session
    ) -> None:
        h = world.headers("frontdesk")
        plan = _create(client, world, _plan(world, types))
        scan, fit = plan["procedures"]
        replaced = client.put(
            f"{URL}/{plan['id']}",
            json={
                "procedures": [
                    {
                        "id": fit["id"],
                        "name": "Fit braces",
                        "code": "FIT",
                        "appointmentTypeId": types["FIT"],
                        "status": "SCHEDULED",
                    },
                    {"name": "Adjust", "appointmentTypeId": types["ADJ"]},
                ]
            },
            headers=h,
        )
        assert replaced.status_code == 200, replaced.text
        body = replaced.json()
        assert _summary(body) == [(1, "Fit braces", "SCHEDULED"), (2, "Adjust", "PENDING")]
        assert body["procedures"][0]["id"] == fit["id"]  # kept, not recreated
        assert body["procedures"][1]["code"] is None
        assert _at(body["updatedAt"]) > _at(plan["updatedAt"])  # the edit shows on the plan
        assert client.get(f"{URL}/{plan['id']}", headers=h).json() == body
        db.expire_all()
        assert db.get(PlannedProcedure, scan["id"]) is None  # dropped from the list: gone

    def test_empty_list_clears_procedures(
        self, client: TestClient, world: ClinicWorld, types: dict[str, str]
    ) -> None:
        plan = _create(client, world, _plan(world, types))
        cleared = client.put(
            f"{URL}/{plan['id']}", json={"procedures": []}, headers=world.headers("frontdesk")
        )
        assert cleared.status_code == 200 and cleared.json()["procedures"] == []

    def test_list_filters(
        self, client: TestClient, world: ClinicWorld, types: dict[str, str]
    ) -> None:
        h = world.headers("provider")
        other = client.post(
            "/api/patients",
            json={"firstName": "Sam", "lastName": "Roe", "dateOfBirth": "2001-02-03"},
            headers=world.headers("frontdesk"),
        ).json()
        mine = _create(client, world, _plan(world, types))
        done = _create(client, world, _plan(world, types, name="Retainer", status="COMPLETED"))
        theirs = _create(client, world, _plan(world, types, patientId=other["id"], procedures=[]))

        def ids(**params: Any) -> set[str]:
            return {p["id"] for p in client.get(URL, params=params, headers=h).json()["items"]}

        assert ids() == {mine["id"], done["id"], theirs["id"]}
        assert ids(patientId=world.patient.id) == {mine["id"], done["id"]}
        assert ids(patientId=world.patient.id, status="ACTIVE") == {mine["id"]}
        assert ids(status="COMPLETED") == {done["id"]}
        page = client.get(URL, params={"limit": 2}, headers=h).json()
        assert len(page["items"]) == 2 and page["total"] == 3
        listed = client.get(URL, params={"patientId": other["id"]}, headers=h).json()
        assert listed["items"][0]["procedures"] == []


class TestPlanValidation:
    def test_patient_must_be_in_the_clinic(
        self,
        client: TestClient,
        world: ClinicWorld,
        other_world: ClinicWorld,
        types: dict[str, str],
    ) -> None:
        h = world.headers("frontdesk")
        for patient_id in (other_world.patient.id, "nobody"):
            bad = client.post(URL, json=_plan(world, types, patientId=patient_id), headers=h)
            assert bad.status_code == 422 and _fields(bad.json()) == ["patientId"]

    def test_appointment_type_must_be_in_the_clinic(
        self,
        client: TestClient,
        world: ClinicWorld,
        other_world: ClinicWorld,
        types: dict[str, str],
        db: Session,
    ) -> None:
        h = world.headers("frontdesk")
        foreign = make_type(db, other_world.clinic.id, "SCAN").id
        body = _plan(world, types)
        body["procedures"][1]["appointmentTypeId"] = foreign
        bad = client.post(URL, json=body, headers=h)
        assert bad.status_code == 422
        assert _fields(bad.json()) == ["procedures.1.appointmentTypeId"]

        plan = _create(client, world, _plan(world, types))
        replaced = client.put(
            f"{URL}/{plan['id']}",
            json={"procedures": [{"name": "X", "appointmentTypeId": "missing"}]},
            headers=h,
        )
        assert _fields(replaced.json()) == ["procedures.0.appointmentTypeId"]
        assert client.get(f"{URL}/{plan['id']}", headers=h).json() == plan

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"name": ""}, "name"),
            ({"status": "PAUSED"}, "status"),
            ({"procedures": "scan"}, "procedures"),
            ({"notes": "x"}, "notes"),
        ],
    )
    def test_bad_plan_field_is_named(
        self,
        client: TestClient,
        world: ClinicWorld,
        types: dict[str, str],
        change: dict[str, Any],
        field: str,
    ) -> None:
        bad = client.post(URL, json=_plan(world, types, **change), headers=world.headers("admin"))
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert _fields(bad.json()) == [field]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"name": " "}, "procedures.1.name"),
            ({"status": "BOOKED"}, "procedures.1.status"),
            ({"appointmentTypeId": None}, "procedures.1.appointmentTypeId"),
            ({"code": "C" * 51}, "procedures.1.code"),
            ({"sequence": 7}, "procedures.1.sequence"),
        ],
    )
    def test_bad_procedure_field_is_named(
        self,
        client: TestClient,
        world: ClinicWorld,
        types: dict[str, str],
        change: dict[str, Any],
        field: str,
    ) -> None:
        body = _plan(world, types)
        body["procedures"][1].update(change)
        bad = client.post(URL, json=body, headers=world.headers("admin"))
        assert bad.status_code == 422 and _fields(bad.json()) == [field]

    def test_procedure_ids_must_belong_to_the_plan(
        self, client: TestClient, world: ClinicWorld, types: dict[str, str]
    ) -> None:
        h = world.headers("frontdesk")
        plan = _create(client, world, _plan(world, types))
        other = _create(client, world, _plan(world, types, name="Other"))
        scan = plan["procedures"][0]
        stranger = other["procedures"][0]

        def put(procedures: list[dict[str, Any]]) -> dict[str, Any]:
            response = client.put(f"{URL}/{plan['id']}", json={"procedures": procedures}, headers=h)
            assert response.status_code == 422
            body: dict[str, Any] = response.json()
            return body

        item = {"name": "Scan", "appointmentTypeId": types["SCAN"]}
        assert _fields(put([{**item, "id": scan["id"]}, {**item, "id": stranger["id"]}])) == [
            "procedures.1.id"
        ]
        assert _fields(put([{**item, "id": scan["id"]}, {**item, "id": scan["id"]}])) == [
            "procedures.1.id"
        ]
        # Ids on create have nothing to keep.
        body = _plan(world, types)
        body["procedures"][0]["id"] = scan["id"]
        created = client.post(URL, json=body, headers=h)
        assert created.status_code == 422 and _fields(created.json()) == ["procedures.0.id"]
        # The other plan's procedure is untouched.
        assert client.get(f"{URL}/{other['id']}", headers=h).json() == other

    def test_null_is_refused_and_patient_cannot_change(
        self, client: TestClient, world: ClinicWorld, types: dict[str, str]
    ) -> None:
        h = world.headers("frontdesk")
        plan = _create(client, world, _plan(world, types))
        for field in ("name", "status", "procedures"):
            bad = client.put(f"{URL}/{plan['id']}", json={field: None}, headers=h)
            assert bad.status_code == 422 and _fields(bad.json()) == [field]
        moved = client.put(f"{URL}/{plan['id']}", json={"patientId": "x"}, headers=h)
        assert moved.status_code == 422 and _fields(moved.json()) == ["patientId"]
        assert client.get(f"{URL}/{plan['id']}", headers=h).json() == plan

    def test_bad_status_filter(self, client: TestClient, world: ClinicWorld) -> None:
        bad = client.get(URL, params={"status": "open"}, headers=world.headers("admin"))
        assert bad.status_code == 422 and _fields(bad.json()) == ["status"]


class TestBookedProcedures:
    @pytest.fixture
    def booked(
        self, client: TestClient, world: ClinicWorld, types: dict[str, str], db: Session
    ) -> tuple[dict[str, Any], Appointment]:
        plan = _create(client, world, _plan(world, types))
        appointment = make_appointment(
            db,
            clinic_id=world.clinic.id,
            patient_id=world.patient.id,
            provider_id=world.provider.id,
            type_id=types["SCAN"],
            procedure_ids=(plan["procedures"][0]["id"],),
        )
        return plan, appointment

    def test_booked_procedure_cannot_be_dropped(
        self,
        client: TestClient,
        world: ClinicWorld,
        types: dict[str, str],
        booked: tuple[dict[str, Any], Appointment],
    ) -> None:
        plan, _ = booked
        h = world.headers("frontdesk")
        fit = plan["procedures"][1]
        dropped = client.put(
            f"{URL}/{plan['id']}",
            json={"procedures": [{k: fit[k] for k in ("id", "name", "appointmentTypeId")}]},
            headers=h,
        )
        assert dropped.status_code == 409 and "Scan" in dropped.json()["detail"]
        assert client.get(f"{URL}/{plan['id']}", headers=h).json() == plan

    def test_booked_procedure_can_be_kept_and_moved(
        self,
        client: TestClient,
        world: ClinicWorld,
        booked: tuple[dict[str, Any], Appointment],
        db: Session,
    ) -> None:
        plan, appointment = booked
        scan, fit = plan["procedures"]
        keep = ("id", "name", "code", "appointmentTypeId")
        swapped = client.put(
            f"{URL}/{plan['id']}",
            json={
                "procedures": [
                    {k: fit[k] for k in keep},
                    {**{k: scan[k] for k in keep}, "status": "SCHEDULED"},
                ]
            },
            headers=world.headers("frontdesk"),
        )
        assert swapped.status_code == 200
        assert _summary(swapped.json()) == [(1, "Fit braces", "PENDING"), (2, "Scan", "SCHEDULED")]
        db.expire_all()
        linked = db.get_one(Appointment, appointment.id)
        assert [p.id for p in linked.procedures] == [scan["id"]]

    def test_plan_with_booked_appointments_cannot_be_deleted(
        self,
        client: TestClient,
        world: ClinicWorld,
        booked: tuple[dict[str, Any], Appointment],
    ) -> None:
        plan, _ = booked
        refused = client.delete(f"{URL}/{plan['id']}", headers=world.headers("frontdesk"))
        assert refused.status_code == 409 and "CANCELLED" in refused.json()["detail"]

    def test_plan_referenced_by_an_appointment_cannot_be_deleted(
        self, client: TestClient, world: ClinicWorld, types: dict[str, str], db: Session
    ) -> None:
        plan = _create(client, world, _plan(world, types, procedures=[]))
        make_appointment(
            db,
            clinic_id=world.clinic.id,
            patient_id=world.patient.id,
            provider_id=world.provider.id,
            type_id=types["ADJ"],
            treatment_plan_id=plan["id"],
        )
        refused = client.delete(f"{URL}/{plan['id']}", headers=world.headers("admin"))
        assert refused.status_code == 409


class TestPlanPermissions:
    def test_provider_reads_but_cannot_write(
        self, client: TestClient, world: ClinicWorld, types: dict[str, str]
    ) -> None:
        plan = _create(client, world, _plan(world, types))
        h = world.headers("provider")
        assert client.get(URL, headers=h).json()["total"] == 1
        assert client.get(f"{URL}/{plan['id']}", headers=h).status_code == 200
        denied = client.post(URL, json=_plan(world, types), headers=h)
        assert denied.status_code == 403
        assert "booking:create_appointment" in denied.json()["detail"]
        assert client.put(f"{URL}/{plan['id']}", json={"name": "X"}, headers=h).status_code == 403
        assert client.delete(f"{URL}/{plan['id']}", headers=h).status_code == 403

    def test_patient_role_is_forbidden_everywhere(
        self, client: TestClient, world: ClinicWorld, types: dict[str, str]
    ) -> None:
        # Even for their own plan: the portal has its own endpoints.
        plan = _create(client, world, _plan(world, types))
        h = world.headers("patient")
        assert client.get(URL, headers=h).status_code == 403
        assert client.get(f"{URL}/{plan['id']}", headers=h).status_code == 403
        assert client.post(URL, json=_plan(world, types), headers=h).status_code == 403
        assert client.put(f"{URL}/{plan['id']}", json={"name": "X"}, headers=h).status_code == 403
        assert client.delete(f"{URL}/{plan['id']}", headers=h).status_code == 403


class TestPlanIsolation:
    def test_other_clinic_plan_is_invisible(
        self,
        client: TestClient,
        world: ClinicWorld,
        other_world: ClinicWorld,
        db: Session,
    ) -> None:
        their_type = make_type(db, other_world.clinic.id, "SCAN").id
        theirs = _create(
            client,
            other_world,
            {
                "patientId": other_world.patient.id,
                "name": "Secret",
                "procedures": [{"name": "Scan", "appointmentTypeId": their_type}],
            },
        )
        mine = world.headers("admin")
        assert client.get(f"{URL}/{theirs['id']}", headers=mine).status_code == 404
        stolen = client.put(f"{URL}/{theirs['id']}", json={"name": "X"}, headers=mine)
        assert stolen.status_code == 404
        assert client.delete(f"{URL}/{theirs['id']}", headers=mine).status_code == 404
        assert client.get(URL, headers=mine).json()["total"] == 0
        by_patient = client.get(URL, params={"patientId": other_world.patient.id}, headers=mine)
        assert by_patient.json()["total"] == 0
        kept = client.get(f"{URL}/{theirs['id']}", headers=other_world.headers("admin")).json()
        assert kept == theirs
