from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import Provider
from tests.conftest import ClinicWorld

URL = "/api/appointment-types"


def type_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Adjustment",
        "code": "ADJ",
        "defaultDuration": 20,
        "minDuration": 15,
        "maxDuration": 30,
    }
    body.update(overrides)
    return body


def make_type(client: TestClient, world: ClinicWorld, **overrides: Any) -> dict[str, Any]:
    res = client.post(URL, json=type_body(**overrides), headers=world.headers("admin"))
    assert res.status_code == 201, res.text
    return dict(res.json())


def make_provider(db: Session, world: ClinicWorld, name: str = "Hygienist Hana") -> str:
    provider = Provider(clinic_id=world.clinic.id, name=name)
    db.add(provider)
    db.commit()
    return provider.id


class TestAppointmentTypeCrud:
    def test_create_read_update_delete(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        h = world.headers("admin")
        hana = make_provider(db, world)
        created = make_type(
            client,
            world,
            color="#ff8800",
            onlineBookable=True,
            providerIds=[hana, world.provider.id],
            roomKind="scanner",
            bufferBefore=5,
            bufferAfter=10,
            procedureCodes=["ADJ", "WIRE"],
        )
        assert created["clinicId"] == world.clinic.id
        assert created["color"] == "#ff8800" and created["roomKind"] == "scanner"
        assert sorted(created["providerIds"]) == sorted([hana, world.provider.id])
        assert created["procedureCodes"] == ["ADJ", "WIRE"]
        assert (created["needsProvider"], created["needsChair"], created["active"]) == (
            True,
            True,
            True,
        )
        assert created["newPatientBookable"] is False

        got = client.get(f"{URL}/{created['id']}", headers=h)
        assert got.status_code == 200 and got.json() == created

        updated = client.put(
            f"{URL}/{created['id']}",
            json={"name": "Wire change", "providerIds": [], "roomKind": None, "active": False},
            headers=h,
        )
        assert updated.status_code == 200, updated.text
        body = updated.json()
        assert body["name"] == "Wire change" and body["code"] == "ADJ"
        assert body["providerIds"] == [] and body["roomKind"] is None
        assert body["active"] is False and body["bufferAfter"] == 10

        assert client.delete(f"{URL}/{created['id']}", headers=h).status_code == 204
        gone = client.get(f"{URL}/{created['id']}", headers=h)
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"

    def test_bounds_default_to_default_duration(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        created = make_type(client, world, minDuration=None, maxDuration=None)
        assert (created["minDuration"], created["defaultDuration"], created["maxDuration"]) == (
            20,
            20,
            20,
        )

    def test_list_filters_active_and_online_bookable(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("frontdesk")
        online = make_type(client, world, name="Consult", code="NEW", onlineBookable=True)
        offline = make_type(client, world, name="Bonding", code="BOND")
        retired = make_type(client, world, name="Old", code="OLD", active=False)

        everything = client.get(URL, headers=h).json()
        assert [t["id"] for t in everything["items"]] == [
            offline["id"],
            online["id"],
            retired["id"],
        ]
        assert everything["total"] == 3

        bookable = client.get(URL, params={"onlineBookable": True}, headers=h).json()
        assert [t["id"] for t in bookable["items"]] == [online["id"]]

        active_offline = client.get(
            URL, params={"active": True, "onlineBookable": False}, headers=h
        ).json()
        assert [t["id"] for t in active_offline["items"]] == [offline["id"]]


class TestAppointmentTypeValidation:
    def test_duplicate_code_is_conflict(self, client: TestClient, world: ClinicWorld) -> None:
        make_type(client, world)
        again = client.post(URL, json=type_body(name="Other"), headers=world.headers("admin"))
        assert again.status_code == 409
        assert "ADJ" in again.json()["detail"]

    def test_same_code_in_other_clinic_is_fine(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld
    ) -> None:
        make_type(client, world)
        make_type(client, other_world)

    def test_duplicate_code_on_update_is_conflict(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        make_type(client, world)
        other = make_type(client, world, code="SCAN")
        res = client.put(
            f"{URL}/{other['id']}", json={"code": "ADJ"}, headers=world.headers("admin")
        )
        assert res.status_code == 409

    def test_default_above_max_names_the_field_and_bound(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        res = client.post(
            URL,
            json=type_body(defaultDuration=50, maxDuration=40),
            headers=world.headers("admin"),
        )
        assert res.status_code == 422
        assert res.json()["errors"] == [
            {"field": "defaultDuration", "message": "defaultDuration 50 is above maxDuration 40"}
        ]

    def test_min_above_default_names_the_field_and_bound(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        res = client.post(URL, json=type_body(minDuration=25), headers=world.headers("admin"))
        assert res.status_code == 422
        assert res.json()["errors"][0] == {
            "field": "minDuration",
            "message": "minDuration 25 is above defaultDuration 20",
        }

    def test_update_checks_bounds_on_the_merged_result(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("admin")
        created = make_type(client, world)  # 15 / 20 / 30
        res = client.put(f"{URL}/{created['id']}", json={"maxDuration": 18}, headers=h)
        assert res.status_code == 422
        assert res.json()["errors"][0] == {
            "field": "maxDuration",
            "message": "maxDuration 18 is below defaultDuration 20",
        }
        res = client.put(f"{URL}/{created['id']}", json={"defaultDuration": 35}, headers=h)
        assert res.status_code == 422
        assert res.json()["errors"][0]["message"] == "defaultDuration 35 is above maxDuration 30"
        # Moving all three together is fine, and nothing from the failed PUTs stuck.
        ok = client.put(
            f"{URL}/{created['id']}",
            json={"minDuration": 40, "defaultDuration": 45, "maxDuration": 60},
            headers=h,
        )
        assert ok.status_code == 200, ok.text
        assert client.get(f"{URL}/{created['id']}", headers=h).json()["maxDuration"] == 60

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"defaultDuration": 0}, "defaultDuration"),
            ({"maxDuration": 481}, "maxDuration"),
            ({"bufferBefore": -5}, "bufferBefore"),
            ({"bufferAfter": 121}, "bufferAfter"),
            ({"color": "red"}, "color"),
            ({"color": "#12345"}, "color"),
            ({"roomKind": "X Ray"}, "roomKind"),
            ({"code": ""}, "code"),
            ({"name": "   "}, "name"),
            ({"procedureCodes": [""]}, "procedureCodes.0"),
            ({"colour": "#ffffff"}, "colour"),
        ],
    )
    def test_field_ranges_and_formats(
        self,
        client: TestClient,
        world: ClinicWorld,
        overrides: dict[str, Any],
        field: str,
    ) -> None:
        res = client.post(URL, json=type_body(**overrides), headers=world.headers("admin"))
        assert res.status_code == 422, res.text
        assert res.json()["errors"][0]["field"] == field

    def test_unknown_provider_id_is_rejected(self, client: TestClient, world: ClinicWorld) -> None:
        res = client.post(URL, json=type_body(providerIds=["nope"]), headers=world.headers("admin"))
        assert res.status_code == 422
        assert res.json()["errors"][0]["field"] == "providerIds"
        assert "nope" in res.json()["detail"]


class TestAppointmentTypeAccess:
    def test_frontdesk_reads_but_cannot_configure(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        created = make_type(client, world)
        fd = world.headers("frontdesk")
        assert client.get(URL, headers=fd).status_code == 200
        assert client.get(f"{URL}/{created['id']}", headers=fd).status_code == 200
        denied = client.post(URL, json=type_body(code="X"), headers=fd)
        assert denied.status_code == 403
        assert "booking:configure" in denied.json()["detail"]
        assert client.put(f"{URL}/{created['id']}", json={}, headers=fd).status_code == 403
        assert client.delete(f"{URL}/{created['id']}", headers=fd).status_code == 403

    def test_patient_cannot_read_or_write(self, client: TestClient, world: ClinicWorld) -> None:
        p = world.headers("patient")
        assert client.get(URL, headers=p).status_code == 403
        assert client.post(URL, json=type_body(), headers=p).status_code == 403

    def test_anonymous_is_401(self, client: TestClient, world: ClinicWorld) -> None:
        assert client.get(URL).status_code == 401

    def test_other_clinic_type_is_invisible(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld
    ) -> None:
        theirs = make_type(client, other_world)
        mine = world.headers("admin")
        assert client.get(f"{URL}/{theirs['id']}", headers=mine).status_code == 404
        assert (
            client.put(f"{URL}/{theirs['id']}", json={"name": "Mine"}, headers=mine).status_code
            == 404
        )
        assert client.delete(f"{URL}/{theirs['id']}", headers=mine).status_code == 404
        assert client.get(URL, headers=mine).json()["total"] == 0

    def test_other_clinic_provider_is_rejected(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld
    ) -> None:
        res = client.post(
            URL,
            json=type_body(providerIds=[world.provider.id, other_world.provider.id]),
            headers=world.headers("admin"),
        )
        assert res.status_code == 422
        assert res.json()["errors"][0]["field"] == "providerIds"
        assert other_world.provider.id in res.json()["detail"]


class TestAppointmentTypeDelete:
    def test_type_reserved_in_a_template_slot_cannot_be_deleted(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        h = world.headers("admin")
        created = make_type(client, world)
        chair = client.post("/api/chairs", json={"name": "Chair 1"}, headers=h).json()
        template = client.post(
            "/api/schedule-templates",
            json={
                "name": "Standard week",
                "workingHours": [
                    {
                        "resourceType": "chair",
                        "resourceId": chair["id"],
                        "weekday": 0,
                        "start": "08:00",
                        "end": "12:00",
                    }
                ],
                "templateSlots": [
                    {
                        "weekday": 0,
                        "start": "08:00",
                        "end": "09:00",
                        "chairId": chair["id"],
                        "appointmentTypeIds": [created["id"]],
                    }
                ],
            },
            headers=h,
        )
        assert template.status_code == 201, template.text
        res = client.delete(f"{URL}/{created['id']}", headers=h)
        assert res.status_code == 409
        assert "Standard week" in res.json()["detail"]
