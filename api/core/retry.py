"""Run a request again when PostgreSQL aborts its transaction as a serialization failure (40001)
or a deadlock victim (40P01).

Both mean "nothing of yours was written; try again", so the whole unit of work (session,
idempotency claim, checks, insert, audit, commit) is replayed from the buffered request body, a
bounded number of times with a jittered backoff. A retry is only possible while no byte of the
response has been sent: the session dependency commits before the response starts (see
`api/db.py`), so a failed commit is never preceded by a 201. When the attempts run out the client
gets 503 with Retry-After, never a 500 and never a false success.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
MAX_ATTEMPTS = 4
BASE_DELAY_SECONDS = 0.02


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a DBAPI error (psycopg exposes it as `sqlstate`), else None."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return str(code) if code else None


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and sqlstate(exc) in RETRYABLE_SQLSTATES


# Set in the scope of a replayed attempt: work done once per request (a rate limit's count)
# was already done by the first attempt.
REPLAY = "slotwise.replay"


class RetryMiddleware:
    """Pure ASGI, so the body can be replayed and nothing is sent before an attempt succeeds."""

    def __init__(self, app: ASGIApp, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.app = app
        self.max_attempts = max_attempts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            # Reads run without locks that could deadlock; a failure there is not retried.
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        for attempt in range(1, self.max_attempts + 1):
            started = False
            delivered = False

            async def replay() -> Message:
                nonlocal delivered
                if delivered:
                    # Past the body the app only listens for the disconnect: the client's own.
                    return await receive()
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}

            async def tracking_send(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                await send(message)

            try:
                await self.app({**scope, REPLAY: attempt > 1}, replay, tracking_send)
                return
            except DBAPIError as exc:
                if started or not is_retryable(exc):
                    raise
                log.warning(
                    "%s %s: %s on attempt %d of %d",
                    scope["method"],
                    scope["path"],
                    sqlstate(exc),
                    attempt,
                    self.max_attempts,
                )
                if attempt == self.max_attempts:
                    from api.errors import database_unavailable

                    response = database_unavailable(
                        Request(scope),
                        "The database kept aborting this change because of concurrent "
                        "changes; nothing was saved. Please try again.",
                    )
                    await response(scope, replay, send)
                    return
                # Jitter, so the transactions that collided do not collide again in lockstep.
                await asyncio.sleep(
                    BASE_DELAY_SECONDS * (2 ** (attempt - 1)) * random.uniform(1, 2)
                )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message: dict[str, Any] = dict(await receive())
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
