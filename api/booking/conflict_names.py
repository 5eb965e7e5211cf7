"""Provider conflicts that say where the doctor is needed (issue 13): "Dr Okafor is needed in
Chair 3 10:05-10:10 (Adjustment, Olivia Hart)", and assistant conflicts that say whom the
assistant is with: "Assistant Maya Lee is with Olivia Hart in Chair 3 10:00-10:20 (Adjustment)".

The engine names the busy appointment by id only (it knows no chairs' patients); staff reading
a refused booking, or the calendar's probe, need to know which chair the doctor is busy in and
for whom. Only for staff: a patient booking online never reads another patient's name. A
conflict with an appointment that needs its provider throughout (no pattern) keeps the engine's
wording, as before doctor time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.orm import Session

from api.core.crud import find_in_clinic
from api.models import Appointment, AppointmentType, Chair, Patient, Room
from solver.result import Violation

BUSY = " is busy "
NEEDED_BUT_BUSY = " but is busy "


def name_doctor_time(
    session: Session, clinic_id: str, violations: Sequence[Violation]
) -> list[Violation]:
    return [_named(session, clinic_id, v) for v in violations]


def _named(session: Session, clinic_id: str, violation: Violation) -> Violation:
    if violation.code != "resource_busy" or not violation.ref:
        return violation
    other = find_in_clinic(session, Appointment, violation.ref, clinic_id)
    if other is not None and other.assistant_id == violation.resource_id:
        return _assistant_with(session, violation, other)
    if other is None or other.provider_id != violation.resource_id:
        return violation  # a hold, or a chair or room conflict
    suffix = f" ({violation.ref})"
    message = violation.message.removesuffix(suffix)
    doctor_form = NEEDED_BUT_BUSY in message
    if not doctor_form and other.time_pattern is None:
        return violation
    head, _, busy = message.rpartition(NEEDED_BUT_BUSY if doctor_form else BUSY)
    where = _place(session, other)
    kind, patient = _type_name(session, other), _patient_name(session, other)
    whom = ", ".join(part for part in (kind, patient) if part)
    needed = f"is needed{' in ' + where if where else ''} {busy} ({whom})"
    text = f"{head} but {needed}" if doctor_form else f"{head} {needed}"
    return replace(violation, message=text)


def _place(session: Session, appointment: Appointment) -> str | None:
    if appointment.chair_id:
        chair = session.get(Chair, appointment.chair_id)
        return chair.name if chair else None
    if appointment.room_id:
        room = session.get(Room, appointment.room_id)
        return room.name if room else None
    return None


def _assistant_with(session: Session, violation: Violation, other: Appointment) -> Violation:
    message = violation.message.removesuffix(f" ({violation.ref})")
    head, found, busy = message.rpartition(BUSY)
    if not found:
        return violation
    patient, where, kind = (
        _patient_name(session, other),
        _place(session, other),
        _type_name(session, other),
    )
    text = (
        f"{head} is with {patient or 'another patient'}{' in ' + where if where else ''} {busy}"
        + (f" ({kind})" if kind else "")
    )
    return replace(violation, message=text)


def _type_name(session: Session, appointment: Appointment) -> str | None:
    kind = session.get(AppointmentType, appointment.appointment_type_id)
    return kind.name if kind else None


def _patient_name(session: Session, appointment: Appointment) -> str | None:
    patient = session.get(Patient, appointment.patient_id)
    return f"{patient.first_name} {patient.last_name}" if patient else None
