from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from tests.api.booking.conftest import Clinic, book


def _avail(client: TestClient, clinic: Clinic, **params: object):  # type: ignore[no-untyped-def]
    base = {"from": clinic.iso(0), "to": clinic.iso(23, 59)}
    return client.get("/api/booking/availability", params=base | params, headers=clinic.headers())


class TestAvailability:
    def test_lists_every_bookable_start_around_existing_bookings(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        book(client, clinic, providerId=clinic.providers[0].id, startTime=clinic.iso(14))
        resp = _avail(
            client, clinic, appointmentTypeId=clinic.adj.id, providerId=clinic.providers[0].id
        )
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["mode"] == "all" and body["timeZone"] == "Europe/London" and body["complete"]
        starts = [s["startTime"] for s in body["slots"]]
        assert clinic.iso(8) in starts and clinic.iso(17, 30) in starts
        assert clinic.iso(17, 35) not in starts  # would run past closing
        for blocked in (clinic.iso(13, 35), clinic.iso(14), clinic.iso(14, 25)):
            assert blocked not in starts
        assert clinic.iso(13, 30) in starts and clinic.iso(14, 30) in starts
        assert all(s["localDate"] == clinic.day.isoformat() for s in body["slots"])

    def test_every_listed_slot_can_be_booked(self, client: TestClient, clinic: Clinic) -> None:
        slots = _avail(client, clinic, appointmentTypeId=clinic.adj.id).json()["slots"]
        pick = slots[len(slots) // 2]["parts"][0]
        resp = book(
            client,
            clinic,
            providerId=pick["providerId"],
            chairId=pick["chairId"],
            startTime=pick["startTime"],
            templateSlotId=pick["templateSlotId"],
        )
        assert resp.status_code == 201, resp.text

    def test_visit_availability_chains_scan_then_adjustment(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        resp = _avail(
            client, clinic, appointmentTypeId=[clinic.scan.id, clinic.adj.id], sameProvider=True
        )
        assert resp.status_code == 200, resp.text
        slot = resp.json()["slots"][0]
        scan, adj = slot["parts"]
        assert scan["roomId"] == clinic.scanner.id and adj["chairId"] is not None
        assert scan["providerId"] == adj["providerId"]
        assert datetime.fromisoformat(adj["startTime"]) >= datetime.fromisoformat(scan["endTime"])

    def test_best_fit_ranks_with_explained_scores(self, client: TestClient, clinic: Clinic) -> None:
        resp = _avail(client, clinic, appointmentTypeId=clinic.adj.id, mode="best", limit=5)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["mode"] == "best" and 1 <= len(body["suggestions"]) <= 5
        scores = [s["score"] for s in body["suggestions"]]
        assert scores == sorted(scores, reverse=True)
        assert all(s["terms"] for s in body["suggestions"])

    def test_quick_booking_finds_the_next_planned_procedure(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        resp = client.get(
            "/api/booking/availability",
            params={"patientId": clinic.patients[0].id, "mode": "best", "limit": 1},
            headers=clinic.headers(),
        )
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["treatmentPlanId"] == clinic.plan.id
        assert body["procedureIds"] == [clinic.plan.procedures[0].id]  # the scan comes first
        part = body["suggestions"][0]["parts"][0]
        assert part["appointmentTypeId"] == clinic.scan.id
        booked = client.post(
            "/api/booking/appointments",
            json={
                "patientId": body["patientId"],
                "appointmentTypeId": part["appointmentTypeId"],
                "providerId": part["providerId"],
                "roomId": part["roomId"],
                "startTime": part["startTime"],
                "duration": part["duration"],
                "treatmentPlanId": body["treatmentPlanId"],
                "procedureIds": body["procedureIds"],
            },
            headers=clinic.headers(),
        )
        assert booked.status_code == 201, booked.text
        assert booked.json()["startTime"] == part["startTime"]

    def test_patient_without_a_plan_needs_a_type(self, client: TestClient, clinic: Clinic) -> None:
        resp = client.get(
            "/api/booking/availability",
            params={"patientId": clinic.patients[1].id, "mode": "best"},
            headers=clinic.headers(),
        )
        assert resp.status_code == 404

    def test_duration_out_of_bounds_is_an_error_not_a_clamp(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        resp = _avail(client, clinic, appointmentTypeId=clinic.adj.id, duration=90)
        assert resp.status_code == 422

    def test_unknown_type(self, client: TestClient, clinic: Clinic) -> None:
        resp = _avail(client, clinic, appointmentTypeId="nope")
        assert resp.status_code == 422
