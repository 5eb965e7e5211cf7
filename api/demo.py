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
Its hours and the three weeks of bookings are in ``api.demo_bookings``, the waitlist in
``api.demo_waitlist``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.passwords import hash_password
from api.demo_bookings import (
    ASSISTANTS,
    CHAIRS_PER_DOCTOR,
    Staff,
    assistant_hours,
    book_three_weeks,
    hours_for,
)
from api.demo_waitlist import add_waitlist
from api.models import (
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
from solver.time_pattern import check_pattern

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
        for start, end in hours_for(weekday):
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
                for start, end in assistant_hours(weekday, week)
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
    count = book_three_weeks(session, rng, clinic, admin, today, tz, staff, types, patients)
    session.flush()
    waiting = add_waitlist(session, rng, clinic, admin, today, tz)
    session.flush()
    return (
        f"Loaded the demo clinic '{clinic.name}' ({TIME_ZONE}): {len(providers)} providers, "
        f"{len(chairs)} chairs, {len(assistants)} assistants, 1 scanner room, "
        f"{len(types)} appointment types with doctor time, "
        f"{len(patients)} patients, {count} appointments, {waiting} on the waitlist.\n" + _logins()
    )


def _logins() -> str:
    return (
        f"Demo logins (password '{DEMO_PASSWORD}'): {DEMO_ADMIN}, frontdesk@brightside.example, "
        "provider@brightside.example, patient@brightside.example"
    )
