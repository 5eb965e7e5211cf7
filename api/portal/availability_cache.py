"""Portal availability from the shared availability cache (api/core/cache.py), keyed on what the
answer depends on.

Every widget asks the same question (this type, the next two weeks), and answering it costs an
engine run over weeks of busy time; one address asking it in a loop slowed staff for everyone.
An entry is the engine's grid-filtered free times for whole clinic-local days, under a key that
names everything they were computed from (docs/availability-cache.md):

- the clinic's `config_version` (resources, types, templates, hours, exceptions, slots) and
  `busy_version` (appointments, slot holds, new-patient confirmations), both replaced by the
  database in the same transaction as any write to them, read before the engine runs;
- the clinic's own booking policy and portal settings, read from the rows this request loaded;
- the caller's own holds in the days (the only holds that are not busy time for them: guests
  with none share entries) and the patient, whose own appointments are busy time for them.

An entry also stops at the first instant its answer could change by itself: when a hold in the
days expires or an unconfirmed new patient's booking lapses, and at most `TTL` seconds. Reads
drop starts that have passed the lead time since, so a hit is never more permissive than a fresh
run; what a hit can miss for at most `TTL` is a start that has just come inside the horizon.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from api.booking.busy_cache import Versions, busy_snapshot
from api.core import cache
from api.models import Clinic

TTL = timedelta(seconds=60)


@dataclass(frozen=True)
class FreeTime:
    """One listed start, kept compact (an entry holds a month of them)."""

    start: datetime
    end: datetime
    provider_id: str
    chair_id: str | None
    room_id: str | None


@dataclass(frozen=True)
class Lookup:
    key: str
    # The entry may live no longer than this (the first hold expiry or lapse it depends on).
    valid_until: datetime


def lookup(
    session: Session,
    clinic: Clinic,
    current: Versions,
    question: Hashable,
    busy_from: datetime,
    busy_to: datetime,
    hold_owner: str,
    now: datetime,
) -> Lookup:
    """The key for `question` over busy time in [busy_from, busy_to), under `current`: the
    clinic's versions as this transaction read them before computing anything."""
    # Per worker, read once per busy_version: no query on a repeated question.
    snapshot = busy_snapshot(session, clinic.id, current.busy, busy_from, busy_to)
    own_holds = tuple(sorted(h.id for h in snapshot.holds if h.owner == hold_owner))
    bounds = [now + TTL]
    if snapshot.valid_until is not None:
        bounds.append(snapshot.valid_until)
    parts = (
        "portal",
        clinic.id,
        current,
        clinic.time_zone,
        clinic.slot_granularity_minutes,
        clinic.min_lead_time_minutes,
        clinic.max_horizon_days,
        question,
        own_holds,
    )
    return Lookup(key=cache.for_session(session).key(parts), valid_until=min(bounds))


def get(session: Session, key: str) -> tuple[FreeTime, ...] | None:
    found = cache.for_session(session).get(key)
    if found is None:
        return None
    return tuple(
        FreeTime(datetime.fromisoformat(start), datetime.fromisoformat(end), provider, chair, room)
        for start, end, provider, chair, room in found
    )


def put(session: Session, key: str, times: tuple[FreeTime, ...], until: datetime) -> None:
    value = [
        [t.start.isoformat(), t.end.isoformat(), t.provider_id, t.chair_id, t.room_id]
        for t in times
    ]
    cache.for_session(session).put(key, value, until)
