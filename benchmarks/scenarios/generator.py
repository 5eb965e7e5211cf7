"""Seeded orthodontic demand: the clinic of a preset and a stream of requests at a demand load.

Demand load = requested minutes of the bottleneck over its working minutes: requests are drawn
until the provider time asked for (the ``D`` steps of a pattern, the whole appointment without
one) or the chair time asked for (and, in a clinic with assistants, the assistant time) reaches
``load`` times the providers' (chairs', assistants') working minutes, whichever comes first. At
0.9 the clinic could in principle see 90% of what is asked of it if every request fitted
perfectly. Without patterns provider time is the bottleneck of every preset,
so this is the same stream as "requested provider minutes / the smaller of provider and chair
working minutes". Only requests the clinic's calendar could serve count and are kept: a window
that the horizon's end cuts to days the clinic is closed or the patient cannot come (one opening
on the last Friday or weekend) asks nothing of the clinic's hours. Such draws are dropped without
counting (they were 18% of ``ortho`` at 100%, so "100%" asked for about 81%); every other request
is as it was drawn, with the same id.

``small``, ``medium`` and ``large`` (the mixed practices below) and ``ortho`` (a solo
orthodontist, at the end of this docstring) are the presets. ``medium`` and ``large`` carry
doctor-time patterns (``MIXED_PATTERNS``); ``small`` has none and stays the stream it always was.

Request mix (weights): adjustment 30 min (0.55), intraoral scan 20 min in a scanner room
(with a provider: the product books every appointment with one) then an adjustment 0-15 min
later (0.15), repair 20 min (0.12), consult 60 min (0.10, orthodontists only), debond 60 min
(0.08, orthodontists only). Patients: 55% school-age who can only come
after school (weekdays 15:00-18:00) or on Saturday, 15% school-age whose parents take them out of
school (any weekday time or Saturday), 30% adults (three weekdays of their choosing, any time).
(As drawn, the school-age patients' two blocks, 09:00-13:00 and 15:00-18:00, apply on every one of
their days, Monday to Saturday, so they can come on weekday mornings too; docs/planner.md notes
this and why it is not changed.) Each patient has a usual provider except for consults (new
patients). Requests arrive 1-21 days
before their window opens; windows last 5-14 days. 8% of bookings are cancelled later, 4% are
no-shows.

``ortho``: one orthodontist and five booked chair columns with an assistant each (a six-chair
clinic booking one column fewer than it has chairs, the usual advice), modelled as it reads: six
chairs and five assistants, every chair appointment holding one assistant for its whole length
(the engine's assistant resource kind), so at most five chairs are in use at once; one
records/scanner room,
weekdays 08:00-12:30 and 13:30-18:00, the same patient mix as above (so after school is the
peak), 100% demand load, two weeks. Its types and patterns (``ORTHO_TYPES``) follow published
practice figures, cited in docs/planner.md: adjustment 20 min with 5 min of doctor time
(0.68), bracket repair 20 min with 10 (0.08), records 30 min assistant-only in the records room
(0.06), new-patient exam 30 min all doctor (0.06), bond 90 min with 30 min of doctor time (0.06)
and debond 60 min with 25 (0.06).

The presets and seeds are fixed; policies are tuned against them, never the other way round.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
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
    patterns: bool = False  # the mixed practice's types with MIXED_PATTERNS
    practice: str = "mixed"  # "mixed" (orthodontists and therapists) or "ortho" (solo)
    assistants: int = 0  # ortho: each chair appointment holds one (none: not modelled)


PRESETS: dict[str, Preset] = {
    "small": Preset(orthodontists=1, therapists=1, chairs=3, scanners=1, weeks=2, seed=7),
    "medium": Preset(
        orthodontists=5, therapists=3, chairs=12, scanners=2, weeks=4, seed=11, patterns=True
    ),
    "large": Preset(
        orthodontists=14, therapists=10, chairs=40, scanners=5, weeks=4, seed=13, patterns=True
    ),
    "ortho": Preset(
        orthodontists=1,
        therapists=0,
        chairs=6,
        scanners=1,
        assistants=5,
        weeks=2,
        seed=17,
        load=1.0,
        practice="ortho",
    ),
}

# Doctor time of the mixed practice's types (lengths unchanged): the provider is needed for the
# middle of an adjustment or repair, all of a consult, at both ends of a debond, never for a scan.
MIXED_PATTERNS = {
    "adjustment": "AAADDA",
    "repair": "ADDA",
    "consult": "D" * 12,
    "debond": "AADDDAAAADDA",
    "scan": "AAAA",
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


Clinic = tuple[tuple[ResourceSpec, ...], tuple[TypeSpec, ...], tuple[SlotSpec, ...]]


def clinic(p: Preset) -> Clinic:
    if p.practice == "ortho":
        return ortho_clinic(p)
    providers = [
        ResourceSpec(
            f"prov-{i + 1}",
            "provider",
            standard_hours("provider", i),
            name=("Dr " if i < p.orthodontists else "Therapist ") + f"{i + 1}",
            role="orthodontist" if i < p.orthodontists else "therapist",
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
    if p.patterns:
        types = tuple(replace(t, time_pattern=MIXED_PATTERNS[t.id]) for t in types)
    # New-patient consults get Tuesday and Thursday mornings on the first chair: what most
    # practices reserve so that a new patient is never told "in five weeks".
    slots = tuple(
        SlotSpec(f"consult-{d}", d, _b("09:00", "10:30"), ("consult",), chair_id="chair-1")
        for d in (1, 3)
    )
    return (*providers, *chairs, *rooms), types, slots


ORTHO_DAY = (_b("08:00", "12:30"), _b("13:30", "18:00"))
# (type, weight): the solo practice's week, adjustments dominating as in every ortho schedule.
ORTHO_TYPES: tuple[tuple[TypeSpec, float], ...] = (
    (TypeSpec("adjustment", 20, "Adjustment", time_pattern="AADA"), 0.68),
    (TypeSpec("repair", 20, "Bracket repair", time_pattern="ADDA"), 0.08),
    (
        TypeSpec(
            "records",
            30,
            "Records (photos, scan, x-ray)",
            needs_chair=False,
            room_kind="records",
            time_pattern="AAAAAA",
        ),
        0.06,
    ),
    (TypeSpec("consult", 30, "New-patient exam", time_pattern="DDDDDD"), 0.06),
    (TypeSpec("bond", 90, "Bond (brackets on)", time_pattern="AAAA" + "D" * 6 + "A" * 8), 0.06),
    (TypeSpec("debond", 60, "Debond (brackets off)", time_pattern="AADDDAAAADDA"), 0.06),
)


def ortho_clinic(p: Preset) -> Clinic:
    """One orthodontist, ``p.chairs`` chairs, ``p.assistants`` assistants (each chair
    appointment holds one), a records room (records are taken there, as before, without one of
    the chairside assistants)."""
    week = dict.fromkeys(range(5), ORTHO_DAY)
    providers = [
        ResourceSpec(f"prov-{i + 1}", "provider", week, name=f"Dr {i + 1}", role="orthodontist")
        for i in range(p.orthodontists)
    ]
    chairs = [
        ResourceSpec(f"chair-{i + 1}", "chair", week, name=f"Chair {i + 1}")
        for i in range(p.chairs)
    ]
    rooms = [
        ResourceSpec(f"records-{i + 1}", "room", week, name="Records room", room_kind="records")
        for i in range(p.scanners)
    ]
    assistants = [
        ResourceSpec(f"asst-{i + 1}", "assistant", week, name=f"Assistant {i + 1}")
        for i in range(p.assistants)
    ]
    types = tuple(
        replace(t, needs_assistant=p.assistants > 0 and t.needs_chair) for t, _ in ORTHO_TYPES
    )
    return (*providers, *chairs, *rooms, *assistants), types, ()


VISITS: tuple[tuple[tuple[PartSpec, ...], float], ...] = (
    ((PartSpec("adjustment"),), 0.55),
    ((PartSpec("scan"), PartSpec("adjustment", 0, 15)), 0.15),
    ((PartSpec("repair"),), 0.12),
    ((PartSpec("consult"),), 0.10),
    ((PartSpec("debond"),), 0.08),
)


def visit_mix(p: Preset) -> tuple[tuple[tuple[PartSpec, ...], float], ...]:
    if p.practice == "ortho":
        return tuple(((PartSpec(t.id),), w) for t, w in ORTHO_TYPES)
    return VISITS


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


def _minutes(blocks: tuple[Block, ...]) -> int:
    """A day's blocks as a bitmask of its minutes."""
    mask = 0
    for b in blocks:
        a, z = b.start.hour * 60 + b.start.minute, b.end.hour * 60 + b.end.minute
        mask |= ((1 << (z - a)) - 1) << a
    return mask


