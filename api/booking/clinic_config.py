"""A clinic's booking configuration as the engine reads it, cached per worker.

Its active resources, the active template's weekly hours, dated exceptions and template
slots, and the conversions of its rows into the engine's specs (`type_spec`, `policy`,
`template_slot_spec`). One immutable copy serves every request of a worker until the
clinic's ``config_version`` changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import NamedTuple
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from api.core import cache_stats
from api.models import (
    AppointmentType,
    Assistant,
    Chair,
    Clinic,
    Provider,
    Room,
    ScheduleException,
    ScheduleTemplate,
    WorkingHours,
)
from api.models import TemplateSlot as TemplateSlotRow
from solver.problem import (
    AppointmentTypeSpec,
    BookingPolicy,
    LocalBlock,
    TemplateSlot,
    WeeklyHours,
)


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")[:2]
    return time(int(hours), int(minutes))


def _exception_blocks(blocks: Iterable[object]) -> tuple[LocalBlock, ...]:
    parsed = []
    for block in blocks:
        if isinstance(block, dict):
            start, end = block["start"], block["end"]
        else:
            start, end = block  # type: ignore[misc]
        parsed.append(LocalBlock(_parse_hhmm(str(start)), _parse_hhmm(str(end))))
    return tuple(sorted(parsed, key=lambda b: b.start))


def active_template_id(session: Session, clinic_id: str) -> str | None:
    return session.scalar(
        select(ScheduleTemplate.id).where(
            ScheduleTemplate.clinic_id == clinic_id, ScheduleTemplate.active.is_(True)
        )
    )


def weekly_hours(session: Session, template_id: str | None) -> dict[tuple[str, str], WeeklyHours]:
    """Each resource's week from the template, read as plain rows (this runs on every query)."""
    weekly: dict[tuple[str, str], dict[int, list[LocalBlock]]] = defaultdict(
        lambda: defaultdict(list)
    )
    exceptions: dict[tuple[str, str], dict[date, tuple[LocalBlock, ...]]] = defaultdict(dict)
    if template_id is not None:
        hours = session.execute(
            select(
                WorkingHours.resource_type,
                WorkingHours.resource_id,
                WorkingHours.weekday,
                WorkingHours.start_time,
                WorkingHours.end_time,
            ).where(WorkingHours.template_id == template_id)
        )
        for kind, resource_id, weekday, start, end in hours:
            weekly[(kind, resource_id)][weekday].append(LocalBlock(start, end))
        dated = session.execute(
            select(
                ScheduleException.resource_type,
                ScheduleException.resource_id,
                ScheduleException.date,
                ScheduleException.blocks,
            ).where(ScheduleException.template_id == template_id)
        )
        for kind, resource_id, day, blocks in dated:
            exceptions[(kind, resource_id)][day] = _exception_blocks(blocks)
    keys = set(weekly) | set(exceptions)
    return {
        key: WeeklyHours(
            weekly={d: tuple(sorted(bs, key=lambda b: b.start)) for d, bs in weekly[key].items()},
            exceptions=dict(exceptions[key]),
        )
        for key in keys
    }


def template_slots(session: Session, template_id: str | None) -> tuple[TemplateSlot, ...]:
    if template_id is None:
        return ()
    rows = session.execute(
        select(
            TemplateSlotRow.id,
            TemplateSlotRow.weekday,
            TemplateSlotRow.start_time,
            TemplateSlotRow.end_time,
            TemplateSlotRow.appointment_type_ids,
            TemplateSlotRow.chair_id,
            TemplateSlotRow.provider_id,
        ).where(TemplateSlotRow.template_id == template_id)
    )
    return tuple(
        TemplateSlot(
            id=slot_id,
            weekday=weekday,
            block=LocalBlock(start, end),
            type_ids=frozenset(type_ids),
            chair_id=chair_id,
            provider_id=provider_id,
        )
        for slot_id, weekday, start, end, type_ids, chair_id, provider_id in rows
    )


def template_slot_spec(row: TemplateSlotRow) -> TemplateSlot:
    """One stored template slot as the engine reads it (``template_slots`` reads many)."""
    return TemplateSlot(
        id=row.id,
        weekday=row.weekday,
        block=LocalBlock(row.start_time, row.end_time),
        type_ids=frozenset(row.appointment_type_ids),
        chair_id=row.chair_id,
        provider_id=row.provider_id,
    )


