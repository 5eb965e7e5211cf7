from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.booking.conftest import Clinic, book


class TestList:
    def test_filters_and_pagination(self, client: TestClient, clinic: Clinic) -> None:
        a = book(client, clinic).json()
        b = book(
            client,
            clinic,
            patientId=clinic.patients[1].id,
            providerId=clinic.providers[1].id,
            chairId=clinic.chairs[0].id,
            startTime=clinic.iso(15),
        ).json()
        c = book(
            client,
            clinic,
            patientId=clinic.patients[2].id,
            startTime=clinic.iso(10, 0, 1),
            source="PHONE",
        ).json()
        h = clinic.headers()

        def ids(**params: object) -> list[str]:
            resp = client.get("/api/booking/appointments", params=params, headers=h)
            assert resp.status_code == 200, resp.text
            return [x["id"] for x in resp.json()["items"]]

        assert ids() == [a["id"], b["id"], c["id"]]
        assert ids(providerId=clinic.providers[1].id) == [b["id"]]
        assert ids(chairId=clinic.chairs[0].id) == [b["id"]]
        assert ids(patientId=clinic.patients[2].id) == [c["id"]]
        assert ids(source="PHONE") == [c["id"]]
        assert ids(**{"from": clinic.iso(14, 45), "to": clinic.iso(23)}) == [b["id"]]
        assert ids(status="SCHEDULED", limit=2) == [a["id"], b["id"]]
        assert ids(limit=2, offset=2) == [c["id"]]

    def test_naive_from_is_rejected(self, client: TestClient, clinic: Clinic) -> None:
        resp = client.get(
            "/api/booking/appointments",
            params={"from": "2026-01-01T09:00:00"},
            headers=clinic.headers(),
        )
        assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "from"

    def test_other_clinic_sees_nothing(
        self, client: TestClient, clinic: Clinic, other_world
    ) -> None:  # type: ignore[no-untyped-def]
        appt = book(client, clinic).json()
        theirs = other_world.headers("admin")
        assert client.get("/api/booking/appointments", headers=theirs).json()["total"] == 0
        for method, suffix in (("get", ""), ("get", "/audit"), ("delete", "?reason=x")):
            resp = client.request(
                method, f"/api/booking/appointments/{appt['id']}{suffix}", headers=theirs
            )
            assert resp.status_code == 404
        resp = client.post(
            f"/api/booking/appointments/{appt['id']}/reschedule",
            json={"startTime": clinic.iso(9)},
            headers=theirs,
        )
        assert resp.status_code == 404

    def test_patient_role_cannot_read_the_calendar(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        resp = client.get("/api/booking/appointments", headers=clinic.headers("patient"))
        assert resp.status_code == 403
