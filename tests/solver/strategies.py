"""Hypothesis strategies: small random clinics around DST dates, with 1-3 part visits.

Types and parts carry random doctor-time patterns (None, random D/A, all-A); with one or two
providers, parts of one visit often share a provider, with and without ``same_provider``.
Clinics have 0-3 assistants; types may need one (qualified or any), parts may pin one, and a
type may need an assistant in a clinic that has none (nothing is then bookable).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from solver.problem import (
    AppointmentTypeSpec,
    BookingPolicy,
    BusyInterval,
    Clinic,
    LocalBlock,
    Preferences,
    Resource,
    ResourceKind,
    SlotQuery,
    TemplateSlot,
    Visit,
    VisitPart,
    WeeklyHours,
)

ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "UTC"]
BOUNDS = [
    time(0),
    time(0, 30),
    time(1),
    time(1, 30),
    time(2),
    time(2, 15),
    time(2, 30),
    time(3),
    time(7),
    time(8),
    time(9),
    time(10, 30),
    time(12),
    time(13),
    time(16),
    time(17),
    time(21),
    time(22),
    time(23),
    time(23, 45),
]


@cache
def transitions(tz_name: str) -> list[date]:
    """Dates of 2026 whose local day is not 24 hours long."""
    tz = ZoneInfo(tz_name)
    out = []
    d = date(2026, 1, 1)
    while d.year == 2026:
        a = datetime.combine(d, time(), tzinfo=tz).astimezone(UTC)
        b = datetime.combine(d + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
        if b - a != timedelta(days=1):
            out.append(d)
        d += timedelta(days=1)
    return out


TYPICAL = [
    (LocalBlock(time(8), time(12)), LocalBlock(time(13), time(17))),
    (LocalBlock(time(7), time(22)),),
    (LocalBlock(time(0), time(23, 45)),),
    (LocalBlock(time(0, 30), time(3)), LocalBlock(time(9), time(17))),
    (LocalBlock(time(1), time(2)), LocalBlock(time(2), time(12))),
    (LocalBlock(time(23), time(23, 45)),),
]


# Strategies are built once here, not inside each draw: a strategy built from a list is new
# every time and validated on its first draw, which cost more than the engine and the oracle
# together. The same strategies draw the same clinics.
_TYPICAL = st.sampled_from(TYPICAL)
_BOUND_LISTS = st.lists(st.sampled_from(BOUNDS), min_size=2, max_size=4)


@st.composite
def blocks(draw: st.DrawFn) -> tuple[LocalBlock, ...]:
    if draw(st.integers(0, 2)):
        return draw(_TYPICAL)
    pts = sorted(set(draw(_BOUND_LISTS)))
    return tuple(LocalBlock(a, b) for a, b in zip(pts[::2], pts[1::2], strict=False))


BLOCKS = blocks()
SLOT_BLOCKS = (
    st.sampled_from([(LocalBlock(time(9), time(10)),), (LocalBlock(time(1), time(3)),)]) | BLOCKS
)
_PATTERN_KINDS = {
    True: st.sampled_from(["none", "none", "none", "random", "random", "assistant"]),
    False: st.sampled_from(["random", "random", "assistant"]),
}
_STEP = st.sampled_from("DAA")


@st.composite
def patterns(draw: st.DrawFn, minutes: int, allow_none: bool = True) -> str | None:
    """None (whole-span provider time) half the time, else D/A per 5 minutes, all-A included."""
    steps = -(-minutes // 5)
    kind = draw(_PATTERN_KINDS[allow_none])
    if kind == "none":
        return None
    if kind == "assistant":
        return "A" * steps
    return "".join(draw(st.lists(_STEP, min_size=steps, max_size=steps)))


@st.composite
def queries(draw: st.DrawFn, max_parts: int = 3, one_doctor: bool = False) -> SlotQuery:
    """A random query; ``one_doctor``: one provider whom every type needs, 2-3 part visits with
    short gaps and long buffers, so parts compete for the doctor and only the runs tell."""
    tz_name = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(tz_name)
    day = draw(st.sampled_from([*transitions(tz_name), date(2026, 6, 10), date(2026, 1, 14)]))
    g = draw(st.sampled_from([15] if one_doctor else [15, 30, 60]))

    def at(d: date, minutes: int) -> datetime:
        return datetime.combine(d, time(), tzinfo=tz).astimezone(UTC) + timedelta(minutes=minutes)

    def busy(prefix: str) -> tuple[BusyInterval, ...]:
        out = []
        for n in range(draw(st.integers(0, 1 if one_doctor else 3))):
            start = at(day, draw(st.integers(-2 * 60, 30 * 60)) // 5 * 5)
            out.append(
                BusyInterval(
                    start,
                    start + timedelta(minutes=draw(st.sampled_from([5, 15, 20, 30, 45, 60, 120]))),
                    f"{prefix}-b{n}",
                )
            )
        return tuple(out)

    def hours() -> WeeklyHours:
        if one_doctor:  # long days: what decides is the doctor, not closing time
            return WeeklyHours(dict.fromkeys(range(7), draw(st.sampled_from(TYPICAL[:3]))))
        if shared is not None and draw(st.integers(0, 3)):
            return shared
        return hours_of(draw)

    def hours_of(draw: st.DrawFn) -> WeeklyHours:
        if draw(st.booleans()):
            same = draw(BLOCKS)
            weekly = dict.fromkeys(range(7), same)
        else:
            weekly = {wd: draw(BLOCKS) for wd in range(7)}
        exceptions = {}
        if draw(st.booleans()) and draw(st.booleans()):
            exceptions[day] = draw(BLOCKS) if draw(st.booleans()) else ()
        return WeeklyHours(weekly, exceptions)

    shared = hours_of(draw) if draw(st.booleans()) else None
    n_prov = 1 if one_doctor else draw(st.integers(1, 2))
    n_chair = 2 if one_doctor else draw(st.integers(1, 2))
    n_room = 0 if one_doctor else draw(st.integers(0, 2))
    n_assistant = draw(st.integers(0, 2 if one_doctor else 3))
    resources = []
    for i in range(n_prov):
        resources.append(Resource(f"p{i}", ResourceKind.PROVIDER, hours(), busy(f"p{i}")))
    for i in range(n_chair):
        resources.append(Resource(f"c{i}", ResourceKind.CHAIR, hours(), busy(f"c{i}")))
    for i in range(n_room):
        resources.append(
            Resource(
                f"r{i}",
                ResourceKind.ROOM,
                hours(),
                busy(f"r{i}"),
                room_kind=draw(st.sampled_from(["scan", "xray"])),
            )
        )
    for i in range(n_assistant):
        resources.append(
            Resource(f"a{i}", ResourceKind.ASSISTANT, hours(), busy(f"a{i}"), name=f"Asst {i}")
        )
    providers = [r.id for r in resources if r.kind == ResourceKind.PROVIDER]
    assistants = [r.id for r in resources if r.kind == ResourceKind.ASSISTANT]
    chairs = [r.id for r in resources if r.kind == ResourceKind.CHAIR]

    buffers = [0, 10, 15, 20] if one_doctor else [0, 0, 5, 10, 15]
    types = []
    for i in range(draw(st.integers(1, 3))):
        lo = draw(st.sampled_from([15, 20, 30, 45, 60]))
        hi = lo + draw(st.sampled_from([0, 15, 30, 60]))
        qual = draw(st.none() | st.frozensets(st.sampled_from(providers), min_size=1))
        default = draw(st.integers(lo, hi))
        # Mostly where the clinic has assistants; now and then where it has none.
        needs_assistant = draw(st.integers(0, 1 if assistants else 9)) == 0
        qual_assistants = (
            draw(st.none() | st.frozensets(st.sampled_from(assistants), min_size=1))
            if needs_assistant and assistants
            else None
        )
        types.append(
            AppointmentTypeSpec(
                f"t{i}",
                lo,
                hi,
                default,
                buffer_before_minutes=draw(st.sampled_from(buffers)),
                buffer_after_minutes=draw(st.sampled_from(buffers)),
                needs_provider=one_doctor or draw(st.sampled_from([True, True, True, False])),
                qualified_provider_ids=qual,
                needs_chair=draw(st.booleans()),
                room_kind=draw(st.sampled_from([None, None, None, "scan", "xray"]))
                if n_room
                else None,
                time_pattern=draw(patterns(default)),
                needs_assistant=needs_assistant,
                qualified_assistant_ids=qual_assistants,
            )
        )
    type_ids = [t.id for t in types]

    slots = []
    for i in range(draw(st.integers(0, 2))):
        b = draw(SLOT_BLOCKS)
        if not b:
            continue
        owner = draw(st.sampled_from(["none", "chair", "provider", "both"]))
        slots.append(
            TemplateSlot(
                f"s{i}",
                draw(st.sampled_from([day.weekday(), (day.weekday() + 1) % 7])),
                b[0],
                draw(st.frozensets(st.sampled_from(type_ids), min_size=1)),
                chair_id=draw(st.sampled_from(chairs)) if owner in ("chair", "both") else None,
                provider_id=draw(st.sampled_from(providers))
                if owner in ("provider", "both")
                else None,
            )
        )

    policy = BookingPolicy(
        g,
        timedelta(minutes=draw(st.sampled_from([0, 0, 0, 60, 150, 360]))),
        timedelta(hours=draw(st.sampled_from([12, 30, 48, 48]))),
    )
    clinic = Clinic(tz_name, policy, tuple(resources), tuple(types), tuple(slots))

    parts = []
    for _ in range(draw(st.integers(2 if one_doctor else 1, max_parts))):
        t = draw(st.sampled_from(types))
        own = draw(st.booleans()) and draw(st.booleans())  # the part's own pattern, a quarter
        # Without its own pattern, a duration may not drop a D step of its type's pattern (the
        # default never does: the pattern has one step per 5 minutes of it).
        last_d = -1 if t.time_pattern is None else t.time_pattern.rfind("D")
        durations = [
            d for d in range(t.min_minutes, t.max_minutes + 1, 5) if own or -(-d // 5) > last_d
        ]
        dur = draw(st.none() | st.sampled_from(durations)) if durations else None
        minutes = t.default_minutes if dur is None else dur
        part_pattern = draw(patterns(minutes, allow_none=False)) if own else None
        # Fitting to the duration keeps every D step, so the type's pattern tells.
        effective = part_pattern if own else t.time_pattern
        holds_provider = t.needs_provider and (effective is None or "D" in effective)
        min_gap = draw(st.sampled_from([0, 0, 5] if one_doctor else [0, 0, 5, 15, 30]))
        max_gap = min_gap + draw(
            st.sampled_from([15, 15, 30] if one_doctor else [0, 15, 30, 60, 60, 60])
        )
        pin_p = pin_c = slot_id = None
        if holds_provider and draw(st.integers(0, 4)) == 0:
            ok = [
                p
                for p in providers
                if t.qualified_provider_ids is None or p in t.qualified_provider_ids
            ]
            pin_p = draw(st.sampled_from(ok))
        if t.needs_chair and draw(st.integers(0, 4)) == 0:
            pin_c = draw(st.sampled_from(chairs))
        pin_a = None
        qualified = [
            a
            for a in assistants
            if t.qualified_assistant_ids is None or a in t.qualified_assistant_ids
        ]
        if t.needs_assistant and qualified and draw(st.integers(0, 4)) == 0:
            pin_a = draw(st.sampled_from(qualified))
        usable = [
            s
            for s in slots
            if t.id in s.type_ids
            and (s.chair_id is None or (t.needs_chair and pin_c in (None, s.chair_id)))
            and (
                s.provider_id is None
                or (
                    holds_provider
                    and pin_p in (None, s.provider_id)
                    and (
                        t.qualified_provider_ids is None
                        or s.provider_id in t.qualified_provider_ids
                    )
                )
            )
        ]
        if usable and draw(st.integers(0, 3)) == 0:
            slot_id = draw(st.sampled_from(usable)).id
        parts.append(
            VisitPart(t.id, dur, pin_p, pin_c, None, slot_id, min_gap, max_gap, part_pattern, pin_a)
        )
    visit = Visit(tuple(parts), same_provider=draw(st.booleans()), same_chair=draw(st.booleans()))

    now = at(day, draw(st.integers(-10 * 60, 12 * 60)) // 5 * 5)
    window_start = at(day, draw(st.sampled_from([-120, 0, 0, 300, 600])))
    window_end = window_start + timedelta(hours=draw(st.sampled_from([6, 24, 30, 30])))
    prefs = Preferences(
        draw(st.none() | st.integers(0, 24 * 60).map(lambda m: at(day, m // 5 * 5))),
        draw(st.none() | st.sampled_from(providers)),
    )
    return SlotQuery(
        clinic,
        visit,
        window_start,
        window_end,
        now,
        busy("patient"),
        prefs,
        time_limit_seconds=30.0,
    )
