"""Matches for freed time through HTTP: who fits a cancelled appointment or an explicit gap."""

from __future__ import annotations

from tests.api.waitlist.conftest import Waitlist


def test_a_cancellation_lists_the_entries_that_fit_best_first_with_reasons(wl: Waitlist) -> None:
    c = wl.clinic
    freed = wl.book(patientId=wl.patient(3).id, startTime=c.iso(14), duration=30)
    later = wl.book(patientId=wl.patient(1).id, startTime=c.iso(11, days=12), duration=30)
    fits = wl.entry(wl.patient(1).id, replacesAppointmentId=later["id"], priority=1)
    also = wl.entry(wl.patient(2).id, duration=20)
    wl.entry(wl.patient(0).id, appointmentTypeId=c.debond.id)  # 60 minutes: too long
    wl.entry(wl.patient(2).id, earliestTime="15:00")  # not before three
    wl.cancel(freed["id"])

    got = wl.matches(appointmentId=freed["id"])
    assert got["total"] == 2
    assert [m["entry"]["id"] for m in got["matches"]] == [fits["id"], also["id"]]
    best = got["matches"][0]
    assert best["slot"]["startTime"] == c.iso(14)
    assert best["slot"]["parts"][0]["chairId"] == c.chairs[1].id
    reasons = {t["rule"]: t["reason"] for t in best["terms"]}
    assert reasons["gap_fill"] == "fills 30 of the 30 freed minutes"
    assert reasons["earlier"].startswith("12 days earlier than their booking on")
    assert reasons["priority"] == "priority 1"
    assert got["gap"] == {
        "start": freed["startTime"],
        "end": freed["endTime"],
        "chairId": c.chairs[1].id,
        "providerId": None,
        "appointmentId": freed["id"],
    }


def test_a_booked_appointment_is_looked_at_as_if_it_were_cancelled(wl: Waitlist) -> None:
    c = wl.clinic
    booked = wl.book(patientId=wl.patient(3).id, startTime=c.iso(14), duration=30)
    wl.entry(wl.patient(1).id)
    assert wl.matches(appointmentId=booked["id"])["total"] == 1


def test_an_explicit_gap_on_a_chair(wl: Waitlist) -> None:
    c = wl.clinic
    wl.entry(wl.patient(1).id)
    # The other chair holds someone else at 15:00 on that chair only; chair 1's gap is free.
    got = wl.matches(chairId=c.chairs[0].id, start=c.iso(15), end=c.iso(15, 30))
    assert got["total"] == 1
    assert got["matches"][0]["slot"]["parts"][0]["chairId"] == c.chairs[0].id
    # The patient is busy at that time: they do not fit.
    wl.book(patientId=wl.patient(1).id, startTime=c.iso(15), chairId=c.chairs[1].id)
    assert wl.matches(chairId=c.chairs[0].id, start=c.iso(15), end=c.iso(15, 30))["total"] == 0


def test_the_gap_must_be_said_whole(wl: Waitlist) -> None:
    c = wl.clinic
    for params, field in [
        ({}, "start"),
        ({"start": c.iso(9)}, "end"),
        ({"start": c.iso(9), "end": c.iso(10)}, "chairId"),
        ({"chairId": c.chairs[0].id, "start": c.iso(10), "end": c.iso(9)}, "end"),
        ({"chairId": c.chairs[0].id, "start": c.iso(9), "end": c.iso(9, days=2)}, "end"),
        ({"chairId": "nope", "start": c.iso(9), "end": c.iso(10)}, "chairId"),
        ({"appointmentId": "nope"}, "appointmentId"),
    ]:
        resp = wl.client.get("/api/booking/waitlist/matches", params=params, headers=wl.staff)
        assert resp.status_code == 422, (params, resp.text)
        assert resp.json()["errors"][0]["field"] == field, (params, resp.json())
