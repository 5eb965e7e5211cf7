"""A planning scenario: one clinic (resources, types, template) and a stream of booking requests.

Everything is plain frozen data so a scenario can be generated, saved, loaded and replayed by any
policy without the policies being able to change it. Clock times in ``hours`` and template slots
are clinic-local wall-clock times; ``made_at`` instants are timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from solver.time_pattern import provider_runs

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Block:
    """A clinic-local wall-clock block on one day, ``start < end``."""

    start: time
    end: time

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


Hours = dict[int, tuple[Block, ...]]  # ISO weekday (0 = Monday) -> blocks; missing = closed


@dataclass(frozen=True)
class ResourceSpec:
    id: str
    kind: str  # "provider" | "chair" | "room" | "assistant"
    hours: Hours = field(hash=False)
    name: str = ""
    room_kind: str | None = None
    # Providers only: "orthodontist" or "therapist" (empty: unknown). Patients seen per
    # orthodontist-day counts the visits of providers with this role, or of every provider when
    # no provider has one.
    role: str = ""


@dataclass(frozen=True)
class TypeSpec:
    """A bookable appointment type of fixed length (the planner compares packing, not lengths).

    ``time_pattern`` is doctor time as ``solver.time_pattern`` defines it (one ``D``/``A`` per
    5 minutes of ``minutes``); None holds the provider for the whole appointment.
    """

    id: str
    minutes: int
    name: str = ""
    needs_provider: bool = True
    needs_chair: bool = True
    room_kind: str | None = None
    provider_ids: tuple[str, ...] = ()  # empty: every provider may do it
    time_pattern: str | None = None
    # An assistant is held for the whole appointment, like a chair (any of the clinic's).
    needs_assistant: bool = False

    def provider_runs(self) -> tuple[tuple[int, int], ...]:
        """Minute offsets from the start during which the provider is held (none: not held)."""
        if not self.needs_provider:
            return ()
        return provider_runs(self.time_pattern, self.minutes)


@dataclass(frozen=True)
class SlotSpec:
    """A weekly template block reserved for some types (both resource ids None: all of them)."""

    id: str
    weekday: int
    block: Block
    type_ids: tuple[str, ...]
    chair_id: str | None = None
    provider_id: str | None = None


@dataclass(frozen=True)
class PartSpec:
    type_id: str
    min_gap_minutes: int = 0
    max_gap_minutes: int = 0


@dataclass(frozen=True)
class Request:
    """One booking request as it reaches the front desk.

    The patient accepts any start from ``earliest`` to ``latest`` (local dates, inclusive) on
    ``days`` (ISO weekdays) inside ``hours``. ``cancel_fraction``: the booking is cancelled after
    that fraction of the wait between booking and appointment has passed. ``no_show``: the
    appointment stays booked but the patient does not come.
    """

    id: str
    patient_id: str
    made_at: datetime
    parts: tuple[PartSpec, ...]
    earliest: date
    latest: date
    days: tuple[int, ...]
    hours: tuple[Block, ...]
    usual_provider_id: str | None = None
    cancel_fraction: float | None = None
    no_show: bool = False

    @property
    def visit(self) -> str:
        return "+".join(p.type_id for p in self.parts)


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: int
    time_zone: str
    start: date  # the first day of the horizon (a Monday for the presets)
    weeks: int
    resources: tuple[ResourceSpec, ...]
    types: tuple[TypeSpec, ...]
    requests: tuple[Request, ...]
    template_slots: tuple[SlotSpec, ...] = ()
    granularity_minutes: int = 5
    min_lead_minutes: int = 120
    load: float | None = None  # the demand load it was generated for, when generated
    # ``--waitlist``: the chance that a waiting patient offered a freed time takes it.
    waitlist_accept: float = 0.6

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def end(self) -> date:
        """The first day after the horizon."""
        return self.start + timedelta(days=7 * self.weeks)

    def instant(self, day: date, at: time) -> datetime:
        """Clinic-local wall-clock ``at`` on ``day`` as an aware UTC instant (PEP 495 fold=0)."""
        return datetime.combine(day, at).replace(tzinfo=self.tz).astimezone(UTC)

    @property
    def horizon(self) -> tuple[datetime, datetime]:
        return self.instant(self.start, time()), self.instant(self.end, time())

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(7 * self.weeks)]

    def of_kind(self, kind: str) -> tuple[ResourceSpec, ...]:
        return tuple(r for r in self.resources if r.kind == kind)

    def type(self, type_id: str) -> TypeSpec:
        for t in self.types:
            if t.id == type_id:
                return t
        raise KeyError(f"unknown appointment type {type_id!r}")

    @property
    def shortest_minutes(self) -> int:
        return min(t.minutes for t in self.types)

    @property
    def has_patterns(self) -> bool:
        return any(t.time_pattern is not None for t in self.types)

    def without_patterns(self) -> Scenario:
        """The same clinic and stream with the provider held for every whole appointment: the
        model before doctor time, and the planner's ``whole-appointment`` baseline."""
        return replace(self, types=tuple(replace(t, time_pattern=None) for t in self.types))

    def without_assistants(self) -> Scenario:
        """The same clinic and stream with no assistant held (the clinic before assistants were
        a resource kind): assistants removed, no type needing one."""
        return replace(
            self,
            resources=tuple(r for r in self.resources if r.kind != "assistant"),
            types=tuple(replace(t, needs_assistant=False) for t in self.types),
        )

    def orthodontists(self) -> tuple[ResourceSpec, ...]:
        """Providers whose role is orthodontist, or every provider when none has a role."""
        providers = self.of_kind("provider")
        if not any(r.role for r in providers):
            return providers
        return tuple(r for r in providers if r.role == "orthodontist")

    def open_intervals(self, r: ResourceSpec) -> list[tuple[datetime, datetime]]:
        """The resource's working time over the horizon as UTC instants, in order."""
        out = []
        for day in self.days():
            for b in r.hours.get(day.weekday(), ()):
                out.append((self.instant(day, b.start), self.instant(day, b.end)))
        return out

    def with_template(
        self, hours: dict[str, Hours], slots: tuple[SlotSpec, ...], name: str | None = None
    ) -> Scenario:
        """The same clinic and demand under another template (hours per resource id, slots)."""
        unknown = sorted(set(hours) - {r.id for r in self.resources})
        if unknown:
            raise ValueError(f"the template names resources the scenario lacks: {unknown}")
        resources = tuple(replace(r, hours=hours.get(r.id, r.hours)) for r in self.resources)
        return replace(self, resources=resources, template_slots=slots, name=name or self.name)

    def truncated(self, weeks: int) -> Scenario:
        """The first ``weeks`` of the horizon: requests whose window starts inside it, clipped."""
        if weeks >= self.weeks:
            return self
        end = self.start + timedelta(days=7 * weeks - 1)
        kept = tuple(
            replace(q, latest=min(q.latest, end)) for q in self.requests if q.earliest <= end
        )
        return replace(self, weeks=weeks, requests=kept)
