"""Schedule templates: create, read, update, delete, slot ids, one active template, access."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import Appointment
from tests.api.schedule_templates.support import (
    URL,
    Setup,
    hours,
    make_setup,
    post,
    rejected,
    slot,
    week,
)
from tests.conftest import ClinicWorld


class TestScheduleTemplateCrud:
    def test_create_read_update_delete(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        h = world.headers("admin")
        body = week(
            setup,
            exceptions=[
                {
                    "resourceType": "chair",
                    "resourceId": setup.chair1,
                    "date": "2026-12-24",
                    "blocks": [{"start": "08:00", "end": "11:00"}],
                    "reason": "Christmas Eve",
                },
                {
                    "resourceType": "room",
                    "resourceId": setup.room,
                    "date": "2026-12-25",
                    "blocks": [],
                    "reason": "Closed",
                },
            ],
        )
        created = post(client, world, body)
        assert created["name"] == "Standard week" and created["active"] is False
        assert created["clinicId"] == world.clinic.id
        assert created["workingHours"][0] == hours(setup.chair1, 0, "08:00", "12:00")
        assert created["exceptions"][0]["blocks"] == [{"start": "08:00", "end": "11:00"}]
        assert created["exceptions"][1]["blocks"] == []
        assert created["exceptions"][1]["date"] == "2026-12-25"
        [made_slot] = created["templateSlots"]
        assert made_slot["id"] and made_slot["chairId"] == setup.chair1
        assert made_slot["providerId"] is None and made_slot["appointmentTypeIds"] == [setup.adjust]

        got = client.get(f"{URL}/{created['id']}", headers=h)
        assert got.status_code == 200 and got.json() == created

        renamed = client.put(f"{URL}/{created['id']}", json={"name": "Winter week"}, headers=h)
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["name"] == "Winter week"
        # Lists not sent stay as they were.
        for key in ("workingHours", "exceptions", "templateSlots"):
            assert renamed.json()[key] == created[key]

        cleared = client.put(
            f"{URL}/{created['id']}", json={"exceptions": [], "templateSlots": []}, headers=h
        ).json()
        assert cleared["exceptions"] == [] and cleared["templateSlots"] == []
        assert cleared["workingHours"] == created["workingHours"]

        listed = client.get(URL, headers=h).json()
        assert listed["total"] == 1 and listed["items"][0]["id"] == created["id"]

        assert client.delete(f"{URL}/{created['id']}", headers=h).status_code == 204
        gone = client.get(f"{URL}/{created['id']}", headers=h)
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"

    def test_nested_lists_come_back_in_a_stable_order(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        body = week(
            setup,
            workingHours=[
                hours(setup.chair2, 2, "09:00", "12:00"),
                hours(setup.chair1, 0, "13:00", "17:00"),
                hours(setup.chair1, 2, "08:00", "12:00"),
                hours(setup.chair1, 0, "08:00", "12:00"),
            ],
            templateSlots=[
                slot(2, "10:00", "11:00", [setup.scan], chairId=setup.chair2),
                slot(0, "14:00", "15:00", [setup.adjust], chairId=setup.chair1),
                slot(0, "08:00", "09:00", [setup.adjust], chairId=setup.chair1),
            ],
        )
        created = post(client, world, body)
        assert [(w["weekday"], w["start"]) for w in created["workingHours"]] == [
            (0, "08:00"),
            (0, "13:00"),
            (2, "08:00"),
            (2, "09:00"),
        ]
        assert [(s["weekday"], s["start"]) for s in created["templateSlots"]] == [
            (0, "08:00"),
            (0, "14:00"),
            (2, "10:00"),
        ]
        again = client.get(f"{URL}/{created['id']}", headers=world.headers("admin")).json()
        assert again == created

    def test_touching_blocks_and_slot_filling_a_block_are_fine(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        post(
            client,
            world,
            week(
                setup,
                workingHours=[
                    hours(setup.chair1, 0, "08:00", "12:00"),
                    hours(setup.chair1, 0, "12:00", "17:00"),
                ],
                templateSlots=[slot(0, "08:00", "12:00", [setup.adjust], chairId=setup.chair1)],
            ),
        )


class TestTemplateSlotIds:
    def test_slot_ids_are_stable_across_put(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        h = world.headers("admin")
        created = post(
            client,
            world,
            week(
                setup,
                templateSlots=[
                    slot(0, "08:00", "09:00", [setup.adjust], chairId=setup.chair1, name="A"),
                    slot(0, "09:00", "10:00", [setup.adjust], chairId=setup.chair1, name="B"),
                ],
            ),
        )
        first, second = created["templateSlots"]
        # Keep A (moved and renamed), drop B, add C.
        kept = {**first, "start": "10:00", "end": "11:00", "name": "A moved"}
        new = slot(0, "14:00", "15:00", [setup.scan], chairId=setup.chair1, name="C")
        res = client.put(f"{URL}/{created['id']}", json={"templateSlots": [new, kept]}, headers=h)
        assert res.status_code == 200, res.text
        slots = res.json()["templateSlots"]
        assert [s["name"] for s in slots] == ["A moved", "C"]
        assert slots[0]["id"] == first["id"]
        assert slots[1]["id"] not in (first["id"], second["id"])
        # A plain re-PUT of what GET returned changes nothing.
        again = client.put(f"{URL}/{created['id']}", json={"templateSlots": slots}, headers=h)
        assert again.json()["templateSlots"] == slots

    def test_another_templates_slot_id_makes_a_new_slot(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        original = post(client, world, week(setup))
        copy_body = week(setup, name="Copy", templateSlots=original["templateSlots"])
        copy = post(client, world, copy_body)
        assert copy["templateSlots"][0]["id"] != original["templateSlots"][0]["id"]
        # The original keeps its slot.
        got = client.get(f"{URL}/{original['id']}", headers=world.headers("admin")).json()
        assert got["templateSlots"] == original["templateSlots"]

    def test_repeated_slot_id_is_rejected(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        created = post(client, world, week(setup))
        [existing] = created["templateSlots"]
        errors = rejected(
            client, world, {"templateSlots": [existing, existing]}, template_id=created["id"]
        )
        assert errors[0]["field"] == "templateSlots.1.id"


class TestSingleActiveTemplate:
    def test_activating_one_deactivates_the_others(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        h = world.headers("admin")
        summer = post(client, world, week(setup, name="Summer", active=True))
        winter = post(client, world, week(setup, name="Winter", active=True))
        assert client.get(f"{URL}/{summer['id']}", headers=h).json()["active"] is False
        assert client.get(f"{URL}/active", headers=h).json()["id"] == winter["id"]

        res = client.put(f"{URL}/{summer['id']}", json={"active": True}, headers=h)
        assert res.status_code == 200 and res.json()["active"] is True
        assert client.get(f"{URL}/{winter['id']}", headers=h).json()["active"] is False
        listed = client.get(URL, params={"active": True}, headers=h).json()
        assert [t["id"] for t in listed["items"]] == [summer["id"]]

    def test_concurrent_activations_leave_exactly_one_active(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        # Without the clinic row lock PostgreSQL ends with two active templates; with a plain
        # FOR UPDATE the callers deadlock. SQLite serialises writers, so it must pass trivially.
        h = world.headers("admin")
        start = threading.Barrier(6)
        statuses: list[int] = []

        def activate(i: int) -> None:
            start.wait()
            res = client.post(URL, json=week(setup, name=f"T{i}", active=True), headers=h)
            statuses.append(res.status_code)

        threads = [threading.Thread(target=activate, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [201] * 6
        assert client.get(URL, params={"active": True}, headers=h).json()["total"] == 1

    def test_activation_leaves_other_clinics_alone(
        self,
        client: TestClient,
        world: ClinicWorld,
        other_world: ClinicWorld,
        setup: Setup,
        db: Session,
    ) -> None:
        theirs = post(client, other_world, week(make_setup(db, other_world), active=True))
        post(client, world, week(setup, active=True))
        got = client.get(f"{URL}/{theirs['id']}", headers=other_world.headers("admin"))
        assert got.json()["active"] is True

    def test_active_endpoint_is_404_when_none_is_active(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        post(client, world, week(setup))
        res = client.get(f"{URL}/active", headers=world.headers("frontdesk"))
        assert res.status_code == 404
        assert "no active schedule template" in res.json()["detail"]

    def test_active_template_cannot_be_deleted(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        h = world.headers("admin")
        live = post(client, world, week(setup, active=True))
        res = client.delete(f"{URL}/{live['id']}", headers=h)
        assert res.status_code == 409
        assert "activate another template first" in res.json()["detail"]
        assert client.get(f"{URL}/{live['id']}", headers=h).status_code == 200

    def test_deleting_a_template_unlinks_its_appointments(
        self, client: TestClient, world: ClinicWorld, setup: Setup, db: Session
    ) -> None:
        old = post(client, world, week(setup))
        slot_id = old["templateSlots"][0]["id"]
        start = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
        end = datetime(2026, 12, 7, 8, 20, tzinfo=UTC)
        appointment = Appointment(
            clinic_id=world.clinic.id,
            patient_id=world.patient.id,
            start_time=start,
            end_time=end,
            duration=20,
            occupied_start=start,
            occupied_end=end,
            appointment_type_id=setup.adjust,
            provider_id=setup.provider,
            chair_id=setup.chair1,
            booked_by=world.users["admin"].id,
            template_slot_id=slot_id,
        )
        db.add(appointment)
        db.commit()

        assert (
            client.delete(f"{URL}/{old['id']}", headers=world.headers("admin")).status_code == 204
        )
        db.expire_all()
        kept = db.get(Appointment, appointment.id)
        assert kept is not None and kept.template_slot_id is None


class TestScheduleTemplateAccess:
    def test_frontdesk_reads_but_cannot_configure(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        created = post(client, world, week(setup, active=True))
        fd = world.headers("frontdesk")
        assert client.get(URL, headers=fd).status_code == 200
        assert client.get(f"{URL}/{created['id']}", headers=fd).status_code == 200
        assert client.get(f"{URL}/active", headers=fd).status_code == 200
        denied = client.post(URL, json=week(setup), headers=fd)
        assert denied.status_code == 403
        assert "booking:configure" in denied.json()["detail"]
        assert client.put(f"{URL}/{created['id']}", json={}, headers=fd).status_code == 403
        assert client.delete(f"{URL}/{created['id']}", headers=fd).status_code == 403

    def test_patient_is_forbidden(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        p = world.headers("patient")
        assert client.get(URL, headers=p).status_code == 403
        assert client.get(f"{URL}/active", headers=p).status_code == 403
        assert client.post(URL, json=week(setup), headers=p).status_code == 403

    def test_other_clinic_template_is_invisible(
        self,
        client: TestClient,
        world: ClinicWorld,
        other_world: ClinicWorld,
        db: Session,
    ) -> None:
        theirs = post(client, other_world, week(make_setup(db, other_world), active=True))
        mine = world.headers("admin")
        assert client.get(f"{URL}/{theirs['id']}", headers=mine).status_code == 404
        assert (
            client.put(f"{URL}/{theirs['id']}", json={"name": "Mine"}, headers=mine).status_code
            == 404
        )
        assert client.delete(f"{URL}/{theirs['id']}", headers=mine).status_code == 404
        assert client.get(URL, headers=mine).json()["total"] == 0
        assert client.get(f"{URL}/active", headers=mine).status_code == 404

    def test_other_clinics_resources_cannot_be_referenced(
        self,
        client: TestClient,
        world: ClinicWorld,
        other_world: ClinicWorld,
        setup: Setup,
        db: Session,
    ) -> None:
        theirs = make_setup(db, other_world)
        errors = rejected(
            client,
            world,
            week(
                setup,
                workingHours=[
                    hours(setup.chair1, 0, "08:00", "12:00"),
                    hours(theirs.chair1, 0, "08:00", "12:00"),
                    hours(theirs.provider, 0, "08:00", "12:00", kind="provider"),
                ],
                templateSlots=[
                    slot(
                        0,
                        "08:00",
                        "09:00",
                        [theirs.adjust],
                        chairId=setup.chair1,
                        providerId=theirs.provider,
                    )
                ],
            ),
        )
        assert [e["field"] for e in errors] == [
            "workingHours.1.resourceId",
            "workingHours.2.resourceId",
            "templateSlots.0.appointmentTypeIds.0",
            "templateSlots.0.providerId",
        ]
