"""Offers through HTTP: mailed signed links, held time, first acceptance wins, expiry at use."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from time_machine import TimeMachineFixture

from api.models import Appointment, AppointmentSource, AuditEntry
from tests.api.waitlist.conftest import BASE, Waitlist

PORTAL = "/api/patient-portal/waitlist-offer"


def offer_two(wl: Waitlist, **body: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Chair 2 at 14:00 cancelled; two patients waiting offered it. Tokens by entry id."""
    c = wl.clinic
    freed = wl.book(patientId=wl.patient(3).id, startTime=c.iso(14))
    first = wl.entry(wl.patient(1).id, priority=1)
    second = wl.entry(wl.patient(2).id)
    wl.cancel(freed["id"])
    resp = wl.client.post(
        f"{BASE}/offers", json={"appointmentId": freed["id"], "count": 2, **body}, headers=wl.staff
    )
    assert resp.status_code == 201, resp.text
    offer = resp.json()
    by_email = {}
    for mail in wl.mails("waitlist-offer"):
        found = re.search(r"waitlist-offer\.html\?token=(\S+)", mail.text_body)
        assert found is not None, mail.text_body
        by_email[mail.recipient] = found.group(1)
    # In the entries' order (first, then second), whatever order the mails are read in.
    tokens = {
        first["id"]: by_email["patient1@example.com"],
        second["id"]: by_email["patient2@example.com"],
    }
    return offer, tokens


def test_an_offer_mails_each_recipient_a_link_and_holds_the_time(wl: Waitlist) -> None:
    c = wl.clinic
    offer, tokens = offer_two(wl)
    assert offer["status"] == "open"
    assert [r["status"] for r in offer["recipients"]] == ["sent", "sent"]
    assert all(r["mailed"] for r in offer["recipients"])
    assert offer["recipients"][0]["slot"]["startTime"] == c.iso(14)
    for entry_id in tokens:
        got = wl.client.get(f"{BASE}/{entry_id}", headers=wl.staff).json()
        assert got["status"] == "offered" and got["openOfferId"] == offer["id"]
    # Held against other bookings, staff included.
    taken = wl.client.post(
        "/api/booking/appointments",
        json=c.booking(patientId=wl.patient(3).id, startTime=c.iso(14)),
        headers=wl.staff,
    )
    assert taken.status_code == 409, taken.text
    view = wl.client.get(PORTAL, params={"token": next(iter(tokens.values()))})
    assert view.status_code == 200, view.text
    assert view.json()["status"] == "open"
    assert view.json()["appointmentTypeName"] == "Adjustment"


def test_the_first_to_accept_gets_it_the_other_is_told_it_was_taken(wl: Waitlist) -> None:
    offer, tokens = offer_two(wl)
    (first_id, first), (second_id, second) = tokens.items()
    won = wl.client.post(f"{PORTAL}/accept", json={"token": second})
    assert won.status_code == 201, won.text
    assert won.json()["status"] == "accepted"
    booked_id = won.json()["bookedAppointmentId"]
    again = wl.client.post(f"{PORTAL}/accept", json={"token": second})
    assert again.status_code == 200
    assert again.json()["bookedAppointmentId"] == booked_id
    lost = wl.client.post(f"{PORTAL}/accept", json={"token": first})
    assert lost.status_code == 409
    assert lost.json()["status"] == "taken"
    assert "still on the waitlist" in lost.json()["message"]

    wl.db.rollback()
    appt = wl.db.get(Appointment, booked_id)
    assert appt is not None and appt.source == AppointmentSource.WAITLIST
    assert appt.patient_id == wl.patient(2).id
    statuses = {e: wl.client.get(f"{BASE}/{e}", headers=wl.staff).json()["status"] for e in tokens}
    assert statuses == {first_id: "waiting", second_id: "booked"}
    assert [m.recipient for m in wl.mails("waitlist-offer-taken")] == ["patient1@example.com"]
    closed = wl.client.get(f"{BASE}/offers/{offer['id']}", headers=wl.staff).json()
    assert closed["status"] == "accepted"
    assert closed["acceptedEntryId"] == second_id
    actions = wl.db.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == offer["id"]).order_by(AuditEntry.id)
    ).all()
    assert actions == ["waitlist.offer", "waitlist.offer.accept"]


def test_a_decline_keeps_the_patient_waiting(wl: Waitlist) -> None:
    _, tokens = offer_two(wl)
    entry_id, token = next(iter(tokens.items()))
    resp = wl.client.post(f"{PORTAL}/decline", json={"token": token})
    assert resp.status_code == 200 and resp.json()["status"] == "declined"
    assert wl.client.get(f"{BASE}/{entry_id}", headers=wl.staff).json()["status"] == "waiting"
    assert wl.client.post(f"{PORTAL}/accept", json={"token": token}).status_code == 409


