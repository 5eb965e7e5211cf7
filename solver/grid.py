"""Clinic-local time on an integer grid.

Inside the engine an instant is an integer count of seconds since the Unix epoch (UTC). Inputs
are rounded outwards to whole seconds (busy starts down, busy ends up), which is exact for the
minute-aligned data the API stores.

Grid rule: an instant is a possible start when its clinic-local wall-clock time is a whole number
of ``granularity_minutes`` after local midnight (seconds zero). Because the rule is about real
instants, a nonexistent local time (spring-forward gap) never appears, and across a fall-back
overlap both real instants of "01:30" appear, each once: the local day has 23 or 25 hours.

Wall-clock to instant (working-hours blocks, template slots, local midnight) follows PEP 495
``fold=0``: a nonexistent wall time moves forward by the gap (01:30 on 2026-03-29 in
Europe/London is 02:30 BST) and an ambiguous one means its first occurrence (01:30 on 2026-10-25
in Europe/London is 01:30 BST = 00:30 UTC). A block that becomes empty this way is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from solver.errors import InvalidQuery
from solver.problem import LocalBlock, WeeklyHours

I64 = npt.NDArray[np.int64]
DAY = 86_400


def to_sec_floor(dt: datetime) -> int:
    return math.floor(dt.timestamp())


def to_sec_ceil(dt: datetime) -> int:
    return math.ceil(dt.timestamp())


def outward_seconds(start: datetime, end: datetime) -> tuple[int, int]:
    """``[start, end]`` as whole epoch seconds, rounded outwards; a naive datetime is a caller
    mistake, named ``start`` or ``end``."""
    for name, dt in (("start", start), ("end", end)):
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise InvalidQuery(name, "must be a timezone-aware datetime")
    return to_sec_floor(start), to_sec_ceil(end)


def to_datetime(t: int) -> datetime:
    return datetime.fromtimestamp(int(t), UTC)


def secs_of_day(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=65_536)
def local_to_utc(tz_name: str, day: date, sod: int) -> int:
    """Wall-clock ``sod`` seconds after midnight of ``day`` as an instant, ``fold=0`` rule."""
    naive = datetime.combine(day, time()) + timedelta(seconds=sod)
    return to_sec_floor(naive.replace(tzinfo=zone(tz_name)))


def spring_forward_gap(tz_name: str, day: date, clock: time) -> tuple[time, time] | None:
    """The skipped wall-clock span holding ``clock`` on ``day`` as ``(first missing, first
    existing after)``, or None when that local time exists (ambiguous times exist)."""

    def exists(wall: datetime) -> bool:
        aware = wall.replace(tzinfo=zone(tz_name))
        return aware.astimezone(UTC).astimezone(zone(tz_name)).replace(tzinfo=None) == wall

    wall = datetime.combine(day, clock)
    if exists(wall):
        return None
    minute = timedelta(minutes=1)
    first, after = wall, wall
    while not exists(first - minute):
        first -= minute
    while not exists(after):
        after += minute
    return first.time(), after.time()


class LocalCalendar:
    """The clinic-local dates ``first..last`` with their midnights as instants.

    A date is "regular" when its UTC offset is the same at its midnight and the next one; the
    engine then maps wall-clock times by adding seconds to midnight and only asks zoneinfo on the
    (two a year) transition dates. Two transitions inside one local date are not supported.
    """

    def __init__(self, tz_name: str, first: date, last: date) -> None:
        self.tz_name = tz_name
        n = (last - first).days + 1
        self.dates = [first + timedelta(days=i) for i in range(n)]
        mids = [local_to_utc(tz_name, d, 0) for d in [*self.dates, last + timedelta(days=1)]]
        self.mid: I64 = np.array(mids, dtype=np.int64)
        self.regular = np.diff(self.mid) == DAY
        self.weekday = np.array([d.weekday() for d in self.dates], dtype=np.int64)
        self.index = {d: i for i, d in enumerate(self.dates)}

    def to_utc(self, i: int, sod: int) -> int:
        if self.regular[i]:
            return int(self.mid[i]) + sod
        return local_to_utc(self.tz_name, self.dates[i], sod)

    def date_index(self, t: I64) -> I64:
        """Index of the local date holding each instant (-1 / n outside the calendar)."""
        return np.searchsorted(self.mid, t, side="right").astype(np.int64) - 1

    def blocks(self, i: int, blocks: Iterable[LocalBlock]) -> list[tuple[int, int]]:
        out = []
        for b in blocks:
            s = self.to_utc(i, secs_of_day(b.start))
            e = self.to_utc(i, secs_of_day(b.end))
            if e > s:
                out.append((s, e))
        return out

    def merged_hours(self, hours: WeeklyHours) -> I64:
        """``hours`` over the calendar, merged (``merge_array``) and read-only.

        Memoised by content: a clinic's hours change rarely while every query over the same
        dates asks for them again.
        """
        return _merged_hours(
            self.tz_name,
            self.dates[0],
            self.dates[-1],
            tuple(sorted(hours.weekly.items())),
            tuple(sorted(hours.exceptions.items())),
        )

    def hours_array(self, hours: WeeklyHours) -> I64:
        """``hours`` as an ``(n, 2)`` array of instants over every calendar date.

        Regular dates without an exception are one broadcast per weekday (midnight plus the
        blocks' seconds of day); transition dates and exception dates go through ``blocks``.
        """
        special = ~self.regular
        special[[self.index[d] for d in hours.exceptions if d in self.index]] = True
        parts: list[I64] = []
        weekly = np.array(
            [
                (weekday, secs_of_day(b.start), secs_of_day(b.end))
                for weekday, day_blocks in hours.weekly.items()
                for b in day_blocks
            ],
            dtype=np.int64,
        ).reshape(-1, 3)
        days = np.flatnonzero(~special)
        di, wi = np.nonzero(self.weekday[days][:, None] == weekly[None, :, 0])
        parts.append(self.mid[days[di]][:, None] + weekly[wi, 1:])
        for i in np.flatnonzero(special).tolist():
            exception = hours.exceptions.get(self.dates[i])
            blocks = hours.weekly.get(int(self.weekday[i]), ()) if exception is None else exception
            parts.append(np.array(self.blocks(i, blocks), dtype=np.int64).reshape(-1, 2))
        if not parts:
            return np.zeros((0, 2), dtype=np.int64)
        out = np.concatenate(parts)
        out = out[out[:, 1] > out[:, 0]]
        return out[np.argsort(out[:, 0], kind="stable")]

    def grid(self, granularity_minutes: int, lo: int, hi: int) -> I64:
        """All grid instants ``t`` with ``lo <= t <= hi``, ascending, each real instant once."""
        step = granularity_minutes * 60
        parts: list[I64] = []
        offsets = np.arange(0, DAY, step, dtype=np.int64)
        for i, d in enumerate(self.dates):
            m0, m1 = int(self.mid[i]), int(self.mid[i + 1])
            if m1 < lo or m0 > hi:
                continue
            pts = m0 + offsets if self.regular[i] else self._irregular_grid(d, m0, m1, step)
            parts.append(pts[(pts >= lo) & (pts <= hi) & (pts < m1)])
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(parts)

    def _irregular_grid(self, d: date, m0: int, m1: int, step: int) -> I64:
        # On a transition date walk every wall time with both folds and keep the real instants:
        # a wall time that does not round-trip does not exist.
        tz = zone(self.tz_name)
        seen: set[int] = set()
        for sod in range(0, DAY, step):
            naive = datetime.combine(d, time()) + timedelta(seconds=sod)
            for fold in (0, 1):
                aware = naive.replace(tzinfo=tz, fold=fold)
                back = aware.astimezone(UTC).astimezone(tz)
                if back.replace(tzinfo=None) == naive:
                    t = to_sec_floor(aware)
                    if m0 <= t < m1:
                        seen.add(t)
        return np.array(sorted(seen), dtype=np.int64)

    def on_grid(self, t: int, granularity_minutes: int) -> bool:
        local = to_datetime(t).astimezone(zone(self.tz_name))
        sod = local.hour * 3600 + local.minute * 60 + local.second
        return local.microsecond == 0 and sod % (granularity_minutes * 60) == 0


@lru_cache(maxsize=4096)
def _merged_hours(
    tz_name: str,
    first: date,
    last: date,
    weekly: tuple[tuple[int, tuple[LocalBlock, ...]], ...],
    exceptions: tuple[tuple[date, tuple[LocalBlock, ...]], ...],
) -> I64:
    hours = WeeklyHours(dict(weekly), dict(exceptions))
    merged = merge_array(LocalCalendar(tz_name, first, last).hours_array(hours))
    merged.flags.writeable = False
    return merged


def calendar_for(tz_name: str, lo: int, hi: int) -> LocalCalendar:
    """A calendar covering every local date that instants in ``[lo, hi]`` fall on, plus one."""
    tz = zone(tz_name)
    first = to_datetime(lo).astimezone(tz).date() - timedelta(days=1)
    last = to_datetime(hi).astimezone(tz).date() + timedelta(days=1)
    return LocalCalendar(tz_name, first, last)


def local_days_around(tz_name: str, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The whole clinic-local dates the engine reads for instants in ``[start, end]``.

    A query's free time and per-day loads are computed over these dates (``calendar_for``), so
    busy time inside them is everything a score can depend on: a caller that loads busy time for
    exactly this span gets the same score for a start whatever window it asks over.
    """
    cal = calendar_for(tz_name, to_sec_floor(start), max(to_sec_ceil(end), to_sec_floor(start)))
    return to_datetime(int(cal.mid[0])), to_datetime(int(cal.mid[-1]))


def merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of half-open intervals; touching intervals join."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(intervals):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def merge_array(iv: I64) -> I64:
    """``merge`` for an ``(n, 2)`` array: the sorted union, touching intervals joined."""
    iv = iv[iv[:, 1] > iv[:, 0]]
    if len(iv) == 0:
        return iv.reshape(0, 2)
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    reach = np.maximum.accumulate(iv[:, 1])
    first = np.flatnonzero(np.concatenate(([True], iv[1:, 0] > reach[:-1])))
    last = np.concatenate((first[1:] - 1, [len(iv) - 1]))
    return np.stack((iv[first, 0], reach[last]), axis=1)


def expand_hours(
    hours: WeeklyHours, tz: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Working hours within ``[start, end]`` as aware UTC intervals, merged and clipped.

    Blocks are expanded per clinic-local date with the ``fold=0`` rule (see module docstring);
    touching blocks are joined, so 09:00-12:00 and 12:00-17:00 come back as one interval.
    """
    lo, hi = outward_seconds(start, end)
    if hi <= lo:
        return []
    cal = calendar_for(tz, lo, hi)
    out = []
    for s, e in cal.merged_hours(hours).tolist():
        s, e = max(s, lo), min(e, hi)
        if e > s:
            out.append((to_datetime(s), to_datetime(e)))
    return out
