"""The engine's output: frozen dataclasses, every datetime aware and in UTC."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True)
class PartAssignment:
    """One booked part: its times (without buffers) and the resources it holds.

    ``provider_time`` is when the provider is needed, as UTC instants: the pattern's ``D`` runs
    (no buffers) for a part with a time pattern, ``((start, end),)`` for one without, and
    ``()`` when the part holds no provider. The engine always fills it in what it returns;
    ``validate`` ignores it on its input (it derives the runs from the visit's patterns).
    ``assistant_id`` is last so positional constructions written before assistants still work;
    it is None when the part's type needs no assistant.
    """

    type_id: str
    start: datetime
    end: datetime
    provider_id: str | None
    chair_id: str | None
    room_id: str | None
    template_slot_id: str | None
    provider_time: tuple[tuple[datetime, datetime], ...] = ()
    assistant_id: str | None = None


@dataclass(frozen=True)
class Slot:
    """A bookable visit: ``start`` of the first part, ``end`` of the last."""

    start: datetime
    end: datetime
    parts: tuple[PartAssignment, ...]


@dataclass(frozen=True)
class ScoreTerm:
    """One soft rule's contribution to a suggestion's score, with a reason staff can read."""

    rule: str
    points: float
    reason: str


@dataclass(frozen=True)
class Suggestion:
    slot: Slot
    score: float
    terms: tuple[ScoreTerm, ...]


@dataclass(frozen=True)
class Availability:
    """One Slot per distinct feasible start, ascending, each with one feasible assignment.

    ``complete`` is False only when the time limit cut the search short (some starts may then be
    missing; every returned one is still bookable). ``slots`` is a read-only sequence whose
    items may be built when first read (the answer itself is fixed when it is returned).
    """

    slots: Sequence[Slot]
    complete: bool


@dataclass(frozen=True)
class BestFit:
    """Ranked suggestions, best first, at most one per start time.

    ``objective`` is the top suggestion's score; ``bound`` an upper bound on the score of any
    bookable suggestion (equal to ``objective`` when ``complete``). ``complete`` means the list is
    provably the k best starts.
    """

    suggestions: tuple[Suggestion, ...]
    status: SolveStatus
    objective: float | None
    bound: float | None
    complete: bool


@dataclass(frozen=True)
class Violation:
    """A hard rule a concrete booking breaks; ``code`` is stable, ``message`` is for people."""

    code: str
    message: str
    part_index: int
    resource_id: str | None = None
    ref: str | None = None
