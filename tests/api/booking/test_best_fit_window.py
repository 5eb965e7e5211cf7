"""Best fit scores a start the same whatever window the query asks over.

``chair_load`` is the fraction of the chair booked that whole clinic-local day and ``short_gap``
looks at the free time around the part; both once saw only the appointments inside the query's
window, so a window starting mid-afternoon forgot the morning's bookings.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.booking.conftest import Clinic, book


def _terms_at(
    client: TestClient, clinic: Clinic, start: str, window: tuple[str, str]
) -> dict[str, float]:
    resp = client.get(
        "/api/booking/availability",
        params={
            "appointmentTypeId": clinic.adj.id,
            "providerId": clinic.providers[0].id,
            "chairId": clinic.chairs[1].id,
            "mode": "best",
            "limit": 50,
            "preferredStart": start,
            "from": window[0],
            "to": window[1],
        },
        headers=clinic.headers(),
    )
    assert resp.status_code == 200, resp.text
    found: list[dict[str, Any]] = [s for s in resp.json()["suggestions"] if s["startTime"] == start]
    assert found, resp.json()["suggestions"]
    return {t["rule"]: t["points"] for t in found[0]["terms"]}


class TestScoreIsIndependentOfTheWindow:
    def test_morning_bookings_count_for_an_afternoon_window(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        chair = clinic.chairs[1].id
        other = clinic.providers[1].id
        for patient, hour, minute in ((1, 9, 0), (2, 10, 0), (3, 13, 30)):
            resp = book(
                client,
                clinic,
                patientId=clinic.patients[patient].id,
                providerId=other,
                chairId=chair,
                startTime=clinic.iso(hour, minute),
            )
            assert resp.status_code == 201, resp.text
        start = clinic.iso(14, 10)

        whole_day = _terms_at(client, clinic, start, (clinic.iso(0), clinic.iso(23, 55)))
        afternoon = _terms_at(client, clinic, start, (start, clinic.iso(18)))

        # 90 of the chair's 600 open minutes are booked: -2.0 x 0.15.
        assert whole_day["chair_load"] == -0.3
        # 14:00-14:10 is left free before the part, shorter than any type (15 min scan).
        assert whole_day["short_gap"] == -1.5
        assert afternoon == whole_day
