"""The scenario's clinic in the engine's terms, and a request's window as the engine sees it.

``EngineClinic`` turns resources, types (with their doctor-time patterns) and template slots into
solver objects once; each query gets the simulator's busy time. A patient's acceptable days and
hours reach the engine as the patient's busy time (``patient_unavailable``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as dtime

from benchmarks.scenarios.model import Block, Hours, Request, Scenario
from solver.problem import (
    AppointmentTypeSpec,
    BookingPolicy,
    BusyInterval,
    Clinic,
    LocalBlock,
    Resource,
    ResourceKind,
    TemplateSlot,
    WeeklyHours,
)


def _local(b: Block) -> LocalBlock:
    return LocalBlock(b.start, b.end)


def _weekly(h: Hours) -> WeeklyHours:
    return WeeklyHours(weekly={d: tuple(_local(b) for b in bs) for d, bs in h.items()})


class EngineClinic:
    """The scenario's clinic in solver terms; resources get the caller's busy time per query."""

    KINDS = {
        "provider": ResourceKind.PROVIDER,
        "chair": ResourceKind.CHAIR,
        "room": ResourceKind.ROOM,
        "assistant": ResourceKind.ASSISTANT,
    }

    def __init__(self, s: Scenario) -> None:
        self.s = s
        self.hours = {r.id: _weekly(r.hours) for r in s.resources}
        self.types = tuple(
            AppointmentTypeSpec(
                id=t.id,
                min_minutes=t.minutes,
                max_minutes=t.minutes,
                default_minutes=t.minutes,
                needs_provider=t.needs_provider,
                qualified_provider_ids=frozenset(t.provider_ids) or None,
                needs_chair=t.needs_chair,
                room_kind=t.room_kind,
                name=t.name,
                time_pattern=t.time_pattern,
                needs_assistant=t.needs_assistant,
            )
            for t in s.types
        )
        self.slots = tuple(
            TemplateSlot(
                id=x.id,
                weekday=x.weekday,
                block=_local(x.block),
                type_ids=frozenset(x.type_ids),
                chair_id=x.chair_id,
                provider_id=x.provider_id,
            )
            for x in s.template_slots
        )
        # Horizon generous enough that a request made weeks ahead of its window is allowed.
        self.policy = BookingPolicy(
            granularity_minutes=s.granularity_minutes,
            min_lead_time=timedelta(minutes=s.min_lead_minutes),
            max_horizon=timedelta(days=7 * s.weeks + 120),
        )

    def clinic(
        self, busy: dict[str, list[BusyInterval]], only: frozenset[str] | None = None
    ) -> Clinic:
        """The clinic with ``busy``; ``only``: keep just these chairs and rooms (every provider
        and assistant stays), as when a waiting patient is offered one freed chair's time."""
        return Clinic(
            time_zone=self.s.time_zone,
            policy=self.policy,
            resources=tuple(
                Resource(
                    id=r.id,
                    kind=self.KINDS[r.kind],
                    hours=self.hours[r.id],
                    busy=tuple(busy.get(r.id, ())),
                    room_kind=r.room_kind,
                    name=r.name,
                )
                for r in self.s.resources
                if only is None or r.kind in ("provider", "assistant") or r.id in only
            ),
            types=self.types,
            template_slots=self.slots,
        )


def request_window(s: Scenario, q: Request) -> tuple[datetime, datetime]:
    """The request's window as instants, clipped to the horizon (may be empty)."""
    h0, h1 = s.horizon
    ws = max(s.instant(q.earliest, dtime()), h0)
    we = min(s.instant(q.latest + timedelta(days=1), dtime()), h1)
    return ws, we


def acceptable_blocks(s: Scenario, q: Request) -> list[tuple[datetime, datetime]]:
    """When the patient can come, inside the window, as UTC instants in order."""
    ws, we = request_window(s, q)
    out = []
    day = q.earliest
    while day <= q.latest:
        if day.weekday() in q.days:
            for b in sorted(q.hours, key=lambda b: b.start):
                a, z = max(s.instant(day, b.start), ws), min(s.instant(day, b.end), we)
                if a < z:
                    out.append((a, z))
        day += timedelta(days=1)
    return out


def patient_unavailable(s: Scenario, q: Request) -> list[BusyInterval]:
    """The complement of ``acceptable_blocks`` within the window: the patient cannot come."""
    ws, we = request_window(s, q)
    out = []
    cursor = ws
    for a, z in acceptable_blocks(s, q):
        if a > cursor:
            out.append(BusyInterval(cursor, a, "patient-unavailable"))
        cursor = max(cursor, z)
    if cursor < we:
        out.append(BusyInterval(cursor, we, "patient-unavailable"))
    return out
