"""The offline model's redundant capacity cuts per day and time range (they close its bound).

They cost nothing in solutions: every cut only restates, for the visits that can only fall
inside a time range when booked on a day, that their provider time (the ``D`` runs with
patterns), chair time and assistant time fit in the open time of all providers (chairs,
assistants) in that range.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.planner.offline import OfflineModel


def add_day_cuts(model: OfflineModel) -> int:
    """Energetic cuts: for a day and a time range [A, B] of it, the visits that can only
    fall inside [A, B] when booked that day need at most the kind's open time in [A, B].

    The ranges run between the day's "interesting" times (resource hours and patients'
    acceptable hours): that is where demand crowds (after school) and where an LP bound
    that only counts whole days is far too optimistic. The whole day is one of them.
    """
    edges_local = {b.start for r in model.s.resources for bs in r.hours.values() for b in bs}
    edges_local |= {b.end for r in model.s.resources for bs in r.hours.values() for b in bs}
    edges_local |= {b.start for q in model.requests for b in q.hours}
    edges_local |= {b.end for q in model.requests for b in q.hours}
    by_id = {q.id: q for q in model.requests}
    cuts = 0
    for k, day in enumerate(model.s.days()):
        d0 = model.unit_ceil(model.s.instant(day, datetime.min.time()))
        d1 = model.unit_ceil(model.s.instant(day + timedelta(days=1), datetime.min.time()))
        edges = sorted({d0, d1} | {model.unit_floor(model.s.instant(day, t)) for t in edges_local})
        # Per request booked that day: the earliest start and latest end of its parts.
        spans = []
        for qid, lits in model.day_lits.items():
            lit = lits.get(k)
            if lit is None:
                continue
            q = by_id[qid]
            dom = model.day_domain[qid][k]
            lo, hi = dom.min(), dom.max()
            durs = [model.dur(model.s.type(p.type_id)) for p in q.parts]
            main = model.main_part[qid]
            before = sum(durs[:main]) + sum(
                math.ceil(p.max_gap_minutes / model.g) for p in q.parts[1 : main + 1]
            )
            after = sum(durs[main:]) + sum(
                math.ceil(p.max_gap_minutes / model.g) for p in q.parts[main + 1 :]
            )
            types = [model.s.type(p.type_id) for p in q.parts]
            need = {
                "provider": sum(d for t in types for _, d in model.runs(t)),
                "chair": sum(durs[i] for i, t in enumerate(types) if t.needs_chair),
                "assistant": sum(durs[i] for i, t in enumerate(types) if t.needs_assistant),
            }
            spans.append((lo - before, hi + after, need, lit))
        for kind in ("provider", "chair", "assistant"):
            blocks = [
                (
                    model.unit_ceil(model.s.instant(day, b.start)),
                    model.unit_floor(model.s.instant(day, b.end)),
                )
                for r in model.s.of_kind(kind)
                for b in r.hours.get(day.weekday(), ())
            ]
            for i, a in enumerate(edges):
                for z in edges[i + 1 :]:
                    terms = [
                        need[kind] * lit
                        for lo, hi, need, lit in spans
                        if need[kind] and a <= lo and hi <= z
                    ]
                    if not terms:
                        continue
                    cap = sum(max(0, min(z, y) - max(a, x)) for x, y in blocks)
                    if (
                        sum(
                            t
                            for t in (
                                need[kind]
                                for lo, hi, need, _ in spans
                                if need[kind] and a <= lo and hi <= z
                            )
                        )
                        > cap
                    ):
                        model.m.add(sum(terms) <= cap)
                        cuts += 1
    return cuts
