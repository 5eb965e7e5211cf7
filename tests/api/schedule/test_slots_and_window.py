"""GET /api/schedule/hours: template slots with whom they apply to, the window rules, access, and
agreement with the engine (every start availability offers lies inside the hours shown)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.api.schedule.conftest import (
    AUTUMN,
    MONDAY,
    SPRING,
    URL,
    Setup,
    day_of,
    every_day,
    get_hours,
    iso,
    local,
    template,
    utc,
)
from tests.conftest import ClinicWorld


def slot(weekday: int, start: str, end: str, types: list[str], **extra: str) -> dict[str, object]:
    return {"weekday": weekday, "start": start, "end": end, "appointmentTypeIds": types, **extra}


def refs(item: dict[str, object]) -> set[tuple[str, str]]:
    return {(r["resourceType"], r["resourceId"]) for r in item["appliesTo"]}  # type: ignore[attr-defined]


class TestTemplateSlots:
    def test_each_slot_on_each_date_with_its_name_types_and_resources(
        self, client: TestClient, setup: Setup
    ) -> None:
        tpl = template(
            client,
            setup,
            workingHours=[
                *every_day("chair", setup.chair1, ("08:00", "17:00")),
                *every_day("chair", setup.chair2, ("08:00", "17:00")),
                *every_day("provider", setup.provider, ("08:00", "17:00")),
            ],
            templateSlots=[
                slot(0, "08:00", "10:00", [setup.adjust], chairId=setup.chair1, name="Adj AM"),
                slot(0, "14:00", "15:00", [setup.adjust], providerId=setup.provider, name="Dr"),
                slot(1, "09:00", "09:30", [setup.scan], name="Scans"),
            ],
        )
        ids = {s["name"]: s["id"] for s in tpl["templateSlots"]}
        # Two weeks: each weekly slot appears once per week, in time order.
        body = get_hours(
            client, setup, local(MONDAY, 0), local(MONDAY + timedelta(days=14), 0)
        ).json()
        got = [(s["name"], s["startTime"]) for s in body["templateSlots"]]
        week2 = MONDAY + timedelta(days=7)
        assert got == [
            ("Adj AM", utc(MONDAY, 8)),
            ("Dr", utc(MONDAY, 14)),
            ("Scans", utc(MONDAY + timedelta(days=1), 9)),
            ("Adj AM", utc(week2, 8)),
            ("Dr", utc(week2, 14)),
            ("Scans", utc(week2 + timedelta(days=1), 9)),
        ]
        adj, dr, scans = body["templateSlots"][:3]
        assert adj == {
            "templateSlotId": ids["Adj AM"],
            "name": "Adj AM",
            "startTime": utc(MONDAY, 8),
            "endTime": utc(MONDAY, 10),
            "appointmentTypeIds": [setup.adjust],
            "chairId": setup.chair1,
            "providerId": None,
            "appliesTo": [{"resourceType": "chair", "resourceId": setup.chair1}],
        }
        assert refs(dr) == {("provider", setup.provider)}
        # Naming no one: every chair and provider (rooms only through the part's chair or
        # provider, so no room column shows it).
        assert refs(scans) == {
            ("provider", setup.provider),
            ("chair", setup.chair1),
            ("chair", setup.chair2),
        }

    def test_slots_keep_their_wall_clock_across_both_clock_changes(
        self, client: TestClient, setup: Setup
    ) -> None:
        sunday = 6
        template(
            client,
            setup,
            workingHours=every_day("chair", setup.chair1, ("08:00", "17:00")),
            templateSlots=[slot(sunday, "09:00", "10:00", [setup.adjust], chairId=setup.chair1)],
        )
        for before, change in ((SPRING - timedelta(days=7), SPRING), (AUTUMN, AUTUMN)):
            body = get_hours(client, setup, local(before, 0), local(change, 23)).json()
            for s in body["templateSlots"]:
                start = datetime.fromisoformat(s["startTime"]).astimezone(local(change, 0).tzinfo)
                assert (start.hour, start.minute) == (9, 0)
        spring = get_hours(client, setup, local(SPRING, 0), local(SPRING, 23)).json()
        assert [s["startTime"] for s in spring["templateSlots"]] == [utc(SPRING, 8)]  # BST
        autumn = get_hours(client, setup, local(AUTUMN, 0), local(AUTUMN, 23)).json()
        assert [s["startTime"] for s in autumn["templateSlots"]] == [utc(AUTUMN, 9)]  # GMT


class TestWindow:
    @pytest.mark.parametrize("days", [43, 60])
    def test_more_than_42_days_is_refused_saying_the_limit(
        self, client: TestClient, setup: Setup, days: int
    ) -> None:
        res = get_hours(client, setup, local(MONDAY, 0), local(MONDAY, 0) + timedelta(days=days))
        assert res.status_code == 422
        assert res.headers["content-type"] == "application/problem+json"
        problem = res.json()
        assert "at most 42 days" in problem["detail"]
        assert problem["errors"][0]["field"] == "to"

    def test_exactly_42_days_is_answered(self, client: TestClient, setup: Setup) -> None:
        template(client, setup, workingHours=every_day("chair", setup.chair1, ("09:00", "17:00")))
        start = datetime(2026, 11, 30, tzinfo=UTC)
        res = get_hours(client, setup, start, start + timedelta(days=42))
        assert res.status_code == 200, res.text
        days = day_of(res.json(), setup.chair1, MONDAY + timedelta(days=41))
        assert len(days["hours"]) == 1

    def test_a_window_ending_before_it_starts_is_refused(
        self, client: TestClient, setup: Setup
    ) -> None:
        res = get_hours(client, setup, local(MONDAY, 12), local(MONDAY, 9))
        assert res.status_code == 422
        assert "must be after 'from'" in res.json()["detail"]

    @pytest.mark.parametrize(
        "params",
        [
            {"to": "2026-12-01T00:00:00Z"},
            {"from": "2026-12-01T00:00:00Z"},
            {"from": "2026-12-01T00:00:00", "to": "2026-12-02T00:00:00Z"},  # no offset
            {"from": "yesterday", "to": "2026-12-02T00:00:00Z"},
        ],
    )
    def test_missing_or_malformed_times_are_a_problem_not_a_crash(
        self, client: TestClient, setup: Setup, params: dict[str, str]
    ) -> None:
        res = client.get(URL, params=params, headers=setup.world.headers("frontdesk"))
        assert res.status_code == 422, res.text
        assert res.headers["content-type"] == "application/problem+json"

    def test_times_at_the_edge_of_the_calendar_are_refused_not_a_500(
        self, client: TestClient, setup: Setup
    ) -> None:
        params = {"from": "9999-12-30T00:00:00-23:59", "to": "9999-12-31T23:59:59-23:59"}
        res = client.get(URL, params=params, headers=setup.world.headers("frontdesk"))
        assert res.status_code == 422, res.text


class TestAccess:
    def test_a_patient_may_not_see_the_clinics_hours(
        self, client: TestClient, setup: Setup
    ) -> None:
        res = get_hours(client, setup, local(MONDAY, 0), local(MONDAY, 23), role="patient")
        assert res.status_code == 403

    def test_without_a_token_it_is_401(self, client: TestClient, setup: Setup) -> None:
        res = client.get(URL, params={"from": iso(local(MONDAY, 0)), "to": iso(local(MONDAY, 23))})
        assert res.status_code == 401

    def test_another_clinic_sees_only_its_own_resources(
        self, client: TestClient, setup: Setup, other_world: ClinicWorld
    ) -> None:
        template(client, setup, workingHours=every_day("chair", setup.chair1, ("09:00", "17:00")))
        params = {"from": iso(local(MONDAY, 0)), "to": iso(local(MONDAY, 23))}
        res = client.get(URL, params=params, headers=other_world.headers("frontdesk"))
        assert res.status_code == 200, res.text
        listed = {r["resourceId"] for r in res.json()["resources"]}
        assert listed == {other_world.provider.id}
        assert res.json()["templateSlots"] == []


class TestAgreesWithTheEngine:
    @pytest.mark.parametrize("day", [SPRING, AUTUMN, MONDAY])
    def test_every_start_availability_offers_lies_inside_the_hours_shown(
        self,
        client: TestClient,
        setup: Setup,
        day: object,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        assert isinstance(day, type(MONDAY))
        monkeypatch.setattr("api.core.clock.now", lambda: local(day, 0) - timedelta(days=2))
        template(
            client,
            setup,
            workingHours=[
                *every_day("provider", setup.provider, ("00:30", "01:45"), ("08:00", "17:00")),
                *every_day("chair", setup.chair1, ("01:00", "03:00"), ("09:00", "12:00")),
                *every_day("chair", setup.chair1, ("12:00", "12:40"), ("13:30", "16:00")),
            ],
        )
        start, end = local(day, 0), local(day + timedelta(days=1), 0)
        shown = get_hours(client, setup, start, end).json()
        avail = client.get(
            "/api/booking/availability",
            params={"appointmentTypeId": setup.adjust, "from": iso(start), "to": iso(end)},
            headers=setup.world.headers("frontdesk"),
        )
        assert avail.status_code == 200, avail.text
        slots = avail.json()["slots"]
        assert slots, "the engine offers something on this day"

        def inside(rid: str, s: str, e: str) -> bool:
            stretches = day_of(shown, rid, day)["hours"]  # type: ignore[arg-type]
            return any(h["startTime"] <= s and e <= h["endTime"] for h in stretches)

        for offered in slots:
            [part] = offered["parts"]
            for rid in (part["providerId"], part["chairId"]):
                assert inside(rid, part["startTime"], part["endTime"]), (rid, part)
        # And the engine books all of it: where the provider's and the chair's stretches
        # overlap by at least the 30 minutes an adjustment takes, the overlap's start is offered.
        starts = {datetime.fromisoformat(s["parts"][0]["startTime"]) for s in slots}
        expected = 0
        for c in day_of(shown, setup.chair1, day)["hours"]:  # type: ignore[arg-type]
            for p in day_of(shown, setup.provider, day)["hours"]:  # type: ignore[arg-type]
                lo = max(
                    datetime.fromisoformat(c["startTime"]), datetime.fromisoformat(p["startTime"])
                )
                hi = min(datetime.fromisoformat(c["endTime"]), datetime.fromisoformat(p["endTime"]))
                if hi - lo >= timedelta(minutes=30):
                    expected += 1
                    assert lo in starts, (lo, c, p)
        assert expected >= 3
