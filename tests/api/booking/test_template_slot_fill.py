"""A time availability offers as filling a template slot can be booked into that slot, and a
move keeps the slot exactly while the engine says the part still fills it.

The slot names a chair and a provider; it applies to a part through either (the engine's rule),
so a part on its chair with another provider fills it. Lord Howe Island (UTC+10:30, a 30-minute
DST shift) on a 5-minute grid is where the disagreement was seen.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import ScheduleTemplate, TemplateSlot
from tests.api.booking.conftest import Clinic, book

LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


class LordHowe:
    def __init__(self, client: TestClient, clinic: Clinic, slot: TemplateSlot) -> None:
        self.client = client
        self.clinic = clinic
        self.slot = slot

    def iso(self, hour: int, minute: int = 0) -> str:
        local = datetime.combine(self.clinic.day, time(hour, minute), LORD_HOWE)
        return local.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def availability(self, **params: Any) -> list[dict[str, Any]]:
        client_params = {"from": self.iso(0), "to": self.iso(23, 55), **params}
        resp = self.client.get(
            "/api/booking/availability", params=client_params, headers=self.clinic.headers()
        )
        assert resp.status_code == 200, resp.text
        return list(resp.json()["slots"])


@pytest.fixture
def lord_howe(client: TestClient, db: Session, clinic: Clinic) -> LordHowe:
    row = clinic.world.clinic
    row.time_zone = "Australia/Lord_Howe"
    row.slot_granularity_minutes = 5
    template = db.query(ScheduleTemplate).filter_by(clinic_id=row.id).one()
    slot = TemplateSlot(
        name="Dr One's adjustments",
        weekday=clinic.day.weekday(),
        start_time=time(11),
        end_time=time(13),
        chair_id=clinic.chairs[0].id,
        provider_id=clinic.providers[0].id,
        appointment_type_ids=[clinic.adj.id],
    )
    template.template_slots.append(slot)
    db.commit()
    return LordHowe(client, clinic, slot)


class TestBookingIntoAnOfferedSlot:
    def test_a_start_offered_as_filling_the_slot_through_its_chair_books_into_it(
        self, client: TestClient, lord_howe: LordHowe
    ) -> None:
        clinic, slot = lord_howe.clinic, lord_howe.slot
        other_provider = clinic.providers[1].id
        offered = {
            s["startTime"]: s["parts"][0]
            for s in lord_howe.availability(
                appointmentTypeId=clinic.adj.id, providerId=other_provider
            )
        }
        part = offered[lord_howe.iso(11, 5)]
        assert part["templateSlotId"] == slot.id
        assert part["chairId"] == clinic.chairs[0].id and part["providerId"] == other_provider

        resp = book(
            client,
            clinic,
            providerId=part["providerId"],
            chairId=part["chairId"],
            startTime=part["startTime"],
            templateSlotId=part["templateSlotId"],
        )
        assert resp.status_code == 201, resp.text
        assert resp.json()["templateSlotId"] == slot.id

    def test_availability_into_the_slot_with_another_provider_offers_its_chair(
        self, lord_howe: LordHowe
    ) -> None:
        clinic, slot = lord_howe.clinic, lord_howe.slot
        into = lord_howe.availability(
            appointmentTypeId=clinic.adj.id,
            providerId=clinic.providers[1].id,
            templateSlotId=slot.id,
        )
        assert [s["startTime"] for s in into][:2] == [lord_howe.iso(11), lord_howe.iso(11, 5)]
        assert into[-1]["startTime"] == lord_howe.iso(12, 30)
        assert {s["parts"][0]["chairId"] for s in into} == {clinic.chairs[0].id}
        assert {s["parts"][0]["templateSlotId"] for s in into} == {slot.id}

    def test_a_part_sharing_neither_resource_cannot_book_into_the_slot(
        self, client: TestClient, lord_howe: LordHowe
    ) -> None:
        clinic = lord_howe.clinic
        resp = book(
            client,
            clinic,
            providerId=clinic.providers[1].id,
            chairId=clinic.chairs[1].id,
            startTime=lord_howe.iso(11),
            templateSlotId=lord_howe.slot.id,
        )
        assert resp.status_code == 422, resp.text
        assert "template slot" in resp.json()["detail"]


class TestMovingWithinTheSlot:
    def _booked(self, client: TestClient, lord_howe: LordHowe) -> dict[str, Any]:
        clinic = lord_howe.clinic
        resp = book(
            client,
            clinic,
            providerId=clinic.providers[0].id,
            chairId=clinic.chairs[0].id,
            startTime=lord_howe.iso(11),
            templateSlotId=lord_howe.slot.id,
        )
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    def _move(
        self, client: TestClient, lord_howe: LordHowe, appt: dict[str, Any], **body: Any
    ) -> dict[str, Any]:
        resp = client.post(
            f"/api/booking/appointments/{appt['id']}/reschedule",
            json=body,
            headers=lord_howe.clinic.headers(),
        )
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def test_a_move_to_another_provider_on_the_slots_chair_keeps_the_slot(
        self, client: TestClient, lord_howe: LordHowe
    ) -> None:
        appt = self._booked(client, lord_howe)
        moved = self._move(
            client,
            lord_howe,
            appt,
            startTime=lord_howe.iso(12),
            providerId=lord_howe.clinic.providers[1].id,
        )
        assert moved["templateSlotId"] == lord_howe.slot.id

    def test_a_move_off_both_of_the_slots_resources_drops_the_slot(
        self, client: TestClient, lord_howe: LordHowe
    ) -> None:
        clinic = lord_howe.clinic
        appt = self._booked(client, lord_howe)
        moved = self._move(
            client,
            lord_howe,
            appt,
            startTime=lord_howe.iso(12),
            providerId=clinic.providers[1].id,
            chairId=clinic.chairs[1].id,
        )
        assert moved["templateSlotId"] is None

    def test_a_move_past_the_slots_end_drops_the_slot(
        self, client: TestClient, lord_howe: LordHowe
    ) -> None:
        appt = self._booked(client, lord_howe)
        moved = self._move(client, lord_howe, appt, startTime=lord_howe.iso(12, 45))
        assert moved["templateSlotId"] is None
