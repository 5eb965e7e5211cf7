"""Builds the solver's view of a clinic from the database: the only place rows become a SlotQuery.

Busy time is loaded for the window asked about (widened by the longest buffer), so a query
over two weeks reads two weeks of appointments, not the clinic's whole history.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from weakref import WeakKeyDictionary

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from api.core import clock
from api.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Chair,
    Clinic,
    Provider,
    Room,
    ScheduleException,
    ScheduleTemplate,
    SlotHold,
    WorkingHours,
)
from api.models import TemplateSlot as TemplateSlotRow
from api.models.email_confirmation import unconfirmed_lapsed
from solver import local_days_around
from solver.problem import (
    AppointmentTypeSpec,
    BookingPolicy,
    BusyInterval,
    LocalBlock,
    Preferences,
    Resource,
    ResourceKind,
    SlotQuery,
    TemplateSlot,
    Visit,
    WeeklyHours,
)
from solver.problem import Clinic as SolverClinic

# Cancelled and no-show appointments free their time; overridden ones are the staff's call
# and still occupy the resources (the engine should not offer a slot on top of them).
INACTIVE_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
# How a patient-portal slot hold is named in conflicts ("... is busy ... (online booking hold X)").
HOLD_REF = "online booking hold "
# Slot-hold owners: "patient:<patient id>" or "guest:<guest session id>".
GUEST_OWNER_PREFIX = "guest:"


def active_appointment() -> ColumnElement[bool]:
    # A new patient's booking left unconfirmed past its provisional window frees its time
    # from that instant, before anything cancels the row (api/models/email_confirmation.py).
    return and_(
        Appointment.deleted_at.is_(None),
        Appointment.status.not_in(INACTIVE_STATUSES),
        ~unconfirmed_lapsed(clock.now()),
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

    @classmethod
    def load(cls, session: Session, clinic_id: str) -> ClinicConfig:
        template_id = active_template_id(session, clinic_id)

        def active(model: type[Provider] | type[Chair]) -> tuple[ResourceRow, ...]:
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
        )


class _ConfigCache:
    """The last few clinic configurations a worker read, by (clinic id, config version)."""

    SIZE = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str], ClinicConfig] = OrderedDict()

    def get(self, session: Session, clinic_id: str) -> ClinicConfig:
        # Read in this transaction, after any of its own writes (autoflush): a version this
        # transaction wrote and then rolls back is a random token that no one issues again.
        version = session.scalar(select(Clinic.config_version).where(Clinic.id == clinic_id))
        key = (clinic_id, str(version))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
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


def clinic_config(session: Session, clinic_id: str) -> ClinicConfig:
    pool = session.get_bind().engine.pool
    with _CACHES_LOCK:
        cache = _CACHES.get(pool)
        if cache is None:
            cache = _CACHES[pool] = _ConfigCache()
    return cache.get(session, clinic_id)


class ClinicState:
    """Everything the engine needs about one clinic for one window, loaded in a few queries."""

    def __init__(
        self,
        session: Session,
        clinic: Clinic,
        window_start: datetime,
        window_end: datetime,
        *,
        exclude_appointment_ids: Iterable[str] = (),
        lead_time_override: bool = False,
        hold_owner: str | None = None,
        over_guest_holds: bool = False,
    ) -> None:
        """``over_guest_holds``: staff book over anonymous guests' holds (docs/security-holds.md),
        so for them those holds are not busy time; a signed-in patient's hold still is."""
        self.session = session
        self.clinic = clinic
        self.types = {
            t.id: t
            for t in session.scalars(
                select(AppointmentType).where(AppointmentType.clinic_id == clinic.id)
            )
        }
        max_buffer = max(
            (max(t.buffer_before, t.buffer_after) for t in self.types.values()), default=0
        )
        # Whole clinic-local days, not just the window: best fit's chair load and short gaps
        # read the chair's whole day, so a start must score the same whatever window holds it.
        busy_from, busy_to = local_days_around(
            clinic.time_zone,
            window_start - timedelta(minutes=max_buffer),
            window_end + timedelta(minutes=max_buffer),
        )
        self.window_start = window_start
        self.window_end = window_end
        self.exclude = frozenset(exclude_appointment_ids)
        config = clinic_config(session, clinic.id)
        self.template_id = config.template_id
        hours = config.hours
        empty = WeeklyHours()
        self.providers = config.providers
        self.chairs = config.chairs
        self.rooms = config.rooms

        # Plain rows, not ORM objects: a two-week query reads hundreds of appointments.
        appointments = session.execute(
            select(
                Appointment.id,
                Appointment.occupied_start,
                Appointment.occupied_end,
                Appointment.provider_id,
                Appointment.chair_id,
                Appointment.room_id,
            ).where(
                Appointment.clinic_id == clinic.id,
                active_appointment(),
                Appointment.occupied_start < busy_to,
                Appointment.occupied_end > busy_from,
            )
        )
        busy: dict[str, list[BusyInterval]] = defaultdict(list)
        for appt_id, occupied_start, occupied_end, *resource_ids in appointments:
            if appt_id in self.exclude:
                continue
            interval = BusyInterval(occupied_start, occupied_end, ref=appt_id)
            for resource_id in resource_ids:
                if resource_id:
                    busy[resource_id].append(interval)
        # Patient-portal slot holds are busy time for everyone but their owner (hold_owner).
        for hold in active_holds(session, clinic.id, busy_from, busy_to):
            if hold.owner == hold_owner or (
                over_guest_holds and hold.owner.startswith(GUEST_OWNER_PREFIX)
            ):
                continue
            interval = BusyInterval(hold.occupied_start, hold.occupied_end, ref=HOLD_REF + hold.id)
            for resource_id in (hold.provider_id, hold.chair_id, hold.room_id):
                if resource_id:
                    busy[resource_id].append(interval)

        resources: list[Resource] = []
        for kind, rows in (
            (ResourceKind.PROVIDER, self.providers),
            (ResourceKind.CHAIR, self.chairs),
            (ResourceKind.ROOM, self.rooms),
        ):
            for row in rows:
                resources.append(
                    Resource(
                        id=row.id,
                        kind=kind,
                        hours=hours.get((kind.value, row.id), empty),
                        busy=tuple(sorted(busy[row.id], key=lambda b: b.start)),
                        room_kind=row.room_kind,
                        name=row.name,
                    )
                )
        self.solver_clinic = SolverClinic(
            time_zone=clinic.time_zone,
            policy=policy(clinic, lead_time_override=lead_time_override),
            resources=tuple(resources),
            types=tuple(type_spec(t) for t in self.types.values() if t.active),
            template_slots=config.template_slots,
        )

    def patient_busy(self, patient_id: str | None) -> tuple[BusyInterval, ...]:
        if patient_id is None:
            return ()
        rows = self.session.scalars(
            select(Appointment).where(
                Appointment.clinic_id == self.clinic.id,
                Appointment.patient_id == patient_id,
                active_appointment(),
                Appointment.start_time < self.window_end,
                Appointment.end_time > self.window_start,
            )
        )
        return tuple(
            BusyInterval(a.start_time, a.end_time, ref=a.id)
            for a in sorted(rows, key=lambda a: a.start_time)
            if a.id not in self.exclude
        )

    def query(
        self,
        visit: Visit,
        now: datetime,
        *,
        patient_id: str | None = None,
        preferences: Preferences | None = None,
        time_limit_seconds: float = 2.0,
    ) -> SlotQuery:
        return SlotQuery(
            clinic=self.solver_clinic,
            visit=visit,
            window_start=self.window_start,
            window_end=self.window_end,
            now=now,
            patient_busy=self.patient_busy(patient_id),
            preferences=preferences or Preferences(),
            time_limit_seconds=time_limit_seconds,
        )


