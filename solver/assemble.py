"""Turn grid indices and pool rows into the public result dataclasses."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from solver.grid import to_datetime
from solver.masks import PartMasks, Timeline
from solver.problem import ResourceKind
from solver.result import PartAssignment, Slot


class Assembler:
    """Builds Slots, sharing one datetime object per instant (they are immutable)."""

    def __init__(self, tl: Timeline, pms: list[PartMasks]) -> None:
        self.tl = tl
        self._dt: dict[int, datetime] = {}
        # Where no slot reserved for the type can contain a part, skip the per-slot lookup.
        self.fillable = [
            pm.gfill | np.logical_or.reduce([km.fill.any(axis=0) for km in pm.kinds.values()])
            if pm.kinds
            else pm.gfill
            for pm in pms
        ]

    def dt(self, t: int) -> datetime:
        d = self._dt.get(t)
        if d is None:
            d = self._dt[t] = to_datetime(t)
        return d

    def slot(self, js: list[int], resources: list[dict[ResourceKind, str]]) -> Slot:
        parts = []
        grid = self.tl.grid
        for p, j, res in zip(self.tl.prep.parts, js, resources, strict=True):
            t = int(grid[j])
            fill = (
                self.tl.filled_slot(p, t, res)
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
                )
            )
        return Slot(parts[0].start, parts[-1].end, tuple(parts))
