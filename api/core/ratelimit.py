"""Rate limits, counted by the `limits` library in moving windows (docs/security-limits.md).

Counts live in the process by default, which is exact for the default single worker. With
`SLOTWISE_REDIS_URL` set every worker (and every instance) counts in the same Redis lists, so a
limit of 10 a minute means 10, not 10 per worker. A Redis outage falls back to counting
in-process rather than refusing every request or letting everything through.

Over a limit a request gets 429 problem+json with `Retry-After` (whole seconds).
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

from api.core import metrics
from api.core.network import network_of
from api.core.retry import REPLAY
from api.errors import DomainError

log = logging.getLogger(__name__)

REDIS_PREFIX = "slotwise:ratelimit"
# How often the in-process counters forget keys whose every event has left its window.
SWEEP_SECONDS = 60.0


class RateLimited(DomainError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: float, *, rule: str = "other") -> None:
        # Counted when made: every refusal is raised right where it is made.
        metrics.rate_limited(rule)
        seconds = max(1, math.ceil(retry_after))
        super().__init__(detail, retryAfter=seconds)
        self.headers = {"Retry-After": str(seconds)}


class SweptMemoryStorage(MemoryStorage):
    """limits' in-process storage, plus a sweep that forgets keys once their events expired.

    limits 5.8 trims a key's expired events on a timer but keeps the key itself (with an empty
    list) for the life of the process, so every made-up username an anonymous caller sends
    would stay in memory. `forget_expired` drops those keys; `Counters` runs it every
    `SWEEP_SECONDS` on the request path, so memory is bounded by what the limits let in during
    the longest window.
    """

    def forget_expired(self) -> int:
        """Drop every key whose newest event has expired; the number of keys dropped."""
        now = time.time()
        dropped = 0
        for key in list(self.events):
            with self.locks[key]:
                events = self.events.get(key)
                # Events are kept newest first, so the first one expiring means all have.
                if events and events[0].expiry > now:
                    continue
                self.events.pop(key, None)
                dropped += 1
            self.locks.pop(key, None)
        return dropped

    def key_count(self) -> int:
        return len(self.events)


class Counters:
    """Moving-window counters for every rule: in-process, or shared in Redis when configured."""

    def __init__(self, redis_url: str = "", *, redis_prefix: str = REDIS_PREFIX) -> None:
        self.memory = SweptMemoryStorage()
        self._in_process = MovingWindowRateLimiter(self.memory)
        self.redis: RedisStorage | None = None
        self._shared: MovingWindowRateLimiter | None = None
        if redis_url:
            # Short timeouts: a stalled Redis must cost a request half a second, not minutes.
            self.redis = RedisStorage(
                redis_url,
                key_prefix=redis_prefix,
                wrap_exceptions=True,
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
            )
            self._shared = MovingWindowRateLimiter(self.redis)
        self._swept_at = time.time()
        self._sweep_lock = threading.Lock()

    def _run(self, op: Callable[[MovingWindowRateLimiter], float | None]) -> float | None:
        self._sweep_if_due()
        if self._shared is not None:
            try:
                return op(self._shared)
            except StorageError as exc:
                log.warning("rate limiter: Redis unavailable (%s); counting in-process", exc)
        return op(self._in_process)

    def hit(self, item: RateLimitItem, key: str) -> float | None:
        """Count one event; None when allowed, else seconds until one more would be."""

        def op(limiter: MovingWindowRateLimiter) -> float | None:
            if limiter.hit(item, key):
                return None
            return _retry_after(limiter, item, key)

        return self._run(op)

    def test(self, item: RateLimitItem, key: str) -> float | None:
        """Like `hit` without counting: None when one more event would be allowed."""

        def op(limiter: MovingWindowRateLimiter) -> float | None:
            if limiter.test(item, key):
                return None
            return _retry_after(limiter, item, key)

        return self._run(op)

    def clear(self, item: RateLimitItem, key: str) -> None:
        def op(limiter: MovingWindowRateLimiter) -> None:
            limiter.clear(item, key)

        self._run(op)

    def _sweep_if_due(self) -> None:
        now = time.time()
        if now - self._swept_at < SWEEP_SECONDS or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._swept_at = now
            self.memory.forget_expired()
        finally:
            self._sweep_lock.release()


def _retry_after(limiter: MovingWindowRateLimiter, item: RateLimitItem, key: str) -> float:
    reset_at, _remaining = limiter.get_window_stats(item, key)
    return max(0.0, reset_at - time.time())


_CREATE_LOCK = threading.Lock()


def limiter_for(request: Request) -> Counters:
    """The app's counters, made on first use from the settings."""
    state = request.app.state
    counters: Counters | None = getattr(state, "rate_limiter", None)
    if counters is None:
        with _CREATE_LOCK:  # two first requests at once must not each get their own counters
            counters = getattr(state, "rate_limiter", None)
            if counters is None:
                settings = getattr(state, "settings", None)
                counters = Counters(getattr(settings, "redis_url", "") or "")
                state.rate_limiter = counters
    return counters


def client_ip(request: Request) -> str:
    # The peer's address; forwarded headers rewrote it only when the peer is a trusted proxy
    # (SLOTWISE_TRUSTED_PROXIES, uvicorn's ProxyHeadersMiddleware added in api/main.py).
    return request.client.host if request.client else "unknown"


def hashed(value: str) -> str:
    """A fixed-size key for a caller-chosen string (an email), kept out of Redis in clear."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Rule:
    """At most `limit` events per `window` seconds for one key (e.g. one IP address)."""

    name: str
    limit: int
    window: int
    what: str  # "sign-in attempts from your network", for the person reading the 429

    @property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.limit, self.window, namespace=f"slotwise/{self.name}")

    def refusal(self, retry: float) -> RateLimited:
        return RateLimited(
            f"Too many {self.what} ({self.limit} per {_span(self.window)}); "
            f"try again in {max(1, math.ceil(retry))} seconds.",
            retry,
            rule=self.name,
        )

    def check(self, request: Request, key: str) -> None:
        """Count this request against `key`; 429 when the limit is already reached."""
        if request.scope.get(REPLAY):
            return  # the retry middleware's replay of a request already counted once
        retry = limiter_for(request).hit(self.item, key)
        if retry is not None:
            raise self.refusal(retry)


def _span(window: float) -> str:
    if window % 3600 == 0:
        hours = int(window // 3600)
        return "hour" if hours == 1 else f"{hours} hours"
    if window % 60 == 0:
        minutes = int(window // 60)
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{window:g} seconds"


def per_ip(rule: Rule) -> Callable[[Request], None]:
    """A route dependency applying `rule` to the caller's network (api/core/network.py)."""

    def rate_limit(request: Request) -> None:
        # An IPv6 caller counts as its /64, so rotating addresses inside it gains nothing.
        rule.check(request, network_of(client_ip(request)))

    rate_limit.__name__ = f"rate_limit_{rule.name.replace('-', '_')}"
    return rate_limit
