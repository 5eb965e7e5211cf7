"""The hard rules of a concrete booking, one check per conflict code.

Each check reads a ``Booking`` (``solver.booking``: the prepared query and the parts as given,
in epoch seconds) and yields the ``Violation``s of its one code; ``validate`` runs ``CHECKS`` in
order. Codes are stable: the API maps them to HTTP answers and fields. A provider with a time
pattern is checked on its ``D`` runs only, and its messages say where the doctor is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from solver.booking import Booking
from solver.grid import to_sec_ceil, to_sec_floor
from solver.masks import busy_pairs
from solver.prepare import Part
from solver.problem import ResourceKind
from solver.result import Violation
from solver.template_slots import claim_problem, reserved_overlaps

Check = Callable[[Booking], Iterator[Violation]]


# -- when: the whole visit ---------------------------------------------------------------------


def before_lead_time(booking: Booking) -> Iterator[Violation]:
    """The first part may not start before now + the clinic's minimum lead time."""
    earliest = to_sec_ceil(booking.query.now + booking.query.clinic.policy.min_lead_time)
    first = booking.times[0][0]
    if first < earliest:
        yield Violation(
            "before_lead_time",
            f"starts {booking.local(first)}, before the earliest bookable time "
            f"{booking.local(earliest)}",
            0,
        )


def beyond_horizon(booking: Booking) -> Iterator[Violation]:
    """The last part must end by now + the clinic's booking horizon."""
    latest = to_sec_floor(booking.query.now + booking.query.clinic.policy.max_horizon)
    last = booking.times[-1][1]
    if last > latest:
        yield Violation(
            "beyond_horizon",
            f"ends {booking.local(last)}, after the booking horizon {booking.local(latest)}",
            len(booking.times) - 1,
        )


def outside_window(booking: Booking) -> Iterator[Violation]:
    """The visit lies inside the query's window."""
    first, last = booking.times[0][0], booking.times[-1][1]
    if first < to_sec_ceil(booking.query.window_start):
        yield Violation("outside_window", f"starts {booking.local(first)}, before the window", 0)
    if last > to_sec_floor(booking.query.window_end):
        yield Violation(
            "outside_window",
            f"ends {booking.local(last)}, after the window",
            len(booking.times) - 1,
        )


# -- each part on its own ----------------------------------------------------------------------


def not_on_grid(booking: Booking) -> Iterator[Violation]:
    """Every part starts on the clinic-local grid of ``granularity_minutes``."""
    step = booking.query.clinic.policy.granularity_minutes
    for i, _, _ in booking.parts():
        start = booking.times[i][0]
        if not booking.calendar.on_grid(start, step):
            yield Violation(
                "not_on_grid",
                f"{booking.label(i)} starts {booking.local(start)}, not on the {step}-minute grid",
                i,
            )


def duration_bounds(booking: Booking) -> Iterator[Violation]:
    """A part lasts within its type's bounds, and exactly as long as the visit asks when it does."""
    for i, _, p in booking.parts():
        t = p.type
        s, e = booking.times[i]
        lasts = e - s
        asked = booking.query.visit.parts[i].duration_minutes
        if not t.min_minutes * 60 <= lasts <= t.max_minutes * 60:
            yield Violation(
                "duration_bounds",
                f"{booking.label(i)} lasts {lasts / 60:g} min; {t.id!r} allows {t.min_minutes}-"
                f"{t.max_minutes} min",
                i,
            )
        elif asked is not None and lasts != asked * 60:
            yield Violation(
                "duration_bounds",
                f"{booking.label(i)} lasts {lasts / 60:g} min but the visit asks for {asked} min",
                i,
            )


def missing_resource(booking: Booking) -> Iterator[Violation]:
    """A part holds a resource of every kind its type needs."""
    for i, _, p in booking.parts():
        for kind in p.pools:
            if kind not in booking.held(i):
                article = "an" if kind.value[0] in "aeiou" else "a"
                yield Violation(
                    "missing_resource", f"{booking.label(i)} needs {article} {kind.value}", i
                )


def _outside_pool(booking: Booking) -> Iterator[tuple[int, Part, ResourceKind, str]]:
    """Resources a part holds that the visit does not let it use."""
    for i, _, p in booking.parts():
        for kind, pool in p.pools.items():
            rid = booking.held(i).get(kind)
            if rid is not None and rid not in pool:
                yield i, p, kind, rid


def wrong_room_kind(booking: Booking) -> Iterator[Violation]:
    """A room is of the kind the part's type needs."""
    for i, p, kind, rid in _outside_pool(booking):
        room = booking.prep.resources[rid]
        if kind == ResourceKind.ROOM and room.room_kind != p.type.room_kind:
            yield Violation(
                "wrong_room_kind",
                f"{booking.names[rid]} is a {room.room_kind or 'plain'} room; "
                f"{booking.label(i)} needs a {p.type.room_kind} room",
                i,
                rid,
            )


