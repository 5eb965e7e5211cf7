"""Seeded orthodontic demand: the clinic of a preset and a stream of requests at a demand load.

Demand load = requested provider minutes over the horizon / the clinic's bottleneck capacity
(the smaller of provider and chair working minutes): at 0.9 the clinic could in principle see
90% of what is asked of it if every request fitted perfectly.

Request mix (weights): adjustment 30 min (0.55), intraoral scan 20 min in a scanner room
(with a provider: the product books every appointment with one) then an adjustment 0-15 min
later (0.15), repair 20 min (0.12), consult 60 min (0.10, orthodontists only), debond 60 min
(0.08, orthodontists only). Patients: 55% school-age who can only come
after school (weekdays 15:00-18:00) or on Saturday, 15% school-age whose parents take them out of
school (any weekday time or Saturday), 30% adults (three weekdays of their choosing, any time).
Each patient has a usual provider except for consults (new patients). Requests arrive 1-21 days
before their window opens; windows last 5-14 days. 8% of bookings are cancelled later, 4% are
no-shows.

The presets and seeds are fixed; policies are tuned against them, never the other way round.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from benchmarks.scenarios.model import (
    Block,
    Hours,
    PartSpec,
    Request,
    ResourceSpec,
    Scenario,
    SlotSpec,
    TypeSpec,
)

START = date(2026, 1, 5)  # a Monday; four weeks stay clear of the DST change
TIME_ZONE = "Europe/London"


@dataclass(frozen=True)
class Preset:
    orthodontists: int
    therapists: int
    chairs: int
    scanners: int
    weeks: int
    seed: int
    load: float = 0.9


PRESETS: dict[str, Preset] = {
    "small": Preset(orthodontists=1, therapists=1, chairs=3, scanners=1, weeks=2, seed=7),
    "medium": Preset(orthodontists=5, therapists=3, chairs=12, scanners=2, weeks=4, seed=11),
    "large": Preset(orthodontists=14, therapists=10, chairs=40, scanners=5, weeks=4, seed=13),
}


def _b(a: str, b: str) -> Block:
    h1, m1 = map(int, a.split(":"))
    h2, m2 = map(int, b.split(":"))
    return Block(time(h1, m1), time(h2, m2))


def standard_hours(kind: str, index: int) -> Hours:
    """Chairs open 08:00-18:00 weekdays and Saturday morning; providers work 8 h with lunch.

    Every third provider works a late shift (10:00-13:00, 14:00-19:00) and every fourth a
    Saturday morning, so some capacity meets the after-school crowd.
    """
    week: Hours
    if kind in ("chair", "room"):
        week = dict.fromkeys(range(5), (_b("08:00", "18:00"),))
        week[5] = (_b("09:00", "13:00"),)
        return week
    late = index % 3 == 2
    day = (
        (_b("10:00", "13:00"), _b("14:00", "19:00"))
        if late
        else (_b("08:30", "12:30"), _b("13:30", "17:30"))
    )
    week = dict.fromkeys(range(5), day)
    if index % 4 == 3:
        week[5] = (_b("09:00", "13:00"),)
    return week


def clinic(
    p: Preset,
) -> tuple[tuple[ResourceSpec, ...], tuple[TypeSpec, ...], tuple[SlotSpec, ...]]:
    providers = [
        ResourceSpec(
            f"prov-{i + 1}",
            "provider",
            standard_hours("provider", i),
            name=("Dr " if i < p.orthodontists else "Therapist ") + f"{i + 1}",
        )
        for i in range(p.orthodontists + p.therapists)
    ]
    chairs = [
        ResourceSpec(f"chair-{i + 1}", "chair", standard_hours("chair", i), name=f"Chair {i + 1}")
        for i in range(p.chairs)
    ]
    rooms = [
        ResourceSpec(
            f"scanner-{i + 1}",
            "room",
            standard_hours("room", i),
            name=f"Scanner {i + 1}",
            room_kind="scanner",
        )
        for i in range(p.scanners)
    ]
    orthos = tuple(r.id for r in providers[: p.orthodontists])
    types = (
        TypeSpec("adjustment", 30, "Adjustment"),
        TypeSpec("repair", 20, "Repair"),
        TypeSpec("consult", 60, "New-patient consult", provider_ids=orthos),
        TypeSpec("debond", 60, "Debond", provider_ids=orthos),
        TypeSpec(
            "scan",
            20,
            "Intraoral scan",
            needs_chair=False,
            room_kind="scanner",
        ),
    )
    # New-patient consults get Tuesday and Thursday mornings on the first chair: what most
    # practices reserve so that a new patient is never told "in five weeks".
    slots = tuple(
        SlotSpec(f"consult-{d}", d, _b("09:00", "10:30"), ("consult",), chair_id="chair-1")
        for d in (1, 3)
    )
    return (*providers, *chairs, *rooms), types, slots


VISITS: tuple[tuple[tuple[PartSpec, ...], float], ...] = (
    ((PartSpec("adjustment"),), 0.55),
    ((PartSpec("scan"), PartSpec("adjustment", 0, 15)), 0.15),
    ((PartSpec("repair"),), 0.12),
    ((PartSpec("consult"),), 0.10),
    ((PartSpec("debond"),), 0.08),
)


def _capacity(resources: tuple[ResourceSpec, ...], kind: str) -> int:
    """Working minutes of one week."""
    return sum(
        b.minutes for r in resources if r.kind == kind for bs in r.hours.values() for b in bs
    )


def _patient_window(rng: random.Random) -> tuple[tuple[int, ...], tuple[Block, ...]]:
    u = rng.random()
    if u < 0.55:
        return (0, 1, 2, 3, 4, 5), (_b("15:00", "18:00"), _b("09:00", "13:00"))
    if u < 0.70:
        return (0, 1, 2, 3, 4, 5), (_b("08:00", "18:00"),)
    return tuple(sorted(rng.sample(range(5), 3))), (_b("08:00", "18:00"),)


def generate(
    name: str, *, weeks: int | None = None, load: float | None = None, seed: int | None = None
) -> Scenario:
    """The preset ``name`` (small, medium, large), optionally with other weeks/load/seed."""
    if name not in PRESETS:
        raise ValueError(f"unknown scenario preset {name!r}; choose from {', '.join(PRESETS)}")
    p = PRESETS[name]
    weeks = weeks or p.weeks
    load = p.load if load is None else load
    seed = p.seed if seed is None else seed
    rng = random.Random(seed)
    resources, types, slots = clinic(p)
    by_id = {t.id: t for t in types}
    week_capacity = min(_capacity(resources, "provider"), _capacity(resources, "chair"))
    target = load * week_capacity * weeks
    providers = [r.id for r in resources if r.kind == "provider"]
    orthos = list(by_id["consult"].provider_ids)
    days = 7 * weeks
    requests: list[Request] = []
    asked = 0.0
    visits = [v for v, _ in VISITS]
    weights = [w for _, w in VISITS]
    while asked < target:
        parts = rng.choices(visits, weights)[0]
        asked += sum(by_id[q.type_id].minutes for q in parts if by_id[q.type_id].needs_provider)
        earliest = START + timedelta(days=rng.randrange(days))
        length = rng.randint(5, 14)
        latest = min(earliest + timedelta(days=length - 1), START + timedelta(days=days - 1))
        made_day = earliest - timedelta(days=rng.randint(1, 21))
        made_at = time(rng.randint(8, 17), rng.choice((0, 15, 30, 45)))
        dow, hours = _patient_window(rng)
        first = parts[0].type_id
        needs_ortho = any(by_id[q.type_id].provider_ids for q in parts)
        usual = None if first == "consult" else rng.choice(orthos if needs_ortho else providers)
        n = len(requests) + 1
        requests.append(
            Request(
                id=f"r{n:05d}",
                patient_id=f"pat-{n:05d}",
                made_at=datetime.combine(made_day, made_at)
                .replace(tzinfo=ZoneInfo(TIME_ZONE))
                .astimezone(UTC),
                parts=parts,
                earliest=earliest,
                latest=latest,
                days=dow,
                hours=hours,
                usual_provider_id=usual,
                cancel_fraction=round(rng.uniform(0.1, 0.9), 3) if rng.random() < 0.08 else None,
                no_show=rng.random() < 0.04,
            )
        )
    requests.sort(key=lambda q: (q.made_at, q.id))
    return Scenario(
        name=name,
        seed=seed,
        time_zone=TIME_ZONE,
        start=START,
        weeks=weeks,
        resources=resources,
        types=types,
        requests=tuple(requests),
        template_slots=slots,
        load=load,
    )
