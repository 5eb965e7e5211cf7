"""Schedule templates: every way a template body is refused, and the message it gets."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.schedule_templates.support import (
    URL,
    Setup,
    hours,
    post,
    rejected,
    slot,
    week,
)
from tests.conftest import ClinicWorld


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
