"""The demo clinic's waitlist: patients booked in the third week who would rather come sooner.

A full practice always has a few ("Sooner if possible" in Ortho2 Edge, Open Dental's ASAP
list), so a cancellation in the demo calendar's first weeks shows who could take the freed
time. Each entry asks for what its later booking is (type, duration), with the windows real
patients give: most any time, school-age patients after school, some only on certain weekdays.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Appointment, AppointmentStatus, Clinic, User
from api.models.waitlist import WaitlistEntry, WaitlistSource, WaitlistStatus
from api.waitlist.entries import parts_of_booking

WAITING = 12
NOTES = (
    "Can come at short notice",
    "Prefers mornings in the holidays",
    "Mum can drive any afternoon",
    None,
    "Wire poking; sooner would help",
    None,
)


def add_waitlist(
    session: Session, rng: random.Random, clinic: Clinic, admin: User, today: date, tz: ZoneInfo
) -> int:
    """Puts up to ``WAITING`` patients with a booking 15-21 days ahead on the waitlist."""
    from_ = datetime.combine(today + timedelta(days=15), time(0), tz).astimezone(UTC)
    later = session.scalars(
        select(Appointment)
        .where(
            Appointment.clinic_id == clinic.id,
            Appointment.status == AppointmentStatus.SCHEDULED,
            Appointment.start_time >= from_,
            Appointment.chair_id.is_not(None),
        )
        .order_by(Appointment.start_time, Appointment.id)
    ).all()
    seen: set[str] = set()
    count = 0
    now = datetime.now(UTC)
    for appt in rng.sample(list(later), len(later)):
        if appt.patient_id in seen:
            continue
        seen.add(appt.patient_id)
        parts = parts_of_booking(session, appt)
        window = rng.choice(("any", "any", "after-school", "weekdays"))
        session.add(
            WaitlistEntry(
                clinic_id=clinic.id,
                patient_id=appt.patient_id,
                appointment_type_id=parts[0]["appointmentTypeId"],
                parts=parts,
                weekdays=sorted(rng.sample(range(5), 3)) if window == "weekdays" else None,
                earliest_time=time(15, 30) if window == "after-school" else None,
                priority=rng.choice((0, 0, 0, 1, 2)),
                notes=rng.choice(NOTES),
                replaces_appointment_id=appt.id,
                status=WaitlistStatus.WAITING,
                source=rng.choice(list(WaitlistSource)),
                created_by=admin.id,
                # Waiting a while already, so "time waited" ranks them apart.
                created_at=now - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8)),
            )
        )
        count += 1
        if count == WAITING:
            break
    return count
