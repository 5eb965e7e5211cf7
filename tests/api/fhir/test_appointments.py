"""Appointment read and search as a partner system sees the clinic's diary."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.booking.conftest import book
from tests.api.fhir.conftest import Clinic, entries, fhir_get
from tests.conftest import ClinicWorld


def test_read_and_search_appointments(
    client: TestClient, clinic: Clinic, other_world: ClinicWorld
) -> None:
    first = book(client, clinic, startTime=clinic.iso(11)).json()
    second = book(
        client,
        clinic,
        startTime=clinic.iso(14),
        providerId=clinic.providers[1].id,
        patientId=clinic.patients[1].id,
    ).json()
    appt = fhir_get(client, f"/fhir/Appointment/{first['id']}", clinic.headers())
    assert appt["status"] == "booked"
    assert (appt["start"], appt["minutesDuration"]) == (clinic.iso(11), 30)
    actors = [p["actor"]["reference"] for p in appt["participant"]]
    assert f"Patient/{clinic.patients[0].id}" in actors
    assert f"Practitioner/{clinic.providers[0].id}" in actors
    # The Slot it names is the (now busy or still free) Slot of its type and start.
    slot = fhir_get(client, f"/fhir/{appt['slot'][0]['reference']}", clinic.headers())
    assert slot["start"] == appt["start"]

    def ids(**query: str) -> list[str]:
        return [
            r["id"]
            for r in entries(fhir_get(client, "/fhir/Appointment", clinic.headers(), **query))
        ]

    assert ids() == [first["id"], second["id"]]
    assert ids(patient=f"Patient/{clinic.patients[1].id}") == [second["id"]]
    assert ids(practitioner=clinic.providers[0].id) == [first["id"]]
    assert ids(date=clinic.day.isoformat()) == [first["id"], second["id"]]
    assert ids(date=f"ge{clinic.iso(12)}") == [second["id"]]

    resp = client.delete(
        f"/api/booking/appointments/{second['id']}",
        headers=clinic.headers(),
        params={"reason": "Patient is ill"},
    )
    assert resp.status_code == 200
    assert ids(status="cancelled") == [second["id"]]
    cancelled = fhir_get(client, f"/fhir/Appointment/{second['id']}", clinic.headers())
    assert cancelled["cancelationReason"]["text"] == "Patient is ill"
    assert ids(status="booked") == [first["id"]]
    bad = fhir_get(client, "/fhir/Appointment", clinic.headers(), 422, status="gone")
    assert "use arrived, booked" in bad["issue"][0]["details"]["text"]

    theirs = other_world.headers("admin")
    fhir_get(client, f"/fhir/Appointment/{first['id']}", theirs, 404)
    assert entries(fhir_get(client, "/fhir/Appointment", theirs)) == []
