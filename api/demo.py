"""The demo clinic: a realistic orthodontic practice with three weeks of bookings.

Deterministic (seeded) so screenshots and walkthroughs look the same each time, and
idempotent: it is keyed by the demo admin's email and does nothing when that user exists.
Over 400 lines on purpose: it is data (staff, types, hours, patients, bookings) read top to
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
from api.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    AppointmentType,
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


TYPES = (
    TypeSpec("ADJ", "Adjustment", "#2e86de", 30, 20, 40, online=True, procedures=("ADJ",)),
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
    ),
    TypeSpec(
        "NPC",
        "New Patient Consult",
        "#27ae60",
        45,
        30,
        60,
        online=True,
        new_patients=True,
        procedures=("CONSULT",),
    ),
    TypeSpec("REP", "Bracket Repair", "#e67e22", 20, 15, 30, online=True, procedures=("REP",)),
    TypeSpec("DEB", "Debond", "#c0392b", 60, 45, 90, buffer_after=10, procedures=("DEB",)),
)


def _hours_for(weekday: int) -> list[tuple[time, time]]:
    return [MORNING, LATE_AFTERNOON if weekday == 3 else AFTERNOON]


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
            ("Emma Collins", "Orthodontic Therapist", "#9b59b6"),
        )
    ]
    chairs = [Chair(clinic_id=clinic.id, name=f"Chair {i}") for i in range(1, 7)]
    scanner = Room(clinic_id=clinic.id, name="Scanner Room", kind="scanner")
    session.add_all([*providers, *chairs, scanner])
    session.flush()

    types: dict[str, AppointmentType] = {}
    for spec in TYPES:
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
        )
    # Debonds and consults need an orthodontist, not the therapist.
    types["DEB"].providers = providers[:2]
    types["NPC"].providers = providers[:2]
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
                usual_provider_id=providers[i % 3].id,
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

    count = _book_three_weeks(
        session, rng, clinic, admin, today, tz, providers, chairs, scanner, types, patients
    )
    session.flush()
    return (
        f"Loaded the demo clinic '{clinic.name}' ({TIME_ZONE}): {len(providers)} providers, "
        f"{len(chairs)} chairs, 1 scanner room, {len(types)} appointment types, "
        f"{len(patients)} patients, {count} appointments.\n" + _logins()
    )


def _book_three_weeks(
    session: Session,
    rng: random.Random,
    clinic: Clinic,
    admin: User,
    today: date,
    tz: ZoneInfo,
    providers: list[Provider],
    chairs: list[Chair],
    scanner: Room,
    types: dict[str, AppointmentType],
    patients: list[Patient],
) -> int:
    """Greedy, overlap-free fill: each chair's day gets appointments with some free gaps."""
    busy: dict[str, list[tuple[datetime, datetime]]] = {}

    def free(key: str, start: datetime, end: datetime) -> bool:
        return all(end <= s or start >= e for s, e in busy.get(key, []))

    def hold(key: str, start: datetime, end: datetime) -> None:
        busy.setdefault(key, []).append((start, end))

    count = 0
    for offset in range(1, 22):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for chair_index, chair in enumerate(chairs):
            for block_start, block_end in _hours_for(day.weekday()):
                cursor = datetime.combine(day, block_start, tz)
                end_of_block = datetime.combine(day, block_end, tz)
                while True:
                    cursor += timedelta(minutes=rng.choice((0, 0, 10, 20, 40)))
                    in_adjustment_slot = chair_index < 2 and cursor.time() < time(10, 0)
                    code = (
                        "ADJ"
                        if in_adjustment_slot
                        else rng.choice(("ADJ", "ADJ", "ADJ", "REP", "NPC", "DEB"))
                    )
                    kind = types[code]
                    duration = kind.default_duration
                    end = cursor + timedelta(minutes=duration)
                    occupied_end = end + timedelta(minutes=kind.buffer_after)
                    if occupied_end > end_of_block:
                        break
                    if in_adjustment_slot and end.time() > time(10, 0):
                        cursor = datetime.combine(day, time(10, 0), tz)
                        continue
                    allowed = kind.providers or providers
                    provider = next(
                        (
                            p
                            for p in rng.sample(allowed, len(allowed))
                            if free(p.id, cursor, occupied_end)
                        ),
                        None,
                    )
                    patient = rng.choice(patients)
                    if provider is None or not free(patient.id, cursor, end):
                        cursor = end
                        continue
                    hold(provider.id, cursor, occupied_end)
                    hold(patient.id, cursor, end)
                    session.add(
                        Appointment(
                            clinic_id=clinic.id,
                            patient_id=patient.id,
                            start_time=cursor.astimezone(UTC),
                            end_time=end.astimezone(UTC),
                            duration=duration,
                            occupied_start=cursor.astimezone(UTC),
                            occupied_end=occupied_end.astimezone(UTC),
                            appointment_type_id=kind.id,
                            provider_id=provider.id,
                            chair_id=chair.id,
                            status=AppointmentStatus.SCHEDULED,
                            booked_by=admin.id,
                            source=rng.choice(list(AppointmentSource)),
                        )
                    )
                    count += 1
                    cursor = occupied_end
        # A few scans a day in the scanner room, with whichever provider is free.
        for hour in (9, 11, 14, 16):
            start = datetime.combine(day, time(hour, 0), tz)
            kind = types["SCAN"]
            end = start + timedelta(minutes=kind.default_duration)
            occupied_end = end + timedelta(minutes=kind.buffer_after)
            provider = next((p for p in providers if free(p.id, start, occupied_end)), None)
            patient = rng.choice(patients)
            if provider is None or not free(patient.id, start, end):
                continue
            hold(provider.id, start, occupied_end)
            hold(patient.id, start, end)
            session.add(
                Appointment(
                    clinic_id=clinic.id,
                    patient_id=patient.id,
                    start_time=start.astimezone(UTC),
                    end_time=end.astimezone(UTC),
                    duration=kind.default_duration,
                    occupied_start=start.astimezone(UTC),
                    occupied_end=occupied_end.astimezone(UTC),
                    appointment_type_id=kind.id,
                    provider_id=provider.id,
                    room_id=scanner.id,
                    booked_by=admin.id,
                )
            )
            count += 1
    return count


def _logins() -> str:
    return (
        f"Demo logins (password '{DEMO_PASSWORD}'): {DEMO_ADMIN}, frontdesk@brightside.example, "
        "provider@brightside.example, patient@brightside.example"
    )
