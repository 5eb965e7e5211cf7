"""The demo clinic's staffing and its three weeks of bookings (api/demo.py builds the clinic).

The practice's hours, the assistants' weeks, and the greedy chair-by-chair fill that books the
demo's appointments the way an orthodontic day is built: no doctor needed in two chairs at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    AppointmentType,
    Assistant,
    Chair,
    Clinic,
    Patient,
    Provider,
    Room,
    User,
)
from solver.time_pattern import provider_held

MORNING = (time(8, 0), time(12, 30))
AFTERNOON = (time(13, 30), time(17, 30))
LATE_AFTERNOON = (time(13, 30), time(19, 0))  # Thursdays: after-school evening clinic

CHAIRS_PER_DOCTOR = 4
# Six assistants for eight chairs, as a busy practice staffs them; two work part of the week.
ASSISTANTS = (
    ("Maya Lee", "#f39c12", "full"),
    ("Priya Shah", "#d35400", "full"),
    ("Tom Reed", "#7f8c8d", "full"),
    ("Ellie Carter", "#9b59b6", "full"),
    ("Sam Osei", "#2c3e50", "afternoons"),
    ("Hannah Price", "#e84393", "mornings"),
)
# Long appointments before 15:00 keep the after-school hours for short ones (docs/planner.md).
AFTER_SCHOOL = time(15, 0)


def hours_for(weekday: int) -> list[tuple[time, time]]:
    return [MORNING, LATE_AFTERNOON if weekday == 3 else AFTERNOON]


def assistant_hours(weekday: int, week: str) -> list[tuple[time, time]]:
    morning, afternoon = hours_for(weekday)
    return {"full": [morning, afternoon], "mornings": [morning], "afternoons": [afternoon]}[week]


@dataclass(frozen=True)
class Staff:
    providers: list[Provider]
    chairs: list[Chair]
    scanner: Room
    assistants: list[Assistant]


def book_three_weeks(
    session: Session,
    rng: random.Random,
    clinic: Clinic,
    admin: User,
    today: date,
    tz: ZoneInfo,
    staff: Staff,
    types: dict[str, AppointmentType],
    patients: list[Patient],
) -> int:
    """Greedy fill, chair by chair: the chair is held for the whole appointment and its buffer,
    the doctor of the chair's bank only for the pattern's ``D`` runs, and no two of a doctor's
    runs overlap (the rule every ortho schedule is built around). A type that needs an assistant
    takes the first one working and free for the whole appointment and its buffer; with none
    free the chair waits, as it would in the practice."""
    providers, chairs, scanner = staff.providers, staff.chairs, staff.scanner
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    weeks = {a.id: week for a, (*_, week) in zip(staff.assistants, ASSISTANTS, strict=True)}

    def assistant_for(start: datetime, until: datetime) -> str | None:
        """The first assistant at work and free over [start, until); None when none is."""
        day = start.date()
        for assistant in staff.assistants:
            hours = assistant_hours(day.weekday(), weeks[assistant.id])
            at_work = any(
                datetime.combine(day, a, tz) <= start and until <= datetime.combine(day, z, tz)
                for a, z in hours
            )
            if at_work and free(assistant.id, [(start, until)]):
                return assistant.id
        return None

    def free(key: str, spans: list[tuple[datetime, datetime]]) -> bool:
        return all(e <= a or s >= z for a, z in spans for s, e in busy.get(key, []))

    def hold(key: str, spans: list[tuple[datetime, datetime]]) -> None:
        busy.setdefault(key, []).extend(spans)

    def doctor_time(kind: AppointmentType, start: datetime) -> list[tuple[datetime, datetime]]:
        runs = provider_held(kind.time_pattern, kind.default_duration, 0, kind.buffer_after)
        return [(start + timedelta(minutes=a), start + timedelta(minutes=z)) for a, z in runs]

    def book(
        kind: AppointmentType, start: datetime, provider: Provider, patient: Patient, **where: str
    ) -> None:
        end = start + timedelta(minutes=kind.default_duration)
        session.add(
            Appointment(
                clinic_id=clinic.id,
                patient_id=patient.id,
                start_time=start.astimezone(UTC),
                end_time=end.astimezone(UTC),
                duration=kind.default_duration,
                occupied_start=start.astimezone(UTC),
                occupied_end=(end + timedelta(minutes=kind.buffer_after)).astimezone(UTC),
                appointment_type_id=kind.id,
                provider_id=provider.id,
                time_pattern=kind.time_pattern,
                holds_provider=bool(doctor_time(kind, start)),
                status=AppointmentStatus.SCHEDULED,
                booked_by=admin.id,
                source=rng.choice(list(AppointmentSource)),
                **where,
            )
        )

    count = 0
    for offset in range(1, 22):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for chair_index, chair in enumerate(chairs):
            doctor = providers[chair_index // CHAIRS_PER_DOCTOR]
            for block_start, block_end in hours_for(day.weekday()):
                cursor = datetime.combine(day, block_start, tz)
                end_of_block = datetime.combine(day, block_end, tz)
                while cursor < end_of_block:
                    cursor += timedelta(minutes=rng.choice((0, 0, 0, 5, 10)))
                    in_adjustment_slot = chair_index < 2 and cursor.time() < time(10, 0)
                    if in_adjustment_slot or cursor.time() >= AFTER_SCHOOL:
                        code = rng.choice(("ADJ", "ADJ", "ADJ", "ADJ", "REP"))
                    else:
                        code = rng.choice(("ADJ", "ADJ", "ADJ", "REP", "NPC", "DEB", "BOND"))
                    kind = types[code]
                    end = cursor + timedelta(minutes=kind.default_duration)
                    occupied_end = end + timedelta(minutes=kind.buffer_after)
                    if occupied_end > end_of_block:
                        if code == "ADJ":
                            break
                        continue  # a shorter type may still fit before the block ends
                    if in_adjustment_slot and end.time() > time(10, 0):
                        cursor = datetime.combine(day, time(10, 0), tz)
                        continue
                    patient = rng.choice(patients)
                    runs = doctor_time(kind, cursor)
                    helper = assistant_for(cursor, occupied_end)
                    if (
                        not free(doctor.id, runs)
                        or not free(patient.id, [(cursor, end)])
                        or (kind.needs_assistant and helper is None)
                    ):
                        # The doctor is busy in another chair then, or every assistant is
                        # with a patient: the chair waits 5 minutes.
                        cursor += timedelta(minutes=5)
                        continue
                    hold(doctor.id, runs)
                    hold(patient.id, [(cursor, end)])
                    where = {"chair_id": chair.id}
                    if kind.needs_assistant and helper is not None:
                        hold(helper, [(cursor, occupied_end)])
                        where["assistant_id"] = helper
                    book(kind, cursor, doctor, patient, **where)
                    count += 1
                    cursor = occupied_end
        # A few scans a day in the scanner room: assistant time, the doctor only recorded.
        for hour in (9, 11, 14, 16):
            start = datetime.combine(day, time(hour, 0), tz)
            kind = types["SCAN"]
            end = start + timedelta(minutes=kind.default_duration)
            patient = rng.choice(patients)
            until = end + timedelta(minutes=kind.buffer_after)
            helper = assistant_for(start, until)
            if not free(patient.id, [(start, end)]) or helper is None:
                continue
            hold(patient.id, [(start, end)])
            hold(helper, [(start, until)])
            doctor = patient_doctor(providers, patient)
            book(kind, start, doctor, patient, room_id=scanner.id, assistant_id=helper)
            count += 1
    return count


def patient_doctor(providers: list[Provider], patient: Patient) -> Provider:
    """The patient's usual orthodontist, the responsible provider of an assistant-only visit."""
    return next((p for p in providers if p.id == patient.usual_provider_id), providers[0])
