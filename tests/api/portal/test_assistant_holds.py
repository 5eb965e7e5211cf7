"""Slot holds keep the assistant the engine chose (issue 13, slice 7): while a patient finishes
booking in the widget, no other hold and no staff booking can take that assistant, and the
booking made from the hold gets them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.orm import Session

from api.models import (
    Appointment,
    Assistant,
    Chair,
    Provider,
    ScheduleTemplate,
    SlotHold,
    WorkingHours,
)
from tests.api.booking.conftest import book as staff_book
from tests.api.portal.conftest import Portal
from tests.support.schedules import add_assistant, open_every_day
from tests.support.server import running_server

HOLDS = "/api/patient-portal/holds"


@dataclass
class Assisted:
    portal: Portal
    maya: Assistant
    chair3: Chair
    doctor3: Provider

    def seats(self) -> list[tuple[str, str]]:
        """Three (provider, chair) pairs sharing nothing: at one time only an assistant clashes."""
        c = self.portal.clinic
        return [
            (c.providers[0].id, c.chairs[1].id),
            (c.providers[1].id, c.chairs[0].id),
            (self.doctor3.id, self.chair3.id),
        ]

    def choice(self, seat: int, hour: int = 11) -> dict[str, str]:
        provider_id, chair_id = self.seats()[seat]
        return self.portal.choice(
            self.portal.clinic.adj.id, hour, providerId=provider_id, chairId=chair_id
        )


@pytest.fixture
def assisted(portal: Portal, db: Session) -> Assisted:
    """Adjustments need an assistant and the clinic has one, Maya, for three chairs."""
    c = portal.clinic
    cid = c.world.clinic.id
    chair3, doctor3 = Chair(clinic_id=cid, name="Chair 3"), Provider(clinic_id=cid, name="Dr Third")
    db.add_all([chair3, doctor3])
    db.flush()
    maya = add_assistant(db, portal.clinic.world.clinic.id, "Maya Lee")
    template = db.scalars(
        sa.select(ScheduleTemplate).where(ScheduleTemplate.clinic_id == cid)
    ).one()
    open_every_day(template, [("chair", chair3.id), ("provider", doctor3.id)])
    c.adj.needs_assistant = True
    c.adj.new_patient_bookable = True  # guests may hold it too
    db.commit()
    return Assisted(portal, maya, chair3, doctor3)


def _holds(db: Session) -> list[SlotHold]:
    db.commit()  # end the read snapshot: see what the API committed since
    return list(db.scalars(sa.select(SlotHold)))


def _starts(portal: Portal, headers: dict[str, str], type_id: str) -> set[str]:
    data = portal.slots(headers, type_id)
    return {s["startTime"] for d in data["days"] for s in d["slots"]}


def test_a_hold_keeps_its_assistant_from_other_holds_and_availability(
    assisted: Assisted, db: Session
) -> None:
    portal, c = assisted.portal, assisted.portal.clinic
    first = portal.hold(portal.patient, assisted.choice(0))
    assert first.status_code == 201, first.text
    (hold,) = _holds(db)
    assert hold.assistant_id == assisted.maya.id

    # A chair and a doctor are free at 11:00, Maya is not: the time is neither offered to a
    # guest nor holdable by one.
    guest = portal.guest()
    starts = _starts(portal, guest, c.adj.id)
    assert c.iso(10) in starts and c.iso(11) not in starts
    second = portal.hold(guest, assisted.choice(1))
    assert second.status_code == 409, second.text
    assert "alternatives" in second.json()
    assert [h.owner for h in _holds(db)] == [hold.owner]


def test_concurrent_holds_cannot_both_take_the_last_assistant(
    assisted: Assisted, app: FastAPI, db: Session
) -> None:
    portal = assisted.portal
    # Each guest a chair and doctor of their own: the one assistant is all they compete for.
    asks = [(portal.guest()["Authorization"], assisted.choice(seat)) for seat in range(3)]
    with running_server(app) as base:

        def hold(ask: tuple[str, dict[str, str]]) -> int:
            with httpx.Client(base_url=base, timeout=60) as http:
                return http.post(HOLDS, json=ask[1], headers={"Authorization": ask[0]}).status_code

        with ThreadPoolExecutor(len(asks)) as pool:
            codes = sorted(pool.map(hold, asks))
    assert codes == [201, 409, 409]
    assert [h.assistant_id for h in _holds(db)] == [assisted.maya.id]


def test_a_patients_hold_refuses_a_staff_booking_of_its_assistant_by_name(
    assisted: Assisted, db: Session
) -> None:
    portal, c = assisted.portal, assisted.portal.clinic
    assert portal.hold(portal.patient, assisted.choice(0)).status_code == 201
    (hold,) = _holds(db)
    provider_id, chair_id = assisted.seats()[1]
    staff = {
        "patientId": c.patients[1].id,
        "providerId": provider_id,
        "chairId": chair_id,
        "startTime": c.iso(11),
    }
    for pin in ({"assistantId": assisted.maya.id}, {}):  # pinned, or left to booking
        refused = staff_book(portal.client, c, **staff, **pin)
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert "Assistant Maya Lee is busy" in body["detail"]
        assert f"(online booking hold {hold.id})" in body["detail"]
        (conflict,) = body["conflicts"]
        assert (conflict["resource"], conflict["resourceId"]) == ("assistant", assisted.maya.id)
    # An hour later Maya is free for them.
    later = staff_book(portal.client, c, **{**staff, "startTime": c.iso(12)})
    assert later.status_code == 201, later.text
    assert later.json()["assistantId"] == assisted.maya.id


def test_staff_booking_over_a_guests_hold_takes_its_assistant_and_the_hold_goes(
    assisted: Assisted, db: Session
) -> None:
    portal, c = assisted.portal, assisted.portal.clinic
    guest = portal.guest()
    assert portal.hold(guest, assisted.choice(0)).status_code == 201
    provider_id, chair_id = assisted.seats()[1]
    made = staff_book(
        portal.client,
        c,
        patientId=c.patients[1].id,
        providerId=provider_id,
        chairId=chair_id,
        startTime=c.iso(11),
    )
    assert made.status_code == 201, made.text
    assert made.json()["assistantId"] == assisted.maya.id
    # The guest's hold shared no chair or doctor with the booking, only Maya: it went too, so
    # the guest is told that the time is gone when they next choose it.
    assert _holds(db) == []
    again = portal.hold(guest, assisted.choice(0))
    assert again.status_code == 409 and "alternatives" in again.json(), again.text


def test_booking_from_a_hold_books_the_assistant_it_kept(assisted: Assisted, db: Session) -> None:
    portal, c = assisted.portal, assisted.portal.clinic
    ana = add_assistant(
        db, portal.clinic.world.clinic.id, "Ana Ruiz"
    )  # first by name, so booking would take her
    db.commit()
    provider_id, chair_id = assisted.seats()[1]
    staff = staff_book(
        portal.client,
        c,
        patientId=c.patients[1].id,
        providerId=provider_id,
        chairId=chair_id,
        startTime=c.iso(11),
        assistantId=ana.id,
    )
    assert staff.status_code == 201, staff.text
    assert portal.hold(portal.patient, assisted.choice(0)).status_code == 201
    (hold,) = _holds(db)
    assert hold.assistant_id == assisted.maya.id  # Ana was busy when the patient chose
    # Ana is free again before the patient confirms: the booking still gets Maya, whom the hold
    # kept for them.
    cancelled = portal.client.delete(
        f"/api/booking/appointments/{staff.json()['id']}",
        params={"reason": "moved"},
        headers=c.headers(),
    )
    assert cancelled.status_code in (200, 204), cancelled.text
    made = portal.book(assisted.choice(0))
    assert made.status_code == 201, made.text
    db.rollback()
    stored = db.get(Appointment, made.json()["id"])
    assert stored is not None and stored.assistant_id == assisted.maya.id
    assert _holds(db) == []  # consumed


def test_a_hold_of_a_type_needing_no_assistant_keeps_none(portal: Portal, db: Session) -> None:
    add_assistant(db, portal.clinic.world.clinic.id, "Maya Lee")
    db.commit()
    assert portal.hold(portal.patient, portal.choice(portal.clinic.adj.id, 11)).status_code == 201
    assert [h.assistant_id for h in _holds(db)] == [None]


def test_deleting_a_held_assistant_takes_their_holds(assisted: Assisted, db: Session) -> None:
    portal = assisted.portal
    assert portal.hold(portal.patient, assisted.choice(0)).status_code == 201
    # Deletable only once nothing else names them: here their hours went after the hold.
    db.execute(sa.delete(WorkingHours).where(WorkingHours.resource_id == assisted.maya.id))
    db.commit()
    gone = portal.client.delete(
        f"/api/assistants/{assisted.maya.id}", headers=portal.clinic.headers("admin")
    )
    assert gone.status_code == 204, gone.text
    assert _holds(db) == []


def test_moving_ones_own_appointment_into_a_hold_takes_the_held_assistant(
    assisted: Assisted, db: Session
) -> None:
    portal, c = assisted.portal, assisted.portal.clinic
    ana = add_assistant(db, portal.clinic.world.clinic.id, "Ana Ruiz")
    db.commit()
    own = staff_book(portal.client, c, startTime=c.iso(14), assistantId=ana.id)
    assert own.status_code == 201, own.text
    provider_id, chair_id = assisted.seats()[1]
    busy = staff_book(
        portal.client,
        c,
        patientId=c.patients[1].id,
        providerId=provider_id,
        chairId=chair_id,
        startTime=c.iso(11),
        assistantId=ana.id,
    )
    assert busy.status_code == 201, busy.text
    assert portal.hold(portal.patient, assisted.choice(0)).status_code == 201
    assert [h.assistant_id for h in _holds(db)] == [assisted.maya.id]
    cancelled = portal.client.delete(
        f"/api/booking/appointments/{busy.json()['id']}",
        params={"reason": "moved"},
        headers=c.headers(),
    )
    assert cancelled.status_code in (200, 204), cancelled.text
    # A move keeps the appointment's own assistant while free, and Ana is free again; the
    # hold kept Maya for this time, so the move takes Maya.
    moved = portal.client.post(
        f"/api/patient-portal/appointments/{own.json()['id']}/reschedule",
        json={k: v for k, v in assisted.choice(0).items() if k != "appointmentTypeId"},
        headers=portal.patient,
    )
    assert moved.status_code == 200, moved.text
    db.rollback()
    stored = db.get(Appointment, own.json()["id"])
    assert stored is not None and stored.assistant_id == assisted.maya.id
