"""Errors from the engine name the fields the client sent, in words the client can act on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.booking.rules import RuleViolation, api_field, raise_for
from solver.result import Violation
from tests.api.booking.conftest import Clinic, book


def _avail(client: TestClient, clinic: Clinic, **params: Any):  # type: ignore[no-untyped-def]
    return client.get("/api/booking/availability", params=params, headers=clinic.headers())


def _problem(resp: Any) -> tuple[str, str]:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    return body["errors"][0]["field"], body["detail"]


class TestWindowPastTheHorizon:
    def test_names_from_and_says_where_the_horizon_ends(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        past = datetime.now(UTC) + timedelta(days=120)
        field, detail = _problem(
            _avail(
                client,
                clinic,
                appointmentTypeId=clinic.adj.id,
                **{"from": past.isoformat(), "to": (past + timedelta(days=1)).isoformat()},
            )
        )
        assert field == "from"
        assert "starts after the booking horizon (90 days, until " in detail
        assert "Europe/London" in detail
        assert "window_end" not in detail

    def test_a_window_running_past_the_horizon_is_cut_at_it(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        start = datetime.now(UTC) + timedelta(days=89, hours=20)
        resp = _avail(
            client,
            clinic,
            appointmentTypeId=clinic.adj.id,
            **{"from": start.isoformat(), "to": (start + timedelta(days=2)).isoformat()},
        )
        assert resp.status_code == 200, resp.text
        horizon = datetime.now(UTC) + timedelta(days=90)
        for slot in resp.json()["slots"]:
            end = datetime.fromisoformat(slot["endTime"].replace("Z", "+00:00"))
            assert end <= horizon + timedelta(minutes=1)


class TestEngineFieldsAreTheClientsFields:
    def test_availability_into_a_slot_not_for_the_type_names_template_slot_id(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        field, detail = _problem(
            _avail(
                client,
                clinic,
                appointmentTypeId=clinic.debond.id,
                templateSlotId=clinic.adj_slot.id,
                **{"from": clinic.iso(0), "to": clinic.iso(23)},
            )
        )
        assert field == "templateSlotId"
        assert detail.startswith("templateSlotId: ") and "visit.parts" not in detail

    def test_booking_into_a_slot_on_another_chair_names_chair_id(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        field, detail = _problem(
            book(
                client,
                clinic,
                chairId=clinic.chairs[1].id,
                startTime=clinic.iso(8, 30),
                templateSlotId=clinic.adj_slot.id,
            )
        )
        assert field == "chairId"
        assert "_id" not in detail

    def test_the_second_part_of_a_visit_is_named_by_its_index(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        body = {
            "patientId": clinic.patients[0].id,
            "parts": [
                {
                    "appointmentTypeId": clinic.scan.id,
                    "providerId": clinic.providers[0].id,
                    "roomId": clinic.scanner.id,
                    "startTime": clinic.iso(8, 10),
                    "duration": 20,
                },
                {
                    "appointmentTypeId": clinic.debond.id,
                    "providerId": clinic.providers[0].id,
                    "chairId": clinic.chairs[0].id,
                    "startTime": clinic.iso(8, 30),
                    "templateSlotId": clinic.adj_slot.id,
                },
            ],
        }
        resp = client.post("/api/booking/appointments", json=body, headers=clinic.headers())
        field, detail = _problem(resp)
        assert field == "parts.1.templateSlotId"
        assert "visit.parts" not in detail


class TestApiField:
    def test_maps_part_fields_with_and_without_a_parts_prefix(self) -> None:
        assert api_field("visit.parts[0].provider_id") == "providerId"
        assert api_field("visit.parts[2].duration_minutes", "parts.") == "parts.2.duration"
        assert api_field("parts[1].chair_id", "parts.") == "parts.1.chairId"

    def test_maps_window_and_preference_fields(self) -> None:
        assert api_field("window_start") == "from"
        assert api_field("window_end") == "to"
        assert api_field("preferences.preferred_start") == "preferredStart"

    def test_leaves_the_clinics_own_configuration_alone(self) -> None:
        assert api_field("clinic.time_zone") == "clinic.time_zone"


class TestAssistantFields:
    """An assistant the engine refuses points the client at ``assistantId``."""

    def test_a_pinned_assistant_maps_to_assistant_id(self) -> None:
        assert api_field("visit.parts[0].assistant_id") == "assistantId"
        assert api_field("parts[1].assistant_id", "parts.") == "parts.1.assistantId"

    def test_an_unqualified_assistant_names_assistant_id(self) -> None:
        refused = Violation("not_qualified", "Assistant Ana may not take part 1 (Bond)", 0, "ana")
        with pytest.raises(RuleViolation) as err:
            raise_for(
                [refused],
                {"ana": "assistant"},
                may_override_conflicts=True,
                may_override_lead_time=True,
            )
        assert err.value.extra["errors"] == [
            {"field": "assistantId", "message": "Assistant Ana may not take part 1 (Bond)"}
        ]

    @pytest.mark.parametrize(("kind", "field"), [("chair", "chairId"), ("room", "roomId")])
    def test_a_chair_or_room_the_type_needs_none_of_names_its_field(
        self, kind: str, field: str
    ) -> None:
        refused = Violation(
            "not_qualified", "Chair 1 may not take part 1: Scan needs no chair", 0, "x"
        )
        with pytest.raises(RuleViolation) as err:
            raise_for(
                [refused], {"x": kind}, may_override_conflicts=True, may_override_lead_time=True
            )
        assert err.value.extra["errors"][0]["field"] == field

    def test_an_unqualified_provider_still_names_provider_id(self) -> None:
        refused = Violation("not_qualified", "Dr One may not take part 1 (Bond)", 0, "p1")
        with pytest.raises(RuleViolation) as err:
            raise_for(
                [refused],
                {"p1": "provider"},
                may_override_conflicts=True,
                may_override_lead_time=True,
            )
        assert err.value.extra["errors"][0]["field"] == "providerId"