def _can_come(
    resources: tuple[ResourceSpec, ...],
    parts: list[TypeSpec],
    earliest: date,
    latest: date,
    dow: tuple[int, ...],
    hours: tuple[Block, ...],
) -> bool:
    """Some day of the window has each part's length of time when the patient can come and a
    provider who may see them, a chair, a room of its kind and an assistant (as it needs) all
    work: the calendar alone, before anything is booked."""
    day = earliest
    while day <= latest:
        wd = day.weekday()
        if wd in dow and all(_fits(resources, t, wd, _minutes(hours)) for t in parts):
            return True
        day += timedelta(days=1)
    return False


def _fits(resources: tuple[ResourceSpec, ...], t: TypeSpec, weekday: int, patient: int) -> bool:
    def open_(kind: str, keep: Callable[[ResourceSpec], bool] = lambda r: True) -> int:
        mask = 0
        for r in resources:
            if r.kind == kind and keep(r):
                mask |= _minutes(r.hours.get(weekday, ()))
        return mask

    free = patient
    if t.needs_provider:
        free &= open_("provider", lambda r: not t.provider_ids or r.id in t.provider_ids)
    if t.needs_chair:
        free &= open_("chair")
    if t.room_kind:
        free &= open_("room", lambda r: r.room_kind == t.room_kind)
    if t.needs_assistant:
        free &= open_("assistant")
    run = free
    for _ in range(t.minutes - 1):
        run &= run >> 1
    return run != 0


