"""Turn grid indices and pool rows into the public result dataclasses."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import overload

import numpy as np

from solver.grid import I64, to_datetime
from solver.masks import PartMasks, Timeline
from solver.prepare import KINDS, Part
from solver.problem import ResourceKind
from solver.result import PartAssignment, Slot


class Assembler:
    """Builds Slots, sharing one datetime object per instant (they are immutable)."""

    def __init__(self, timeline: Timeline, part_masks: list[PartMasks]) -> None:
        self.timeline = timeline
        self.part_masks = part_masks
        self._dt: dict[int, datetime] = {}
        # Where no slot reserved for the type can contain a part, skip the per-slot lookup.
        self.fillable = [masks.fillable() for masks in part_masks]

    def dt(self, t: int) -> datetime:
        d = self._dt.get(t)
        if d is None:
            d = self._dt[t] = to_datetime(t)
        return d

    def provider_time(self, part: Part, t: int) -> tuple[tuple[datetime, datetime], ...]:
        """When part, started at instant t, needs its provider (``PartAssignment``)."""
        if ResourceKind.PROVIDER not in part.pools:
            return ()
        return tuple((self.dt(t + a), self.dt(t + b)) for a, b in part.provider_runs)

    def slot(self, js: list[int], resources: list[dict[ResourceKind, str]]) -> Slot:
        parts = []
        grid = self.timeline.grid
        for p, j, res in zip(self.timeline.prep.parts, js, resources, strict=True):
            t = int(grid[j])
            fill = (
                self.timeline.filled_slot(p, t, res)
                if p.slot is not None or self.fillable[p.index][j]
                else None
            )
            parts.append(
                PartAssignment(
                    p.type.id,
                    self.dt(t),
                    self.dt(t + p.dur),
                    res.get(ResourceKind.PROVIDER),
                    res.get(ResourceKind.CHAIR),
                    res.get(ResourceKind.ROOM),
                    fill,
                    self.provider_time(p, t),
                    res.get(ResourceKind.ASSISTANT),
                )
            )
        return Slot(parts[0].start, parts[-1].end, tuple(parts))

    def many(self, cols: list[tuple[I64, dict[ResourceKind, I64]]]) -> list[Slot]:
        """Slots for many chains at once (per part: grid indices and pool rows per kind).

        Availability returns hundreds of slots per query, so ids and instants are gathered with
        numpy first and the Python loop only builds the dataclasses.
        """
        if not cols or len(cols[0][0]) == 0:
            return []
        grid = self.timeline.grid
        per_part = []
        for p, masks, (js, rows) in zip(
            self.timeline.prep.parts, self.part_masks, cols, strict=True
        ):
            t = grid[js]
            ids: dict[ResourceKind, list[str | None]] = {
                k: np.array(masks.kinds[k].ids, dtype=object)[rows[k]].tolist()
                if k in rows
                else [None] * len(js)
                for k in KINDS
            }
            fills: list[str | None] = [None] * len(js)
            for x in (
                np.flatnonzero(self.fillable[p.index][js]) if p.slot is None else range(len(js))
            ):
                res = {k: str(ids[k][x]) for k in rows}
                fills[x] = self.timeline.filled_slot(p, int(t[x]), res)
            ends_t = t + p.dur
            for v in np.unique(np.concatenate([t, ends_t])).tolist():
                if v not in self._dt:
                    self._dt[v] = to_datetime(v)
            starts = list(map(self._dt.__getitem__, t.tolist()))
            ends = list(map(self._dt.__getitem__, ends_t.tolist()))
            provider_times = (
                [self.provider_time(p, v) for v in t.tolist()]
                if p.doctor_time
                else [((a, b),) for a, b in zip(starts, ends, strict=True)]
                if ResourceKind.PROVIDER in p.pools
                else [()] * len(js)
            )
            per_part.append(
                [
                    PartAssignment(p.type.id, a, b, pr, ch, rm, f, pt, at)
                    for a, b, pr, ch, rm, f, pt, at in zip(
                        starts,
                        ends,
                        ids[ResourceKind.PROVIDER],
                        ids[ResourceKind.CHAIR],
                        ids[ResourceKind.ROOM],
                        fills,
                        provider_times,
                        ids[ResourceKind.ASSISTANT],
                        strict=True,
                    )
                ]
            )
        return [Slot(ps[0].start, ps[-1].end, tuple(ps)) for ps in zip(*per_part, strict=True)]


class LazySlots(Sequence[Slot]):
    """Availability's slots, each built the first time it is read.

    A 14-day answer holds hundreds of starts, and callers mostly read a page of them (the API's
    ``limit``, the portal's alternatives) or just count them; the starts and resources are
    already decided in ``cols``, so building the dataclasses only for what is read changes no
    answer. Reading everything (iteration) builds the rest in one batch.
    """

    def __init__(self, asm: Assembler, cols: list[tuple[I64, dict[ResourceKind, I64]]]) -> None:
        self._asm = asm
        self._cols = cols
        self._n = len(cols[0][0]) if cols else 0
        self._built: dict[int, Slot] = {}

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> Slot: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Slot, ...]: ...
    def __getitem__(self, i: int | slice) -> Slot | tuple[Slot, ...]:
        if isinstance(i, slice):
            return tuple(self._take(range(self._n)[i]))
        return self._take([range(self._n)[i]])[0]

    def __iter__(self) -> Iterator[Slot]:
        return iter(self._take(range(self._n)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"LazySlots({list(self)!r})"

    def _take(self, idx: Sequence[int]) -> list[Slot]:
        missing = [i for i in idx if i not in self._built]
        if missing:
            rows = np.array(missing, dtype=np.int64)
            sub = [(js[rows], {k: r[rows] for k, r in kinds.items()}) for js, kinds in self._cols]
            self._built.update(zip(missing, self._asm.many(sub), strict=True))
        return [self._built[i] for i in idx]
