"""Booking without an account: provisional patient, flagged appointment, rate limits and caps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from time_machine import TimeMachineFixture

from api.config import Settings
from api.models import Appointment, AppointmentSource, EmailConfirmation, Patient
from api.portal import new_patients
from tests.api.portal.conftest import NEW_PATIENT, Portal

URL = "/api/patient-portal/new-patient-bookings"


def _body(portal: Portal, hour: int, **patient: Any) -> dict[str, Any]:
    return {**portal.choice(portal.npc.id, hour), "patient": {**NEW_PATIENT, **patient}}


def test_new_patient_booking_is_provisional_and_flagged(portal: Portal, db: Session) -> None:
    guest = portal.guest()
    body = _body(portal, 11)
    assert portal.hold(guest, portal.choice(portal.npc.id, 11)).status_code == 201
    resp = portal.client.post(URL, json={**body, "patientNotes": "Nervous"}, headers=guest)
    assert resp.status_code == 201, resp.text
    data = resp.json()
    assert data["needsConfirmation"] is True and data["source"] == "ONLINE"
    assert "STATUS:TENTATIVE" in data["ics"]
    appt = db.get(Appointment, data["id"])
    assert appt is not None and appt.needs_confirmation and appt.source == AppointmentSource.ONLINE
    patient = db.get(Patient, appt.patient_id)
    assert patient is not None and patient.provisional
    assert (patient.first_name, patient.email) == ("Nia", "nia.parent@example.com")
    # Staff see the flag on the calendar.
    staff = portal.client.get(
        f"/api/booking/appointments/{appt.id}", headers=portal.clinic.headers()
    )
    assert staff.json()["needsConfirmation"] is True
    assert staff.json()["patientNotes"] == "Nervous"


def test_only_new_patient_types_without_an_account(portal: Portal) -> None:
    body = {**portal.choice(portal.clinic.adj.id, 11), "patient": NEW_PATIENT}
    resp = portal.client.post(URL, json=body, headers=portal.guest())
    assert resp.status_code == 422


def test_details_are_validated(portal: Portal) -> None:
    resp = portal.client.post(
        URL, json=_body(portal, 11, email="not-an-email", phone=""), headers=portal.guest()
    )
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.json()["errors"]}
    assert {"patient.email", "patient.phone"} <= fields


def test_one_booking_per_session_and_per_email_per_day(portal: Portal) -> None:
    guest = portal.guest()
    assert portal.client.post(URL, json=_body(portal, 11), headers=guest).status_code == 201
    again = portal.client.post(URL, json=_body(portal, 14, email="x@example.com"), headers=guest)
    assert again.status_code == 409 and "session" in again.json()["detail"]
    same_email = portal.client.post(
        URL, json=_body(portal, 14, email="NIA.parent@example.com"), headers=portal.guest()
    )
    assert same_email.status_code == 409 and "already" in same_email.json()["detail"]


def test_clinic_daily_cap(portal: Portal, db: Session, settings: Settings) -> None:
    admin = portal.clinic.headers("admin")
    portal.client.put("/api/patient-portal/settings", json={"newPatientDailyCap": 1}, headers=admin)
    assert (
        portal.client.post(URL, json=_body(portal, 11), headers=portal.guest()).status_code == 201
    )
    # Only a booking its patient confirmed through the emailed link takes a place (issue 12).
    [row] = db.scalars(select(EmailConfirmation)).all()
    token = new_patients.link_token(settings, row)
    confirmed = portal.client.post(URL + "/confirm", json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    resp = portal.client.post(
        URL, json=_body(portal, 14, email="b@example.com"), headers=portal.guest()
    )
    assert resp.status_code == 409 and "call us" in resp.json()["detail"]
    assert len(list(db.scalars(select(Patient).where(Patient.provisional)))) == 1


def test_rate_limited_per_client_ip(portal: Portal, frozen_clock: TimeMachineFixture) -> None:
    guest = portal.guest()
    codes = [portal.client.post(URL, json={}, headers=guest).status_code for _ in range(6)]
    assert codes[:5] == [422] * 5 and codes[5] == 429
    resp = portal.client.post(URL, json={}, headers=guest)
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert int(resp.headers["Retry-After"]) > 0
    assert resp.json()["retryAfter"] == int(resp.headers["Retry-After"])


def test_a_signed_in_patient_uses_book(portal: Portal) -> None:
    resp = portal.client.post(URL, json=_body(portal, 11), headers=portal.patient)
    assert resp.status_code == 409
