"""A deliberately simple brute-force reference for the slot engine.

Plain datetimes and loops, nothing shared with the engine except the input/output dataclasses
and the documented objective weights: enumerate every grid start, every chain of later starts
within the gap bounds and every resource assignment, and check each hard rule directly.

Doctor time is written step by step: a provider with a time pattern is held for each 5-minute
``D`` step on its own (never merged into runs), chairs, rooms and assistants for the whole part
with buffers. An assistant is needed only by a type with ``needs_assistant``; template slots
never name one.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from solver import objective as W
from solver.problem import Resource, ResourceKind, SlotQuery

Interval = tuple[datetime, datetime]


def wall(d: date, t: time, tz: ZoneInfo) -> datetime:
    """Local wall time on date d as UTC, PEP 495 fold=0."""
    return datetime.combine(d, t, tzinfo=tz).astimezone(UTC)


def merged(iv: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s, e in sorted(iv):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def overlap(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@dataclass(frozen=True)
class OPart:
    type_id: str
    start: datetime
    end: datetime
    res: tuple[tuple[ResourceKind, str], ...]


class Oracle:
    def __init__(self, q: SlotQuery) -> None:
        self.q = q
        c = q.clinic
        self.tz = ZoneInfo(c.time_zone)
        self.g = c.policy.granularity_minutes
        self.types = {t.id: t for t in c.types}
        self.res = {r.id: r for r in c.resources}
        lo = q.window_start.astimezone(self.tz).date() - timedelta(days=2)
        hi = q.window_end.astimezone(self.tz).date() + timedelta(days=2)
        self.dates = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
        self.earliest = max(q.window_start, q.now + c.policy.min_lead_time)
        self.latest = min(q.window_end, q.now + c.policy.max_horizon)
        self.slots = [
            (s, wall(d, s.block.start, self.tz), wall(d, s.block.end, self.tz))
            for s in c.template_slots
            for d in self.dates
            if d.weekday() == s.weekday
        ]
        self.slots = [(s, a, b) for s, a, b in self.slots if b > a]
        self.short = min(t.min_minutes for t in c.types)
        self._hours: dict[str, list[Interval]] = {}
        self._free: dict[str, list[Interval]] = {}

    # -- time ------------------------------------------------------------------------------

    @cached_property
    def grid(self) -> list[datetime]:
        out = set()
        for d in self.dates:
            for m in range(0, 1440, self.g):
                naive = datetime.combine(d, time(m // 60, m % 60))
                for fold in (0, 1):
                    aware = naive.replace(tzinfo=self.tz, fold=fold)
                    if aware.astimezone(UTC).astimezone(self.tz).replace(tzinfo=None) == naive:
                        out.add(aware.astimezone(UTC))
        return sorted(t for t in out if self.earliest <= t <= self.latest)

    def hours(self, r: Resource) -> list[Interval]:
        # Asked for every held interval of every candidate: worked out once per resource.
        if r.id not in self._hours:
            self._hours[r.id] = self._open(r)
        return self._hours[r.id]

    def _open(self, r: Resource) -> list[Interval]:
        iv = []
        for d in self.dates:
            blocks = r.hours.exceptions.get(d, r.hours.weekly.get(d.weekday(), ()))
            for b in blocks:
                iv.append((wall(d, b.start, self.tz), wall(d, b.end, self.tz)))
        return merged(iv)

    def free(self, r: Resource) -> list[Interval]:
        if r.id not in self._free:
            self._free[r.id] = self._unbooked(r)
        return self._free[r.id]

    def _unbooked(self, r: Resource) -> list[Interval]:
        out = []
        busy = merged([(b.start, b.end) for b in r.busy])
        for s, e in self.hours(r):
            cur = s
            for bs, be in busy:
                if be <= cur or bs >= e:
                    continue
                if bs > cur:
                    out.append((cur, bs))
                cur = max(cur, be)
            if cur < e:
                out.append((cur, e))
        return out

    # -- pools -----------------------------------------------------------------------------

    def pools(self, i: int) -> dict[ResourceKind, list[str]]:
        vp = self.q.visit.parts[i]
        t = self.types[vp.type_id]
        slot = next((s for s in self.q.clinic.template_slots if s.id == vp.template_slot_id), None)
        pins = {
            ResourceKind.PROVIDER: vp.provider_id or (slot.provider_id if slot else None),
            ResourceKind.CHAIR: vp.chair_id or (slot.chair_id if slot else None),
            ResourceKind.ROOM: vp.room_id,
            ResourceKind.ASSISTANT: vp.assistant_id,
        }
        out: dict[ResourceKind, list[str]] = {}
        if self.holds_provider(i):
            out[ResourceKind.PROVIDER] = []
        if t.needs_chair:
            out[ResourceKind.CHAIR] = []
        if t.room_kind is not None:
            out[ResourceKind.ROOM] = []
        if t.needs_assistant:
            out[ResourceKind.ASSISTANT] = []
        for r in self.q.clinic.resources:
            if r.kind == ResourceKind.PROVIDER and self.holds_provider(i):
                ok = t.qualified_provider_ids is None or r.id in t.qualified_provider_ids
            elif r.kind == ResourceKind.CHAIR and t.needs_chair:
                ok = True
            elif r.kind == ResourceKind.ROOM and t.room_kind is not None:
                ok = r.room_kind == t.room_kind
            elif r.kind == ResourceKind.ASSISTANT and t.needs_assistant:
                ok = t.qualified_assistant_ids is None or r.id in t.qualified_assistant_ids
            else:
                continue
            if ok and pins[r.kind] in (None, r.id):
                out[r.kind].append(r.id)
        return out

    def pattern(self, i: int) -> str | None:
        """Part i's doctor-time pattern for its duration: its own, else its type's with
        assistant time added or removed at the end (one letter per 5 minutes)."""
        vp = self.q.visit.parts[i]
        if vp.time_pattern is not None:
            return vp.time_pattern
        base = self.types[vp.type_id].time_pattern
        if base is None:
            return None
        steps = -(-int(self.duration(i).total_seconds() // 60) // 5)
        return base[:steps] + "A" * max(0, steps - len(base))

    def holds_provider(self, i: int) -> bool:
        pattern = self.pattern(i)
        needs = self.types[self.q.visit.parts[i].type_id].needs_provider
        return needs and (pattern is None or "D" in pattern)

    def held(self, i: int, kind: ResourceKind, s: datetime) -> list[Interval]:
        """Minutes part i started at s holds its resource of ``kind``: buffers included, except
        a provider with a pattern, who is held for each ``D`` step (clipped to the duration)."""
        t = self.types[self.q.visit.parts[i].type_id]
        e = s + self.duration(i)
        pattern = self.pattern(i)
        if kind != ResourceKind.PROVIDER or pattern is None:
            return [
                (
                    s - timedelta(minutes=t.buffer_before_minutes),
                    e + timedelta(minutes=t.buffer_after_minutes),
                )
            ]
        return [
            (s + timedelta(minutes=5 * k), min(e, s + timedelta(minutes=5 * k + 5)))
            for k, c in enumerate(pattern)
            if c == "D"
        ]

    def provider_time(self, i: int, s: datetime) -> list[Interval]:
        """What the engine reports as ``provider_time``: the ``D`` runs, or the whole part."""
        if not self.holds_provider(i):
            return []
        if self.pattern(i) is None:
            return [(s, s + self.duration(i))]
        return merged(self.held(i, ResourceKind.PROVIDER, s))

    def duration(self, i: int) -> timedelta:
        vp = self.q.visit.parts[i]
        t = self.types[vp.type_id]
        return timedelta(
            minutes=t.default_minutes if vp.duration_minutes is None else vp.duration_minutes
        )

    # -- rules -----------------------------------------------------------------------------

    def part_ok(self, i: int, s: datetime, res: tuple[tuple[ResourceKind, str], ...]) -> bool:
        vp = self.q.visit.parts[i]
        e = s + self.duration(i)
        for kind, rid in res:
            r = self.res[rid]
            for occ in self.held(i, kind, s):
                if not any(a <= occ[0] and occ[1] <= b for a, b in self.hours(r)):
                    return False
                if any(overlap(occ, (b.start, b.end)) for b in r.busy):
                    return False
        if any(overlap((s, e), (b.start, b.end)) for b in self.q.patient_busy):
            return False
        used = {rid for _, rid in res}
        for slot, a, b in self.slots:
            applies = (slot.chair_id is None and slot.provider_id is None) or (
                slot.chair_id in used or slot.provider_id in used
            )
            if applies and overlap((s, e), (a, b)) and vp.type_id not in slot.type_ids:
                return False
        return not (
            vp.template_slot_id is not None
            and not any(
                slot.id == vp.template_slot_id and a <= s and e <= b for slot, a, b in self.slots
            )
        )

    def chain_ok(self, parts: list[OPart]) -> bool:
        v = self.q.visit
        for kind, flag in (
            (ResourceKind.PROVIDER, v.same_provider),
            (ResourceKind.CHAIR, v.same_chair),
        ):
            ids = {rid for p in parts for k, rid in p.res if k == kind}
            if flag and len(ids) > 1:
                return False
        for (i, a), (j, b) in itertools.combinations(enumerate(parts), 2):
            for kind, rid in a.res:
                if (kind, rid) in b.res and any(
                    overlap(x, y)
                    for x in self.held(i, kind, a.start)
                    for y in self.held(j, kind, b.start)
                ):
                    return False
        return parts[-1].end <= self.latest and parts[0].start >= self.earliest

    # -- enumeration -----------------------------------------------------------------------

    def _options(self, i: int, s: datetime) -> list[OPart]:
        key = (i, s)
        if key not in self._cache:
            pools = self.pools(i)
            kinds = sorted(pools)
            out = []
            for combo in itertools.product(*(pools[k] for k in kinds)):
                res = tuple(zip(kinds, combo, strict=True))
                if self.part_ok(i, s, res):
                    out.append(OPart(self.q.visit.parts[i].type_id, s, s + self.duration(i), res))
            self._cache[key] = out
        return self._cache[key]

    def chains(self, s0: datetime) -> list[list[OPart]]:
        if not hasattr(self, "_cache"):
            self._cache: dict = {}
        n = len(self.q.visit.parts)
        out: list[list[OPart]] = []

        def rec(prefix: list[OPart]) -> None:
            i = len(prefix)
            if i == n:
                if self.chain_ok(prefix):
                    out.append(list(prefix))
                return
            vp = self.q.visit.parts[i]
            lo = prefix[-1].end + timedelta(minutes=vp.min_gap_minutes)
            hi = prefix[-1].end + timedelta(minutes=vp.max_gap_minutes)
            for s in self.grid:
                if lo <= s <= hi:
                    for opt in self._options(i, s):
                        rec([*prefix, opt])

        for opt in self._options(0, s0):
            rec([opt])
        return out

    def available(self) -> list[datetime]:
        return [s for s in self.grid if self.chains(s)]

    def feasible(self, parts: list[OPart]) -> bool:
        if len(parts) != len(self.q.visit.parts):
            return False
        if any(p.start not in set(self.grid) for p in parts):
            return False
        for i, p in enumerate(parts):
            pools = self.pools(i)
            if sorted(k for k, _ in p.res) != sorted(pools):
                return False
            if any(rid not in pools[k] for k, rid in p.res):
                return False
            if p.end - p.start != self.duration(i) or not self.part_ok(i, p.start, p.res):
                return False
            if i:
                vp = self.q.visit.parts[i]
                gap = p.start - parts[i - 1].end
                if (
                    not timedelta(minutes=vp.min_gap_minutes)
                    <= gap
                    <= timedelta(minutes=vp.max_gap_minutes)
                ):
                    return False
        return self.chain_ok(parts)

    # -- objective -------------------------------------------------------------------------

    def score(self, parts: list[OPart]) -> int:
        """Centipoints, from the documented rules in solver.objective, computed independently."""
        q = self.q
        ref = q.preferences.preferred_start or self.earliest
        ref_s = (
            math.ceil(ref.timestamp()) if q.preferences.preferred_start is None else ref.timestamp()
        )
        total = -int(abs(parts[0].start.timestamp() - ref_s) * W.NEARNESS_CP_PER_HOUR // 3600)
        for i, p in enumerate(parts):
            vp = q.visit.parts[i]
            t = self.types[p.type_id]
            used = {rid for _, rid in p.res}
            if vp.template_slot_id is not None or any(
                p.type_id in slot.type_ids
                and a <= p.start
                and p.end <= b
                and (
                    (slot.chair_id is None and slot.provider_id is None)
                    or slot.chair_id in used
                    or slot.provider_id in used
                )
                for slot, a, b in self.slots
            ):
                total += W.TEMPLATE_FILL_CP
            for kind, rid in p.res:
                if kind == ResourceKind.PROVIDER and rid == q.preferences.usual_provider_id:
                    total += W.USUAL_PROVIDER_CP
                occ = (
                    p.start - timedelta(minutes=t.buffer_before_minutes),
                    p.end + timedelta(minutes=t.buffer_after_minutes),
                )
                # short_gap is for whole-span holds; a patterned provider's gaps are doctor time.
                whole_span = kind != ResourceKind.PROVIDER or self.pattern(i) is None
                for a, b in self.free(self.res[rid]) if whole_span else []:
                    if a <= occ[0] and occ[1] <= b:
                        for left in (occ[0] - a, b - occ[1]):
                            if timedelta(0) < left < timedelta(minutes=self.short):
                                total -= W.SHORT_GAP_CP
                if kind == ResourceKind.CHAIR:
                    d = p.start.astimezone(self.tz).date()
                    day = (wall(d, time(), self.tz), wall(d + timedelta(days=1), time(), self.tz))
                    r = self.res[rid]
                    open_s = sum(
                        (min(b, day[1]) - max(a, day[0])).total_seconds()
                        for a, b in self.hours(r)
                        if overlap((a, b), day)
                    )
                    free_s = sum(
                        (min(b, day[1]) - max(a, day[0])).total_seconds()
                        for a, b in self.free(r)
                        if overlap((a, b), day)
                    )
                    if open_s > 0:
                        booked = int(open_s - free_s)
                        total -= (W.CHAIR_LOAD_CP * booked + int(open_s) // 2) // int(open_s)
            provider = next((rid for k, rid in p.res if k == ResourceKind.PROVIDER), None)
            if provider is not None and self.pattern(i) is not None:
                total += self.doctor_score(i, p.start, provider)
        return total

    def provider_runs(self, provider: str) -> list[tuple[timedelta, timedelta, timedelta]]:
        """(offset, length, appointment length) of every provider-time run the provider does:
        each D run of a pattern at the default duration (5-minute steps, clipped), or an
        unpatterned type held whole at its minimum and at its default duration."""
        out = []
        for t in self.q.clinic.types:
            if not t.needs_provider or (
                t.qualified_provider_ids is not None and provider not in t.qualified_provider_ids
            ):
                continue
            if t.time_pattern is None:
                for m in (t.min_minutes, t.default_minutes):
                    out.append((timedelta(0), timedelta(minutes=m), timedelta(minutes=m)))
                continue
            zero = datetime(2000, 1, 1, tzinfo=UTC)
            steps = [
                (
                    zero + timedelta(minutes=5 * k),
                    zero + timedelta(minutes=min(5 * k + 5, t.default_minutes)),
                )
                for k, c in enumerate(t.time_pattern)
                if c == "D"
            ]
            whole = timedelta(minutes=t.default_minutes)
            out += [(a - zero, b - a, whole) for a, b in merged(steps)]
        return out

    def idle_seconds(self, r: Resource, stretches: list[Interval]) -> int:
        """Seconds of the free stretches where no run the provider does fits: its appointment
        inside the working block holding the stretch, the run inside the stretch."""
        runs = self.provider_runs(r.id)
        total = 0
        for a, b in stretches:
            block = next(h for h in self.hours(r) if h[0] <= a and b <= h[1])
            fits = False
            for offset, length, whole in runs:
                x = max(a - offset, block[0])
                fits = fits or (x + offset + length <= b and x + whole <= block[1])
            if not fits:
                total += int((b - a).total_seconds())
        return total if runs else 0

    def doctor_score(self, i: int, start: datetime, provider: str) -> int:
        """doctor_adjacent, doctor_idle_time and long_doctor_room for a patterned part."""
        r = self.res[provider]
        runs = merged(self.held(i, ResourceKind.PROVIDER, start))
        total = 0
        for x, y in runs:
            total += W.DOCTOR_ADJACENT_CP * any(b.end == x for b in r.busy)
            total += W.DOCTOR_ADJACENT_CP * any(b.start == y for b in r.busy)
        free = self.free(r)
        pieces = []  # the free time left once the part takes its runs
        for a, b in free:
            cur = a
            for x, y in runs:
                if a <= x and y <= b:
                    pieces.append((cur, x))
                    cur = y
            pieces.append((cur, b))
        pieces = [(a, b) for a, b in pieces if b > a]
        idle_added = self.idle_seconds(r, pieces) - self.idle_seconds(r, free)
        total -= (idle_added * W.DOCTOR_IDLE_CP_PER_MINUTE) // 60
        lengths = [length for _, length, _ in self.provider_runs(provider)]
        if not lengths:  # no type the provider does has provider time: nothing to keep
            return total
        longest = max(lengths)
        d = start.astimezone(self.tz).date()
        day = (wall(d, time(), self.tz), wall(d + timedelta(days=1), time(), self.tz))

        def room(intervals: list[Interval]) -> int:
            return sum(min(b, day[1]) - max(a, day[0]) >= longest for a, b in intervals)

        if room(free) > 0 and room(pieces) == 0:
            total -= W.LONG_DOCTOR_ROOM_CP
        return total

    def best(self) -> tuple[int, list[OPart]] | None:
        best = None
        for s in self.grid:
            for ch in self.chains(s):
                sc = self.score(ch)
                if best is None or sc > best[0]:
                    best = (sc, ch)
        return best


def from_assignments(parts) -> list[OPart]:  # type: ignore[no-untyped-def]
    out = []
    for a in parts:
        res = []
        for kind, rid in (
            (ResourceKind.PROVIDER, a.provider_id),
            (ResourceKind.CHAIR, a.chair_id),
            (ResourceKind.ROOM, a.room_id),
            (ResourceKind.ASSISTANT, a.assistant_id),
        ):
            if rid is not None:
                res.append((kind, rid))
        out.append(OPart(a.type_id, a.start, a.end, tuple(sorted(res))))
    return out
