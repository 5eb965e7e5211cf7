"""Doctor time through HTTP (issue 13, slice 3): appointments store their own pattern (copied
from the type, fitted to the duration), staff may set one appointment's pattern, the provider is
held only for the D steps, and responses list when the provider is needed (providerTime)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import AppointmentType
from tests.api.booking.conftest import ZONE, Clinic, book

URL = "/api/booking/appointments"


@pytest.fixture
def wire(db: Session, clinic: Clinic) -> AppointmentType:
    """A wire check: assistant 10 minutes, the orthodontist 5, the assistant 5 more."""
    kind = AppointmentType(
        clinic_id=clinic.world.clinic.id,
        name="Wire Check",
        code="WIRE",
        default_duration=20,
        min_duration=10,
        max_duration=30,
        time_pattern="AADA",
    )
    db.add(kind)
    db.commit()
    return kind


def _wire(client: TestClient, clinic: Clinic, wire: AppointmentType, **over: Any) -> Any:
    body: dict[str, Any] = {
        "appointmentTypeId": wire.id,
        "providerId": clinic.providers[0].id,
        "chairId": clinic.chairs[0].id,
        "startTime": clinic.iso(10),
        "duration": 20,
    }
    return book(client, clinic, **(body | over))


def _local(clinic: Clinic, hour: int, minute: int) -> str:
    return clinic.at(hour, minute).astimezone(ZONE).strftime("%a %d %b %H:%M")


def _span(clinic: Clinic, start: tuple[int, int], end: tuple[int, int]) -> dict[str, str]:
    return {"startTime": clinic.iso(*start), "endTime": clinic.iso(*end)}


def test_the_types_pattern_is_copied_and_fitted(
    client: TestClient, clinic: Clinic, wire: AppointmentType
) -> None:
    first = _wire(client, clinic, wire)
    assert first.status_code == 201, first.text
    assert first.json()["timePattern"] == "AADA"
    assert first.json()["providerTime"] == [_span(clinic, (10, 10), (10, 15))]
    longer = _wire(client, clinic, wire, startTime=clinic.iso(11), duration=30)
    assert longer.status_code == 201, longer.text
    assert longer.json()["timePattern"] == "AADAAA"  # assistant time added at the end
    detail = client.get(f"{URL}/{longer.json()['id']}", headers=clinic.headers()).json()
    assert detail["providerTime"] == [_span(clinic, (11, 10), (11, 15))]


def test_a_duration_that_cuts_provider_time_is_refused(
    client: TestClient, clinic: Clinic, wire: AppointmentType
) -> None:
    resp = _wire(client, clinic, wire, duration=10)
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"] == [
        {
            "field": "duration",
            "message": "duration: 10 minutes would cut provider time: the provider is needed "
            "until 0:15 of this appointment",
        }
    ]


def test_one_doctor_runs_two_chairs_but_is_never_needed_in_both(
    client: TestClient, clinic: Clinic, wire: AppointmentType
) -> None:
    assert _wire(client, clinic, wire).status_code == 201
    # Same start in the other chair: both need the doctor 10:10-10:15.
    clash = _wire(
        client, clinic, wire, chairId=clinic.chairs[1].id, patientId=clinic.patients[1].id
    )
    assert clash.status_code == 409, clash.text
    doctor = clinic.providers[0].name
    at = f"{_local(clinic, 10, 10)}-10:15"
    assert clash.json()["conflicts"][0]["message"] == (
        f"{doctor} is needed {at} but is needed in Chair 1 {at} "
        f"(Wire Check, Pat {clinic.world.clinic.name})"
    )
    # A booking without a pattern needs the doctor throughout: it says where they are needed.
    adj = book(client, clinic, patientId=clinic.patients[2].id, startTime=clinic.iso(10))
    assert adj.status_code == 409, adj.text
    assert adj.json()["conflicts"][0]["message"] == (
        f"{doctor} is needed in Chair 1 {at} (Wire Check, Pat {clinic.world.clinic.name})"
    )
    # Five minutes later the doctor's steps follow each other: bookable.
    later = _wire(
        client,
        clinic,
        wire,
        chairId=clinic.chairs[1].id,
        patientId=clinic.patients[1].id,
        startTime=clinic.iso(10, 5),
    )
    assert later.status_code == 201, later.text


def test_staff_set_one_appointments_pattern(
    client: TestClient, clinic: Clinic, wire: AppointmentType
) -> None:
    appt = _wire(client, clinic, wire).json()
    h = clinic.headers() | {"If-Match": '"1"'}
    bad = client.put(f"{URL}/{appt['id']}", json={"timePattern": "DDA"}, headers=h)
    assert bad.status_code == 422, bad.text
    assert bad.json()["errors"][0] == {
        "field": "timePattern",
        "message": "timePattern: has 3 steps but this appointment's 20 minutes need 4 (one per "
        "5 minutes)",
    }
    chars = client.put(f"{URL}/{appt['id']}", json={"timePattern": "DDXX"}, headers=h)
    assert chars.status_code == 422 and chars.json()["errors"][0]["field"] == "timePattern"
    ok = client.put(f"{URL}/{appt['id']}", json={"timePattern": "DDAD"}, headers=h)
    assert ok.status_code == 200, ok.text
    assert ok.json()["timePattern"] == "DDAD"
    assert ok.json()["providerTime"] == [
        _span(clinic, (10, 0), (10, 10)),
        _span(clinic, (10, 15), (10, 20)),
    ]
    # Shortening now cuts the last D step; clearing gives the provider the whole appointment.
    h2 = clinic.headers() | {"If-Match": '"2"'}
    cut = client.put(f"{URL}/{appt['id']}", json={"duration": 15}, headers=h2)
    assert cut.status_code == 422 and cut.json()["errors"][0]["field"] == "duration"
    cleared = client.put(f"{URL}/{appt['id']}", json={"timePattern": None}, headers=h2)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["timePattern"] is None
    assert cleared.json()["providerTime"] == [_span(clinic, (10, 0), (10, 20))]


def test_reschedule_keeps_the_appointments_own_pattern(
    client: TestClient, clinic: Clinic, wire: AppointmentType
) -> None:
    appt = _wire(client, clinic, wire).json()
    moved = client.post(
        f"{URL}/{appt['id']}/reschedule",
        json={"startTime": clinic.iso(12), "duration": 25},
        headers=clinic.headers(),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["timePattern"] == "AADAA"
    assert moved.json()["providerTime"] == [_span(clinic, (12, 10), (12, 15))]


def test_availability_lists_provider_time_per_part(
    client: TestClient, clinic: Clinic, wire: AppointmentType
) -> None:
    resp = client.get(
        "/api/booking/availability",
        params={"from": clinic.iso(8), "to": clinic.iso(9), "appointmentTypeId": wire.id},
        headers=clinic.headers(),
    )
    assert resp.status_code == 200, resp.text
    part = resp.json()["slots"][0]["parts"][0]
    assert part["providerTime"] == [_span(clinic, (8, 10), (8, 15))]
    best = client.get(
        "/api/booking/availability",
        params={
            "from": clinic.iso(8),
            "to": clinic.iso(9),
            "appointmentTypeId": wire.id,
            "mode": "best",
        },
        headers=clinic.headers(),
    )
    assert best.status_code == 200, best.text
    for suggestion in best.json()["suggestions"]:
        (part,) = suggestion["parts"]
        assert len(part["providerTime"]) == 1


def test_types_without_a_pattern_need_the_provider_throughout(
    client: TestClient, clinic: Clinic
) -> None:
    resp = book(client, clinic)
    assert resp.status_code == 201, resp.text
    assert resp.json()["timePattern"] is None
    assert resp.json()["providerTime"] == [_span(clinic, (14, 0), (14, 30))]
