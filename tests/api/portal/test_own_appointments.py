"""A patient lists, cancels and moves only their own appointments."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from api.models import Appointment, AppointmentStatus
from tests.api.booking.conftest import book as staff_book
from tests.api.portal.conftest import Portal

BASE = "/api/patient-portal/appointments"


def _staff_booked(portal: Portal, **over: object) -> str:
    resp = staff_book(portal.client, portal.clinic, **over)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def test_another_patients_appointment_is_invisible(portal: Portal) -> None:
    mine = _staff_booked(
        portal, startTime=portal.clinic.iso(9, 0), chairId=portal.clinic.chairs[1].id
    )
    theirs = _staff_booked(portal, patientId=portal.clinic.patients[1].id)
    listed = portal.client.get(BASE, headers=portal.patient).json()
    assert [a["id"] for a in listed] == [mine]
    missing = "0" * 32
    for appointment_id in (theirs, missing):
        get = portal.client.get(f"{BASE}/{appointment_id}", headers=portal.patient)
        ics = portal.client.get(f"{BASE}/{appointment_id}/calendar.ics", headers=portal.patient)
        cancel = portal.client.post(
            f"{BASE}/{appointment_id}/cancel", json={"acceptFee": True}, headers=portal.patient
        )
        move = portal.client.post(
            f"{BASE}/{appointment_id}/reschedule",
            json={"startTime": portal.clinic.iso(15), "providerId": portal.clinic.providers[0].id},
            headers=portal.patient,
        )
        assert [r.status_code for r in (get, ics, cancel, move)] == [404] * 4
        # The same answer for someone else's appointment as for one that does not exist.
        assert get.json()["detail"] == f"You have no appointment with id '{appointment_id}'."


def test_late_cancel_fee_is_shown_and_must_be_accepted(portal: Portal, db: Session) -> None:
    clinic = portal.clinic.world.clinic
    clinic.late_cancel_window_hours = 24 * 7  # the test day is three days away: "late"
    db.merge(clinic)
    db.commit()
    appt_id = _staff_booked(portal)
    listed = portal.client.get(BASE, headers=portal.patient).json()
    assert listed[0]["lateCancelFee"] == {"amount": "25.00", "currency": "GBP"}
    assert listed[0]["canCancel"] is True and "notes" not in listed[0]
    refused = portal.client.post(f"{BASE}/{appt_id}/cancel", json={}, headers=portal.patient)
    assert refused.status_code == 422
    assert refused.json()["lateCancelFee"] == {"amount": "25.00", "currency": "GBP"}
    done = portal.client.post(
        f"{BASE}/{appt_id}/cancel", json={"acceptFee": True}, headers=portal.patient
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "CANCELLED"
    assert done.json()["cancellationFee"] == {"amount": "25.00", "currency": "GBP"}
    row = db.get(Appointment, appt_id)
    assert row is not None and row.cancellation_fee_amount == Decimal("25.00")
    assert portal.client.get(BASE, headers=portal.patient).json() == []


def test_cancel_outside_the_window_needs_no_fee(portal: Portal) -> None:
    appt_id = _staff_booked(portal)
    resp = portal.client.post(f"{BASE}/{appt_id}/cancel", json={}, headers=portal.patient)
    assert resp.status_code == 200 and resp.json()["cancellationFee"] is None


def test_reschedule_when_the_type_allows_it_online(portal: Portal, db: Session) -> None:
    appt_id = _staff_booked(portal)
    resp = portal.client.post(
        f"{BASE}/{appt_id}/reschedule",
        json={
            "startTime": portal.clinic.iso(15),
            "providerId": portal.clinic.providers[0].id,
            "chairId": portal.clinic.chairs[1].id,
        },
        headers=portal.patient,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["localStart"].endswith("15:00")
    debond = _staff_booked(
        portal,
        appointmentTypeId=portal.clinic.debond.id,
        startTime=portal.clinic.iso(10),
        duration=60,
    )
    refused = portal.client.post(
        f"{BASE}/{debond}/reschedule",
        json={"startTime": portal.clinic.iso(16), "providerId": portal.clinic.providers[0].id},
        headers=portal.patient,
    )
    assert refused.status_code == 409 and "call us" in refused.json()["detail"]
    row = db.get(Appointment, debond)
    assert row is not None and row.status == AppointmentStatus.SCHEDULED


def test_calendar_file_download(portal: Portal) -> None:
    appt_id = _staff_booked(portal)
    resp = portal.client.get(f"{BASE}/{appt_id}/calendar.ics", headers=portal.patient)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/calendar")
    assert "attachment" in resp.headers["content-disposition"]
    assert f"UID:{appt_id}@slotwise\r\n" in resp.text


# --------------------------------------------------------------------------- what is not theirs


def _later(portal: Portal, monkeypatch: pytest.MonkeyPatch, after: datetime) -> None:
    """Move the clinic's clock to `after` (the appointments were booked days ahead)."""
    monkeypatch.setattr("api.core.clock.now", lambda: after)


