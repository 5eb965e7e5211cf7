"""Types that need no provider (issue 13, slice 1): what availability offers books as offered.

Availability offers such a type without a provider (the engine needs none); the seed records a
provider on every appointment. Booking with the body a client builds from a listed time records
the patient's usual provider (else the type's first qualified, else the clinic's first) and
never holds them: the same provider stays bookable at that time elsewhere.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import Appointment, AppointmentType
from tests.api.booking.conftest import Clinic, book

URL = "/api/booking/appointments"


@pytest.fixture(params=["needs no provider", "assistant-only pattern"])
def photos(request: pytest.FixtureRequest, db: Session, clinic: Clinic) -> AppointmentType:
    """Records photos: an assistant's job in a chair, no provider needed. Said two ways: the
    type needs no provider, or it does (the doctor signs the records off) but its time pattern
    has no provider time."""
    assistant_only = request.param == "assistant-only pattern"
    kind = AppointmentType(
        time_pattern="AAA" if assistant_only else None,
        clinic_id=clinic.world.clinic.id,
        name="Records Photos",
        code="PHOTO",
        default_duration=15,
        min_duration=10,
        max_duration=30,
        needs_provider=assistant_only,
        online_bookable=True,
    )
    db.add(kind)
    db.commit()
    return kind


def _slots(client: TestClient, clinic: Clinic, type_id: str, **params: Any) -> list[Any]:
    resp = client.get(
        "/api/booking/availability",
        params={"from": clinic.iso(8), "to": clinic.iso(18), "appointmentTypeId": type_id} | params,
        headers=clinic.headers(),
    )
    assert resp.status_code == 200, resp.text
    return list(resp.json()["slots"])


def _body_from(part: dict[str, Any], patient_id: str) -> dict[str, Any]:
    """What a client sends for a listed time: the part's own fields, as listed."""
    return {
        "patientId": patient_id,
        "appointmentTypeId": part["appointmentTypeId"],
        "providerId": part["providerId"],
        "chairId": part["chairId"],
        "roomId": part["roomId"],
        "startTime": part["startTime"],
        "duration": part["duration"],
    }


def _first_by_name(clinic: Clinic) -> str:
    return min(clinic.providers, key=lambda p: (p.name, p.id)).id


def test_a_listed_time_books_with_the_body_a_client_sends(
    client: TestClient, clinic: Clinic, photos: AppointmentType, db: Session
) -> None:
    part = _slots(client, clinic, photos.id)[0]["parts"][0]
    assert part["providerId"] is None  # the engine needs none, so it offers none
    patient = clinic.patients[1]  # usual provider: Dr Second
    resp = client.post(URL, json=_body_from(part, patient.id), headers=clinic.headers())
    assert resp.status_code == 201, resp.text
    assert resp.json()["providerId"] == patient.usual_provider_id == clinic.providers[1].id
    row = db.get(Appointment, resp.json()["id"])
    assert row is not None and row.holds_provider is False

    # The recorded provider is not held: they take an adjustment in the other chair meanwhile.
    other_chair = next(c for c in clinic.chairs if c.id != part["chairId"])
    adj = book(
        client,
        clinic,
        patientId=clinic.patients[2].id,
        providerId=clinic.providers[1].id,
        chairId=other_chair.id,
        startTime=part["startTime"],
    )
    assert adj.status_code == 201, adj.text


def test_without_a_usual_provider_the_first_by_name_is_recorded(
    client: TestClient, clinic: Clinic, photos: AppointmentType
) -> None:
    part = _slots(client, clinic, photos.id)[0]["parts"][0]
    body = _body_from(part, clinic.patients[0].id)
    del body["providerId"]
    resp = client.post(URL, json=body, headers=clinic.headers())
    assert resp.status_code == 201, resp.text
    assert resp.json()["providerId"] == _first_by_name(clinic)


def test_the_types_qualified_provider_comes_before_others(
    client: TestClient, clinic: Clinic, photos: AppointmentType, db: Session
) -> None:
    photos.providers = [clinic.providers[1]]
    db.commit()
    part = _slots(client, clinic, photos.id)[0]["parts"][0]
    resp = client.post(URL, json=_body_from(part, clinic.patients[0].id), headers=clinic.headers())
    assert resp.status_code == 201, resp.text
    assert resp.json()["providerId"] == clinic.providers[1].id


def test_a_named_responsible_provider_is_recorded_not_pinned(
    client: TestClient, clinic: Clinic, photos: AppointmentType
) -> None:
    # Dr Second is busy with an adjustment; recording them on the photos is still fine.
    book(client, clinic, providerId=clinic.providers[1].id, chairId=clinic.chairs[0].id)
    resp = book(
        client,
        clinic,
        appointmentTypeId=photos.id,
        providerId=clinic.providers[1].id,
        patientId=clinic.patients[1].id,
        duration=15,
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["providerId"] == clinic.providers[1].id


def test_a_type_that_needs_a_provider_still_requires_one(
    client: TestClient, clinic: Clinic
) -> None:
    body = clinic.booking()
    del body["providerId"]
    resp = client.post(URL, json=body, headers=clinic.headers())
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"] == [
        {"field": "providerId", "message": "required: providerId (Adjustment appointments need "
         "a provider)"}
    ]  # fmt: skip
    visit = {
        "patientId": clinic.patients[0].id,
        "parts": [{k: v for k, v in body.items() if k != "patientId"}],
    }
    resp = client.post(URL, json=visit, headers=clinic.headers())
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["field"] == "parts.0.providerId"


def test_update_reschedule_and_duplicate_keep_the_provider_unheld(
    client: TestClient, clinic: Clinic, photos: AppointmentType, db: Session
) -> None:
    h = clinic.headers()
    created = book(client, clinic, appointmentTypeId=photos.id, providerId=None, duration=15)
    assert created.status_code == 201, created.text
    appt = created.json()
    # Dr Second's adjustment overlaps every move below: none of them may be refused for it.
    book(
        client,
        clinic,
        patientId=clinic.patients[2].id,
        providerId=appt["providerId"],
        chairId=clinic.chairs[0].id,
        startTime=clinic.iso(15),
        duration=40,
    )

    resized = client.put(
        f"{URL}/{appt['id']}", json={"duration": 20}, headers=h | {"If-Match": '"1"'}
    )
    assert resized.status_code == 200, resized.text
    moved = client.post(
        f"{URL}/{appt['id']}/reschedule",
        json={"startTime": clinic.iso(15), "chairId": clinic.chairs[1].id},
        headers=h,
    )
    assert moved.status_code == 200, moved.text
    copied = client.post(
        f"{URL}/{appt['id']}/duplicate", json={"startTime": clinic.iso(15, 20)}, headers=h
    )
    assert copied.status_code == 201, copied.text
    assert copied.json()["providerId"] == appt["providerId"]
    anywhere = client.post(f"{URL}/{appt['id']}/duplicate", json={}, headers=h)
    assert anywhere.status_code == 201, anywhere.text
    db.expire_all()
    for appt_id in (appt["id"], copied.json()["id"], anywhere.json()["id"]):
        row = db.get(Appointment, appt_id)
        assert row is not None and row.holds_provider is False
