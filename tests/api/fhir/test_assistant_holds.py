"""FHIR $hold keeps the assistant the engine chose, as portal holds do: until it expires, no
other caller's hold, staff booking or availability list can take them, and $book of the held
time books them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.fhir.proposals import Proposal
from api.models import Appointment, Assistant, SlotHold
from tests.api.booking.conftest import book as staff_book
from tests.api.fhir.conftest import Clinic, entries
from tests.api.fhir.test_operations import _params, operation
from tests.support.schedules import add_assistant


@pytest.fixture
def maya(db: Session, clinic: Clinic) -> Assistant:
    """Adjustments need an assistant, and Maya is the clinic's only one."""
    maya = add_assistant(db, clinic.world.clinic.id, "Maya Lee")
    clinic.adj.needs_assistant = True
    db.commit()
    return maya


def _seat(clinic: Clinic, seat: int) -> dict[str, str]:
    """Two (provider, chair) pairs sharing nothing: at one time only an assistant clashes."""
    provider, chair = [(0, 1), (1, 0)][seat]
    return {"providerId": clinic.providers[provider].id, "chairId": clinic.chairs[chair].id}


def _proposal(clinic: Clinic, seat: int, patient: int) -> dict[str, Any]:
    """A reference to the proposed Adjustment at 11:00 in a seat, as $find would name it."""
    where = _seat(clinic, seat)
    proposed = Proposal(
        clinic.adj,
        clinic.at(11),
        30,
        where["providerId"],
        where["chairId"],
        None,
        clinic.patients[patient].id,
    )
    return {"appointment_reference": {"reference": f"Appointment/{proposed.id}"}}


def _holds(db: Session) -> list[SlotHold]:
    db.commit()  # end the read snapshot: see what the API committed since
    return list(db.scalars(select(SlotHold)))


def test_a_hold_keeps_its_assistant_from_other_holds_bookings_and_availability(
    client: TestClient, clinic: Clinic, db: Session, maya: Assistant
) -> None:
    operation(client, clinic, "hold", _params(**_proposal(clinic, 0, 1)))
    (hold,) = _holds(db)
    assert hold.assistant_id == maya.id

    # The other seat's chair and doctor are free at 11:00, Maya is not: another caller (admin,
    # so another hold owner) cannot hold it, staff cannot book it, availability leaves it out.
    outcome = operation(
        client, clinic, "hold", _params(**_proposal(clinic, 1, 2)), 409, role="admin"
    )
    texts = " ".join(i["details"]["text"] for i in outcome["issue"])
    assert "Maya Lee" in texts, texts
    refused = staff_book(
        client,
        clinic,
        patientId=clinic.patients[2].id,
        startTime=clinic.iso(11),
        **_seat(clinic, 1),
    )
    assert refused.status_code == 409, refused.text
    assert "Assistant Maya Lee is busy" in refused.json()["detail"]
    slots = client.get(
        "/api/booking/availability",
        params={
            "appointmentTypeId": clinic.adj.id,
            "from": clinic.iso(10),
            "to": clinic.iso(12),
            **_seat(clinic, 1),
        },
        headers=clinic.headers(),
    )
    assert slots.status_code == 200, slots.text
    starts = {s["startTime"] for s in slots.json()["slots"]}
    assert clinic.iso(10) in starts and clinic.iso(11) not in starts
    assert [h.id for h in _holds(db)] == [hold.id]


def test_book_of_a_held_time_books_the_assistant_the_hold_kept(
    client: TestClient, clinic: Clinic, db: Session, maya: Assistant
) -> None:
    ana = add_assistant(db, clinic.world.clinic.id, "Ana Ruiz")  # first by name
    db.commit()
    busy = staff_book(
        client,
        clinic,
        patientId=clinic.patients[2].id,
        startTime=clinic.iso(11),
        assistantId=ana.id,
        **_seat(clinic, 1),
    )
    assert busy.status_code == 201, busy.text
    held = entries(operation(client, clinic, "hold", _params(**_proposal(clinic, 0, 1))))[0]
    assert [h.assistant_id for h in _holds(db)] == [maya.id]  # Ana was busy at the $hold
    # Ana is free again before the client books: $book still gets Maya, whom the hold kept.
    cancelled = client.delete(
        f"/api/booking/appointments/{busy.json()['id']}",
        params={"reason": "moved"},
        headers=clinic.headers(),
    )
    assert cancelled.status_code == 200, cancelled.text
    booked = entries(
        operation(
            client,
            clinic,
            "book",
            _params(appointment_reference={"reference": f"Appointment/{held['id']}"}),
        )
    )[0]
    db.rollback()
    row = db.get(Appointment, booked["id"])
    assert row is not None and row.assistant_id == maya.id
    assert _holds(db) == []  # consumed
