"""The short-lived availability cache: answers keyed by everything they were computed from.

Shared by every worker through Redis when ``SLOTWISE_REDIS_URL`` is set, in the worker's own
memory otherwise. A key names the clinic's ``config_version`` and ``busy_version`` (both read
before the answer is computed; the database replaces them in the same transaction as any write
that could change an answer, migrations 0007 and 0015) and the question, so an entry is never
found after such a write: correct by construction, with no invalidation to forget. An entry
also carries the instant its answer could change with no write at all (a hold expiring, an
unconfirmed booking lapsing, at most the caller's time to live), checked against the clinic
clock on every read. docs/performance.md.

Values are JSON, never pickles: a shared Redis must not be able to run code in a worker. A
Redis that is down or slow is a miss (logged), never an error: the answer is then computed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from api.core import cache_stats, clock

log = logging.getLogger(__name__)

PREFIX = "slotwise:availability:"
LOCAL_SIZE = 256


class Store(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, value: bytes, ttl_seconds: int) -> None: ...


class LocalStore:
    """The last few answers of this worker, least recently used dropped first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: bytes, ttl_seconds: int) -> None:
        # Expiry is the entry's own `until`, checked on read: no timer here.
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > LOCAL_SIZE:
                self._items.popitem(last=False)


class RedisStore:
    """Entries in Redis with its own expiry, so every worker and instance shares them."""

    def __init__(self, url: str) -> None:
        import redis

        # Short timeouts: a cache that is slower than computing the answer is no cache.
        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def get(self, key: str) -> bytes | None:
        try:
            value = self._client.get(key)
        except Exception:
            log.warning("availability cache: Redis read failed; computing the answer")
            return None
        return value if isinstance(value, bytes) else None

    def put(self, key: str, value: bytes, ttl_seconds: int) -> None:
        try:
            self._client.set(key, value, ex=max(1, ttl_seconds))
        except Exception:
            log.warning("availability cache: Redis write failed; the answer is not shared")


class AvailabilityCache:
    """JSON answers under hashed keys, in one store, for one database."""

    def __init__(self, store: Store, namespace: str) -> None:
        self.store = store
        self._namespace = namespace

    def key(self, parts: Hashable) -> str:
        digest = hashlib.sha256(repr(parts).encode()).hexdigest()
        return f"{PREFIX}{self._namespace}:{digest}"

    def get(self, key: str) -> Any | None:
        raw = self.store.get(key)
        if raw is not None:
            entry = json.loads(raw)
            if datetime.fromisoformat(entry["until"]) > clock.now():
                cache_stats.record("availability", "hit")
                return entry["value"]
        cache_stats.record("availability", "miss")
        return None

    def put(self, key: str, value: Any, until: datetime) -> None:
        seconds = int((until - clock.now()).total_seconds()) + 1
        if seconds <= 0:
            return
        raw = json.dumps({"until": until.isoformat(), "value": value}, separators=(",", ":"))
        self.store.put(key, raw.encode(), seconds)


_CACHES: WeakKeyDictionary[Pool, AvailabilityCache] = WeakKeyDictionary()
_LOCK = threading.Lock()


def configure(pool: Pool, database_url: str, redis_url: str) -> AvailabilityCache:
    """The cache for the database behind `pool`: in Redis when `redis_url` is set."""
    # Keys carry the database's identity, so two databases sharing one Redis (tests, staging)
    # never answer for each other.
    namespace = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    cache = AvailabilityCache(RedisStore(redis_url) if redis_url else LocalStore(), namespace)
    with _LOCK:
        _CACHES[pool] = cache
    return cache


def for_session(session: Session) -> AvailabilityCache:
    """The cache configured for this session's database (a worker-local one if none was)."""
    engine = session.get_bind().engine
    with _LOCK:
        cache = _CACHES.get(engine.pool)
        if cache is None:
            url = engine.url.render_as_string(hide_password=True)
            namespace = hashlib.sha256(url.encode()).hexdigest()[:12]
            cache = _CACHES[engine.pool] = AvailabilityCache(LocalStore(), namespace)
    return cache