def active_holds(
    session: Session, clinic_id: str, start: datetime, end: datetime
) -> list[SlotHold]:
    """Unexpired slot holds overlapping [start, end); expired ones are ignored, not deleted."""
    return list(
        session.scalars(
            select(SlotHold).where(
                SlotHold.clinic_id == clinic_id,
                SlotHold.expires_at > clock.now(),
                SlotHold.occupied_start < end,
                SlotHold.occupied_end > start,
            )
        )
    )


def release_guest_holds_under(session: Session, rows: Iterable[Appointment]) -> int:
    """Delete the guest holds that these active appointments' time and resources fall on.

    Staff book over a guest's hold (it is not busy time for them); the hold goes in the same
    transaction, so the guest who later tries to book it gets the ordinary 409 with other times.
    """
    clauses = []
    for row in rows:
        if row.deleted_at is not None or row.status in INACTIVE_STATUSES:
            continue
        resources = [
            column == value
            for column, value in (
                (SlotHold.provider_id, row.provider_id),
                (SlotHold.chair_id, row.chair_id),
                (SlotHold.room_id, row.room_id),
            )
            if value
        ]
        if resources:
            clauses.append(
                and_(
                    SlotHold.clinic_id == row.clinic_id,
                    SlotHold.occupied_start < row.occupied_end,
                    SlotHold.occupied_end > row.occupied_start,
                    or_(*resources),
                )
            )
    if not clauses:
        return 0
    table = SlotHold.__table__
    # Core on the session's connection: this runs just before a flush, not inside one's ORM.
    result = session.connection().execute(
        delete(table).where(  # type: ignore[arg-type]
            table.c.owner.startswith(GUEST_OWNER_PREFIX),
            or_(*clauses),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def overlapping(
    session: Session,
    clinic_id: str,
    occupied: tuple[datetime, datetime],
    attended: tuple[datetime, datetime],
    *,
    provider_id: str | None,
    chair_id: str | None,
    room_id: str | None,
    patient_id: str | None,
    exclude: Iterable[str] = (),
) -> list[Appointment]:
    """Active appointments that clash with the given occupancy (for 409 bodies)."""
    resource_clash = []
    if provider_id:
        resource_clash.append(Appointment.provider_id == provider_id)
    if chair_id:
        resource_clash.append(Appointment.chair_id == chair_id)
    if room_id:
        resource_clash.append(Appointment.room_id == room_id)
    clauses = []
    if resource_clash:
        clauses.append(
            and_(
                or_(*resource_clash),
                Appointment.occupied_start < occupied[1],
                Appointment.occupied_end > occupied[0],
            )
        )
    if patient_id:
        clauses.append(
            and_(
                Appointment.patient_id == patient_id,
                Appointment.start_time < attended[1],
                Appointment.end_time > attended[0],
            )
        )
    if not clauses:
        return []
    excluded = list(exclude)
    stmt = select(Appointment).where(
        Appointment.clinic_id == clinic_id, active_appointment(), or_(*clauses)
    )
    if excluded:
        stmt = stmt.where(Appointment.id.not_in(excluded))
    return list(session.scalars(stmt.order_by(Appointment.start_time)))