# Kinds a type may need none of. A part whose type needs none holds none: the search never
# offers one, so validate refuses one too (the provider: its own rule, ``holds_provider``).
OPTIONAL_KINDS = (ResourceKind.CHAIR, ResourceKind.ROOM, ResourceKind.ASSISTANT)


def not_qualified(booking: Booking) -> Iterator[Violation]:
    """A provider or assistant is qualified for the type, a part uses the resource the visit
    pins, and only a type that needs a chair, a room or an assistant has one."""
    for i, p, kind, rid in _outside_pool(booking):
        if kind == ResourceKind.ROOM and booking.prep.resources[rid].room_kind != p.type.room_kind:
            continue  # that is wrong_room_kind
        pool = p.pools[kind]
        asked = (
            f" (the visit asks for {booking.names.get(pool[0], pool[0])})" if len(pool) == 1 else ""
        )
        yield Violation(
            "not_qualified", f"{booking.names[rid]} may not take {booking.label(i)}{asked}", i, rid
        )
    for i, _, p in booking.parts():
        for kind in OPTIONAL_KINDS:
            extra = booking.held(i).get(kind)
            if extra is not None and kind not in p.pools:
                yield Violation(
                    "not_qualified",
                    f"{booking.names[extra]} may not take {booking.label(i)}: "
                    f"{p.type.name or p.type.id} needs no {kind.value}",
                    i,
                    extra,
                )


def outside_hours(booking: Booking) -> Iterator[Violation]:
    """Each resource works for all of the time the part holds it: the whole part, buffers
    included (an assistant like a chair), except a provider with a time pattern, who must work
    during its ``D`` runs."""
    for i, _, _ in booking.parts():
        occ_s, occ_e = booking.occupied[i]
        for kind, rid in booking.held(i).items():
            hours = booking.calendar.merged_hours(booking.prep.resources[rid].hours).tolist()
            outside = [
                (s, e)
                for s, e in booking.held_times(i, kind)
                if not any(hs <= s and e <= he for hs, he in hours)
            ]
            if outside and booking.doctor_time(i, kind):
                yield Violation(
                    "outside_hours",
                    f"{booking.names[rid]} is needed {booking.spans(outside)} "
                    f"({booking.label(i)}) but is not working then",
                    i,
                    rid,
                )
            elif outside:
                yield Violation(
                    "outside_hours",
                    f"{booking.names[rid]} is not working for all of {booking.local(occ_s)}-"
                    f"{booking.local(occ_e)[-5:]} ({booking.label(i)}, buffers included)",
                    i,
                    rid,
                )


def resource_busy(booking: Booking) -> Iterator[Violation]:
    """No resource is already busy while the part holds it: the part's time, buffers included,
    or for a provider with a time pattern its ``D`` runs, the message saying where."""
    for i, _, _ in booking.parts():
        for kind, rid in booking.held(i).items():
            held = booking.held_times(i, kind)
            owner = f"clinic.resources[{rid}].busy"
            for busy_start, busy_end, ref in busy_pairs(
                owner, booking.prep.resources[rid].busy, *booking.span
            ):
                clash = [(s, e) for s, e in held if busy_start < e and s < busy_end]
                if clash and booking.doctor_time(i, kind):
                    yield Violation(
                        "resource_busy",
                        f"{booking.names[rid]} is needed {booking.spans(clash)} but is busy "
                        f"{booking.local(busy_start)}-{booking.local(busy_end)[-5:]}"
                        + (f" ({ref})" if ref else ""),
                        i,
                        rid,
                        ref,
                    )
                elif clash:
                    yield Violation(
                        "resource_busy",
                        f"{booking.names[rid]} is busy {booking.local(busy_start)}-"
                        f"{booking.local(busy_end)[-5:]}" + (f" ({ref})" if ref else ""),
                        i,
                        rid,
                        ref,
                    )


def patient_busy(booking: Booking) -> Iterator[Violation]:
    """The patient is not booked elsewhere during a part (buffers are the clinic's, not theirs)."""
    patient = busy_pairs("patient_busy", booking.query.patient_busy, *booking.span)
    for i, _, _ in booking.parts():
        s, e = booking.times[i]
        for busy_start, busy_end, ref in patient:
            if busy_start < e and s < busy_end:
                yield Violation(
                    "patient_busy",
                    f"the patient is booked {booking.local(busy_start)}-"
                    f"{booking.local(busy_end)[-5:]}" + (f" ({ref})" if ref else ""),
                    i,
                    ref=ref,
                )


