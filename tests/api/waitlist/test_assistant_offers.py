"""A waitlist offer's holds keep the assistant the engine matched, as portal holds do: while the
offer is open no staff booking or availability list can take them, and accepting books them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Appointment, Assistant, SlotHold
from tests.api.waitlist.conftest import BASE, Waitlist
from tests.api.waitlist.test_offers import PORTAL
from tests.support.schedules import add_assistant


@pytest.fixture
def maya(db: Session, wl: Waitlist) -> Assistant:
    """Adjustments need an assistant, and Maya is the clinic's only one."""
    maya = add_assistant(db, wl.clinic.world.clinic.id, "Maya Lee")
    wl.clinic.adj.needs_assistant = True
    db.commit()
    return maya


def _other_seat(wl: Waitlist) -> dict[str, str]:
    """A provider and chair the freed 14:00 (Dr First, chair 2) does not use."""
    return {"providerId": wl.clinic.providers[1].id, "chairId": wl.clinic.chairs[0].id}


def _offer_freed_14(wl: Waitlist) -> str:
    """Chair 2 at 14:00 cancelled and offered to patient 1, who waits for it; their link."""
    freed = wl.book(patientId=wl.patient(3).id, startTime=wl.clinic.iso(14))
    wl.entry(wl.patient(1).id)
    wl.cancel(freed["id"])
    made = wl.client.post(
        f"{BASE}/offers", json={"appointmentId": freed["id"], "count": 1}, headers=wl.staff
    )
    assert made.status_code == 201, made.text
    (mail,) = wl.mails("waitlist-offer")
    found = re.search(r"waitlist-offer\.html\?token=(\S+)", mail.text_body)
    assert found is not None, mail.text_body
    return found.group(1)


def _holds(db: Session) -> list[SlotHold]:
    db.commit()  # end the read snapshot: see what the API committed since
    return list(db.scalars(select(SlotHold)))


def test_an_offers_hold_keeps_its_assistant_from_bookings_and_availability(
    wl: Waitlist, db: Session, maya: Assistant
) -> None:
    c = wl.clinic
    _offer_freed_14(wl)
    assert [h.assistant_id for h in _holds(db)] == [maya.id]
    # Another doctor and chair are free at 14:00, Maya is not.
    refused = wl.client.post(
        "/api/booking/appointments",
        json=c.booking(patientId=wl.patient(2).id, **_other_seat(wl)),
        headers=wl.staff,
    )
    assert refused.status_code == 409, refused.text
    assert "Assistant Maya Lee is busy" in refused.json()["detail"]
    slots = wl.client.get(
        "/api/booking/availability",
        params={
            "appointmentTypeId": c.adj.id,
            "from": c.iso(13),
            "to": c.iso(15),
            **_other_seat(wl),
        },
        headers=wl.staff,
    )
    assert slots.status_code == 200, slots.text
    starts = {s["startTime"] for s in slots.json()["slots"]}
    assert c.iso(13) in starts and c.iso(14) not in starts


def test_accepting_an_offer_books_the_assistant_its_hold_kept(
    wl: Waitlist, db: Session, maya: Assistant
) -> None:
    c = wl.clinic
    ana = add_assistant(db, c.world.clinic.id, "Ana Ruiz")  # first by name
    db.commit()
    busy = wl.book(
        patientId=wl.patient(2).id, startTime=c.iso(14), assistantId=ana.id, **_other_seat(wl)
    )
    token = _offer_freed_14(wl)
    assert [h.assistant_id for h in _holds(db)] == [maya.id]  # Ana was busy when offered
    # Ana is free again before the patient accepts: they still get Maya, whom the offer kept.
    wl.cancel(busy["id"])
    accepted = wl.client.post(f"{PORTAL}/accept", json={"token": token})
    assert accepted.status_code == 201, accepted.text
    db.rollback()
    (booked,) = db.scalars(
        select(Appointment).where(
            Appointment.patient_id == wl.patient(1).id, Appointment.start_time == c.at(14)
        )
    )
    assert booked.assistant_id == maya.id
    assert _holds(db) == []  # released with the offer
