"""The portal and assistants: a patient books a type that needs an assistant and the booking gets
one the way a staff booking does, but nothing the patient reads names an assistant."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from api.models import Appointment, Assistant, ScheduleTemplate
from tests.api.portal.conftest import Portal
from tests.support.schedules import open_every_day


def test_a_patient_booking_gets_an_assistant_the_patient_never_sees(
    portal: Portal, db: Session
) -> None:
    c = portal.clinic
    maya = Assistant(clinic_id=c.world.clinic.id, name="Maya Lee")
    db.add(maya)
    db.flush()
    template = db.scalars(
        sa.select(ScheduleTemplate).where(ScheduleTemplate.clinic_id == c.world.clinic.id)
    ).one()
    open_every_day(template, [("assistant", maya.id)])
    c.adj.needs_assistant = True
    c.adj.new_patient_bookable = True  # so a guest may ask for it below
    db.commit()

    data = portal.slots(portal.patient, c.adj.id)
    slots = [s for day in data["days"] for s in day["slots"]]
    assert slots and not any("assistant" in key.lower() for s in slots for key in s)

    made = portal.book(portal.choice(c.adj.id, 11))
    assert made.status_code == 201, made.text
    assert not any("assistant" in key.lower() for key in made.json())
    db.rollback()
    stored = db.get(Appointment, made.json()["id"])
    assert stored is not None and stored.assistant_id == maya.id

    # Maya, the one assistant, is now with that patient: a guest is offered 11:00 no more,
    # though a chair and a doctor are free then.
    guest = portal.slots(portal.guest(), c.adj.id)
    starts = {s["startTime"] for day in guest["days"] for s in day["slots"]}
    assert c.iso(10, 30) in starts and c.iso(11) not in starts