def test_an_offer_expires_by_itself_read_at_use(
    wl: Waitlist, frozen_clock: TimeMachineFixture
) -> None:
    c = wl.clinic
    offer, tokens = offer_two(wl, validMinutes=5)
    frozen_clock.shift(timedelta(minutes=5, seconds=1))
    token = next(iter(tokens.values()))
    view = wl.client.get(PORTAL, params={"token": token}).json()
    assert view["status"] == "expired"
    assert wl.client.post(f"{PORTAL}/accept", json={"token": token}).status_code == 409
    for entry_id in tokens:
        assert wl.client.get(f"{BASE}/{entry_id}", headers=wl.staff).json()["status"] == "waiting"
    # The held time is free again.
    wl.book(patientId=wl.patient(3).id, startTime=c.iso(14))
    wl.db.rollback()
    actions = wl.db.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == offer["id"]).order_by(AuditEntry.id)
    ).all()
    assert actions == ["waitlist.offer", "waitlist.offer.expire"]


def test_staff_may_withdraw_an_open_offer(wl: Waitlist) -> None:
    offer, tokens = offer_two(wl)
    resp = wl.client.delete(f"{BASE}/offers/{offer['id']}", headers=wl.staff)
    assert resp.status_code == 200 and resp.json()["status"] == "withdrawn"
    view = wl.client.get(PORTAL, params={"token": next(iter(tokens.values()))}).json()
    assert view["status"] == "withdrawn"
    assert wl.client.delete(f"{BASE}/offers/{offer['id']}", headers=wl.staff).status_code == 409


def test_booking_an_offered_entry_directly_closes_the_offer(wl: Waitlist) -> None:
    offer, tokens = offer_two(wl)
    first_id, second_id = tokens
    slot = offer["recipients"][0]["slot"]["parts"][0]
    entry_id = offer["recipients"][0]["entryId"]
    body = {k: slot[k] for k in ("startTime", "providerId", "chairId")}
    resp = wl.client.post(f"{BASE}/{entry_id}/book", json=body, headers=wl.staff)
    assert resp.status_code == 201, resp.text
    other = second_id if entry_id == first_id else first_id
    assert wl.client.get(f"{BASE}/{other}", headers=wl.staff).json()["status"] == "waiting"
    assert wl.client.get(f"{BASE}/offers/{offer['id']}", headers=wl.staff).json()["status"] == (
        "accepted"
    )


def test_a_tampered_link_names_the_token(wl: Waitlist) -> None:
    _, tokens = offer_two(wl)
    token = next(iter(tokens.values()))
    for bad in (token[:-3] + "abc", "not-a-token"):
        resp = wl.client.post(f"{PORTAL}/accept", json={"token": bad})
        assert resp.status_code == 422
        assert resp.json()["errors"][0]["field"] == "token"


def test_offering_entries_that_do_not_fit_says_which(wl: Waitlist) -> None:
    c = wl.clinic
    freed = wl.book(patientId=wl.patient(3).id, startTime=c.iso(14))
    fits = wl.entry(wl.patient(1).id)
    too_long = wl.entry(wl.patient(2).id, appointmentTypeId=c.debond.id)
    wl.cancel(freed["id"])
    resp = wl.client.post(
        f"{BASE}/offers",
        json={"appointmentId": freed["id"], "entryIds": [fits["id"], too_long["id"]]},
        headers=wl.staff,
    )
    assert resp.status_code == 422
    assert resp.json()["entryIds"] == [too_long["id"]]


def test_a_patient_without_email_is_offered_but_not_mailed(wl: Waitlist) -> None:
    c = wl.clinic
    wl.patient(1).email = None
    wl.db.commit()
    freed = wl.book(patientId=wl.patient(3).id, startTime=c.iso(14))
    wl.entry(wl.patient(1).id)
    wl.cancel(freed["id"])
    resp = wl.client.post(f"{BASE}/offers", json={"appointmentId": freed["id"]}, headers=wl.staff)
    assert resp.status_code == 201, resp.text
    assert [r["mailed"] for r in resp.json()["recipients"]] == [False]
    assert wl.mails("waitlist-offer") == []


def test_staff_reading_an_offer_past_its_time_closes_it(
    wl: Waitlist, frozen_clock: TimeMachineFixture
) -> None:
    offer, _ = offer_two(wl, validMinutes=5)
    frozen_clock.shift(timedelta(minutes=5, seconds=1))
    got = wl.client.get(f"{BASE}/offers/{offer['id']}", headers=wl.staff).json()
    assert got["status"] == "expired"
    wl.db.rollback()
    actions = wl.db.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == offer["id"]).order_by(AuditEntry.id)
    ).all()
    assert actions == ["waitlist.offer", "waitlist.offer.expire"]
