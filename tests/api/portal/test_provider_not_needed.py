"""The portal lists and books a type that needs no provider (issue 13, slice 1): each free time
names the provider booking records for the caller, and holding or booking it never holds them.
Also: a doctor-time conflict online keeps the engine's wording (no other patient's name)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.models import Appointment, AppointmentType, SlotHold
from tests.api.booking.conftest import book as staff_book
from tests.api.portal.conftest import Portal


def _photos(db: Session, portal: Portal) -> AppointmentType:
    kind = AppointmentType(
        clinic_id=portal.clinic.world.clinic.id,
        name="Records Photos",
        code="PHOTO",
        default_duration=15,
        min_duration=10,
        max_duration=30,
        needs_provider=False,
        online_bookable=True,
    )
    db.add(kind)
    db.commit()
    return kind


def test_a_listed_time_holds_and_books_as_listed(portal: Portal, db: Session) -> None:
    photos = _photos(db, portal)
    clinic = portal.clinic
    days = portal.slots(portal.patient, photos.id)["days"]
    slot = days[0]["slots"][0]
    # The patient has no usual provider: the clinic's first by name is the one recorded.
    first = min(clinic.providers, key=lambda p: (p.name, p.id))
    assert slot["providerId"] == first.id
    choice = {
        "appointmentTypeId": photos.id,
        "startTime": slot["startTime"],
        "providerId": slot["providerId"],
        "chairId": slot["chairId"],
        "roomId": slot["roomId"],
    }
    held = portal.hold(portal.patient, choice)
    assert held.status_code == 201, held.text

    # The hold keeps the chair, not the provider: staff book them in the other chair meanwhile.
    other_chair = next(c for c in clinic.chairs if c.id != slot["chairId"])
    adj = staff_book(
        portal.client,
        clinic,
        patientId=clinic.patients[2].id,
        providerId=first.id,
        chairId=other_chair.id,
        startTime=slot["startTime"],
    )
    assert adj.status_code == 201, adj.text

    booked = portal.book(choice)
    assert booked.status_code == 201, booked.text
    assert booked.json()["providerId"] == first.id
    row = db.get(Appointment, booked.json()["id"])
    assert row is not None and row.holds_provider is False
    db.expire_all()
    assert db.query(SlotHold).count() == 0  # the booking replaced the patient's hold


def test_the_patients_usual_provider_is_listed(portal: Portal, db: Session) -> None:
    photos = _photos(db, portal)
    patient = portal.clinic.world.patient
    patient.usual_provider_id = portal.clinic.providers[1].id
    db.merge(patient)
    db.commit()
    days = portal.slots(portal.patient, photos.id)["days"]
    assert {s["providerId"] for d in days for s in d["slots"]} == {portal.clinic.providers[1].id}


def test_a_doctor_time_conflict_online_never_names_another_patient(
    portal: Portal, db: Session
) -> None:
    clinic = portal.clinic
    wire = AppointmentType(
        clinic_id=clinic.world.clinic.id,
        name="Wire Check",
        code="WIRE",
        default_duration=20,
        min_duration=20,
        max_duration=20,
        time_pattern="AADA",
        online_bookable=True,
    )
    db.add(wire)
    db.commit()
    other = clinic.patients[1]
    staff = staff_book(
        portal.client,
        clinic,
        appointmentTypeId=wire.id,
        patientId=other.id,
        chairId=clinic.chairs[0].id,
        startTime=clinic.iso(11),
        duration=20,
    )
    assert staff.status_code == 201, staff.text
    # The same doctor minutes from another chair: refused, without the other patient's name.
    resp = portal.book(portal.choice(wire.id, 11))
    assert resp.status_code == 409, resp.text
    assert other.first_name not in resp.text and "Wire Check," not in resp.text
