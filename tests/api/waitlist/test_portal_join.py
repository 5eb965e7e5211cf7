"""A signed-in patient joins the waitlist for their later booking from the portal, and leaves."""

from __future__ import annotations

from tests.api.waitlist.conftest import BASE, Waitlist

PORTAL = "/api/patient-portal/waitlist"


def test_join_for_my_later_booking_then_leave(wl: Waitlist) -> None:
    c = wl.clinic
    mine = wl.book(patientId=wl.patient(0).id, startTime=c.iso(11, days=12), duration=35)
    patient = c.headers("patient")
    resp = wl.client.post(
        PORTAL,
        json={"replacesAppointmentId": mine["id"], "weekdays": [0, 1, 2, 3, 4, 5, 6]},
        headers=patient,
    )
    assert resp.status_code == 201, resp.text
    joined = resp.json()
    assert joined["status"] == "waiting"
    assert joined["replacesStartTime"] == mine["startTime"]
    staff_view = wl.client.get(f"{BASE}/{joined['id']}", headers=wl.staff).json()
    assert staff_view["source"] == "PORTAL"
    assert staff_view["parts"][0]["duration"] == 35
    assert [e["id"] for e in wl.client.get(PORTAL, headers=patient).json()] == [joined["id"]]
    left = wl.client.delete(f"{PORTAL}/{joined['id']}", headers=patient)
    assert left.status_code == 200 and left.json()["status"] == "withdrawn"


def test_only_my_own_bookings_and_entries(wl: Waitlist) -> None:
    c = wl.clinic
    patient = c.headers("patient")
    theirs = wl.book(patientId=wl.patient(1).id, startTime=c.iso(11, days=12))
    resp = wl.client.post(PORTAL, json={"replacesAppointmentId": theirs["id"]}, headers=patient)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "replacesAppointmentId"
    # Someone else's entry answers like one that does not exist.
    other = wl.entry(wl.patient(1).id)
    assert wl.client.delete(f"{PORTAL}/{other['id']}", headers=patient).status_code == 404
    # The portal takes no patientId: the patient is the token's.
    resp = wl.client.post(
        PORTAL,
        json={"replacesAppointmentId": theirs["id"], "patientId": wl.patient(1).id},
        headers=patient,
    )
    assert resp.status_code == 422
    assert (
        wl.client.post(
            PORTAL, json={"replacesAppointmentId": theirs["id"]}, headers=wl.staff
        ).status_code
        == 403
    )
