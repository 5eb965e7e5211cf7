"""Times every HTTP request once: the request metrics and the one access-log line per request.

A plain ASGI middleware (no BaseHTTPMiddleware: it would buffer streamed responses), added
outside every other middleware but the proxy-header one, so a 413 from the body limit or a 429
is timed and logged like any answer, and a request the retry middleware replays is one request.
The route is the template the router matched (`scope["route"]`), so labels and log lines never
hold a raw path's ids. The router sets it in the scope it was given, which for a write is the
retry middleware's copy: `NoteRoute`, innermost, hands it out through the request's state dict,
which every copy of the scope shares.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core import access_log, metrics

# Requests that matched no route share one label, so probing random paths cannot grow the
# metric's label set.
UNMATCHED = "unmatched"
# Not counted or logged: a scrape every few seconds would drown the requests that matter.
SKIPPED_PATHS = frozenset({"/metrics"})


_ROUTE_KEY = "matched_route"


def route_of(scope: Scope) -> str:
    path = (scope.get("state") or {}).get(_ROUTE_KEY)
    return path if isinstance(path, str) and path else UNMATCHED


class NoteRoute:
    """Innermost: keeps the matched route's template where `ObserveRequests` can read it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            path = getattr(scope.get("route"), "path", None)
            state = scope.get("state")
            if isinstance(path, str) and isinstance(state, dict):
                state[_ROUTE_KEY] = path


class ObserveRequests:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in SKIPPED_PATHS:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before it starts answering

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope)
            method = str(scope.get("method", ""))
            metrics.observe_request(method, route, status, seconds)
            state: dict[str, Any] = scope.get("state") or {}
            access_log.request_line(
                method=method,
                route=route,
                path=str(scope.get("path", "")),
                status=status,
                seconds=seconds,
                request_id=state.get("request_id"),
                clinic_id=state.get(access_log.CLINIC_KEY) or _path_clinic(scope),
            )


def _path_clinic(scope: Scope) -> str | None:
    # Portal routes name the clinic in the path; staff routes set it when signing the caller in.
    value = (scope.get("path_params") or {}).get("clinic_id")
    return value if isinstance(value, str) else None
