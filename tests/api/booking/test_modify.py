"""PUT, DELETE (cancel), reschedule and duplicate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.api.booking.conftest import Clinic, book


def _put(
    client: TestClient,
    clinic: Clinic,
    appt: dict[str, Any],
    role: str = "frontdesk",
    version: int | None = None,
    **body: Any,
):  # type: ignore[no-untyped-def]
    headers = clinic.headers(role)
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return client.put(f"/api/booking/appointments/{appt['id']}", json=body, headers=headers)


class TestUpdate:
    def test_if_match_is_required(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        assert _put(client, clinic, appt, notes="x").status_code == 428

    def test_stale_version_is_412_and_changes_nothing(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        appt = book(client, clinic).json()
        assert _put(client, clinic, appt, version=1, notes="first").status_code == 200
        stale = _put(client, clinic, appt, version=1, notes="second")
        assert stale.status_code == 412 and stale.json()["currentVersion"] == 2
        got = client.get(f"/api/booking/appointments/{appt['id']}", headers=clinic.headers())
        assert got.json()["notes"] == "first" and got.headers["etag"] == '"2"'

    def test_duration_within_bounds(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        resp = _put(client, clinic, appt, version=1, duration=40)
        assert resp.status_code == 200, resp.text
        assert resp.json()["endTime"] == clinic.iso(14, 40) and resp.json()["version"] == 2

    def test_duration_beyond_maximum_is_422(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        resp = _put(client, clinic, appt, version=1, duration=41)
        assert resp.status_code == 422 and "maximum of 40" in resp.json()["detail"]

    def test_resize_into_a_neighbour_is_409(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        book(client, clinic, patientId=clinic.patients[1].id, startTime=clinic.iso(14, 30))
        assert _put(client, clinic, appt, version=1, duration=35).status_code == 409

    def test_change_chair_to_a_busy_one_is_409(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        book(
            client,
            clinic,
            patientId=clinic.patients[1].id,
            providerId=clinic.providers[1].id,
            chairId=clinic.chairs[0].id,
        )
        resp = _put(client, clinic, appt, version=1, chairId=clinic.chairs[0].id)
        assert resp.status_code == 409

    def test_status_follows_the_visit(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        for version, status in enumerate(
            ["CONFIRMED", "CHECKED_IN", "IN_PROGRESS", "COMPLETED"], start=1
        ):
            resp = _put(client, clinic, appt, version=version, status=status)
            assert resp.status_code == 200, resp.text
        final = _put(client, clinic, appt, version=5, status="SCHEDULED")
        assert final.status_code == 422 and "final" in final.json()["detail"]

    def test_cancel_through_put_is_refused(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        resp = _put(client, clinic, appt, version=1, status="CANCELLED")
        assert resp.status_code == 422 and "DELETE" in resp.json()["detail"]

    def test_provider_changes_only_their_own(self, client: TestClient, clinic: Clinic) -> None:
        mine = book(client, clinic).json()  # providers[0] is the provider user's provider
        theirs = book(
            client,
            clinic,
            patientId=clinic.patients[1].id,
            providerId=clinic.providers[1].id,
            chairId=clinic.chairs[0].id,
        ).json()
        assert _put(client, clinic, mine, "provider", version=1, notes="ok").status_code == 200
        assert _put(client, clinic, theirs, "provider", version=1, notes="x").status_code == 403

    def test_a_provider_cannot_hand_their_appointment_to_a_colleague(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        mine = book(client, clinic).json()  # providers[0] is the provider user's provider
        colleague = clinic.providers[1].id
        put = _put(client, clinic, mine, "provider", version=1, providerId=colleague)
        assert put.status_code == 403, put.text
        assert "front desk" in put.json()["detail"]
        moved = client.post(
            f"/api/booking/appointments/{mine['id']}/reschedule",
            json={"startTime": clinic.iso(16), "providerId": colleague},
            headers=clinic.headers("provider"),
        )
        assert moved.status_code == 403, moved.text
        got = client.get(f"/api/booking/appointments/{mine['id']}", headers=clinic.headers())
        assert got.json()["providerId"] == clinic.providers[0].id
        assert got.json()["version"] == 1 and got.json()["startTime"] == clinic.iso(14)
        # Their own appointment stays theirs to move; the front desk may reassign it.
        own = client.post(
            f"/api/booking/appointments/{mine['id']}/reschedule",
            json={"startTime": clinic.iso(16), "providerId": clinic.providers[0].id},
            headers=clinic.headers("provider"),
        )
        assert own.status_code == 200, own.text
        desk = _put(client, clinic, mine, "frontdesk", version=2, providerId=colleague)
        assert desk.status_code == 200 and desk.json()["providerId"] == colleague, desk.text

    def test_update_is_audited_with_before_and_after(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        appt = book(client, clinic).json()
        _put(client, clinic, appt, version=1, notes="bring retainer")
        trail = client.get(
            f"/api/booking/appointments/{appt['id']}/audit", headers=clinic.headers()
        ).json()
        assert trail[-1]["action"] == "update"
        assert trail[-1]["changes"]["notes"] == [None, "bring retainer"]


class TestCancel:
    def _cancel(self, client: TestClient, clinic: Clinic, appt: dict[str, Any], **params: Any):  # type: ignore[no-untyped-def]
        return client.delete(
            f"/api/booking/appointments/{appt['id']}",
            params={"reason": "patient ill", **params},
            headers=clinic.headers(),
        )

    def test_cancel_frees_the_time_and_hides_the_row(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        appt = book(client, clinic).json()
        resp = self._cancel(client, clinic, appt)
        assert resp.status_code == 200
        body = resp.json()
        assert body["status"] == "CANCELLED" and body["deletedAt"] is not None
        assert body["cancellationReason"] == "patient ill"
        assert body["cancellationFee"] is None  # three days ahead: outside the 24 h window
        listed = client.get("/api/booking/appointments", headers=clinic.headers()).json()
        assert listed["total"] == 0
        everything = client.get(
            "/api/booking/appointments", params={"includeCancelled": True}, headers=clinic.headers()
        ).json()
        assert everything["total"] == 1
        assert book(client, clinic, patientId=clinic.patients[1].id).status_code == 201

    def test_late_cancel_carries_the_fee(self, client: TestClient, clinic: Clinic) -> None:
        soon = datetime.now(UTC) + timedelta(hours=5)
        soon = soon.replace(minute=soon.minute - soon.minute % 5, second=0, microsecond=0)
        appt = book(
            client,
            clinic,
            startTime=soon.isoformat(),
            override=True,
            overrideReason="test: may fall outside hours",
        ).json()
        resp = self._cancel(client, clinic, appt)
        assert resp.json()["cancellationFee"] == {"amount": "25.00", "currency": "GBP"}
        trail = client.get(
            f"/api/booking/appointments/{appt['id']}/audit", headers=clinic.headers()
        ).json()
        assert trail[-1]["action"] == "cancel" and trail[-1]["reason"] == "patient ill"

    def test_late_fee_can_be_waived(self, client: TestClient, clinic: Clinic) -> None:
        soon = datetime.now(UTC) + timedelta(hours=5)
        soon = soon.replace(minute=soon.minute - soon.minute % 5, second=0, microsecond=0)
        appt = book(
            client, clinic, startTime=soon.isoformat(), override=True, overrideReason="test"
        ).json()
        resp = self._cancel(client, clinic, appt, waiveFee=True)
        assert resp.json()["cancellationFee"] is None

    def test_reason_is_required(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        resp = client.delete(f"/api/booking/appointments/{appt['id']}", headers=clinic.headers())
        assert resp.status_code == 422

    def test_cancel_twice_is_409(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        self._cancel(client, clinic, appt)
        assert self._cancel(client, clinic, appt).status_code == 409

    def test_cancel_returns_the_procedure_to_the_plan(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        appt = book(client, clinic, treatmentPlanId=clinic.plan.id).json()
        self._cancel(client, clinic, appt)
        again = book(client, clinic, treatmentPlanId=clinic.plan.id)
        assert again.json()["procedureIds"] == appt["procedureIds"]


class TestReschedule:
    def test_move_checks_every_rule_again(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        book(client, clinic, patientId=clinic.patients[1].id, startTime=clinic.iso(16))
        url = f"/api/booking/appointments/{appt['id']}/reschedule"
        clash = client.post(url, json={"startTime": clinic.iso(16, 10)}, headers=clinic.headers())
        assert clash.status_code == 409
        moved = client.post(
            url,
            json={"startTime": clinic.iso(9, 0, days=1), "chairId": clinic.chairs[0].id},
            headers=clinic.headers(),
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["startTime"] == clinic.iso(9, 0, days=1)
        assert moved.json()["chairId"] == clinic.chairs[0].id and moved.json()["version"] == 2
        # The old time is free again.
        assert book(client, clinic, patientId=clinic.patients[2].id).status_code == 201

    def test_move_out_of_the_template_slot_drops_the_link(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        appt = book(
            client,
            clinic,
            chairId=clinic.chairs[0].id,
            startTime=clinic.iso(8, 30),
            templateSlotId=clinic.adj_slot.id,
        ).json()
        moved = client.post(
            f"/api/booking/appointments/{appt['id']}/reschedule",
            json={"startTime": clinic.iso(12)},
            headers=clinic.headers(),
        )
        assert moved.json()["templateSlotId"] is None

    def test_stale_if_match(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        resp = client.post(
            f"/api/booking/appointments/{appt['id']}/reschedule",
            json={"startTime": clinic.iso(12)},
            headers=clinic.headers() | {"If-Match": '"7"'},
        )
        assert resp.status_code == 412

    def test_cancelled_cannot_be_moved(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        client.delete(
            f"/api/booking/appointments/{appt['id']}",
            params={"reason": "x"},
            headers=clinic.headers(),
        )
        resp = client.post(
            f"/api/booking/appointments/{appt['id']}/reschedule",
            json={"startTime": clinic.iso(12)},
            headers=clinic.headers(),
        )
        assert resp.status_code == 409


class TestDuplicate:
    def test_copy_to_a_given_time(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic, notes="bring aligners").json()
        resp = client.post(
            f"/api/booking/appointments/{appt['id']}/duplicate",
            json={"startTime": clinic.iso(14, 0, days=7)},
            headers=clinic.headers(),
        )
        assert resp.status_code == 201, resp.text
        copy = resp.json()
        assert copy["id"] != appt["id"] and copy["startTime"] == clinic.iso(14, 0, days=7)
        for field in (
            "patientId",
            "appointmentTypeId",
            "providerId",
            "chairId",
            "duration",
            "notes",
        ):
            assert copy[field] == appt[field]
        trail = client.get(
            f"/api/booking/appointments/{copy['id']}/audit", headers=clinic.headers()
        ).json()
        assert trail[0]["action"] == "duplicate" and appt["id"] in trail[0]["reason"]

    def test_copy_onto_itself_is_a_conflict(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        resp = client.post(
            f"/api/booking/appointments/{appt['id']}/duplicate",
            json={"startTime": appt["startTime"]},
            headers=clinic.headers(),
        )
        assert resp.status_code == 409

    def test_without_a_time_takes_the_next_best_fit(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        appt = book(client, clinic).json()
        resp = client.post(
            f"/api/booking/appointments/{appt['id']}/duplicate", json={}, headers=clinic.headers()
        )
        assert resp.status_code == 201, resp.text
        copy = resp.json()
        assert copy["startTime"] != appt["startTime"]
        assert copy["duration"] == 30 and copy["providerId"] == appt["providerId"]
