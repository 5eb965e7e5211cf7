"""A small per-worker cache of portal availability, keyed on what the answer depends on.

Every widget asks the same question (this type, the next two weeks), and answering it costs an
engine run over weeks of busy time; one address asking it in a loop slowed staff for everyone.
An entry is the engine's grid-filtered free times for whole clinic-local days, under a key that
names everything they were computed from (docs/availability-cache.md):

- the clinic's `config_version` (resources, types, templates, hours, exceptions, slots), and the
  clinic's own booking policy and portal settings, read from the rows this request loaded;
- an *availability token* read in one query per table from the data itself: for appointments in
  the days around the window their count, the sum of their versions (every ORM or bulk change
  bumps it) and the latest `updated_at`; the ids of the unexpired slot holds that are busy time
  for this caller. Read from the data, so no write path (a script, a bulk statement) can forget
  to invalidate it, and no write has to touch a shared row;
- the patient, whose own appointments are busy time for them (guests share entries).

An entry also stops at the first instant its answer could change by itself: when one of its
holds expires or an unconfirmed new patient's booking lapses, and at most `TTL` seconds. Reads
drop starts that have passed the lead time since, so a hit is never more permissive than a fresh
run; what a hit can miss for at most `TTL` is a start that has just come inside the horizon.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from api.models import Clinic
from api.portal import repository

TTL = timedelta(seconds=60)
SIZE = 64


@dataclass(frozen=True)
class FreeTime:
    """One listed start, kept compact (an entry holds a month of them)."""

    start: datetime
    end: datetime
    provider_id: str
    chair_id: str | None
    room_id: str | None


@dataclass(frozen=True)
class Entry:
    times: tuple[FreeTime, ...]
    valid_until: datetime


@dataclass(frozen=True)
class Lookup:
    key: Hashable
    # The entry may live no longer than this (the first hold expiry or lapse it depends on).
    valid_until: datetime


def lookup(
    session: Session,
    clinic: Clinic,
    question: Hashable,
    busy_from: datetime,
    busy_to: datetime,
    hold_owner: str,
    now: datetime,
) -> Lookup:
    """The key for `question` over busy time in [busy_from, busy_to), as the data stands now."""
    appointments = repository.appointments_token(session, clinic.id, busy_from, busy_to)
    holds = repository.holds_of_others(session, clinic.id, hold_owner, busy_from, busy_to, now)
    lapse = repository.first_lapse(session, clinic.id, now)
    bounds = [now + TTL, *(expires for _, expires in holds)]
    if lapse is not None:
        bounds.append(lapse)
    token = (
        clinic.config_version,
        clinic.time_zone,
        clinic.slot_granularity_minutes,
        clinic.min_lead_time_minutes,
        clinic.max_horizon_days,
        appointments.count,
        appointments.versions,
        appointments.changed,
        tuple(sorted(hold_id for hold_id, _ in holds)),
    )
    return Lookup(key=(clinic.id, question, token), valid_until=min(bounds))


class AvailabilityCache:
    """The last few answers a worker computed, least recently used dropped first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, Entry] = OrderedDict()

    def get(self, key: Hashable, now: datetime) -> Entry | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            if entry.valid_until <= now:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: Entry) -> None:
        with self._lock:
            self._items[key] = entry
            self._items.move_to_end(key)
            while len(self._items) > SIZE:
                self._items.popitem(last=False)


# One cache per connection pool (per database a worker talks to), as the configuration cache.
_CACHES: WeakKeyDictionary[Pool, AvailabilityCache] = WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_for(session: Session) -> AvailabilityCache:
    pool = session.get_bind().engine.pool
    with _CACHES_LOCK:
        cache = _CACHES.get(pool)
        if cache is None:
            cache = _CACHES[pool] = AvailabilityCache()
    return cache
