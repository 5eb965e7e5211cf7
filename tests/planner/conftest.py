"""Shared planner fixtures: one small scenario run through every policy once per session."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from benchmarks.planner.run import Run, run
from benchmarks.planner.simulate import Booking, acceptable_blocks, provider_time
from benchmarks.scenarios import Scenario, generate


@pytest.fixture(scope="session")
def small() -> Scenario:
    return generate("small", weeks=1)


@pytest.fixture(scope="session")
def small_run(small: Scenario) -> Run:
    return run(small, ["all"], offline_seconds=20, progress=False)


def schedule_problems(s: Scenario, bookings: list[Booking]) -> list[str]:
    """Every rule a final schedule must keep, checked from the schedule and scenario alone."""
    problems: list[str] = []
    by_id = {q.id: q for q in s.requests}
    per_resource: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    per_patient: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    open_iv = {r.id: s.open_intervals(r) for r in s.resources}
    kinds = {r.id: r for r in s.resources}
    seen: set[str] = set()
    for b in bookings:
        q = by_id[b.request_id]
        if b.request_id in seen:
            problems.append(f"{b.request_id} booked twice")
        seen.add(b.request_id)
        if q.cancel_fraction is not None:
            problems.append(f"{q.id} cancels later but is in the final schedule")
        if [p.type_id for p in b.parts] != [p.type_id for p in q.parts]:
            problems.append(f"{q.id}: booked {b.parts} for visit {q.visit}")
            continue
        if b.start < q.made_at + timedelta(minutes=s.min_lead_minutes):
            problems.append(f"{q.id} starts inside the lead time")
        blocks = acceptable_blocks(s, q)
        for i, p in enumerate(b.parts):
            t = s.type(p.type_id)
            if (p.end - p.start) != timedelta(minutes=t.minutes):
                problems.append(f"{q.id} part {i} lasts {p.end - p.start}")
            if not any(a <= p.start and p.end <= z for a, z in blocks):
                problems.append(f"{q.id} part {i} at {p.start} is outside the patient's hours")
            need = {
                "provider": t.needs_provider,
                "chair": t.needs_chair,
                "room": bool(t.room_kind),
                "assistant": t.needs_assistant,
            }
            held = {
                "provider": p.provider_id,
                "chair": p.chair_id,
                "room": p.room_id,
                "assistant": p.assistant_id,
            }
            for kind, needed in need.items():
                rid = held[kind]
                if needed != (rid is not None):
                    problems.append(f"{q.id} part {i}: {kind} {rid} (needed: {needed})")
                if rid is None:
                    continue
                if kinds[rid].kind != kind:
                    problems.append(f"{q.id} part {i}: {rid} is not a {kind}")
                if kind == "provider" and t.provider_ids and rid not in t.provider_ids:
                    problems.append(f"{q.id} part {i}: {rid} may not do {t.id}")
                if kind == "room" and kinds[rid].room_kind != t.room_kind:
                    problems.append(f"{q.id} part {i}: {rid} is not a {t.room_kind}")
                # A provider is held for the part's provider time only (doctor time): at least
                # the type's D runs, the whole part in the whole-appointment model.
                spans = [(p.start, p.end)]
                if kind == "provider":
                    spans = [(p.start, p.end)] if p.provider_time is None else list(p.provider_time)
                    allowed = (list(provider_time(t, p.start)), [(p.start, p.end)])
                    if spans not in allowed:
                        problems.append(f"{q.id} part {i}: provider time {spans} is not {t.id}'s")
                for a0, z0 in spans:
                    if not any(a <= a0 and z0 <= z for a, z in open_iv[rid]):
                        problems.append(f"{q.id} part {i} on {rid} outside its working hours")
                    per_resource[rid].append((a0, z0, q.id))
            per_patient[b.patient_id].append((p.start, p.end, q.id))
        for i in range(1, len(b.parts)):
            gap = (b.parts[i].start - b.parts[i - 1].end).total_seconds() / 60
            spec = q.parts[i]
            if not spec.min_gap_minutes <= gap <= spec.max_gap_minutes:
                problems.append(f"{q.id}: gap {gap} min before part {i}")
        for slot in s.template_slots:
            for i, p in enumerate(b.parts):
                day = p.start.astimezone(s.tz).date()
                if day.weekday() != slot.weekday or p.type_id in slot.type_ids:
                    continue
                a, z = s.instant(day, slot.block.start), s.instant(day, slot.block.end)
                owners = {slot.chair_id, slot.provider_id} - {None}
                applies = not owners or bool(owners & set(p.resources()))
                if applies and p.start < z and a < p.end:
                    problems.append(f"{q.id} part {i} overlaps template slot {slot.id}")
    for where, table in (("resource", per_resource), ("patient", per_patient)):
        for key, ivs in table.items():
            ivs.sort()
            for (_, e1, r1), (s2, _, r2) in itertools.pairwise(ivs):
                if s2 < e1:
                    problems.append(f"{where} {key} double booked: {r1} and {r2}")
    return problems
