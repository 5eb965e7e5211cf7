from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import Appointment, AppointmentType, Chair, Room
from tests.conftest import ClinicWorld

URL = "/api/schedule-templates"


@dataclass
class Setup:
    """A clinic's configurable resources, made through the ORM so these tests stand alone."""

    chair1: str
    chair2: str
    provider: str
    room: str
    adjust: str
    scan: str


def make_setup(db: Session, world: ClinicWorld) -> Setup:
    cid = world.clinic.id
    chair1 = Chair(clinic_id=cid, name="Chair 1")
    chair2 = Chair(clinic_id=cid, name="Chair 2")
    room = Room(clinic_id=cid, name="Scanner room", kind="scanner")
    adjust = AppointmentType(
        clinic_id=cid,
        name="Adjustment",
        code="ADJ",
        min_duration=15,
        default_duration=20,
        max_duration=30,
    )
    scan = AppointmentType(
        clinic_id=cid,
        name="Scan",
        code="SCAN",
        min_duration=10,
        default_duration=10,
        max_duration=10,
    )
    db.add_all([chair1, chair2, room, adjust, scan])
    db.commit()
    return Setup(chair1.id, chair2.id, world.provider.id, room.id, adjust.id, scan.id)


@pytest.fixture
def setup(db: Session, world: ClinicWorld) -> Setup:
    return make_setup(db, world)


def hours(
    resource_id: str, weekday: int, start: str, end: str, kind: str = "chair"
) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "resourceId": resource_id,
        "weekday": weekday,
        "start": start,
        "end": end,
    }


def slot(weekday: int, start: str, end: str, type_ids: list[str], **extra: Any) -> dict[str, Any]:
    return {"weekday": weekday, "start": start, "end": end, "appointmentTypeIds": type_ids, **extra}


def week(s: Setup, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Standard week",
        "workingHours": [
            hours(s.chair1, 0, "08:00", "12:00"),
            hours(s.chair1, 0, "13:00", "17:00"),
            hours(s.provider, 0, "08:00", "16:00", kind="provider"),
        ],
        "exceptions": [],
        "templateSlots": [slot(0, "08:00", "09:00", [s.adjust], chairId=s.chair1, name="Adj")],
    }
    body.update(overrides)
    return body


def post(client: TestClient, world: ClinicWorld, body: dict[str, Any]) -> dict[str, Any]:
    res = client.post(URL, json=body, headers=world.headers("admin"))
    assert res.status_code == 201, res.text
    return dict(res.json())


def rejected(
    client: TestClient, world: ClinicWorld, body: dict[str, Any], template_id: str | None = None
) -> list[dict[str, str]]:
    """POSTs (or PUTs) the body, expects a 422 and returns its errors list."""
    h = world.headers("admin")
    res = (
        client.post(URL, json=body, headers=h)
        if template_id is None
        else client.put(f"{URL}/{template_id}", json=body, headers=h)
    )
    assert res.status_code == 422, res.text
    assert res.headers["content-type"] == "application/problem+json"
    return list(res.json()["errors"])


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


