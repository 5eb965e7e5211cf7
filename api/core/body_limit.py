"""Refuse request bodies over a fixed size with 413 problem+json, before anything parses them,
and bodies that take too long to arrive with 408.

Every legitimate body (a booking, a schedule template week) is a few kilobytes; a megabyte is a
generous ceiling that still stops a client from making a worker buffer and parse an arbitrary
amount of JSON. A body must also arrive whole within `SLOTWISE_BODY_TIMEOUT` seconds of the
request's headers: a client that sends headers and then trickles or stalls its body would
otherwise hold a connection (and its buffers) for as long as it likes, and a few thousand of
them exhaust a worker. uvicorn itself only times out idle keep-alive connections.
"""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024
BODY_TIMEOUT_SECONDS = 10.0


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_BODY_BYTES,
        timeout_seconds: float = BODY_TIMEOUT_SECONDS,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        # Chunked bodies declare no length: read them here, counting, and stop at the ceiling.
        chunks: list[bytes] = []
        size = 0
        more = True
        with anyio.move_on_after(self.timeout_seconds) as deadline:
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_bytes:
                    await self._reject(scope, receive, send)
                    return
                chunks.append(chunk)
                more = message.get("more_body", False)
        if deadline.cancelled_caught:
            await self._too_slow(scope, receive, send)
            return
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                # After the body, the app may wait for the disconnect; hand it on from the client.
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        from api.errors import problem_response

        response = problem_response(
            Request(scope),
            413,
            "payload-too-large",
            "Request body too large",
            f"Send at most {self.max_bytes} bytes in one request body.",
        )
        await response(scope, receive, send)

    async def _too_slow(self, scope: Scope, receive: Receive, send: Send) -> None:
        from api.errors import problem_response

        response = problem_response(
            Request(scope),
            408,
            "request-timeout",
            "Request body too slow",
            f"Send the whole request body within {self.timeout_seconds:g} seconds.",
            # The rest of the body may still be on its way: this connection cannot be reused.
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
