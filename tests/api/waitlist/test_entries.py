"""Waitlist entries through HTTP: create, list, change, withdraw; errors name the field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.auth.tokens import TokenClaims, issue_token
from tests.api.waitlist.conftest import BASE, Waitlist


def test_create_and_read_an_entry(wl: Waitlist) -> None:
    c = wl.clinic
    got = wl.entry(
        wl.patient(1).id,
        duration=25,
        weekdays=[0, 2, 4],
        earliestTime="08:00",
        latestTime="12:30",
        priority=2,
        notes="Can come at short notice",
        preferredProviderId=c.providers[1].id,
    )
    assert got["status"] == "waiting"
    assert got["source"] == "STAFF"
    assert got["parts"] == [
        {"appointmentTypeId": c.adj.id, "duration": 25, "minGapMinutes": 0, "maxGapMinutes": 0}
    ]
    assert got["weekdays"] == [0, 2, 4]
    assert (got["earliestTime"], got["latestTime"]) == ("08:00", "12:30")
    assert got["patient"]["name"] == "P0 Test"
    again = wl.client.get(f"{BASE}/{got['id']}", headers=wl.staff).json()
    assert again == got


def test_a_visit_entry_keeps_its_parts_in_order(wl: Waitlist) -> None:
    c = wl.clinic
    parts = [
        {"appointmentTypeId": c.scan.id},
        {"appointmentTypeId": c.adj.id, "duration": 40, "minGapMinutes": 0, "maxGapMinutes": 15},
    ]
    got = wl.entry(wl.patient(1).id, appointmentTypeId=None, parts=parts, sameProvider=True)
    assert [(p["appointmentTypeId"], p["duration"]) for p in got["parts"]] == [
        (c.scan.id, 20),
        (c.adj.id, 40),
    ]
    assert got["appointmentTypeId"] == c.scan.id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"patientId": "nope"}, "patientId"),
        ({"appointmentTypeId": "nope"}, "appointmentTypeId"),
        ({"duration": 90}, "duration"),
        ({"preferredProviderId": "nope"}, "preferredProviderId"),
        ({"replacesAppointmentId": "nope"}, "replacesAppointmentId"),
        ({"weekdays": [7]}, "weekdays.0"),
        ({"priority": 11}, "priority"),
        ({"earliestTime": "08:03"}, "earliestTime"),
    ],
)
def test_bad_input_names_the_field(wl: Waitlist, body: dict[str, Any], field: str) -> None:
    payload = {"patientId": wl.patient(1).id, "appointmentTypeId": wl.clinic.adj.id, **body}
    resp = wl.client.post(BASE, json=payload, headers=wl.staff)
    assert resp.status_code == 422, resp.text
    assert field in [e["field"] for e in resp.json()["errors"]], resp.json()


def test_a_part_with_a_bad_duration_is_named_by_its_index(wl: Waitlist) -> None:
    c = wl.clinic
    parts = [{"appointmentTypeId": c.scan.id}, {"appointmentTypeId": c.adj.id, "duration": 5}]
    resp = wl.client.post(
        BASE, json={"patientId": wl.patient(1).id, "parts": parts}, headers=wl.staff
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "parts.1.duration"
    assert "below the Adjustment minimum of 20 minutes" in resp.json()["detail"]


def test_window_order_and_type_or_parts_are_refused_in_words(wl: Waitlist) -> None:
    pid = wl.patient(1).id
    bodies = [
        {"earliestDate": "2030-01-10", "latestDate": "2030-01-09"},
        {"earliestTime": "12:00", "latestTime": "09:00"},
        {"parts": [{"appointmentTypeId": wl.clinic.adj.id}]},
        {"appointmentTypeId": None},
    ]
    for body in bodies:
        payload = {"patientId": pid, "appointmentTypeId": wl.clinic.adj.id, **body}
        resp = wl.client.post(BASE, json=payload, headers=wl.staff)
        assert resp.status_code == 422, (body, resp.text)


def test_an_entry_for_a_later_booking_waits_for_what_that_booking_is(wl: Waitlist) -> None:
    later = wl.book(patientId=wl.patient(1).id, duration=35, startTime=wl.clinic.iso(9, days=10))
    resp = wl.client.post(
        BASE,
        json={"patientId": wl.patient(1).id, "replacesAppointmentId": later["id"]},
        headers=wl.staff,
    )
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert got["parts"][0]["duration"] == 35
    assert got["replacesStartTime"] == later["startTime"]
    # The same booking twice on the list would be offered twice.
    again = wl.client.post(
        BASE,
        json={"patientId": wl.patient(1).id, "replacesAppointmentId": later["id"]},
        headers=wl.staff,
    )
    assert again.status_code == 409
    assert got["id"] in again.json()["detail"]


def test_another_patients_booking_cannot_be_replaced(wl: Waitlist) -> None:
    theirs = wl.book(patientId=wl.patient(2).id, startTime=wl.clinic.iso(9, days=10))
    resp = wl.client.post(
        BASE,
        json={"patientId": wl.patient(1).id, "replacesAppointmentId": theirs["id"]},
        headers=wl.staff,
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "replacesAppointmentId"


def test_list_filters_by_status_type_and_patient_with_paging(wl: Waitlist) -> None:
    c = wl.clinic
    a = wl.entry(wl.patient(1).id)
    b = wl.entry(wl.patient(2).id, appointmentTypeId=c.debond.id)
    wl.entry(wl.patient(3).id)
    wl.client.delete(f"{BASE}/{a['id']}", headers=wl.staff)

    def ids(**params: Any) -> tuple[list[str], int]:
        page = wl.client.get(BASE, params=params, headers=wl.staff).json()
        return [e["id"] for e in page["items"]], page["total"]

    assert ids(status="withdrawn") == ([a["id"]], 1)
    assert ids(status="waiting", appointmentTypeId=c.debond.id) == ([b["id"]], 1)
    assert ids(patientId=wl.patient(1).id) == ([a["id"]], 1)
    first, total = ids(status="waiting", limit=1, offset=1)
    assert total == 2 and len(first) == 1 and first[0] != b["id"]


def test_change_then_withdraw(wl: Waitlist) -> None:
    got = wl.entry(wl.patient(1).id)
    resp = wl.client.put(
        f"{BASE}/{got['id']}", json={"priority": 5, "latestDate": None}, headers=wl.staff
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["priority"] == 5
    gone = wl.client.delete(f"{BASE}/{got['id']}", headers=wl.staff)
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"
    assert wl.client.delete(f"{BASE}/{got['id']}", headers=wl.staff).status_code == 409
    assert (
        wl.client.put(f"{BASE}/{got['id']}", json={"priority": 1}, headers=wl.staff).status_code
        == 409
    )
    actions = [
        e["action"] for e in wl.client.get(f"{BASE}/{got['id']}/audit", headers=wl.staff).json()
    ]
    assert actions == ["waitlist.create", "waitlist.update", "waitlist.withdraw"]


def test_an_entry_whose_booking_was_cancelled_reads_expired(wl: Waitlist) -> None:
    later = wl.book(patientId=wl.patient(1).id, startTime=wl.clinic.iso(9, days=10))
    got = wl.entry(wl.patient(1).id, replacesAppointmentId=later["id"])
    wl.cancel(later["id"])
    assert wl.client.get(f"{BASE}/{got['id']}", headers=wl.staff).json()["status"] == "expired"
    page = wl.client.get(BASE, params={"status": "waiting"}, headers=wl.staff).json()
    assert page["total"] == 0


def test_who_may_see_and_change_the_waitlist(wl: Waitlist, other_world: Any) -> None:
    got = wl.entry(wl.patient(1).id)
    for role in ("provider", "patient"):
        resp = wl.client.get(BASE, headers=wl.clinic.headers(role))
        assert resp.status_code == 403, role
    elsewhere = other_world.headers("frontdesk")
    assert wl.client.get(f"{BASE}/{got['id']}", headers=elsewhere).status_code == 404
    assert wl.client.get(BASE, headers=elsewhere).json()["total"] == 0


def test_a_latest_date_already_past_is_refused(wl: Waitlist) -> None:
    resp = wl.client.post(
        BASE,
        json={
            "patientId": wl.patient(1).id,
            "appointmentTypeId": wl.clinic.adj.id,
            "latestDate": "2020-01-01",
        },
        headers=wl.staff,
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "latestDate"
    assert "has passed" in resp.json()["detail"]


def test_an_entry_past_its_latest_date_reads_expired(wl: Waitlist, frozen_clock: Any) -> None:
    got = wl.entry(wl.patient(1).id, latestDate=wl.clinic.day.isoformat())
    assert got["status"] == "waiting"
    frozen_clock.shift(timedelta(days=4))
    # Signed in again: the front desk's token of four days ago has run out.
    user = wl.clinic.world.users["frontdesk"]
    token = issue_token(
        wl.client.app.state.settings,  # type: ignore[attr-defined]
        TokenClaims(user.id, user.clinic_id, "frontdesk", None, None),
    )
    read = wl.client.get(f"{BASE}/{got['id']}", headers={"Authorization": f"Bearer {token}"})
    assert read.json()["status"] == "expired"
