"""Fan-out of appointment events to the open calendars of one clinic.

`LocalBus` keeps the subscribers of this process; it is all a single process needs (SQLite,
one uvicorn worker). `RedisBus` sends every event through Redis pub/sub and delivers what comes
back to this process's subscribers, so several workers or instances all see every change.
Publishing is synchronous and thread-safe: it is called from SQLAlchemy's after_commit hook in
whichever worker thread ran the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "slotwise:events:"
# A calendar that cannot keep up is disconnected (it reloads on reconnect) rather than
# silently missing changes or growing memory without bound.
QUEUE_LIMIT = 1000

Message = dict[str, Any]


@dataclass(eq=False)
class Subscription:
    clinic_id: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Message] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    overflowed: bool = False

    def offer(self, message: Message) -> None:
        """Runs on the subscriber's loop."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            log.warning("calendar for clinic %s fell behind; disconnecting it", self.clinic_id)


class LocalBus:
    """Subscribers of this process, by clinic; delivery is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, set[Subscription]] = defaultdict(set)

    async def subscribe(self, clinic_id: str) -> Subscription:
        sub = Subscription(clinic_id, asyncio.get_running_loop())
        with self._lock:
            self._subs[clinic_id].add(sub)
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs[sub.clinic_id].discard(sub)
            if not self._subs[sub.clinic_id]:
                del self._subs[sub.clinic_id]

    def subscriber_count(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._subs.values())

    def deliver(self, clinic_id: str, message: Message) -> None:
        with self._lock:
            subs = list(self._subs.get(clinic_id, ()))
        for sub in subs:
            with contextlib.suppress(RuntimeError):  # the subscriber's loop has closed
                sub.loop.call_soon_threadsafe(sub.offer, message)

    def publish(self, clinic_id: str, message: Message) -> None:
        self.deliver(clinic_id, message)

    async def close(self) -> None:
        return None


class RedisBus(LocalBus):
    """Publishes through Redis; one pattern subscription per process feeds the local fan-out."""

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis

        self.url = url
        # Short timeouts: publishing runs after the booking committed, inside the request, and a
        # slow or absent Redis must not hold the response (the change itself is already saved).
        self._client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._listener_loop: asyncio.AbstractEventLoop | None = None

    def publish(self, clinic_id: str, message: Message) -> None:
        try:
            self._client.publish(CHANNEL_PREFIX + clinic_id, json.dumps(message))
        except Exception:  # the booking is committed; a lost push is logged, never raised
            log.exception("could not publish a calendar event to Redis")

    async def subscribe(self, clinic_id: str) -> Subscription:
        sub = await super().subscribe(clinic_id)
        loop = asyncio.get_running_loop()
        if self._listener is None or self._listener.done() or self._listener_loop is not loop:
            self._listening = asyncio.Event()
            self._listener_loop = loop
            self._listener = loop.create_task(self._listen())
        # The page loads appointments after "ready": wait until Redis delivers to us, so an
        # event published between the load and the subscription cannot slip through.
        await asyncio.wait_for(self._listening.wait(), timeout=5)
        return sub

    async def _listen(self) -> None:
        import redis.asyncio as aredis

        backoff = 0.2
        while True:
            client = aredis.Redis.from_url(self.url)
            pubsub = client.pubsub()
            try:
                await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                async for raw in pubsub.listen():
                    if raw["type"] == "psubscribe":
                        self._listening.set()
                        backoff = 0.2
                        continue
                    if raw["type"] != "pmessage":
                        continue
                    channel = raw["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    self.deliver(channel.removeprefix(CHANNEL_PREFIX), json.loads(raw["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Redis subscription lost; reconnecting")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                    await client.aclose()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        self._client.close()


def make_bus(redis_url: str) -> LocalBus:
    return RedisBus(redis_url) if redis_url else LocalBus()
