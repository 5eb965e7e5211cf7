"""A clinic's busy time for a span of days, read once per ``busy_version`` by each worker.

Every availability query and booking check turns the same appointments and holds into the
engine's busy intervals; on the demo clinic that read was most of a request (docs/performance.md).
The database replaces ``clinics.busy_version`` in the same transaction as any write to
appointments, slot holds or new-patient confirmations (triggers: migration 0018 at the write on
SQLite, 0019 at commit on PostgreSQL, where ``versions`` adds a writing transaction's own id), so
a snapshot found under the versions just read is the clinic's busy time as this transaction sees
it.

A snapshot holds every active appointment and unexpired hold, before the per-request choices
(appointments being moved, the caller's own hold, guests' holds for staff) that
``ClinicState`` applies. Two things end busy time with no write, so a snapshot is used only
before the first of them: a hold it holds expiring, an unconfirmed new patient's booking lapsing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from weakref import WeakKeyDictionary

from sqlalchemy import String, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from api.booking.provider_time import provider_busy
from api.booking.repository import active_holds, busy_rows
from api.core import cache_stats, clock
from api.models import Clinic
from api.models.email_confirmation import EmailConfirmation


class Versions(NamedTuple):
    config: str
    busy: str


def versions(session: Session, clinic_id: str) -> Versions:
    """The clinic's configuration and busy-time versions as this transaction sees them (after
    its own writes: autoflush), in one round trip.

    PostgreSQL replaces ``busy_version`` when a writing transaction commits (deferred triggers,
    migration 0019), so a transaction that has written anything yet reads the version from
    before its writes. Its busy version then carries its own transaction id: it misses every
    cached snapshot, reads what it wrote, and what it stores under that key no other
    transaction ever asks for, whether it commits (the version moves) or rolls back."""
    if session.get_bind().dialect.name == "postgresql":
        own = session.execute(
            select(
                Clinic.config_version,
                Clinic.busy_version,
                func.pg_current_xact_id_if_assigned().cast(String),
            ).where(Clinic.id == clinic_id)
        ).one()
        busy = str(own[1]) if own[2] is None else f"{own[1]}:{own[2]}"
        return Versions(str(own[0]), busy)
    row = session.execute(
        select(Clinic.config_version, Clinic.busy_version).where(Clinic.id == clinic_id)
    ).one()
    return Versions(str(row[0]), str(row[1]))


class BusyAppointment(NamedTuple):
    id: str
    provider_id: str | None
    chair_id: str | None
    room_id: str | None
    occupied: tuple[datetime, datetime]
    # The provider's busy spans (only while the pattern holds them).
    provider_spans: tuple[tuple[datetime, datetime], ...]
    # Held for the whole occupied span, like the chair (issue 13, slice 7).
    assistant_id: str | None = None


class BusyHold(NamedTuple):
    id: str
    owner: str
    appointment_type_id: str | None
    provider_id: str | None
    chair_id: str | None
    room_id: str | None
    start: datetime
    end: datetime
    occupied: tuple[datetime, datetime]
    # The assistant the hold keeps for its whole occupied span, like its chair.
    assistant_id: str | None = None


@dataclass(frozen=True)
class BusySnapshot:
    appointments: tuple[BusyAppointment, ...]
    holds: tuple[BusyHold, ...]
    # The first instant this could change with no write (None: only a write changes it).
    valid_until: datetime | None

    @classmethod
    def load(
        cls, session: Session, clinic_id: str, start: datetime, end: datetime, now: datetime
    ) -> BusySnapshot:
        appointments = []
        for row in busy_rows(session, clinic_id, start, end):
            appt_id, occupied_start, occupied_end, provider_id, chair_id, room_id = row[:6]
            start_time, duration, pattern, holds, assistant_id = row[6:11]
            occupied = (occupied_start, occupied_end)
            spans = tuple(provider_busy(start_time, occupied, duration, pattern, holds))
            appointments.append(
                BusyAppointment(
                    appt_id, provider_id, chair_id, room_id, occupied, spans, assistant_id
                )
            )
        rows = active_holds(session, clinic_id, start, end)
        holds = tuple(
            BusyHold(
                h.id,
                h.owner,
                h.appointment_type_id,
                h.provider_id,
                h.chair_id,
                h.room_id,
                h.start_time,
                h.end_time,
                (h.occupied_start, h.occupied_end),
                h.assistant_id,
            )
            for h in rows
        )
        ends = [h.expires_at for h in rows]
        lapse = _first_lapse(session, clinic_id, now)
        if lapse is not None:
            ends.append(lapse)
        return cls(tuple(appointments), holds, min(ends, default=None))


def _first_lapse(session: Session, clinic_id: str, now: datetime) -> datetime | None:
    """When the clinic's next unconfirmed new patient's booking stops holding its time."""
    return session.scalar(
        select(func.min(EmailConfirmation.hold_until)).where(
            EmailConfirmation.clinic_id == clinic_id,
            EmailConfirmation.confirmed_at.is_(None),
            EmailConfirmation.released_at.is_(None),
            EmailConfirmation.hold_until > now,
        )
    )


class _BusyCache:
    SIZE = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str, datetime, datetime], BusySnapshot] = OrderedDict()

    def get(
        self, session: Session, clinic_id: str, version: str, start: datetime, end: datetime
    ) -> BusySnapshot:
        now = clock.now()
        key = (clinic_id, version, start, end)
        with self._lock:
            found = self._items.get(key)
            if found is not None and (found.valid_until is None or found.valid_until > now):
                self._items.move_to_end(key)
                cache_stats.record("busy_time", "hit")
                return found
        cache_stats.record("busy_time", "miss")
        snapshot = BusySnapshot.load(session, clinic_id, start, end, now)
        with self._lock:
            self._items[key] = snapshot
            self._items.move_to_end(key)
            while len(self._items) > self.SIZE:
                self._items.popitem(last=False)
        return snapshot


# One cache per connection pool, as the configuration cache (api/booking/clinic_config.py).
_CACHES: WeakKeyDictionary[Pool, _BusyCache] = WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def busy_snapshot(
    session: Session, clinic_id: str, busy_version: str, start: datetime, end: datetime
) -> BusySnapshot:
    """Busy time overlapping [start, end) as of `busy_version` (read by the caller first)."""
    pool = session.get_bind().engine.pool
    with _CACHES_LOCK:
        cache = _CACHES.get(pool)
        if cache is None:
            cache = _CACHES[pool] = _BusyCache()
    return cache.get(session, clinic_id, busy_version, start, end)
