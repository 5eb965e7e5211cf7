"""Portal availability and self-booking: online types only, patient from the token, ONLINE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.tokens import TokenClaims, issue_token
from api.config import Settings
from api.models import Appointment, AppointmentSource
from api.portal.identity import issue_guest_token
from tests.api.booking.conftest import book as staff_book
from tests.api.portal.conftest import Portal


def test_clinic_page_lists_only_online_types(portal: Portal) -> None:
    resp = portal.client.get(f"/api/patient-portal/clinics/{portal.clinic.world.clinic.id}")
    assert resp.status_code == 200
    body = resp.json()
    assert body["timeZone"] == "Europe/London" and body["holdMinutes"] == 5
    names = {t["name"]: t["newPatientBookable"] for t in body["appointmentTypes"]}
    assert names == {"Adjustment": False, "New Patient Consult": True}
    assert portal.client.get("/api/patient-portal/clinics/nope").status_code == 404


def test_slots_grouped_by_local_day_on_the_grid_within_lead_time(portal: Portal) -> None:
    data = portal.slots(portal.patient, portal.clinic.adj.id)
    assert data["timeZone"] == "Europe/London" and data["duration"] == 30
    zone = ZoneInfo("Europe/London")
    now = datetime.now(UTC)
    assert data["days"], "the clinic is open every day"
    for day in data["days"]:
        for slot in day["slots"]:
            start = datetime.fromisoformat(slot["startTime"])
            local = start.astimezone(zone)
            assert local.date().isoformat() == day["date"]
            assert slot["localTime"] == local.strftime("%H:%M")
            assert local.minute % 15 == 0
            assert start >= now + timedelta(minutes=120) - timedelta(seconds=5)
            # Only what a patient may see: no names unless the clinic allows them.
            assert slot["providerName"] is None
            assert set(slot) == {
                "startTime", "endTime", "localTime", "providerId", "chairId", "roomId",
                "providerName",
            }  # fmt: skip


def test_horizon_is_always_enforced(portal: Portal, db: Session) -> None:
    portal.clinic.world.clinic.max_horizon_days = 2
    db.merge(portal.clinic.world.clinic)
    db.commit()
    far = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    data = portal.slots(portal.patient, portal.clinic.adj.id, to=far)
    limit = datetime.now(UTC) + timedelta(days=2)
    starts = [datetime.fromisoformat(s["startTime"]) for d in data["days"] for s in d["slots"]]
    assert starts and max(starts) <= limit


def test_show_provider_names_when_the_clinic_allows(portal: Portal) -> None:
    admin = portal.clinic.headers("admin")
    resp = portal.client.put(
        "/api/patient-portal/settings", json={"showProviderNames": True}, headers=admin
    )
    assert resp.status_code == 200 and resp.json()["showProviderNames"] is True
    data = portal.slots(portal.patient, portal.clinic.adj.id)
    names = {s["providerName"] for d in data["days"] for s in d["slots"]}
    assert names <= {"Dr Smile Clinic", "Dr Second"} and names


def test_non_online_types_are_neither_listed_nor_bookable(portal: Portal) -> None:
    scan = portal.clinic.scan
    resp = portal.client.get(
        "/api/patient-portal/available-slots",
        params={"appointmentTypeId": scan.id},
        headers=portal.patient,
    )
    assert resp.status_code == 422 and "cannot be booked online" in resp.json()["detail"]
    body = portal.choice(scan.id, 11, chairId=None, roomId=portal.clinic.scanner.id)
    assert portal.book(body).status_code == 422
    assert portal.hold(portal.patient, body).status_code == 422


def test_guests_may_list_only_new_patient_types(portal: Portal) -> None:
    guest = portal.guest()
    assert portal.slots(guest, portal.npc.id)["days"]
    resp = portal.client.get(
        "/api/patient-portal/available-slots",
        params={"appointmentTypeId": portal.clinic.adj.id},
        headers=guest,
    )
    assert resp.status_code == 422 and "sign in" in resp.json()["detail"]


def test_staff_tokens_and_no_token_are_refused(portal: Portal) -> None:
    params = {"appointmentTypeId": portal.clinic.adj.id}
    url = "/api/patient-portal/available-slots"
    assert portal.client.get(url, params=params).status_code == 401
    resp = portal.client.get(url, params=params, headers=portal.clinic.headers("frontdesk"))
    assert resp.status_code == 403
    # A guest token is not a user token anywhere else.
    assert portal.client.get("/api/auth/me", headers=portal.guest()).status_code == 401


def test_patient_books_for_themselves_online(portal: Portal, db: Session) -> None:
    body = {**portal.choice(portal.clinic.adj.id, 11), "patientNotes": "Wire is poking"}
    resp = portal.book(body)
    assert resp.status_code == 201, resp.text
    data = resp.json()
    assert data["source"] == "ONLINE" and data["patientNotes"] == "Wire is poking"
    assert data["ics"].startswith("BEGIN:VCALENDAR\r\n")
    appt = db.get(Appointment, data["id"])
    assert appt is not None
    assert appt.patient_id == portal.clinic.world.patient.id
    assert appt.source == AppointmentSource.ONLINE and appt.needs_confirmation is False
    assert "notes" not in data  # staff notes never reach the patient


def test_the_patient_id_never_comes_from_the_body(portal: Portal) -> None:
    other = portal.clinic.patients[1].id
    resp = portal.book({**portal.choice(portal.clinic.adj.id, 11), "patientId": other})
    assert resp.status_code == 422


def test_idempotency_key_books_once(portal: Portal, db: Session) -> None:
    body = portal.choice(portal.clinic.adj.id, 12)
    headers = {**portal.patient, "Idempotency-Key": "widget-1"}
    first = portal.book(body, headers)
    second = portal.book(body, headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["id"] == second.json()["id"]
    count = db.scalar(
        select(func.count()).select_from(Appointment).where(Appointment.source == "ONLINE")
    )
    assert count == 1


def test_taken_slot_is_409_with_fresh_alternatives(portal: Portal) -> None:
    clinic = portal.clinic
    taken = staff_book(
        portal.client, clinic, patientId=clinic.patients[2].id, startTime=clinic.iso(11)
    )
    assert taken.status_code == 201
    resp = portal.book(portal.choice(clinic.adj.id, 11))
    assert resp.status_code == 409
    problem = resp.json()
    assert problem["alternatives"], problem
    assert "taken" in problem["detail"]
    # The alternatives are bookable right now.
    alt = problem["alternatives"][0]
    ok = portal.book(
        {
            "appointmentTypeId": clinic.adj.id,
            "startTime": alt["startTime"],
            "providerId": alt["providerId"],
            "chairId": alt["chairId"],
            "roomId": alt["roomId"],
        }
    )
    assert ok.status_code == 201, ok.text


def test_lead_time_cannot_be_overridden(portal: Portal) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    soon -= timedelta(minutes=soon.minute % 5)
    body = portal.choice(portal.clinic.adj.id, 11, startTime=soon.isoformat())
    assert portal.book(body).status_code in (409, 422)
    with_override = {**body, "overrideLeadTime": True, "overrideReason": "x"}
    assert portal.book(with_override).status_code == 422  # not even a field the portal knows


def test_expired_tokens_say_what_expired(portal: Portal, settings: Settings) -> None:
    past = datetime.now(UTC) - timedelta(hours=3)
    guest = issue_guest_token(settings, portal.clinic.world.clinic.id, now=past)
    user = portal.clinic.world.users["patient"]
    patient = issue_token(
        settings,
        TokenClaims(user.id, user.clinic_id, "patient", user.patient_id, None),
        now=past,
    )
    url, params = "/api/patient-portal/available-slots", {"appointmentTypeId": portal.npc.id}
    as_guest = portal.client.get(url, params=params, headers={"Authorization": f"Bearer {guest}"})
    assert as_guest.status_code == 401 and "booking session" in as_guest.json()["detail"]
    as_patient = portal.client.get(
        url, params=params, headers={"Authorization": f"Bearer {patient}"}
    )
    assert as_patient.status_code == 401 and "sign in again" in as_patient.json()["detail"]
