"""CORS for the booking widget: only origins a clinic configured (Clinic.website_origins).

Starlette's CORSMiddleware knows a static list; clinics change theirs at run time. This
middleware answers preflights and adds the CORS headers for the portal's paths (and sign-in,
which the widget uses), allowing an origin only when some active clinic lists it. The routes
then check that a cross-site caller's origin belongs to *their* clinic
(`api.portal.identity.check_origin`), so clinic A's website cannot drive clinic B's portal;
sign-in opens only accounts at a clinic that lists the calling site (`api.auth.router`).
A cross-site request from an origin no clinic lists is refused before it reaches a route.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from api.db import Database
from api.errors import problem_response
from api.portal import repository
from api.portal.identity import normalise_origin, same_origin

PATHS = ("/api/patient-portal/", "/api/auth/token")
ALLOW_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key"
EXPOSE_HEADERS = "Retry-After, Idempotent-Replayed"
CACHE_SECONDS = 10.0  # how soon a changed websiteOrigins takes effect


def _portal_path(path: str) -> bool:
    return any(path == p or path.startswith(p) for p in PATHS)


class _OriginCache:
    def __init__(self) -> None:
        self.origins: frozenset[str] = frozenset()
        self.loaded_at = -CACHE_SECONDS

    def get(self, db: Database) -> frozenset[str]:
        if time.monotonic() - self.loaded_at >= CACHE_SECONDS:
            with db.read() as session:
                rows = repository.website_origins(session)
                self.origins = frozenset(normalise_origin(o) for row in rows for o in row or [])
            self.loaded_at = time.monotonic()
        return self.origins


def _cors_headers(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": EXPOSE_HEADERS,
        "Vary": "Origin",
    }


async def portal_cors_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    origin = request.headers.get("origin")
    if not origin or not _portal_path(request.url.path) or same_origin(request, origin):
        return await call_next(request)
    cache: _OriginCache = getattr(request.app.state, "portal_origins", None) or _OriginCache()
    request.app.state.portal_origins = cache
    allowed = normalise_origin(origin) in await run_in_threadpool(cache.get, request.app.state.db)
    preflight = request.method == "OPTIONS" and "access-control-request-method" in request.headers
    if not allowed:
        refused = problem_response(
            request,
            403,
            "origin-not-allowed",
            "Origin not allowed",
            f"{origin} is not one of the clinic's website origins; online booking can be "
            "embedded only on sites the clinic configured (websiteOrigins).",
        )
        refused.headers["Vary"] = "Origin"
        return refused
    if preflight:
        return Response(
            status_code=204,
            headers={
                **_cors_headers(origin),
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": "600",
            },
        )
    response = await call_next(request)
    response.headers.update(_cors_headers(origin))
    return response
