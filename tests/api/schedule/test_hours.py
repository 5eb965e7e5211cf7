"""GET /api/schedule/hours: the calendar's background as the engine books against it."""

from __future__ import annotations

from datetime import UTC, timedelta

from fastapi.testclient import TestClient

from tests.api.schedule.conftest import (
    AUTUMN,
    MONDAY,
    SPRING,
    Setup,
    day_of,
    every_day,
    get_hours,
    local,
    spans,
    template,
    utc,
)


class TestHours:
    def test_a_day_with_lunch_has_two_stretches_and_a_break_named_break(
        self, client: TestClient, setup: Setup
    ) -> None:
        template(
            client,
            setup,
            workingHours=every_day(
                "provider", setup.provider, ("08:00", "12:30"), ("13:30", "17:00")
            ),
        )
        res = get_hours(client, setup, local(MONDAY, 0), local(MONDAY + timedelta(days=1), 0))
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["timeZone"] == "Europe/London"
        assert body["from"] == utc(MONDAY, 0) and body["to"] == utc(MONDAY + timedelta(days=1), 0)
        monday = day_of(body, setup.provider, MONDAY)
        # November: GMT, so wall clock and UTC agree.
        assert spans(monday["hours"]) == [
            (utc(MONDAY, 8), utc(MONDAY, 12, 30)),
            (utc(MONDAY, 13, 30), utc(MONDAY, 17)),
        ]
        assert monday["breaks"] == [
            {"startTime": utc(MONDAY, 12, 30), "endTime": utc(MONDAY, 13, 30), "label": "Break"}
        ]
        assert monday["exception"] is None

    def test_touching_blocks_join_into_one_stretch_as_in_the_engine(
        self, client: TestClient, setup: Setup
    ) -> None:
        template(
            client,
            setup,
            workingHours=every_day("chair", setup.chair1, ("09:00", "12:00"), ("12:00", "17:00")),
        )
        body = get_hours(client, setup, local(MONDAY, 0), local(MONDAY, 23)).json()
        monday = day_of(body, setup.chair1, MONDAY)
        assert spans(monday["hours"]) == [(utc(MONDAY, 9), utc(MONDAY, 17))]
        assert monday["breaks"] == []

    def test_every_active_resource_is_listed_and_one_without_hours_has_empty_days(
        self, client: TestClient, setup: Setup
    ) -> None:
        template(client, setup, workingHours=every_day("chair", setup.chair1, ("09:00", "17:00")))
        body = get_hours(
            client, setup, local(MONDAY, 0), local(MONDAY + timedelta(days=7), 0)
        ).json()
        listed = {(r["resourceType"], r["resourceId"]) for r in body["resources"]}
        assert listed == {
            ("provider", setup.provider),
            ("chair", setup.chair1),
            ("chair", setup.chair2),
            ("room", setup.room),
        }
        room_days = next(r for r in body["resources"] if r["resourceId"] == setup.room)["days"]
        assert [d["date"] for d in room_days] == [
            (MONDAY + timedelta(days=i)).isoformat() for i in range(7)
        ]
        assert all(d["hours"] == [] and d["breaks"] == [] for d in room_days)

    def test_an_exception_replaces_the_day_and_its_gap_carries_the_reason(
        self, client: TestClient, setup: Setup
    ) -> None:
        tuesday = MONDAY + timedelta(days=1)
        wednesday = MONDAY + timedelta(days=2)
        template(
            client,
            setup,
            workingHours=every_day("provider", setup.provider, ("08:00", "17:00")),
            exceptions=[
                {
                    "resourceType": "provider",
                    "resourceId": setup.provider,
                    "date": tuesday.isoformat(),
                    "blocks": [
                        {"start": "08:00", "end": "10:00"},
                        {"start": "14:00", "end": "16:00"},
                    ],
                    "reason": "Dental conference",
                },
                {
                    "resourceType": "provider",
                    "resourceId": setup.provider,
                    "date": wednesday.isoformat(),
                    "blocks": [],
                    "reason": "Bank holiday",
                },
            ],
        )
        body = get_hours(client, setup, local(MONDAY, 0), local(MONDAY + timedelta(days=3), 0))
        tue = day_of(body.json(), setup.provider, tuesday)
        assert spans(tue["hours"]) == [
            (utc(tuesday, 8), utc(tuesday, 10)),
            (utc(tuesday, 14), utc(tuesday, 16)),
        ]
        assert tue["breaks"] == [
            {
                "startTime": utc(tuesday, 10),
                "endTime": utc(tuesday, 14),
                "label": "Dental conference",
            }
        ]
        assert tue["exception"] == {"reason": "Dental conference"}
        wed = day_of(body.json(), setup.provider, wednesday)
        assert wed["hours"] == [] and wed["exception"] == {"reason": "Bank holiday"}
        assert day_of(body.json(), setup.provider, MONDAY)["exception"] is None

    def test_the_spring_change_day_is_23_hours_and_hours_keep_their_wall_clock(
        self, client: TestClient, setup: Setup
    ) -> None:
        # 00:30-01:30 starts before the change (GMT) and its end falls in the skipped hour, which
        # moves forward by the gap (PEP 495 fold=0): it ends at 02:30 BST = 01:30 UTC.
        template(
            client,
            setup,
            workingHours=every_day(
                "chair", setup.chair1, ("00:30", "01:30"), ("09:00", "12:00"), ("13:00", "17:00")
            ),
        )
        body = get_hours(client, setup, local(SPRING, 0), local(SPRING + timedelta(days=1), 0))
        assert body.status_code == 200, body.text
        sunday = day_of(body.json(), setup.chair1, SPRING)
        assert spans(sunday["hours"]) == [
            (utc(SPRING, 0, 30), utc(SPRING, 1, 30)),
            (utc(SPRING, 8), utc(SPRING, 11)),  # 09:00 BST
            (utc(SPRING, 12), utc(SPRING, 16)),
        ]
        assert spans(sunday["breaks"]) == [
            (utc(SPRING, 1, 30), utc(SPRING, 8)),
            (utc(SPRING, 11), utc(SPRING, 12)),
        ]
        # The 23-hour day is one date: [00:00 GMT, 00:00 BST the next day) is 23 hours long.
        assert [d["date"] for d in body.json()["resources"][0]["days"]] == [SPRING.isoformat()]

    def test_the_autumn_change_day_is_25_hours_and_ambiguous_times_mean_the_first(
        self, client: TestClient, setup: Setup
    ) -> None:
        template(
            client,
            setup,
            workingHours=every_day("chair", setup.chair1, ("01:30", "03:00"), ("09:00", "17:00")),
        )
        start, end = local(AUTUMN, 0), local(AUTUMN + timedelta(days=1), 0)
        assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)
        sunday = day_of(get_hours(client, setup, start, end).json(), setup.chair1, AUTUMN)
        # 01:30 happens twice; the first (BST, 00:30 UTC) counts. 03:00 is GMT.
        assert spans(sunday["hours"]) == [
            (utc(AUTUMN, 0, 30), utc(AUTUMN, 3)),
            (utc(AUTUMN, 9), utc(AUTUMN, 17)),
        ]
        assert spans(sunday["breaks"]) == [(utc(AUTUMN, 3), utc(AUTUMN, 9))]
        saturday = AUTUMN - timedelta(days=1)
        body = get_hours(client, setup, local(saturday, 0), local(saturday, 23)).json()
        assert spans(day_of(body, setup.chair1, saturday)["hours"])[1] == (
            utc(saturday, 8),  # 09:00 BST the day before
            utc(saturday, 16),
        )

    def test_the_window_covers_every_local_date_it_touches(
        self, client: TestClient, setup: Setup
    ) -> None:
        template(client, setup, workingHours=every_day("chair", setup.chair1, ("09:00", "17:00")))
        # 23:30 Monday to 00:30 Wednesday touches three dates.
        body = get_hours(
            client, setup, local(MONDAY, 23, 30), local(MONDAY + timedelta(days=2), 0, 30)
        ).json()
        days = next(r for r in body["resources"] if r["resourceId"] == setup.chair1)["days"]
        assert [d["date"] for d in days] == [
            (MONDAY + timedelta(days=i)).isoformat() for i in range(3)
        ]
        # Whole days, not clipped to the window: the calendar shades the whole column.
        assert spans(days[0]["hours"]) == [(utc(MONDAY, 9), utc(MONDAY, 17))]
