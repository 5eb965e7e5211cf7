"""Staff book a waitlist entry directly: source WAITLIST, the later booking cancelled with it."""

from __future__ import annotations

from api.models import Appointment, AppointmentSource, AppointmentStatus
from tests.api.waitlist.conftest import BASE, Waitlist


def test_book_the_match_and_the_later_booking_goes_in_the_same_request(wl: Waitlist) -> None:
    c = wl.clinic
    freed = wl.book(patientId=wl.patient(3).id, startTime=c.iso(14))
    later = wl.book(patientId=wl.patient(1).id, startTime=c.iso(11, days=12))
    entry = wl.entry(wl.patient(1).id, replacesAppointmentId=later["id"])
    wl.cancel(freed["id"])
    slot = wl.matches(appointmentId=freed["id"])["matches"][0]["slot"]
    part = slot["parts"][0]
    body = {k: part[k] for k in ("startTime", "providerId", "chairId", "roomId")}

    resp = wl.client.post(f"{BASE}/{entry['id']}/book", json=body, headers=wl.staff)
    assert resp.status_code == 201, resp.text
    got = resp.json()
    (appt,) = got["appointments"]
    assert appt["source"] == "WAITLIST"
    assert appt["startTime"] == c.iso(14)
    assert got["cancelledAppointmentIds"] == [later["id"]]
    assert got["entry"]["status"] == "booked"
    assert got["entry"]["bookedAppointmentId"] == appt["id"]
    wl.db.rollback()
    old = wl.db.get(Appointment, later["id"])
    assert old is not None and old.status == AppointmentStatus.CANCELLED
    assert old.cancellation_reason == "Moved earlier from the waitlist"
    assert old.cancellation_fee_amount is None
    new = wl.db.get(Appointment, appt["id"])
    assert new is not None and new.source == AppointmentSource.WAITLIST
    trail = wl.client.get(f"{BASE}/{entry['id']}/audit", headers=wl.staff).json()
    assert [e["action"] for e in trail] == ["waitlist.create", "waitlist.book"]
    # Booked entries are matched no more.
    assert wl.matches(chairId=c.chairs[0].id, start=c.iso(16), end=c.iso(17))["total"] == 0


def test_a_conflict_is_the_booking_apis_409_and_nothing_changes(wl: Waitlist) -> None:
    c = wl.clinic
    later = wl.book(patientId=wl.patient(1).id, startTime=c.iso(11, days=12))
    entry = wl.entry(wl.patient(1).id, replacesAppointmentId=later["id"])
    wl.book(patientId=wl.patient(3).id, startTime=c.iso(14))  # chair 2 at 14:00 is taken
    body = {"startTime": c.iso(14), "providerId": c.providers[1].id, "chairId": c.chairs[1].id}
    resp = wl.client.post(f"{BASE}/{entry['id']}/book", json=body, headers=wl.staff)
    assert resp.status_code == 409, resp.text
    wl.db.rollback()
    old = wl.db.get(Appointment, later["id"])
    assert old is not None and old.status == AppointmentStatus.SCHEDULED
    assert wl.client.get(f"{BASE}/{entry['id']}", headers=wl.staff).json()["status"] == "waiting"


def test_the_type_and_duration_are_the_entrys(wl: Waitlist) -> None:
    c = wl.clinic
    entry = wl.entry(wl.patient(1).id, duration=25)
    resp = wl.client.post(
        f"{BASE}/{entry['id']}/book",
        json={"parts": [{"startTime": c.iso(15), "chairId": c.chairs[0].id, "duration": 30}]},
        headers=wl.staff,
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "duration"


def test_booking_twice_with_one_idempotency_key_books_once(wl: Waitlist) -> None:
    c = wl.clinic
    entry = wl.entry(wl.patient(1).id)
    body = {"startTime": c.iso(15), "providerId": c.providers[0].id, "chairId": c.chairs[0].id}
    headers = {**wl.staff, "Idempotency-Key": "wl-book-1"}
    first = wl.client.post(f"{BASE}/{entry['id']}/book", json=body, headers=headers)
    again = wl.client.post(f"{BASE}/{entry['id']}/book", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    second = wl.client.post(f"{BASE}/{entry['id']}/book", json=body, headers=wl.staff)
    assert second.status_code == 409
