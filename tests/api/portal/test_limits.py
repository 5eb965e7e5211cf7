"""Limits that stop one patient or one network from reserving a clinic's free time online."""

from __future__ import annotations

from sqlalchemy.orm import Session
from time_machine import TimeMachineFixture

from api.models import Appointment, AppointmentSource, PortalSettings
from tests.api.clients.support import create_client, request_token
from tests.api.portal.conftest import Portal


def test_a_patient_may_hold_only_so_many_upcoming_online_bookings(
    portal: Portal, db: Session
) -> None:
    clinic_id = portal.clinic.world.clinic.id
    db.add(PortalSettings(clinic_id=clinic_id, max_active_online_bookings=2))
    db.commit()
    adj = portal.clinic.adj.id
    assert portal.book(portal.choice(adj, 9)).status_code == 201
    assert portal.book(portal.choice(adj, 10)).status_code == 201
    third = portal.book(portal.choice(adj, 11))
    assert third.status_code == 409
    body = third.json()
    assert body["limit"] == 2 and body["activeOnlineBookings"] == 2
    assert "cancel one" in body["detail"]

    # Cancelling one frees a place.
    mine = portal.client.get("/api/patient-portal/appointments", headers=portal.patient).json()
    cancelled = portal.client.post(
        f"/api/patient-portal/appointments/{mine[0]['id']}/cancel",
        json={"acceptFee": True},
        headers=portal.patient,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert portal.book(portal.choice(adj, 11)).status_code == 201


def test_staff_bookings_do_not_count_towards_the_online_cap(portal: Portal, db: Session) -> None:
    db.add(PortalSettings(clinic_id=portal.clinic.world.clinic.id, max_active_online_bookings=1))
    db.commit()
    clinic = portal.clinic
    staff = portal.client.post(
        "/api/booking/appointments",
        json=clinic.booking(startTime=clinic.iso(15)),
        headers=clinic.headers(),
    )
    assert staff.status_code == 201
    assert portal.book(portal.choice(clinic.adj.id, 9)).status_code == 201


def test_a_partner_systems_bookings_do_not_count_towards_the_online_cap(
    portal: Portal, db: Session
) -> None:
    db.add(PortalSettings(clinic_id=portal.clinic.world.clinic.id, max_active_online_bookings=1))
    db.commit()
    clinic = portal.clinic
    partner = create_client(
        portal.client, clinic.world, ["system/*.read", "system/Appointment.write"], name="Referrals"
    )
    token = request_token(portal.client, partner).json()["access_token"]
    booked = portal.client.post(
        "/fhir/Appointment/$book",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"},
        json={"resourceType": "Parameters", "parameter": [{"name": "appointment-resource",
            "resource": {
                "resourceType": "Appointment", "status": "pending",
                "serviceType": [{"coding": [{"code": "ADJ"}]}], "start": clinic.iso(15),
                "participant": [
                    {"actor": {"reference": f"Patient/{clinic.world.patient.id}"}},
                    {"actor": {"reference": f"Practitioner/{clinic.providers[0].id}"}},
                ],
                "extension": [{"url": "https://slotwise.dev/fhir/StructureDefinition/chair",
                               "valueString": clinic.chairs[1].id}],
            }}]},
    )  # fmt: skip
    assert booked.status_code == 200, booked.text
    appt = db.get(Appointment, booked.json()["entry"][0]["resource"]["id"])
    assert appt is not None and appt.source == AppointmentSource.PARTNER
    assert appt.booked_by == partner["id"]
    # The partner booked for the practice, so the patient still has their one online booking;
    # the cap still holds what they book themselves.
    assert portal.book(portal.choice(clinic.adj.id, 9)).status_code == 201
    second = portal.book(portal.choice(clinic.adj.id, 10))
    assert second.status_code == 409, second.text
    assert second.json()["activeOnlineBookings"] == 1


def test_portal_availability_and_booking_are_rate_limited(
    portal: Portal, frozen_clock: TimeMachineFixture
) -> None:
    from api.portal import router

    adj = portal.clinic.adj.id
    codes = [
        portal.client.get(
            "/api/patient-portal/available-slots",
            params={"appointmentTypeId": adj},
            headers=portal.patient,
        ).status_code
        for _ in range(router.AVAILABILITY.limit + 1)
    ]
    assert codes[:-1] == [200] * router.AVAILABILITY.limit
    assert codes[-1] == 429
    limited = portal.client.get(
        "/api/patient-portal/available-slots",
        params={"appointmentTypeId": adj},
        headers=portal.patient,
    )
    assert limited.headers["retry-after"].isdigit()
    assert limited.headers["content-type"] == "application/problem+json"

    statuses = [
        portal.book(portal.choice(adj, 9, 5 * i)).status_code
        for i in range(router.BOOKINGS.limit + 1)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:-1]
