"""A resource's days as the engine sees them, for people to look at: hours, breaks, template slots.

The calendar shades what the engine books against, so it must not work hours out again: these
functions expand the same ``WeeklyHours`` and ``TemplateSlot`` values with the same calendar code
the search uses (``LocalCalendar.merged_hours`` and ``template_slots.slot_times``), grouped by
clinic-local date. Pure: the caller passes the dates; no clock, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

from solver.grid import LocalCalendar, outward_seconds, to_datetime, zone
from solver.problem import TemplateSlot, WeeklyHours
from solver.template_slots import slot_times


@dataclass(frozen=True)
class Span:
    """A half-open stretch of real time, aware UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class ResourceDay:
    """One resource on one clinic-local date.

    ``hours`` are the merged stretches the engine books inside (touching blocks joined), in
    order; ``breaks`` are the gaps between consecutive stretches; ``exception`` says whether a
    dated exception replaced the weekly hours on this date.
    """

    date: date
    hours: tuple[Span, ...]
    breaks: tuple[Span, ...]
    exception: bool


@dataclass(frozen=True)
class SlotOnDate:
    """One template slot on one clinic-local date, as the engine maps it to real time."""

    slot: TemplateSlot
    date: date
    span: Span


def clinic_dates(tz_name: str, start: datetime, end: datetime) -> list[date]:
    """The clinic-local dates that the half-open window ``[start, end)`` touches, in order."""
    lo, hi = outward_seconds(start, end)
    if hi <= lo:
        return []
    tz = zone(tz_name)
    first = to_datetime(lo).astimezone(tz).date()
    last = to_datetime(hi - 1).astimezone(tz).date()
    return [date.fromordinal(d) for d in range(first.toordinal(), last.toordinal() + 1)]


def resource_days(hours: WeeklyHours, tz_name: str, dates: Sequence[date]) -> list[ResourceDay]:
    """``hours`` on each of the consecutive ``dates``: what the engine's search books against."""
    if not dates:
        return []
    cal = LocalCalendar(tz_name, dates[0], dates[-1])
    merged = cal.merged_hours(hours)
    by_date: list[list[Span]] = [[] for _ in cal.dates]
    for i, (s, e) in zip(cal.date_index(merged[:, 0]).tolist(), merged.tolist(), strict=True):
        if 0 <= i < len(by_date):
            by_date[i].append(Span(to_datetime(s), to_datetime(e)))
    return [
        ResourceDay(
            date=day,
            hours=tuple(spans),
            breaks=tuple(Span(a.end, b.start) for a, b in pairwise(spans)),
            exception=day in hours.exceptions,
        )
        for day, spans in zip(cal.dates, by_date, strict=True)
    ]


def slots_on(
    slots: Sequence[TemplateSlot], tz_name: str, dates: Sequence[date]
) -> list[SlotOnDate]:
    """Every instance of ``slots`` on the consecutive ``dates``, by start then slot id.

    Wall-clock blocks map to instants as in the search (``fold=0``); a block that shrinks to
    nothing in a clock change has no instance that day, as in the search.
    """
    if not dates:
        return []
    tz = zone(tz_name)
    out = [
        SlotOnDate(slot, to_datetime(s).astimezone(tz).date(), Span(to_datetime(s), to_datetime(e)))
        for slot, s, e in (
            (t.slot, t.start, t.end)
            for t in slot_times(LocalCalendar(tz_name, dates[0], dates[-1]), slots)
        )
    ]
    return sorted(out, key=lambda x: (x.span.start, x.slot.id))
