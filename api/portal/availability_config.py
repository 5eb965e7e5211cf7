"""What a portal availability listing reads about a clinic besides busy time, per worker and
per ``config_version``.

A repeated listing is answered from the availability cache, so what it read around the cache
get was most of its cost: the appointment type (three queries with its collections), the portal
settings and the provider names (docs/performance.md). All of them are configuration: types and
providers bump ``config_version`` already, and portal settings do too
(api/models/config_version.py). So one immutable copy per (clinic, config_version) serves every
listing of a worker, and a hit reads only the clinic's row, which carries both versions.

The clinic's own columns (policy, origins, active) are not configuration in that sense: they are
read with the versions in the same row on every request, never cached here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from api.core import cache_stats
from api.errors import InvalidInput, NotFound
from api.models import AppointmentType, Clinic
from api.portal import repository
from api.portal.identity import PortalCaller
from api.portal.offer import portal_settings


@dataclass(frozen=True)
class OnlineType:
    """The part of an appointment type a listing checks and answers with."""

    id: str
    name: str
    active: bool
    online_bookable: bool
    new_patient_bookable: bool
    default_duration: int


@dataclass(frozen=True)
class PortalOffer:
    """A clinic's listing configuration as of one ``config_version``."""

    slot_step_minutes: int
    show_provider_names: bool
    provider_names: dict[str, str]
    types: dict[str, OnlineType]

    @classmethod
    def load(cls, session: Session, clinic_id: str) -> PortalOffer:
        settings = portal_settings(session, clinic_id)
        rows = session.execute(
            select(
                AppointmentType.id,
                AppointmentType.name,
                AppointmentType.active,
                AppointmentType.online_bookable,
                AppointmentType.new_patient_bookable,
                AppointmentType.default_duration,
            ).where(AppointmentType.clinic_id == clinic_id)
        )
        return cls(
            slot_step_minutes=settings.slot_step_minutes,
            show_provider_names=settings.show_provider_names,
            provider_names=(
                repository.provider_names(session, clinic_id)
                if settings.show_provider_names
                else {}
            ),
            types={row[0]: OnlineType(*row) for row in rows},
        )

    def bookable_type(self, caller: PortalCaller, type_id: str) -> OnlineType:
        """The type, if this caller may book it online; otherwise 422 saying to call the clinic
        (the same answers as `offer.bookable_type`, which write paths use)."""
        kind = self.types.get(type_id)
        if kind is None or not kind.active:
            raise InvalidInput("appointmentTypeId", f"No appointment type with id '{type_id}'.")
        if not kind.online_bookable:
            raise InvalidInput(
                "appointmentTypeId", f"'{kind.name}' cannot be booked online; please call us."
            )
        if caller.is_guest and not kind.new_patient_bookable:
            raise InvalidInput(
                "appointmentTypeId",
                f"'{kind.name}' is for registered patients: sign in to book it, or call us.",
            )
        return kind


class _OfferCache:
    SIZE = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str], PortalOffer] = OrderedDict()

    def get(self, session: Session, clinic_id: str, version: str) -> PortalOffer:
        key = (clinic_id, version)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                cache_stats.record("portal_config", "hit")
                return found
        cache_stats.record("portal_config", "miss")
        # Loaded after the version was read: at worst newer than its key, never older.
        offer = PortalOffer.load(session, clinic_id)
        with self._lock:
            self._items[key] = offer
            while len(self._items) > self.SIZE:
                self._items.popitem(last=False)
        return offer


# Per connection pool, as api/booking/clinic_config.py: one database's versions never name
# another's rows.
_CACHES: WeakKeyDictionary[Pool, _OfferCache] = WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def portal_offer(session: Session, clinic_id: str, config_version: str) -> PortalOffer:
    """The clinic's listing configuration as of `config_version`, which the caller read in this
    transaction (`busy_cache.versions`, or `current_clinic`)."""
    pool = session.get_bind().engine.pool
    with _CACHES_LOCK:
        cache = _CACHES.get(pool)
        if cache is None:
            cache = _CACHES[pool] = _OfferCache()
    return cache.get(session, clinic_id, config_version)


def current_clinic(session: Session, clinic_id: str) -> Clinic:
    """The clinic's row as the database holds it now, versions included, in one query.

    `populate_existing`: a row this session already holds is refreshed, so the versions on it
    are never older than the query (the cache keys are built from them).
    """
    clinic = session.scalar(
        select(Clinic).where(Clinic.id == clinic_id).execution_options(populate_existing=True)
    )
    if clinic is None or not clinic.active:
        raise NotFound(f"No clinic with id '{clinic_id}' takes bookings online.")
    return clinic