def generate(
    name: str, *, weeks: int | None = None, load: float | None = None, seed: int | None = None
) -> Scenario:
    """The preset ``name`` (small, medium, large, ortho), optionally other weeks/load/seed."""
    if name not in PRESETS:
        raise ValueError(f"unknown scenario preset {name!r}; choose from {', '.join(PRESETS)}")
    p = PRESETS[name]
    weeks = weeks or p.weeks
    load = p.load if load is None else load
    seed = p.seed if seed is None else seed
    rng = random.Random(seed)
    resources, types, slots = clinic(p)
    by_id = {t.id: t for t in types}
    # Assistants count where a clinic has them: chair time is then capped by the assistants.
    kinds = ("provider", "chair", *(("assistant",) if p.assistants else ()))
    targets = {k: load * _capacity(resources, k) * weeks for k in kinds}
    providers = [r.id for r in resources if r.kind == "provider"]
    orthos = list(by_id["consult"].provider_ids) or providers
    days = 7 * weeks
    requests: list[Request] = []
    drawn = 0  # ids number every draw, so a request dropped below leaves the others as they were
    asked = dict.fromkeys(kinds, 0.0)
    mix = visit_mix(p)
    visits = [v for v, _ in mix]
    weights = [w for _, w in mix]
    while all(asked[k] < targets[k] for k in kinds):
        parts = rng.choices(visits, weights)[0]
        earliest = START + timedelta(days=rng.randrange(days))
        length = rng.randint(5, 14)
        latest = min(earliest + timedelta(days=length - 1), START + timedelta(days=days - 1))
        made_day = earliest - timedelta(days=rng.randint(1, 21))
        made_at = time(rng.randint(8, 17), rng.choice((0, 15, 30, 45)))
        dow, hours = _patient_window(rng)
        first = parts[0].type_id
        needs_ortho = any(by_id[q.type_id].provider_ids for q in parts)
        usual = None if first == "consult" else rng.choice(orthos if needs_ortho else providers)
        drawn += 1
        request = Request(
            id=f"r{drawn:05d}",
            patient_id=f"pat-{drawn:05d}",
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
        if not _can_come(
            resources, [by_id[q.type_id] for q in parts], earliest, latest, dow, hours
        ):
            # Cut by the horizon's end to days the clinic is closed or the patient cannot come
            # (a window opening on the last Friday or weekend): nobody could book it, so it is
            # not demand on the clinic's hours and does not count toward the load.
            continue
        for q in parts:
            t = by_id[q.type_id]
            asked["provider"] += sum(b - a for a, b in t.provider_runs())
            asked["chair"] += t.minutes if t.needs_chair else 0
            if "assistant" in asked:
                asked["assistant"] += t.minutes if t.needs_assistant else 0
        requests.append(request)
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
