"""The calendar's live conflict probe over the WebSocket: the same rules as booking."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.booking.conftest import Clinic, book
from tests.conftest import ClinicWorld


def _connect(client: TestClient, token: str) -> Any:
    return client.websocket_connect(f"/api/booking/events?token={token}")


class TestProbe:
    def _probe(self, ws: Any, **body: Any) -> dict[str, Any]:
        ws.send_json({"type": "probe", "seq": 1, **body})
        reply = ws.receive_json()
        assert reply["type"] == "probe" and reply["seq"] == 1
        return dict(reply)

    def test_free_time_is_ok(self, client: TestClient, clinic: Clinic) -> None:
        appt = book(client, clinic).json()
        with _connect(client, clinic.world.tokens["frontdesk"]) as ws:
            ws.receive_json()
            reply = self._probe(ws, appointmentId=appt["id"], startTime=clinic.iso(16))
        assert reply["ok"] is True and reply["conflicts"] == []

    def test_names_the_busy_provider_like_the_booking_endpoint(
        self,
        client: TestClient,
        clinic: Clinic,
    ) -> None:
        appt = book(client, clinic).json()
        other = book(
            client,
            clinic,
            patientId=clinic.patients[1].id,
            chairId=clinic.chairs[0].id,
            startTime=clinic.iso(15),
        ).json()
        with _connect(client, clinic.world.tokens["frontdesk"]) as ws:
            ws.receive_json()
            reply = self._probe(ws, appointmentId=appt["id"], startTime=clinic.iso(15))
        refused = client.post(
            f"/api/booking/appointments/{appt['id']}/reschedule",
            json={"startTime": clinic.iso(15)},
            headers=clinic.headers(),
        )
        assert refused.status_code == 409
        assert reply["ok"] is False
        assert [c["code"] for c in reply["conflicts"]] == [
            c["code"] for c in refused.json()["conflicts"]
        ]
        busy = reply["conflicts"][0]
        assert busy["code"] == "resource_busy" and busy["resource"] == "provider"
        assert busy["appointmentId"] == other["id"] and busy["kind"] == "conflict"
        assert clinic.providers[0].name in busy["message"]

    @pytest.mark.parametrize(
        ("change", "code", "kind"),
        [
            ({"startTime": "T07:00"}, "outside_hours", "conflict"),
            ({"startTime": "T09:00", "chairId": "chair0"}, "template_reserved", "conflict"),
            ({"startTime": "T14:03"}, "not_on_grid", "rule"),
            ({"startTime": "T14:00", "duration": 100}, "duration_bounds", "rule"),
            ({"startTime": "NOW"}, "before_lead_time", "rule"),
        ],
    )
    def test_rules(
        self,
        client: TestClient,
        clinic: Clinic,
        change: dict[str, Any],
        code: str,
        kind: str,
    ) -> None:
        appt = book(client, clinic, appointmentTypeId=clinic.debond.id, duration=60).json()
        body = dict(change)
        start = body.pop("startTime")
        if start == "NOW":
            body["startTime"] = clinic.iso(0, 0, days=-3)
        else:
            hour, minute = (int(x) for x in start[1:].split(":"))
            body["startTime"] = clinic.iso(hour, minute)
        if body.get("chairId") == "chair0":
            body["chairId"] = clinic.chairs[0].id
        with _connect(client, clinic.world.tokens["frontdesk"]) as ws:
            ws.receive_json()
            reply = self._probe(ws, appointmentId=appt["id"], **body)
        assert reply["ok"] is False
        assert (code, kind) in {(c["code"], c["kind"]) for c in reply["conflicts"]}, reply

    def test_new_appointment_and_patient_clash(
        self,
        client: TestClient,
        clinic: Clinic,
    ) -> None:
        book(client, clinic)
        with _connect(client, clinic.world.tokens["frontdesk"]) as ws:
            ws.receive_json()
            reply = self._probe(
                ws,
                appointmentTypeId=clinic.adj.id,
                patientId=clinic.patients[0].id,
                providerId=clinic.providers[1].id,
                chairId=clinic.chairs[0].id,
                startTime=clinic.iso(14, 10),
            )
        assert [c["code"] for c in reply["conflicts"]] == ["patient_busy"]

    def test_bad_probes_get_an_error_not_a_disconnect(
        self,
        client: TestClient,
        clinic: Clinic,
        other_world: ClinicWorld,
    ) -> None:
        theirs = book(client, clinic).json()
        with _connect(client, other_world.tokens["frontdesk"]) as ws:
            ws.receive_json()
            ws.send_json({"type": "probe", "seq": 1, "startTime": "tomorrow"})
            assert "startTime" in ws.receive_json()["error"]
            ws.send_json(
                {
                    "type": "probe",
                    "seq": 2,
                    "appointmentId": theirs["id"],
                    "startTime": clinic.iso(9),
                }
            )
            reply = ws.receive_json()
            assert reply["seq"] == 2 and "No appointment" in reply["error"]
            ws.send_json({"type": "ping", "seq": 3})
            assert ws.receive_json()["type"] == "pong"

    @pytest.mark.parametrize(
        "start", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"], ids=["late", "early"]
    )
    def test_a_time_outside_the_utc_calendar_is_an_error_not_a_disconnect(
        self, client: TestClient, clinic: Clinic, start: str
    ) -> None:
        appt = book(client, clinic).json()
        with _connect(client, clinic.world.tokens["frontdesk"]) as ws:
            ws.receive_json()
            ws.send_json(
                {"type": "probe", "seq": 1, "appointmentId": appt["id"], "startTime": start}
            )
            reply = ws.receive_json()
            assert reply["ok"] is False and "UTC" in reply["error"], reply
            ws.send_json({"type": "ping", "seq": 2})
            assert ws.receive_json()["type"] == "pong"


# --------------------------------------------------------------------------- revocation