def type_spec(kind: AppointmentType) -> AppointmentTypeSpec:
    return AppointmentTypeSpec(
        id=kind.id,
        min_minutes=kind.min_duration,
        max_minutes=kind.max_duration,
        default_minutes=kind.default_duration,
        buffer_before_minutes=kind.buffer_before,
        buffer_after_minutes=kind.buffer_after,
        needs_provider=kind.needs_provider,
        qualified_provider_ids=frozenset(p.id for p in kind.providers) or None,
        needs_chair=kind.needs_chair,
        room_kind=kind.room_kind,
        name=kind.name,
        time_pattern=kind.time_pattern,
        needs_assistant=kind.needs_assistant,
        qualified_assistant_ids=frozenset(a.id for a in kind.assistants) or None,
    )


def policy(clinic: Clinic, *, lead_time_override: bool = False) -> BookingPolicy:
    return BookingPolicy(
        granularity_minutes=clinic.slot_granularity_minutes,
        min_lead_time=timedelta(minutes=0 if lead_time_override else clinic.min_lead_time_minutes),
        max_horizon=timedelta(days=clinic.max_horizon_days),
    )


class ResourceRow(NamedTuple):
    id: str
    name: str
    room_kind: str | None = None


@dataclass(frozen=True)
class ClinicConfig:
    """What booking reads about a clinic besides appointments and holds: its active resources,
    the active template's hours and slots. Immutable, so one copy serves every request of a
    worker until the clinic's ``config_version`` changes."""

    template_id: str | None
    hours: dict[tuple[str, str], WeeklyHours]
    template_slots: tuple[TemplateSlot, ...]
    providers: tuple[ResourceRow, ...]
    chairs: tuple[ResourceRow, ...]
    rooms: tuple[ResourceRow, ...]
    # Empty for a clinic that has none: it books as it did before assistants existed.
    assistants: tuple[ResourceRow, ...] = ()

    @classmethod
    def load(cls, session: Session, clinic_id: str) -> ClinicConfig:
        template_id = active_template_id(session, clinic_id)

        def active(
            model: type[Provider] | type[Chair] | type[Assistant],
        ) -> tuple[ResourceRow, ...]:
            rows = session.execute(
                select(model.id, model.name).where(
                    model.clinic_id == clinic_id, model.active.is_(True)
                )
            )
            return tuple(ResourceRow(rid, name) for rid, name in rows)

        rooms = session.execute(
            select(Room.id, Room.name, Room.kind).where(
                Room.clinic_id == clinic_id, Room.active.is_(True)
            )
        )
        return cls(
            template_id=template_id,
            hours=weekly_hours(session, template_id),
            template_slots=template_slots(session, template_id),
            providers=active(Provider),
            chairs=active(Chair),
            rooms=tuple(ResourceRow(rid, name, kind) for rid, name, kind in rooms),
            assistants=active(Assistant),
        )


class _ConfigCache:
    """The last few clinic configurations a worker read, by (clinic id, config version)."""

    SIZE = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str], ClinicConfig] = OrderedDict()

    def get(self, session: Session, clinic_id: str, version: str | None) -> ClinicConfig:
        # Read in this transaction, after any of its own writes (autoflush): a version this
        # transaction wrote and then rolls back is a random token that no one issues again.
        if version is None:
            version = session.scalar(select(Clinic.config_version).where(Clinic.id == clinic_id))
        key = (clinic_id, str(version))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                cache_stats.record("config", "hit")
                return found
        cache_stats.record("config", "miss")
        # Loaded after the version was read: at worst newer than its key, never older.
        config = ClinicConfig.load(session, clinic_id)
        with self._lock:
            self._items[key] = config
            while len(self._items) > self.SIZE:
                self._items.popitem(last=False)
        return config


# One cache per connection pool (per database a worker talks to, shared by the read and write
# session factories, whose engines differ only in options), dropped with it.
_CACHES: WeakKeyDictionary[Pool, _ConfigCache] = WeakKeyDictionary()


_CACHES_LOCK = threading.Lock()


def clinic_config(session: Session, clinic_id: str, version: str | None = None) -> ClinicConfig:
    """The clinic's configuration as of `version` (its ``config_version``, read by the caller
    in this transaction; read here when not given)."""
    pool = session.get_bind().engine.pool
    with _CACHES_LOCK:
        cache = _CACHES.get(pool)
        if cache is None:
            cache = _CACHES[pool] = _ConfigCache()
    return cache.get(session, clinic_id, version)