def template_reserved(booking: Booking) -> Iterator[Violation]:
    """A part may not overlap a template slot that applies to it and excludes its type."""
    for i, _, p in booking.parts():
        s, e = booking.times[i]
        for t in reserved_overlaps(booking.slot_times, p.type.id, s, e, booking.held(i).values()):
            yield Violation(
                "template_reserved",
                f"{booking.label(i)} overlaps template slot {t.slot.id} ({booking.local(t.start)}-"
                f"{booking.local(t.end)[-5:]}), reserved for other appointment types",
                i,
                ref=t.slot.id,
            )


def template_slot_mismatch(booking: Booking) -> Iterator[Violation]:
    """A part that books into a template slot fills that very slot."""
    for i, a, p in booking.parts():
        want = booking.query.visit.parts[i].template_slot_id
        got = a.template_slot_id
        if want is not None and got != want:
            yield Violation(
                "template_slot_mismatch",
                f"{booking.label(i)} should book into template slot {want}, "
                f"not {got or 'custom time'}",
                i,
                ref=want,
            )
        elif got is not None:
            s, e = booking.times[i]
            slots = booking.query.clinic.template_slots
            held = booking.held(i).values()
            problem = claim_problem(got, slots, booking.slot_times, p.type.id, s, e, held)
            if problem:
                yield Violation(
                    "template_slot_mismatch", f"{booking.label(i)} {problem}", i, ref=got
                )


# -- the parts together ------------------------------------------------------------------------


def gap(booking: Booking) -> Iterator[Violation]:
    """Each part starts within its gap bounds after the previous one ends."""
    for i in range(1, len(booking.times)):
        p = booking.prep.parts[i]
        between = booking.times[i][0] - booking.times[i - 1][1]
        if not p.min_gap <= between <= p.max_gap:
            yield Violation(
                "gap",
                f"part {i + 1} starts {between / 60:g} min after part {i} ends; the visit "
                f"allows {p.min_gap // 60}-{p.max_gap // 60} min",
                i,
            )


def _one_resource(
    booking: Booking, kind: ResourceKind, code: str, asked: bool
) -> Iterator[Violation]:
    if not asked:
        return
    uses = [(i, booking.held(i).get(kind)) for i, _, p in booking.parts() if kind in p.pools]
    if not uses:
        return
    first_index, first = uses[0]
    for i, other in uses[1:]:
        if other is not None and first is not None and other != first:
            yield Violation(
                code,
                f"part {i + 1} uses {booking.names[other]} but part {first_index + 1} uses "
                f"{booking.names[first]}; the visit needs one {kind.value}",
                i,
                other,
            )


def same_provider(booking: Booking) -> Iterator[Violation]:
    """With ``same_provider``, every part needing a provider has the same one."""
    yield from _one_resource(
        booking, ResourceKind.PROVIDER, "same_provider", booking.query.visit.same_provider
    )


def same_chair(booking: Booking) -> Iterator[Violation]:
    """With ``same_chair``, every part needing a chair sits in the same one."""
    yield from _one_resource(
        booking, ResourceKind.CHAIR, "same_chair", booking.query.visit.same_chair
    )


def part_overlap(booking: Booking) -> Iterator[Violation]:
    """Two parts of one visit never hold one resource at once: buffers included, a provider
    with a time pattern during its ``D`` runs (parts sharing a doctor may overlap elsewhere)."""
    n = len(booking.times)
    for i in range(n):
        for j in range(i + 1, n):
            mine = {rid: kind for kind, rid in booking.held(i).items()}
            theirs = {rid: kind for kind, rid in booking.held(j).items()}
            for rid in sorted(set(mine) & set(theirs)):
                kind = mine[rid]
                both = [
                    (max(s, t), min(e, f))
                    for s, e in booking.held_times(i, kind)
                    for t, f in booking.held_times(j, theirs[rid])
                    if s < f and t < e
                ]
                if not both:
                    continue
                doctor = booking.doctor_time(i, kind) or booking.doctor_time(j, kind)
                yield Violation(
                    "part_overlap",
                    f"parts {i + 1} and {j + 1} both need {booking.names[rid]} "
                    + (
                        booking.spans(both) if doctor else "at overlapping times (buffers included)"
                    ),
                    j,
                    rid,
                )


CHECKS: tuple[Check, ...] = (
    before_lead_time,
    beyond_horizon,
    outside_window,
    not_on_grid,
    duration_bounds,
    missing_resource,
    wrong_room_kind,
    not_qualified,
    outside_hours,
    resource_busy,
    patient_busy,
    template_reserved,
    template_slot_mismatch,
    gap,
    same_provider,
    same_chair,
    part_overlap,
)