class TestScheduleTemplateValidation:
    def test_start_must_be_before_end(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        errors = rejected(
            client,
            world,
            week(setup, workingHours=[hours(setup.chair1, 0, "12:00", "08:00")], templateSlots=[]),
        )
        assert errors == [
            {"field": "workingHours.0.end", "message": "end 08:00 must be after start 12:00"}
        ]

    def test_times_must_be_on_a_5_minute_boundary(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        errors = rejected(
            client,
            world,
            week(setup, workingHours=[hours(setup.chair1, 0, "08:03", "12:00")], templateSlots=[]),
        )
        assert errors[0]["field"] == "workingHours.0.start"
        assert "5-minute boundary" in errors[0]["message"] and "08:00" in errors[0]["message"]

    def test_times_must_be_hh_mm(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        errors = rejected(
            client,
            world,
            week(setup, workingHours=[hours(setup.chair1, 0, "8am", "25:00")], templateSlots=[]),
        )
        assert {e["field"] for e in errors} == {"workingHours.0.start", "workingHours.0.end"}
        assert all("HH:MM" in e["message"] for e in errors)

    def test_weekday_must_be_0_to_6(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        errors = rejected(
            client,
            world,
            week(setup, workingHours=[hours(setup.chair1, 7, "08:00", "12:00")], templateSlots=[]),
        )
        assert errors[0]["field"] == "workingHours.0.weekday"

    def test_resource_id_must_be_that_kind_of_resource(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        # A chair's id given as a provider's: the id exists, but not as a provider.
        errors = rejected(
            client,
            world,
            week(
                setup,
                workingHours=[hours(setup.chair1, 0, "08:00", "12:00", kind="provider")],
                templateSlots=[],
            ),
        )
        assert errors == [
            {
                "field": "workingHours.0.resourceId",
                "message": f"No provider with id '{setup.chair1}' in your clinic.",
            }
        ]

    def test_overlapping_working_hours_are_rejected(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        errors = rejected(
            client,
            world,
            week(
                setup,
                workingHours=[
                    hours(setup.chair1, 0, "08:00", "12:00"),
                    hours(setup.chair2, 0, "08:00", "12:00"),  # another chair: fine
                    hours(setup.chair1, 1, "08:00", "12:00"),  # another day: fine
                    hours(setup.chair1, 0, "11:00", "13:00"),
                ],
                templateSlots=[],
            ),
        )
        assert len(errors) == 1
        assert errors[0]["field"] == "workingHours.3"
        assert "overlaps Monday 08:00\u201312:00 for Chair 1" in errors[0]["message"]

    def test_overlapping_exception_blocks_are_rejected(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        exception = {
            "resourceType": "chair",
            "resourceId": setup.chair1,
            "date": "2026-12-24",
            "blocks": [{"start": "08:00", "end": "12:00"}, {"start": "10:00", "end": "14:00"}],
        }
        errors = rejected(client, world, week(setup, exceptions=[exception]))
        assert errors[0]["field"] == "exceptions.0.blocks.1"
        assert "overlaps 08:00\u201312:00 on 2026-12-24 for Chair 1" in errors[0]["message"]

    def test_exception_block_start_must_be_before_end(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        exception = {
            "resourceType": "chair",
            "resourceId": setup.chair1,
            "date": "2026-12-24",
            "blocks": [{"start": "12:00", "end": "12:00"}],
        }
        errors = rejected(client, world, week(setup, exceptions=[exception]))
        assert errors[0]["field"] == "exceptions.0.blocks.0.end"

    def test_two_exceptions_for_one_resource_and_date_are_rejected(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        def closed(resource: str, kind: str = "chair") -> dict[str, Any]:
            return {"resourceType": kind, "resourceId": resource, "date": "2026-12-24"}

        errors = rejected(
            client,
            world,
            week(
                setup,
                exceptions=[
                    closed(setup.chair1),
                    closed(setup.provider, "provider"),
                    closed(setup.chair1),
                ],
            ),
        )
        assert len(errors) == 1 and errors[0]["field"] == "exceptions.2.date"
        assert "Chair 1 already has an exception on 2026-12-24" in errors[0]["message"]

    def test_exception_times_skipped_by_the_clock_change_are_rejected(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        # London skips 01:00-02:00 on 2026-03-29: a block that starts or ends inside it names
        # a time that never happens that night.
        exception = {
            "resourceType": "provider",
            "resourceId": setup.provider,
            "date": "2026-03-29",
            "blocks": [{"start": "01:30", "end": "06:00"}, {"start": "07:00", "end": "12:00"}],
        }
        errors = rejected(client, world, week(setup, exceptions=[exception]))
        assert errors == [
            {
                "field": "exceptions.0.blocks.0.start",
                "message": "01:30 does not exist on 2026-03-29 in Europe/London: clocks go "
                "forward at 01:00 straight to 02:00; use 01:00 or 02:00 instead",
            }
        ]
        # The same wall-clock times exist on any other date, and on the fall-back date (where
        # 01:30 happens twice) too.
        for day in ("2026-03-28", "2026-10-25"):
            made = post(client, world, week(setup, exceptions=[{**exception, "date": day}]))
            assert made["exceptions"][0]["blocks"][0] == {"start": "01:30", "end": "06:00"}
        fixed = {**exception, "blocks": [{"start": "02:00", "end": "06:00"}]}
        assert post(client, world, week(setup, exceptions=[fixed]))["exceptions"][0]["date"] == (
            "2026-03-29"
        )

    def test_template_slots_under_which_one_booking_would_fall_twice_are_rejected(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        both_chairs = [
            hours(setup.chair1, 0, "08:00", "12:00"),
            hours(setup.chair2, 0, "08:00", "12:00"),
            hours(setup.provider, 0, "08:00", "12:00", kind="provider"),
        ]
        adj, scan = [setup.adjust], [setup.scan]
        on_chair1 = slot(0, "08:00", "10:00", adj, chairId=setup.chair1)
        errors = rejected(
            client,
            world,
            week(
                setup,
                workingHours=both_chairs,
                templateSlots=[
                    on_chair1,
                    slot(0, "09:30", "10:30", scan, chairId=setup.chair1),  # same chair
                    slot(0, "09:00", "11:00", scan),  # names no one: every chair
                    slot(0, "11:00", "12:00", scan, providerId=setup.provider),
                    slot(0, "11:30", "12:00", adj, providerId=setup.provider),  # same provider
                ],
            ),
        )
        assert [(e["field"], e["message"].split(": a booking")[0]) for e in errors] == [
            (
                "templateSlots.1",
                "Monday 09:30\u201310:30 overlaps Monday 08:00\u201310:00 "
                "(templateSlots.0) for Chair 1",
            ),
            (
                "templateSlots.2",
                "Monday 09:00\u201311:00 overlaps Monday 08:00\u201310:00 "
                "(templateSlots.0) for Chair 1",
            ),
            (
                "templateSlots.4",
                "Monday 11:30\u201312:00 overlaps Monday 11:00\u201312:00 "
                f"(templateSlots.3) for {world.provider.name}",
            ),
        ]
        assert "make one slot with all the types, or shorten one" in errors[0]["message"]
        # Other chairs, other days and touching slots are separate reservations.
        fine = [
            on_chair1,
            slot(0, "08:00", "10:00", scan, chairId=setup.chair2),
            slot(0, "10:00", "11:00", scan, chairId=setup.chair1),
            slot(1, "08:00", "10:00", scan, chairId=setup.chair1),
        ]
        hours_both_days = [*both_chairs, hours(setup.chair1, 1, "08:00", "12:00")]
        made = post(client, world, week(setup, workingHours=hours_both_days, templateSlots=fine))
        assert len(made["templateSlots"]) == 4

    def test_exception_resource_must_exist(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        exception = {"resourceType": "room", "resourceId": setup.chair1, "date": "2026-12-24"}
        errors = rejected(client, world, week(setup, exceptions=[exception]))
        assert errors[0]["field"] == "exceptions.0.resourceId"

    def test_slot_must_lie_inside_its_chairs_hours(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        errors = rejected(
            client,
            world,
            week(
                setup,
                templateSlots=[slot(0, "11:30", "12:30", [setup.adjust], chairId=setup.chair1)],
            ),
        )
        assert errors == [
            {
                "field": "templateSlots.0",
                "message": "Monday 11:30\u201312:30 is outside Chair 1's Monday hours "
                "08:00\u201312:00, 13:00\u201317:00",
            }
        ]

    def test_slot_on_a_day_the_chair_does_not_work(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        errors = rejected(
            client,
            world,
            week(
                setup,
                templateSlots=[slot(3, "09:00", "10:00", [setup.adjust], chairId=setup.chair1)],
            ),
        )
        assert errors[0]["field"] == "templateSlots.0"
        assert "no hours on Thursday" in errors[0]["message"]

    def test_slot_must_lie_inside_its_providers_hours(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        errors = rejected(
            client,
            world,
            week(
                setup,
                templateSlots=[
                    slot(
                        0,
                        "16:00",
                        "17:00",
                        [setup.adjust],
                        chairId=setup.chair1,
                        providerId=setup.provider,
                    )
                ],
            ),
        )
        assert errors == [
            {
                "field": "templateSlots.0",
                "message": "Monday 16:00\u201317:00 is outside Dr Smile Clinic's Monday hours "
                "08:00\u201316:00",
            }
        ]

    def test_slot_naming_neither_must_lie_inside_some_chairs_hours(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        body = week(
            setup,
            workingHours=[
                hours(setup.chair1, 0, "08:00", "12:00"),
                hours(setup.chair2, 0, "12:00", "17:00"),
                # The provider's hours do not count: an unassigned slot needs a chair.
                hours(setup.provider, 0, "07:00", "18:00", kind="provider"),
            ],
            templateSlots=[
                slot(0, "13:00", "14:00", [setup.adjust]),  # inside Chair 2: fine
                slot(0, "11:00", "13:00", [setup.adjust]),  # spans two chairs: no
                slot(1, "09:00", "10:00", [setup.adjust]),  # no chair works Tuesday
            ],
        )
        errors = rejected(client, world, body)
        assert [e["field"] for e in errors] == ["templateSlots.1", "templateSlots.2"]
        assert "outside every chair's hours" in errors[0]["message"]
        assert "no chair works Tuesday" in errors[1]["message"]

    def test_slot_needs_at_least_one_appointment_type(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        errors = rejected(
            client,
            world,
            week(setup, templateSlots=[slot(0, "08:00", "09:00", [], chairId=setup.chair1)]),
        )
        assert errors == [
            {
                "field": "templateSlots.0.appointmentTypeIds",
                "message": "choose at least one appointment type this slot is reserved for",
            }
        ]

    def test_slot_appointment_types_must_be_the_clinics(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        errors = rejected(
            client,
            world,
            week(
                setup,
                templateSlots=[
                    slot(0, "08:00", "09:00", [setup.adjust, "nope"], chairId=setup.chair1)
                ],
            ),
        )
        assert errors[0]["field"] == "templateSlots.0.appointmentTypeIds.1"
        assert "nope" in errors[0]["message"]

    def test_slot_chair_and_provider_must_be_the_clinics(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        errors = rejected(
            client,
            world,
            week(
                setup,
                templateSlots=[
                    slot(0, "08:00", "09:00", [setup.adjust], chairId="x", providerId="y")
                ],
            ),
        )
        assert [e["field"] for e in errors] == [
            "templateSlots.0.chairId",
            "templateSlots.0.providerId",
        ]

    def test_slot_start_must_be_before_end(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        errors = rejected(
            client,
            world,
            week(
                setup,
                templateSlots=[slot(0, "09:00", "08:00", [setup.adjust], chairId=setup.chair1)],
            ),
        )
        assert errors == [
            {"field": "templateSlots.0.end", "message": "end 08:00 must be after start 09:00"}
        ]

    def test_every_problem_is_reported_at_once(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        body = week(
            setup,
            workingHours=[
                hours(setup.chair1, 0, "12:00", "08:00"),
                hours("ghost", 1, "08:00", "12:00"),
            ],
            templateSlots=[slot(0, "08:00", "09:00", [], chairId=setup.chair1)],
        )
        res = client.post(URL, json=body, headers=world.headers("admin"))
        assert res.status_code == 422
        fields = [e["field"] for e in res.json()["errors"]]
        assert fields == [
            "workingHours.0.end",
            "workingHours.1.resourceId",
            "templateSlots.0.appointmentTypeIds",
            "templateSlots.0",
        ]
        assert "workingHours.0.end" in res.json()["detail"]

    def test_put_checks_the_merged_document(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        created = post(client, world, week(setup))
        # New hours that no longer cover the stored 08:00 slot: the slot is what breaks.
        errors = rejected(
            client,
            world,
            {"workingHours": [hours(setup.chair1, 0, "09:00", "12:00")]},
            template_id=created["id"],
        )
        assert errors[0]["field"] == "templateSlots.0"
        assert "outside Chair 1's Monday hours 09:00\u201312:00" in errors[0]["message"]
        # A new slot checked against the stored hours.
        errors = rejected(
            client,
            world,
            {"templateSlots": [slot(0, "12:00", "13:00", [setup.adjust], chairId=setup.chair1)]},
            template_id=created["id"],
        )
        assert errors[0]["field"] == "templateSlots.0"
        # Nothing from the refused PUTs was saved.
        got = client.get(f"{URL}/{created['id']}", headers=world.headers("admin")).json()
        assert got == created

    def test_unknown_field_is_rejected(
        self, client: TestClient, world: ClinicWorld, setup: Setup
    ) -> None:
        body = week(setup)
        body["workingHours"][0]["resource"] = "x"
        errors = rejected(client, world, body)
        assert errors[0]["field"] == "workingHours.0.resource"


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
