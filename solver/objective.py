"""The best-fit objective: one function per soft rule, so every suggestion explains its score.

Score of a bookable visit = sum of these terms (higher is better). Internally points are kept as
integer centipoints so the CP-SAT model, the explanation and the tests agree to the last digit.
Each term is one function below, vectorised over numpy arrays: best fit's upper bounds
(``bestfit``), the coefficients of the CP-SAT model (``model``, through ``Scores``) and the
explanation of a chosen suggestion (``explain``) all call it, so a rule is written once.

- ``template_fill`` **+3.0** per part that lies wholly inside an applicable template slot
  reserved for its type (the slot it books into, or the first such slot in clinic order).
- ``usual_provider`` **+2.0** per part done by ``preferences.usual_provider_id``.
- ``short_gap`` **-1.5** per leftover gap: for every resource a part holds for its whole span
  (chairs, rooms, and providers of parts without a time pattern: doctor time leaves provider gaps
  that ``doctor_idle_time`` scores), the free time
  (working hours minus existing busy time) left between its occupied interval (buffers included)
  and the edges of the free interval holding it, when that leftover is longer than 0 and shorter
  than the clinic's shortest bookable type (smallest ``min_minutes``). Gaps between two parts of
  the same visit are the visit's own choice: because every part lasts at least that shortest
  duration, a leftover measured across a sibling part is never short, so they are not penalised.
- ``nearness`` **-1.0 per hour** (floored to whole centipoints) between the first part's start
  and ``preferences.preferred_start``, or the earliest bookable instant when none is given.
- ``chair_load`` **-2.0 x booked fraction** of the chosen chair's open time on the part's local
  date (rounded to centipoints), so quieter chairs win ties and load spreads out.

Doctor time (parts with a time pattern only, so a clinic without patterns scores as before;
measured by ``doctor_gaps`` on the provider's free time, the visit's other parts not counted):

- ``doctor_adjacent`` **+0.5** per end of a ``D`` run that meets the provider's busy time.
- ``doctor_idle_time`` **-0.3 per minute** (floored to whole centipoints) of the provider's free
  time the part leaves where no type's provider time fits, less such time it fills (then it
  earns as much).
- ``long_doctor_room`` **-2.0** when the part takes the last free stretch of the provider's
  local date that could hold the longest provider time of any type the provider does.

Worked example: a 30-minute adjustment at 10:00, preferred 09:00, filling an "Adjustments AM"
slot on the usual provider's list, chair 40% booked, leaving 10 minutes before the chair's next
booking: 3.0 + 2.0 - 1.0 - 0.8 - 1.5 = +1.7.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solver.doctor_gaps import doctor_gaps, doctor_gaps_at
from solver.grid import I64, to_datetime, to_sec_floor, zone
from solver.masks import Bool, KindMasks, Timeline
from solver.prepare import Part
from solver.problem import ResourceKind
from solver.result import ScoreTerm

TEMPLATE_FILL = 3.0
USUAL_PROVIDER = 2.0
SHORT_GAP = 1.5
NEARNESS_PER_HOUR = 1.0
CHAIR_LOAD = 2.0

DOCTOR_ADJACENT = 0.5
DOCTOR_IDLE_PER_MINUTE = 0.3
LONG_DOCTOR_ROOM = 2.0

TEMPLATE_FILL_CP = round(TEMPLATE_FILL * 100)
USUAL_PROVIDER_CP = round(USUAL_PROVIDER * 100)
SHORT_GAP_CP = round(SHORT_GAP * 100)
NEARNESS_CP_PER_HOUR = round(NEARNESS_PER_HOUR * 100)
CHAIR_LOAD_CP = round(CHAIR_LOAD * 100)
DOCTOR_ADJACENT_CP = round(DOCTOR_ADJACENT * 100)
DOCTOR_IDLE_CP_PER_MINUTE = round(DOCTOR_IDLE_PER_MINUTE * 100)
LONG_DOCTOR_ROOM_CP = round(LONG_DOCTOR_ROOM * 100)


# -- the terms ---------------------------------------------------------------------------------


def template_fill(fills: Bool) -> I64:
    """``template_fill``: +3.0 for each part that fills a template slot reserved for its type.

    A template slot is the clinic's rota saying "keep this time for these treatments"; a part
    that lands inside one uses the time as planned, so it is worth more than any other
    preference. ``fills`` says, per part (or per candidate start of one part), whether it lies
    wholly inside an applicable slot reserved for its type.
    """
    return np.where(fills, TEMPLATE_FILL_CP, 0).astype(np.int64)


def usual_provider(provider_ids: Sequence[str], usual: str | None) -> I64:
    """``usual_provider``: +2.0 for a part done by the patient's usual provider.

    Continuity of care: patients and clinicians both prefer the provider who knows the case.
    One value per provider id; none earns anything when the query names no usual provider.
    """
    is_usual = np.array([usual is not None and rid == usual for rid in provider_ids], dtype=bool)
    return np.where(is_usual, USUAL_PROVIDER_CP, 0).astype(np.int64)


def short_gap(before: I64, after: I64, shortest: int) -> I64:
    """``short_gap``: -1.5 for each side of a part that leaves a gap too short to book.

    ``before`` / ``after`` are the free seconds a resource keeps between the part's occupied
    interval (buffers included) and the ends of the free interval holding it; a leftover longer
    than 0 but shorter than ``shortest`` (the clinic's shortest bookable type, seconds) is time
    no appointment can use, so the penalty steers bookings to pack against existing ones.
    """
    short = ((before > 0) & (before < shortest)).astype(np.int64)
    short += (after > 0) & (after < shortest)
    return -SHORT_GAP_CP * short


def nearness(start: I64, reference: int) -> I64:
    """``nearness``: -1.0 per hour (floored to whole centipoints) from the wanted time.

    ``reference`` is the preferred start, or the earliest bookable instant when the patient
    names none (so sooner is better). It is the weakest term per hour: a slot that fills the
    rota may be offered a few hours away from what was asked.
    """
    return -((np.abs(start - reference) * NEARNESS_CP_PER_HOUR) // 3600)


def chair_load(open_seconds: I64, booked_seconds: I64) -> I64:
    """``chair_load``: -2.0 x the fraction of a chair's open time already booked that day.

    Spreads appointments over chairs, so a quieter chair wins a tie and each chair keeps room
    for walk-ins and overruns. Per clinic-local date, rounded to the nearest centipoint; a
    chair that is closed that day (no open seconds) scores 0.
    """
    safe = np.maximum(open_seconds, 1)
    penalty: I64 = -((CHAIR_LOAD_CP * booked_seconds + safe // 2) // safe)
    return np.where(open_seconds > 0, penalty, 0).astype(np.int64)


def doctor_adjacent(touches: I64) -> I64:
    """``doctor_adjacent``: +0.5 for each end of a ``D`` run that meets the provider's busy time.

    The orthodontist walks from one chair to the next: doctor time placed right after (or
    before) another booking's keeps the doctor's day in one block and the gaps between chairs
    short. ``touches`` counts, per choice, the run ends that meet busy time exactly.
    """
    return (DOCTOR_ADJACENT_CP * touches).astype(np.int64)


def doctor_idle_time(idle_added: I64) -> I64:
    """``doctor_idle_time``: -0.3 per minute of the doctor's free time a choice leaves where no
    type's provider time fits, net of such time it fills, which earns as much.

    The doctor's free minutes are the practice's scarcest: doctor time placed so that the
    stretch beside it suits no appointment (an adjustment needs its 5 doctor minutes 10 minutes
    in, so the first 10 minutes of a session before booked doctor time are lost to it) idles the
    doctor there for good. ``idle_added`` is ``doctor_gaps``' net idle seconds per choice.
    Floored to whole centipoints.
    """
    return -((idle_added * DOCTOR_IDLE_CP_PER_MINUTE) // 60)


def long_doctor_room(room_before: I64, room_after: I64) -> I64:
    """``long_doctor_room``: -2.0 when a choice takes the last free stretch of the provider's
    day that could still hold their longest provider-time procedure (a bond, a debond).

    ``room_before`` / ``room_after`` count that day's free stretches at least that long before
    and after the choice; short adjustments then go where they leave the long slot whole.
    """
    return np.where((room_before > 0) & (room_after == 0), -LONG_DOCTOR_ROOM_CP, 0).astype(np.int64)


# -- the terms over a query --------------------------------------------------------------------


def points(centipoints: int) -> float:
    return centipoints / 100


def nearness_reference(timeline: Timeline) -> int:
    """The instant ``nearness`` measures from: the preferred start, else the earliest start."""
    preferred = timeline.prep.query.preferences.preferred_start
    return timeline.prep.earliest if preferred is None else to_sec_floor(preferred)


class ChairLoads:
    """``chair_load`` per (chair, local date) of the query's calendar, computed once per chair."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self._by_resource: dict[int, I64] = {}

    def of(self, resource: int) -> I64:
        """Centipoints per calendar date for the timeline's resource index ``resource``."""
        if resource not in self._by_resource:
            open_seconds, booked_seconds = self.timeline.day_load(resource)
            self._by_resource[resource] = chair_load(open_seconds, booked_seconds)
        return self._by_resource[resource]


def doctor_points(timeline: Timeline, part: Part, masks: KindMasks) -> I64:
    """The doctor-time terms of a patterned part's provider rows at every start."""
    day = doctor_gaps(timeline, part, masks)
    return (
        doctor_adjacent(day.touches)
        + doctor_idle_time(day.idle_added)
        + long_doctor_room(day.room_before, day.room_after)
    )


def resource_points(
    timeline: Timeline, loads: ChairLoads, part: Part, kind: ResourceKind, masks: KindMasks
) -> I64:
    """Centipoints each (resource row, start) of one part's kind adds: the terms that depend on
    the chosen resource (``short_gap``; ``usual_provider`` for providers; ``chair_load`` for
    chairs). ``template_fill`` depends on the resource too but is earned once per part, so the
    callers add it separately."""
    out = (
        doctor_points(timeline, part, masks)
        if masks.doctor_time
        else short_gap(masks.before, masks.after, timeline.prep.shortest_booking)
    )
    if kind == ResourceKind.PROVIDER:
        usual = timeline.prep.query.preferences.usual_provider_id
        out = out + usual_provider(masks.ids, usual)[:, None]
    elif kind == ResourceKind.CHAIR:
        date_index = timeline.cal.date_index(timeline.grid)
        out = out + np.stack([loads.of(int(r))[date_index] for r in masks.resource_index])
    return out


# -- explaining one suggestion -----------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One part of a concrete assignment as the objective sees it."""

    part: int
    start: int
    resources: dict[ResourceKind, str]
    template_slot_id: str | None


def explain_doctor(timeline: Timeline, c: Choice, name: str) -> list[tuple[str, int, str]]:
    """The doctor-time terms of one patterned part, each with its reason."""
    part = timeline.prep.parts[c.part]
    day = doctor_gaps_at(timeline, part, c.resources[ResourceKind.PROVIDER], c.start)
    label = f"part {c.part + 1}"
    out = []
    touches = int(day.touches[0, 0])
    out.append(
        (
            "doctor_adjacent",
            int(doctor_adjacent(day.touches[:, 0])[0]),
            f"{label}'s doctor time meets {name}'s busy time at {touches} "
            + ("end" if touches == 1 else "ends")
            + " (the doctor goes straight on to the next chair)",
        )
    )
    longest = int(day.longest[0, 0])
    idle = int(day.idle_added[0, 0])
    out.append(
        (
            "doctor_idle_time",
            int(doctor_idle_time(day.idle_added[:, 0])[0]),
            f"{label} leaves {idle // 60} min of {name}'s free time where no appointment's "
            "provider time fits"
            if idle > 0
            else f"{label} fills {-idle // 60} min of {name}'s free time where no other "
            "appointment's provider time fits",
        )
    )
    out.append(
        (
            "long_doctor_room",
            int(long_doctor_room(day.room_before[:, 0], day.room_after[:, 0])[0]),
            f"{label} takes the last stretch of {name}'s day long enough for "
            f"{longest // 60} min of provider time",
        )
    )
    return out


def explain(
    timeline: Timeline, loads: ChairLoads, choices: list[Choice]
) -> tuple[int, list[ScoreTerm]]:
    """Score a concrete assignment term by term; returns (centipoints, terms)."""
    prep = timeline.prep
    tz = zone(prep.tz_name)
    names = {r.id: r.label for r in prep.query.clinic.resources}

    def clock(t: int) -> str:
        return to_datetime(t).astimezone(tz).strftime("%H:%M")

    def one(values: I64) -> int:
        return int(values.reshape(-1)[0])

    total = 0
    terms: list[ScoreTerm] = []

    def add(rule: str, centipoints: int, reason: str) -> None:
        nonlocal total
        if centipoints:
            total += centipoints
            terms.append(ScoreTerm(rule, points(centipoints), reason))

    reference = nearness_reference(timeline)
    first = choices[0].start
    away = abs(first - reference) // 60
    what = "the preferred time" if prep.query.preferences.preferred_start else "the earliest start"
    add(
        "nearness",
        one(nearness(np.array([first], dtype=np.int64), reference)),
        f"starts {away // 60} h {away % 60:02d} min from {what}",
    )
    slots = {s.id: s for s in prep.query.clinic.template_slots}
    usual = prep.query.preferences.usual_provider_id
    for c in choices:
        part = prep.parts[c.part]
        if c.template_slot_id is not None:
            block = slots[c.template_slot_id].block
            add(
                "template_fill",
                one(template_fill(np.array([True]))),
                f"part {c.part + 1} fills template slot {c.template_slot_id} "
                f"({block.start:%H:%M}-{block.end:%H:%M})",
            )
        provider = c.resources.get(ResourceKind.PROVIDER)
        if provider is not None:
            add(
                "usual_provider",
                one(usual_provider([provider], usual)),
                f"part {c.part + 1} is with the usual one",
            )
        if provider is not None and part.doctor_time:
            for rule, centipoints, reason in explain_doctor(timeline, c, names[provider]):
                add(rule, centipoints, reason)
        for kind, rid in c.resources.items():
            resource = timeline.index[rid]
            occupied_start = np.array([c.start - part.buffer_before], dtype=np.int64)
            occupied_end = np.array([c.start + part.dur + part.buffer_after], dtype=np.int64)
            _, before, after = timeline.fit(np.array([resource]), occupied_start, occupied_end)
            # One side at a time (the other as no leftover), so each short gap has its reason.
            # A provider held for doctor time only has its leftovers scored elsewhere.
            sides = (
                ()
                if kind == ResourceKind.PROVIDER and part.doctor_time
                else ((before, "before", occupied_start), (after, "after", occupied_end))
            )
            for left, where, edge in sides:
                gap = one(left)
                add(
                    "short_gap",
                    one(short_gap(left, np.zeros_like(left), prep.shortest_booking)),
                    f"leaves {gap // 60} min free on {names[rid]} {where} {clock(one(edge))}, "
                    f"too short to book",
                )
            if kind == ResourceKind.CHAIR:
                date_index = one(timeline.cal.date_index(np.array([c.start], dtype=np.int64)))
                load = int(loads.of(resource)[date_index])
                add(
                    "chair_load",
                    load,
                    f"{names[rid]} is {-load / CHAIR_LOAD_CP:.0%} booked that day",
                )
    return total, terms
