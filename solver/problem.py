"""The slot engine's input: plain frozen dataclasses, fully prepared by the caller.

Everything here is data. The caller (the API) converts database rows into these objects; the
engine never reads a clock, a database or the network. Instants are timezone-aware datetimes;
weekly hours and template slots are clinic-local wall-clock times, expanded by the engine with
``zoneinfo`` so that DST days have 23 or 25 hours.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta


class ResourceKind(enum.StrEnum):
    PROVIDER = "provider"
    CHAIR = "chair"
    ROOM = "room"
    # Staff who seat the patient and work alongside the doctor; held like a chair.
    ASSISTANT = "assistant"


@dataclass(frozen=True)
class LocalBlock:
    """A clinic-local wall-clock block, ``start < end``, both on the same local day."""

    start: time
    end: time


@dataclass(frozen=True)
class WeeklyHours:
    """Working hours of one resource.

    ``weekly[d]`` lists the blocks for ISO weekday ``d`` (0 = Monday .. 6 = Sunday); a missing
    weekday means closed. ``exceptions`` replaces a whole local date: an empty tuple closes the
    resource for that date (holiday, day off), non-empty blocks are that date's only hours.
    """

    weekly: dict[int, tuple[LocalBlock, ...]] = field(default_factory=dict)
    exceptions: dict[date, tuple[LocalBlock, ...]] = field(default_factory=dict)

    def __hash__(self) -> int:  # dict fields: hash by identity is enough for a frozen value
        return id(self)


@dataclass(frozen=True)
class BusyInterval:
    """Time a resource (or the patient) is unavailable, buffers already included.

    ``ref`` names what holds it (an appointment id, a blockout id) so conflicts can say which.
    """

    start: datetime
    end: datetime
    ref: str | None = None


@dataclass(frozen=True)
class Resource:
    id: str
    kind: ResourceKind
    hours: WeeklyHours
    busy: tuple[BusyInterval, ...] = ()
    room_kind: str | None = None  # only for rooms: "scanner", "x-ray", ...
    name: str = ""

    @property
    def label(self) -> str:
        """How messages name it: an assistant's name alone reads like a patient's, so it says
        "Assistant Maya"; chairs, rooms and providers are named as the clinic names them."""
        name = self.name or self.id
        if self.kind == ResourceKind.ASSISTANT and not name.lower().startswith("assistant"):
            return f"Assistant {name}"
        return name


@dataclass(frozen=True)
class AppointmentTypeSpec:
    id: str
    min_minutes: int
    max_minutes: int
    default_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    needs_provider: bool = True
    qualified_provider_ids: frozenset[str] | None = None  # None: every provider may do it
    needs_chair: bool = True
    room_kind: str | None = None  # a room of this kind is needed
    name: str = ""
    # Doctor time (``solver.time_pattern``): None holds the provider for the whole appointment.
    time_pattern: str | None = None
    # An assistant is held for the whole part with buffers, like a chair; never without this.
    needs_assistant: bool = False
    qualified_assistant_ids: frozenset[str] | None = None  # None: every assistant may do it


@dataclass(frozen=True)
class TemplateSlot:
    """A weekly block reserved for some appointment types.

    It applies to the chair and/or provider it names (both ``None``: every chair and provider).
    A part that overlaps it must be of one of ``type_ids``; a part that lies wholly inside it and
    matches "fills" it and reports its id.
    """

    id: str
    weekday: int
    block: LocalBlock
    type_ids: frozenset[str]
    chair_id: str | None = None
    provider_id: str | None = None

    @property
    def names_anyone(self) -> bool:
        """Does the slot name a chair or a provider (else it is the whole clinic's)?"""
        return self.chair_id is not None or self.provider_id is not None

    def applies_to(self, kind: ResourceKind, resource_id: str) -> bool:
        """Is this resource's time reserved by the slot?

        A slot applies to the chair and/or provider it names; naming neither, to every chair and
        provider. A slot never names a room or an assistant, so those are only ever under it
        through the chair or provider of the part that uses them.
        """
        if kind == ResourceKind.CHAIR:
            return self.chair_id == resource_id if self.names_anyone else True
        if kind == ResourceKind.PROVIDER:
            return self.provider_id == resource_id if self.names_anyone else True
        return False

    def applies_to_part(self, resource_ids: Iterable[str]) -> bool:
        """Does the slot apply to a part holding these resources?

        Through any one of them: "uses the slot's chair or its provider" (a disjunction, which is
        why the search can keep it as one mask per resource). A slot naming no one applies to
        every part, even one that needs neither a chair nor a provider.
        """
        if not self.names_anyone:
            return True
        held = set(resource_ids)
        return self.chair_id in held or self.provider_id in held


@dataclass(frozen=True)
class BookingPolicy:
    granularity_minutes: int = 5
    min_lead_time: timedelta = timedelta(hours=2)  # the API passes 0 when staff override
    max_horizon: timedelta = timedelta(days=90)


@dataclass(frozen=True)
class Clinic:
    time_zone: str  # IANA name, e.g. "Europe/London"
    policy: BookingPolicy
    resources: tuple[Resource, ...]
    types: tuple[AppointmentTypeSpec, ...]
    template_slots: tuple[TemplateSlot, ...] = ()


@dataclass(frozen=True)
class VisitPart:
    """One appointment of a visit.

    ``duration_minutes`` None means the type's default; outside the type's bounds is an error.
    ``provider_id`` / ``chair_id`` / ``room_id`` / ``assistant_id`` pin a resource; None lets the
    engine choose.
    ``template_slot_id`` asks to book into that template slot ("book into template slot").
    ``time_pattern`` overrides the type's pattern for this part, for its actual duration.
    The gap bounds apply between the end of the previous part and the start of this one and are
    ignored on the first part.
    """

    type_id: str
    duration_minutes: int | None = None
    provider_id: str | None = None
    chair_id: str | None = None
    room_id: str | None = None
    template_slot_id: str | None = None
    min_gap_minutes: int = 0
    max_gap_minutes: int = 0
    # This appointment's own pattern (staff-edited); None means the type's, fitted to the duration.
    time_pattern: str | None = None
    assistant_id: str | None = None


@dataclass(frozen=True)
class Visit:
    parts: tuple[VisitPart, ...]
    same_provider: bool = False
    same_chair: bool = False


@dataclass(frozen=True)
class Preferences:
    """Soft wishes for best fit; none of them ever makes a slot unbookable."""

    preferred_start: datetime | None = None
    usual_provider_id: str | None = None


@dataclass(frozen=True)
class SlotQuery:
    clinic: Clinic
    visit: Visit
    window_start: datetime
    window_end: datetime
    now: datetime
    patient_busy: tuple[BusyInterval, ...] = ()
    preferences: Preferences = Preferences()
    time_limit_seconds: float = 2.0
