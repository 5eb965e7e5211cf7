"""The best-fit objective: one function per soft rule, so every suggestion explains its score.

Score of a bookable visit = sum of these terms (higher is better). Internally points are kept as
integer centipoints so the CP-SAT model, the explanation and the tests agree to the last digit.

- ``template_fill`` **+3.0** per part that lies wholly inside an applicable template slot
  reserved for its type (the slot it books into, or the first such slot in clinic order).
- ``usual_provider`` **+2.0** per part done by ``preferences.usual_provider_id``.
- ``short_gap`` **-1.5** per leftover gap: for every resource a part holds, the free time
  (working hours minus existing busy time) left between its occupied interval (buffers included)
  and the edges of the free interval holding it, when that leftover is longer than 0 and shorter
  than the clinic's shortest bookable type (smallest ``min_minutes``). Gaps between two parts of
  the same visit are the visit's own choice: because every part lasts at least that shortest
  duration, a leftover measured across a sibling part is never short, so they are not penalised.
- ``nearness`` **-1.0 per hour** (floored to whole centipoints) between the first part's start
  and ``preferences.preferred_start``, or the earliest bookable instant when none is given.
- ``chair_load`` **-2.0 x booked fraction** of the chosen chair's open time on the part's local
  date (rounded to centipoints), so quieter chairs win ties and load spreads out.

Worked example: a 30-minute adjustment at 10:00, preferred 09:00, filling an "Adjustments AM"
slot on the usual provider's list, chair 40% booked, leaving 10 minutes before the chair's next
booking: 3.0 + 2.0 - 1.0 - 0.8 - 1.5 = +1.7.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.grid import I64, to_datetime, to_sec_floor, zone
from solver.masks import KindMasks, Timeline
from solver.problem import ResourceKind
from solver.result import ScoreTerm

TEMPLATE_FILL = 3.0
USUAL_PROVIDER = 2.0
SHORT_GAP = 1.5
NEARNESS_PER_HOUR = 1.0
CHAIR_LOAD = 2.0

TEMPLATE_FILL_CP = round(TEMPLATE_FILL * 100)
USUAL_PROVIDER_CP = round(USUAL_PROVIDER * 100)
SHORT_GAP_CP = round(SHORT_GAP * 100)
NEARNESS_CP_PER_HOUR = round(NEARNESS_PER_HOUR * 100)
CHAIR_LOAD_CP = round(CHAIR_LOAD * 100)


@dataclass(frozen=True)
class Choice:
    """One part of a concrete assignment as the objective sees it."""

    part: int
    start: int
    resources: dict[ResourceKind, str]
    template_slot_id: str | None


def points(cp: int) -> float:
    return cp / 100


def nearness_cp(start: I64 | int, ref: int) -> I64 | int:
    return -((np.abs(np.asarray(start, dtype=np.int64) - ref) * NEARNESS_CP_PER_HOUR) // 3600)


def reference(tl: Timeline) -> int:
    pref = tl.prep.query.preferences.preferred_start
    return tl.prep.earliest if pref is None else to_sec_floor(pref)


def short_gap_cp(before: I64, after: I64, shortest: int) -> I64:
    short = ((before > 0) & (before < shortest)).astype(np.int64)
    short += (after > 0) & (after < shortest)
    return -SHORT_GAP_CP * short


class Loads:
    """Per (chair, local date) booked-fraction penalty, computed once per query."""

    def __init__(self, tl: Timeline) -> None:
        self.tl = tl
        self._by_r: dict[int, I64] = {}

    def of(self, r: int) -> I64:
        if r not in self._by_r:
            open_s, booked = self.tl.day_load(r)
            safe = np.maximum(open_s, 1)
            self._by_r[r] = -((CHAIR_LOAD_CP * booked + safe // 2) // safe) * (open_s > 0)
        return self._by_r[r]


def kind_coef(tl: Timeline, loads: Loads, kind: ResourceKind, km: KindMasks) -> I64:
    """Centipoints each (resource, start) of this kind adds: short gaps, usual provider, load."""
    coef = short_gap_cp(km.before, km.after, tl.prep.short_gap)
    if kind == ResourceKind.PROVIDER:
        usual = tl.prep.query.preferences.usual_provider_id
        coef = coef + USUAL_PROVIDER_CP * np.array([rid == usual for rid in km.ids])[:, None]
    elif kind == ResourceKind.CHAIR:
        di = tl.cal.date_index(tl.grid)
        coef = coef + np.stack([loads.of(int(r))[di] for r in km.rix])
    return coef


def explain(tl: Timeline, loads: Loads, choices: list[Choice]) -> tuple[int, list[ScoreTerm]]:
    """Score a concrete assignment term by term; returns (centipoints, terms)."""
    prep = tl.prep
    tz = zone(prep.tz_name)
    names = {r.id: r.name or r.id for r in prep.query.clinic.resources}

    def hm(t: int) -> str:
        return to_datetime(t).astimezone(tz).strftime("%H:%M")

    total = 0
    terms: list[ScoreTerm] = []

    def add(rule: str, cp: int, reason: str) -> None:
        nonlocal total
        if cp:
            total += cp
            terms.append(ScoreTerm(rule, points(cp), reason))

    ref = reference(tl)
    first = choices[0].start
    near = int(nearness_cp(first, ref))
    away = abs(first - ref) // 60
    what = "the preferred time" if prep.query.preferences.preferred_start else "the earliest start"
    add("nearness", near, f"starts {away // 60} h {away % 60:02d} min from {what}")
    slots = {s.id: s for s in prep.query.clinic.template_slots}
    for c in choices:
        p = prep.parts[c.part]
        if c.template_slot_id is not None:
            label = slots[c.template_slot_id].block
            add(
                "template_fill",
                TEMPLATE_FILL_CP,
                f"part {c.part + 1} fills template slot {c.template_slot_id} "
                f"({label.start:%H:%M}-{label.end:%H:%M})",
            )
        usual = prep.query.preferences.usual_provider_id
        if usual is not None and c.resources.get(ResourceKind.PROVIDER) == usual:
            add("usual_provider", USUAL_PROVIDER_CP, f"part {c.part + 1} is with the usual one")
        for kind, rid in c.resources.items():
            r = tl.index[rid]
            occ_s = np.array([c.start - p.buffer_before], dtype=np.int64)
            occ_e = np.array([c.start + p.dur + p.buffer_after], dtype=np.int64)
            _, before, after = tl.fit(np.array([r]), occ_s, occ_e)
            for left, where in ((int(before[0, 0]), "before"), (int(after[0, 0]), "after")):
                if 0 < left < prep.short_gap:
                    edge = int(occ_s[0]) if where == "before" else int(occ_e[0])
                    add(
                        "short_gap",
                        -SHORT_GAP_CP,
                        f"leaves {left // 60} min free on {names[rid]} {where} {hm(edge)}, "
                        f"too short to book",
                    )
            if kind == ResourceKind.CHAIR:
                di = int(tl.cal.date_index(np.array([c.start]))[0])
                cp = int(loads.of(r)[di])
                add("chair_load", cp, f"{names[rid]} is {-cp / CHAIR_LOAD_CP:.0%} booked that day")
    return total, terms
