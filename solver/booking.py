"""A booking as every check reads it: the prepared query and the parts as given, in seconds.

``checks`` holds one function per conflict code; this is the shared view they all read (times,
held intervals per resource kind, the clinic's names and local clock), kept apart so each
module stays about one thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from solver.grid import LocalCalendar, calendar_for, to_datetime, zone
from solver.prepare import Part, Prepared
from solver.problem import ResourceKind, SlotQuery
from solver.result import PartAssignment
from solver.template_slots import SlotTime, slot_times


@dataclass(frozen=True)
class Booking:
    """A booking as every check reads it: the prepared query, the parts as given, in seconds."""

    query: SlotQuery
    prep: Prepared
    given: tuple[PartAssignment, ...]
    times: tuple[tuple[int, int], ...]  # (start, end) of each part, no buffers

    @cached_property
    def tz(self) -> ZoneInfo:
        return zone(self.query.clinic.time_zone)

    @cached_property
    def names(self) -> dict[str, str]:
        """Each resource as messages name it (``Resource.label``: "Assistant Maya")."""
        return {r.id: r.label for r in self.query.clinic.resources}

    @cached_property
    def occupied(self) -> tuple[tuple[int, int], ...]:
        """Each part's time with its type's buffers: what its resources are held for."""
        return tuple(
            (s - p.buffer_before, e + p.buffer_after)
            for (s, e), p in zip(self.times, self.prep.parts, strict=True)
        )

    @cached_property
    def calendar(self) -> LocalCalendar:
        lo = min(s for s, _ in self.occupied)
        hi = max(e for _, e in self.occupied)
        return calendar_for(self.query.clinic.time_zone, lo, max(hi, lo))

    @cached_property
    def span(self) -> tuple[int, int]:
        """Whole local dates around the booking: the busy time any check needs lies inside."""
        return int(self.calendar.mid[0]), int(self.calendar.mid[-1])

    @cached_property
    def slot_times(self) -> list[SlotTime]:
        return slot_times(self.calendar, self.query.clinic.template_slots)

    def held_times(self, i: int, kind: ResourceKind) -> list[tuple[int, int]]:
        """When part i holds its resource of ``kind`` (``Part.held``: the occupied span, or a
        provider's doctor-time runs)."""
        start = self.times[i][0]
        return [(start + a, start + b) for a, b in self.prep.parts[i].held(kind)]

    def doctor_time(self, i: int, kind: ResourceKind) -> bool:
        """Is part i's resource of ``kind`` a provider held only for a pattern's runs?"""
        return kind == ResourceKind.PROVIDER and self.prep.parts[i].doctor_time

    def spans(self, intervals: list[tuple[int, int]]) -> str:
        """``Wed 10 Jun 10:05-10:10 and 10:20-10:25``: where the doctor is needed."""
        return " and ".join(
            f"{self.local(s) if n == 0 else self.local(s)[-5:]}-{self.local(e)[-5:]}"
            for n, (s, e) in enumerate(intervals)
        )

    def parts(self) -> list[tuple[int, PartAssignment, Part]]:
        return [(i, a, p) for i, (a, p) in enumerate(zip(self.given, self.prep.parts, strict=True))]

    def held(self, i: int) -> dict[ResourceKind, str]:
        return held_by(self.given[i])

    def local(self, t: int) -> str:
        return to_datetime(t).astimezone(self.tz).strftime("%a %d %b %H:%M")

    def label(self, i: int) -> str:
        t = self.prep.parts[i].type
        return f"part {i + 1} ({t.name or t.id})"


def held_by(a: PartAssignment) -> dict[ResourceKind, str]:
    pairs = (
        (ResourceKind.PROVIDER, a.provider_id),
        (ResourceKind.CHAIR, a.chair_id),
        (ResourceKind.ROOM, a.room_id),
        (ResourceKind.ASSISTANT, a.assistant_id),
    )
    return {k: v for k, v in pairs if v is not None}