def _listed(portal: Portal, appt_id: str) -> dict[str, Any]:
    got = portal.client.get(f"{BASE}/{appt_id}", headers=portal.patient)
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


def _move(portal: Portal, appt_id: str, hour: int, days: int = 0) -> Any:
    return portal.client.post(
        f"{BASE}/{appt_id}/reschedule",
        json={
            "startTime": portal.clinic.iso(hour, days=days),
            "providerId": portal.clinic.providers[0].id,
            "chairId": portal.clinic.chairs[1].id,
        },
        headers=portal.patient,
    )


def test_an_appointment_that_is_over_cannot_be_cancelled_or_moved(
    portal: Portal, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The attack: 2.5 hours after a missed 14:00 appointment, the patient "cancels" it, turning
    # a no-show into a cancellation, or moves it into the future.
    appt_id = _staff_booked(portal)
    _later(portal, monkeypatch, portal.clinic.at(14, 30) + timedelta(hours=2, minutes=30))
    shown = _listed(portal, appt_id)
    assert (shown["canCancel"], shown["canReschedule"]) == (False, False)
    cancel = portal.client.post(
        f"{BASE}/{appt_id}/cancel", json={"acceptFee": True}, headers=portal.patient
    )
    assert cancel.status_code == 409, cancel.text
    assert cancel.headers["content-type"] == "application/problem+json"
    assert "is over" in cancel.json()["detail"] and "call the clinic" in cancel.json()["detail"]
    move = _move(portal, appt_id, 10, days=1)
    assert move.status_code == 409 and "is over" in move.json()["detail"], move.text
    db.rollback()
    row = db.get(Appointment, appt_id)
    assert row is not None
    assert (row.status, row.deleted_at, row.start_time) == (
        AppointmentStatus.SCHEDULED,
        None,
        portal.clinic.at(14),
    )


def test_an_appointment_that_has_started_cannot_be_cancelled(
    portal: Portal, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    appt_id = _staff_booked(portal)
    _later(portal, monkeypatch, portal.clinic.at(14, 10))
    assert _listed(portal, appt_id)["canCancel"] is False
    cancel = portal.client.post(
        f"{BASE}/{appt_id}/cancel", json={"acceptFee": True}, headers=portal.patient
    )
    assert cancel.status_code == 409 and "already started" in cancel.json()["detail"]


@pytest.mark.parametrize("status", ["CHECKED_IN", "COMPLETED"])
def test_a_checked_in_or_finished_appointment_is_the_clinics(
    portal: Portal, db: Session, status: str
) -> None:
    appt_id = _staff_booked(portal)
    version = 1
    for step in ["CONFIRMED", "CHECKED_IN", "IN_PROGRESS", "COMPLETED"]:
        put = portal.client.put(
            f"/api/booking/appointments/{appt_id}",
            json={"status": step},
            headers={**portal.clinic.headers(), "If-Match": f'"{version}"'},
        )
        assert put.status_code == 200, put.text
        version += 1
        if step == status:
            break
    shown = _listed(portal, appt_id)
    assert (shown["canCancel"], shown["canReschedule"]) == (False, False)
    cancel = portal.client.post(
        f"{BASE}/{appt_id}/cancel", json={"acceptFee": True}, headers=portal.patient
    )
    state = status.lower().replace("_", " ")
    assert cancel.status_code == 409 and f"is {state}" in cancel.json()["detail"], cancel.text
    move = _move(portal, appt_id, 16)
    assert move.status_code == 409 and f"is {state}" in move.json()["detail"], move.text
    db.rollback()
    row = db.get(Appointment, appt_id)
    assert row is not None and row.status == AppointmentStatus(status)
    assert row.start_time == portal.clinic.at(14)


def test_a_cancelled_appointment_stays_cancelled(portal: Portal) -> None:
    appt_id = _staff_booked(portal)
    first = portal.client.post(f"{BASE}/{appt_id}/cancel", json={}, headers=portal.patient)
    assert first.status_code == 200, first.text
    again = portal.client.post(f"{BASE}/{appt_id}/cancel", json={}, headers=portal.patient)
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]
    move = _move(portal, appt_id, 16)
    assert move.status_code == 409 and "already cancelled" in move.json()["detail"]
