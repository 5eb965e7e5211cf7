"""A partner retrying $hold or $book after a timeout, under an Idempotency-Key: the first answer
again, never a second booking; the same key for another request is refused, as on the staff API.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import Appointment, SlotHold
from tests.api.clients.support import create_client, request_token
from tests.api.fhir.conftest import FHIR_JSON, Clinic, entries, parse_fhir
from tests.api.fhir.test_operations import _params, find


def _partner(client: TestClient, clinic: Clinic) -> dict[str, str]:
    created = create_client(
        client, clinic.world, ["system/*.read", "system/Appointment.write"], name="Booking site"
    )
    token = request_token(client, created).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _post(
    client: TestClient, name: str, body: dict[str, Any], headers: dict[str, str], key: str
) -> Any:
    return client.post(
        f"/fhir/Appointment/${name}",
        content=json.dumps(body),
        headers={**headers, "Content-Type": FHIR_JSON, "Idempotency-Key": key},
    )


def _booked(db: Session) -> int:
    db.rollback()  # a fresh snapshot: the API committed in its own session
    return db.scalar(select(func.count()).select_from(Appointment)) or 0


def _pending(clinic: Clinic, patient: int, hour: int) -> dict[str, Any]:
    return _params(appointment_resource={
        "resourceType": "Appointment", "status": "pending",
        "serviceType": [{"coding": [{"code": "ADJ"}]}], "start": clinic.iso(hour),
        "participant": [
            {"actor": {"reference": f"Patient/{clinic.patients[patient].id}"},
             "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{clinic.providers[0].id}"},
             "status": "accepted"},
        ],
        "extension": [{"url": "https://slotwise.dev/fhir/StructureDefinition/chair",
                       "valueString": clinic.chairs[1].id}],
    })  # fmt: skip


def test_a_retried_book_books_once_and_answers_the_same_appointment(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    partner = _partner(client, clinic)
    before = _booked(db)
    body = _pending(clinic, 2, 16)
    first = _post(client, "book", body, partner, "book-7f3a")
    assert first.status_code == 200, first.text
    booked = entries(parse_fhir(first.json()))[0]
    assert booked["status"] == "booked"

    again = _post(client, "book", body, partner, "book-7f3a")
    assert again.status_code == 200, again.text
    assert again.headers["content-type"].startswith(FHIR_JSON)
    assert again.headers["idempotent-replayed"] == "true"
    assert entries(parse_fhir(again.json()))[0] == booked
    assert _booked(db) == before + 1

    # Without the key the same request is a second attempt, which the first booking is in
    # the way of: the replay above was the stored answer, not luck.
    fresh = client.post(
        "/fhir/Appointment/$book",
        content=json.dumps(body),
        headers={**partner, "Content-Type": FHIR_JSON},
    )
    assert fresh.status_code == 409, fresh.text


def test_the_same_key_for_another_book_is_refused_and_books_nothing(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    partner = _partner(client, clinic)
    assert _post(client, "book", _pending(clinic, 2, 16), partner, "k-1").status_code == 200
    before = _booked(db)
    other = _post(client, "book", _pending(clinic, 3, 17), partner, "k-1")
    assert other.status_code == 422, other.text
    outcome = parse_fhir(other.json())
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["expression"] == ["Idempotency-Key"]
    assert "different request" in issue["details"]["text"]
    assert _booked(db) == before
    # Keys are the caller's own: a staff user's "k-1" is not the partner's.
    staff = _post(client, "book", _pending(clinic, 3, 17), clinic.headers(), "k-1")
    assert staff.status_code == 200, staff.text


def test_a_refused_book_is_not_stored_so_its_retry_can_succeed(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    partner = _partner(client, clinic)
    body = _pending(clinic, 2, 16)
    taken = client.post(
        "/api/booking/appointments",
        headers=clinic.headers(),
        json=clinic.booking(startTime=clinic.iso(16), patientId=clinic.patients[3].id),
    )
    assert taken.status_code == 201, taken.text
    assert _post(client, "book", body, partner, "try-1").status_code == 409
    cancelled = client.delete(
        f"/api/booking/appointments/{taken.json()['id']}",
        headers=clinic.headers(),
        params={"reason": "Patient called"},
    )
    assert cancelled.status_code == 200, cancelled.text
    retried = _post(client, "book", body, partner, "try-1")
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers


def test_a_retried_hold_answers_the_same_hold_and_keeps_one(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    partner = _partner(client, clinic)
    proposal = find(client, clinic, _count="1")[0]
    body = _params(appointment_reference={"reference": f"Appointment/{proposal['id']}"})
    first = _post(client, "hold", body, partner, "hold-1")
    assert first.status_code == 200, first.text
    db.rollback()
    placed = db.scalars(select(SlotHold.id)).all()
    again = _post(client, "hold", body, partner, "hold-1")
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    db.rollback()
    # The replay placed no hold afresh (a new $hold replaces the caller's hold with a new row).
    assert db.scalars(select(SlotHold.id)).all() == placed
    assert len(placed) == 1
