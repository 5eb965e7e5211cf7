"""The demo clinic: a realistic orthodontic practice with three weeks of bookings.

Brightside runs the way orthodontic practices schedule (docs/planner.md cites the figures): two
orthodontists, eight chairs, six chairside assistants (two of them part-time), a scanner room,
and a doctor-time pattern on every type (``D`` the orthodontist is needed, ``A`` the assistant
works alone, per 5 minutes). Each doctor runs a bank of four chairs: while an assistant seats a
patient and changes wires, the doctor checks and adjusts in another chair, and is never needed
in two chairs at once. Every chairside type and the scan need an assistant for the whole
appointment, so with fewer assistants than chairs a chair stands empty when all are busy.

Deterministic (seeded) so screenshots and walkthroughs look the same each time, and
idempotent: it is keyed by the demo admin's email and does nothing when that user exists.
Over 500 lines on purpose: it is data (staff, types, hours, patients, bookings) read top to
bottom like the clinic it describes; no logic lives here that a booking depends on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.passwords import hash_password
from api.demo_waitlist import add_waitlist
from api.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    AppointmentType,
    Assistant,
    Chair,
    Clinic,
    Patient,
    PlannedProcedure,
    Provider,
    Room,
    ScheduleTemplate,
    TemplateSlot,
    TreatmentPlan,
    User,
    WorkingHours,
)
from solver.time_pattern import check_pattern, provider_held

DEMO_ADMIN = "admin@brightside.example"
DEMO_PASSWORD = "slotwise-demo"  # a published demo login, shown on screen by `make demo`
TIME_ZONE = "Europe/London"
SEED = 20261124

FIRST_NAMES = [
    "Olivia",
    "Noah",
    "Amelia",
    "Leo",
    "Isla",
    "Oliver",
    "Ava",
    "Arthur",
    "Mia",
    "George",
    "Ivy",
    "Freddie",
    "Lily",
    "Theo",
    "Freya",
    "Oscar",
    "Sophia",
    "Harry",
    "Grace",
    "Jack",
    "Aisha",
    "Mohammed",
    "Zara",
    "Yusuf",
    "Chloe",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Khan",
    "Clarke",
    "Lewis",
    "Hughes",
    "Ahmed",
    "Edwards",
    "Murphy",
]

MORNING = (time(8, 0), time(12, 30))
AFTERNOON = (time(13, 30), time(17, 30))
LATE_AFTERNOON = (time(13, 30), time(19, 0))  # Thursdays: after-school evening clinic


@dataclass(frozen=True)
class TypeSpec:
    code: str
    name: str
    color: str
    default: int
    low: int
    high: int
    online: bool = False
    new_patients: bool = False
    needs_chair: bool = True
    room_kind: str | None = None
    buffer_after: int = 0
    procedures: tuple[str, ...] = ()
    pattern: str = ""  # doctor time, one D/A per 5 minutes of ``default``
    # Chairside work and scans; a consult is the orthodontist with the family, no assistant.
    assistant: bool = True


TYPES = (
    # Assistant seats and unties (10 min), the doctor checks and adjusts (5), assistant ties in.
    TypeSpec(
        "ADJ", "Adjustment", "#2e86de", 20, 15, 30, online=True, procedures=("ADJ",), pattern="AADA"
    ),
    # Scans and records are assistant work: the provider is recorded, not held.
    TypeSpec(
        "SCAN",
        "Intraoral Scan",
        "#8e44ad",
        20,
        15,
        30,
        needs_chair=False,
        room_kind="scanner",
        buffer_after=5,
        procedures=("SCAN",),
        pattern="AAAA",
    ),
    TypeSpec(
        "NPC",
        "New Patient Consult",
        "#27ae60",
        30,
        30,
        60,
        online=True,
        new_patients=True,
        procedures=("CONSULT",),
        pattern="DDDDDD",
        assistant=False,
    ),
    TypeSpec(
        "REP",
        "Bracket Repair",
        "#e67e22",
        20,
        15,
        30,
        online=True,
        procedures=("REP",),
        pattern="ADDA",
    ),
    # Brackets off by the doctor, assistant cleans up and scans for retainers, doctor checks.
    TypeSpec(
        "DEB",
        "Debond",
        "#c0392b",
        60,
        45,
        90,
        buffer_after=10,
        procedures=("DEB",),
        pattern="AADDDAAAADDA",
    ),
    # Assistant preps and isolates, the doctor places every bracket, assistant fits the wires.
    TypeSpec(
        "BOND",
        "Bond",
        "#16a085",
        90,
        60,
        120,
        procedures=("BOND",),
        pattern="AAAA" + "D" * 6 + "A" * 8,
    ),
)
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


def _hours_for(weekday: int) -> list[tuple[time, time]]:
    return [MORNING, LATE_AFTERNOON if weekday == 3 else AFTERNOON]


def _assistant_hours(weekday: int, week: str) -> list[tuple[time, time]]:
    morning, afternoon = _hours_for(weekday)
    return {"full": [morning, afternoon], "mornings": [morning], "afternoons": [afternoon]}[week]


def load_demo(session: Session, today: date | None = None) -> str:
    if session.scalar(select(User.id).where(User.email == DEMO_ADMIN)):
        return "The demo clinic is already loaded; nothing was added.\n" + _logins()
    rng = random.Random(SEED)
    tz = ZoneInfo(TIME_ZONE)
    today = today or datetime.now(tz).date()

    clinic = Clinic(
        name="Brightside Orthodontics",
        time_zone=TIME_ZONE,
        min_lead_time_minutes=120,
        late_cancel_window_hours=24,
        late_cancel_fee_amount=Decimal("25.00"),
        late_cancel_fee_currency="GBP",
        slot_granularity_minutes=5,
        max_horizon_days=90,
        website_origins=["http://127.0.0.1:8000", "http://localhost:8000"],
    )
    session.add(clinic)
    session.flush()

    providers = [
        Provider(clinic_id=clinic.id, name=n, title=t, color=c)
        for n, t, c in (
            ("Dr Sarah Okafor", "Orthodontist", "#1abc9c"),
            ("Dr James Whitfield", "Orthodontist", "#3498db"),
        )
    ]
    chairs = [
        Chair(clinic_id=clinic.id, name=f"Chair {i}")
        for i in range(1, CHAIRS_PER_DOCTOR * len(providers) + 1)
    ]
    scanner = Room(clinic_id=clinic.id, name="Scanner Room", kind="scanner")
    assistants = [Assistant(clinic_id=clinic.id, name=n, color=c) for n, c, _ in ASSISTANTS]
    session.add_all([*providers, *chairs, scanner, *assistants])
    session.flush()

    types: dict[str, AppointmentType] = {}
    for spec in TYPES:
        check_pattern(spec.pattern, spec.default)  # the API's own rule for a type's pattern
        types[spec.code] = AppointmentType(
            clinic_id=clinic.id,
            name=spec.name,
            code=spec.code,
            color=spec.color,
            default_duration=spec.default,
            min_duration=spec.low,
            max_duration=spec.high,
            online_bookable=spec.online,
            new_patient_bookable=spec.new_patients,
            needs_chair=spec.needs_chair,
            room_kind=spec.room_kind,
            buffer_after=spec.buffer_after,
            procedure_codes=list(spec.procedures),
            time_pattern=spec.pattern,
            needs_assistant=spec.assistant,
        )
    session.add_all(types.values())
    session.flush()

    template = ScheduleTemplate(clinic_id=clinic.id, name="Standard week", active=True)
    for weekday in range(5):
        for start, end in _hours_for(weekday):
            for kind, ids in (
                ("provider", [p.id for p in providers]),
                ("chair", [c.id for c in chairs]),
                ("room", [scanner.id]),
            ):
                template.working_hours.extend(
                    WorkingHours(
                        resource_type=kind,
                        resource_id=rid,
                        weekday=weekday,
                        start_time=start,
                        end_time=end,
                    )
                    for rid in ids
                )
        for assistant, (*_, week) in zip(assistants, ASSISTANTS, strict=True):
            template.working_hours.extend(
                WorkingHours(
                    resource_type="assistant",
                    resource_id=assistant.id,
                    weekday=weekday,
                    start_time=start,
                    end_time=end,
                )
                for start, end in _assistant_hours(weekday, week)
            )
        # Mornings on chairs 1-2 are kept for adjustments, the bread and butter of the week.
        template.template_slots.extend(
            TemplateSlot(
                name=f"Adjustments AM ({chair.name})",
                weekday=weekday,
                start_time=time(8, 0),
                end_time=time(10, 0),
                chair_id=chair.id,
                appointment_type_ids=[types["ADJ"].id],
            )
            for chair in chairs[:2]
        )
    session.add(template)
    session.flush()

    patients = []
    for i in range(50):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = LAST_NAMES[(i * 7) % len(LAST_NAMES)]
        patients.append(
            Patient(
                clinic_id=clinic.id,
                first_name=first,
                last_name=last,
                date_of_birth=date(
                    2008 + rng.randint(0, 8), rng.randint(1, 12), rng.randint(1, 28)
                ),
                email=f"{first}.{last}.{i}@example.com".lower(),
                phone=f"07700 900{i:03d}",
                usual_provider_id=providers[i % len(providers)].id,
            )
        )
    session.add_all(patients)
    session.flush()

    for patient in patients[:20]:
        plan = TreatmentPlan(
            clinic_id=clinic.id, patient_id=patient.id, name="Fixed appliance treatment"
        )
        for seq, (name, code, tcode) in enumerate(
            (
                ("Intraoral scan", "SCAN", "SCAN"),
                ("Bond", "BOND", "BOND"),
                ("Adjustment 1", "ADJ", "ADJ"),
                ("Adjustment 2", "ADJ", "ADJ"),
                ("Debond", "DEB", "DEB"),
            )
        ):
            plan.procedures.append(
                PlannedProcedure(
                    sequence=seq, name=name, code=code, appointment_type_id=types[tcode].id
                )
            )
        session.add(plan)
    session.flush()

    admin = User(
        clinic_id=clinic.id,
        email=DEMO_ADMIN,
        password_hash=hash_password(DEMO_PASSWORD),
        role="admin",
        full_name="Practice Manager",
    )
    session.add_all(
        [
            admin,
            User(
                clinic_id=clinic.id,
                email="frontdesk@brightside.example",
                password_hash=hash_password(DEMO_PASSWORD),
                role="frontdesk",
                full_name="Reception",
            ),
            User(
                clinic_id=clinic.id,
                email="provider@brightside.example",
                password_hash=hash_password(DEMO_PASSWORD),
                role="provider",
                full_name=providers[0].name,
                provider_id=providers[0].id,
            ),
            User(
                clinic_id=clinic.id,
                email="patient@brightside.example",
                password_hash=hash_password(DEMO_PASSWORD),
                role="patient",
                full_name=f"{patients[0].first_name} {patients[0].last_name}",
                patient_id=patients[0].id,
            ),
        ]
    )
    session.flush()

    staff = Staff(providers, chairs, scanner, assistants)
    count = _book_three_weeks(session, rng, clinic, admin, today, tz, staff, types, patients)
    session.flush()
    waiting = add_waitlist(session, rng, clinic, admin, today, tz)
    session.flush()
    return (
        f"Loaded the demo clinic '{clinic.name}' ({TIME_ZONE}): {len(providers)} providers, "
        f"{len(chairs)} chairs, {len(assistants)} assistants, 1 scanner room, "
        f"{len(types)} appointment types with doctor time, "
        f"{len(patients)} patients, {count} appointments, {waiting} on the waitlist.\n" + _logins()
    )


@dataclass(frozen=True)
class Staff:
    providers: list[Provider]
    chairs: list[Chair]
    scanner: Room
    assistants: list[Assistant]


def _book_three_weeks(
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
            hours = _assistant_hours(day.weekday(), weeks[assistant.id])
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
            for block_start, block_end in _hours_for(day.weekday()):
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


def _logins() -> str:
    return (
        f"Demo logins (password '{DEMO_PASSWORD}'): {DEMO_ADMIN}, frontdesk@brightside.example, "
        "provider@brightside.example, patient@brightside.example"
    )
