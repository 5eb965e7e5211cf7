"""A small sliding-window rate limiter: in-process by default, Redis-backed when configured.

With `SLOTWISE_REDIS_URL` set every worker (and every instance) counts in the same Redis
sorted sets, so a limit of 10 a minute means 10, not 10 per worker. Without Redis each
process counts alone, which is exact for the default single worker. A Redis outage falls back
to counting in-process rather than refusing every request or letting everything through.

Over the limit a request gets 429 problem+json with `Retry-After` (whole seconds).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request

from api.core.retry import REPLAY
from api.errors import DomainError

log = logging.getLogger(__name__)


class RateLimited(DomainError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(detail, retryAfter=seconds)
        self.headers = {"Retry-After": str(seconds)}


class Limiter(Protocol):
    def hit(self, key: str, limit: int, window: float) -> float | None:
        """Count one event; None when allowed, else seconds until the next one would be."""


class MemoryLimiter:
    """Timestamps of recent events per key, trimmed to the window on every hit."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, window: float) -> float | None:
        now = self._clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - window:
                events.popleft()
            if len(events) >= limit:
                return events[0] + window - now
            events.append(now)
            if len(self._events) > 100_000:  # forget idle keys so memory stays bounded
                self._events = {k: v for k, v in self._events.items() if v}
            return None


# Trim, count and add in one atomic step: two workers can never both take the last place.
_REDIS_SCRIPT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, math.ceil(window * 1000))
return false
"""


class RedisLimiter:
    """The same sliding window in Redis sorted sets (score = event time), shared by workers."""

    def __init__(self, url: str, prefix: str = "slotwise:ratelimit:") -> None:
        import redis

        self._redis: Any = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_REDIS_SCRIPT)
        self._prefix = prefix
        self._fallback = MemoryLimiter()

    def hit(self, key: str, limit: int, window: float) -> float | None:
        try:
            # Redis's clock, not ours: every worker then agrees on what "now" is.
            seconds, micros = self._redis.time()
            now = seconds + micros / 1_000_000
            result = self._script(
                keys=[self._prefix + key], args=[now, window, limit, uuid.uuid4().hex]
            )
        except Exception as exc:  # any Redis failure: count in-process instead
            log.warning("rate limiter: Redis unavailable (%s); counting in-process", exc)
            return self._fallback.hit(key, limit, window)
        return None if result is None else float(result)


def limiter_for(request: Request) -> Limiter:
    """The app's limiter, made on first use from the settings."""
    state = request.app.state
    limiter: Limiter | None = getattr(state, "rate_limiter", None)
    if limiter is None:
        url = getattr(state.settings, "redis_url", "") or ""
        limiter = RedisLimiter(url) if url else MemoryLimiter()
        state.rate_limiter = limiter
    return limiter


def client_ip(request: Request) -> str:
    # Behind a proxy uvicorn's --proxy-headers already puts the real client here.
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class Rule:
    """At most `limit` events per `window` seconds for one key (e.g. one IP address)."""

    name: str
    limit: int
    window: float
    what: str  # "sign-in attempts from your network", for the person reading the 429

    def check(self, request: Request, key: str) -> None:
        if request.scope.get(REPLAY):
            return  # the retry middleware's replay of a request already counted once
        retry = limiter_for(request).hit(f"{self.name}:{key}", self.limit, self.window)
        if retry is not None:
            raise RateLimited(
                f"Too many {self.what} ({self.limit} per {_span(self.window)}); "
                f"try again in {max(1, math.ceil(retry))} seconds.",
                retry,
            )


def _span(window: float) -> str:
    if window % 3600 == 0:
        hours = int(window // 3600)
        return "hour" if hours == 1 else f"{hours} hours"
    if window % 60 == 0:
        minutes = int(window // 60)
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{window:g} seconds"


def per_ip(rule: Rule) -> Callable[[Request], None]:
    """A route dependency applying `rule` to the caller's IP address."""

    def rate_limit(request: Request) -> None:
        rule.check(request, client_ip(request))

    rate_limit.__name__ = f"rate_limit_{rule.name.replace('-', '_')}"
    return rate_limit
