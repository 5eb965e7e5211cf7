"""Typed domain errors, rendered by one handler as RFC 9457 application/problem+json."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.core import metrics

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://slotwise.dev/problems/"


class DomainError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra
        self.headers: dict[str, str] = {}


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a rule; `field` names what to fix."""

    status = 422
    slug = "invalid-input"
    title = "Invalid input"

    def __init__(self, field: str, detail: str, **extra: Any) -> None:
        super().__init__(detail, errors=[{"field": field, "message": detail}], **extra)


class Unauthorized(DomainError):
    status = 401
    slug = "unauthorized"
    title = "Not authenticated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class PreconditionFailed(DomainError):
    status = 412
    slug = "stale-version"
    title = "The appointment changed since you loaded it"


class PreconditionRequired(DomainError):
    status = 428
    slug = "precondition-required"
    title = "If-Match header required"


class Unavailable(DomainError):
    """503: the answer could not be established in time (or the database is away); retry."""

    status = 503
    slug = "unavailable"
    title = "Temporarily unavailable"

    def __init__(self, detail: str, retry_after: int = 2, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers = {"Retry-After": str(retry_after)}


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """The body of every error response (RFC 9457), for the OpenAPI schema."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


def problem_response(
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    if status == 409:
        metrics.conflict(slug)
    body = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# Long enough for PostgreSQL to come back from a restart, short enough that a person retrying
# by hand is not left waiting.
RETRY_AFTER_SECONDS = 2


def database_unavailable(request: Request, detail: str | None = None) -> JSONResponse:
    """503 with Retry-After: the database could not be reached, so nothing was saved."""
    return problem_response(
        request,
        503,
        "unavailable",
        "Temporarily unavailable",
        detail
        or "The database cannot be reached right now; nothing was saved. "
        f"Please retry in {RETRY_AFTER_SECONDS} seconds (with the same Idempotency-Key).",
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _allowed_methods(request: Request) -> str:
    """Every method any route serves at this path (RFC 9110: a 405 lists them all). The router
    answers with the first partial match only, which names one route's methods."""
    from fastapi.routing import iter_route_contexts

    static: set[str] = set()
    templated: set[str] = set()
    for rc in iter_route_contexts(request.app.routes):
        regex = getattr(rc, "path_regex", None)
        if regex is not None and regex.match(request.url.path):
            target = templated if "{" in str(rc.path) else static
            target |= set(rc.methods or ())
    # A literal path (/schedule-templates/active) is its own resource, not an {id}.
    return ", ".join(sorted(static or templated))


def _unstorable(request: Request, detail: str) -> JSONResponse:
    return problem_response(
        request,
        422,
        "invalid-input",
        "Invalid input",
        detail,
        errors=[{"field": "request", "message": detail}],
    )


def _loc_to_field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(
            request, exc.status, exc.slug, exc.title, exc.detail, exc.headers or None, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _loc_to_field(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem_response(
            request, 422, "invalid-input", "Invalid input", detail, errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Not authenticated"}
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # A body that is not the JSON it claims to be: the same 422 as any invalid input.
            detail = "The request body is not valid JSON (or not the declared content type)."
            return problem_response(
                request, 422, "invalid-input", "Invalid input", detail,
                errors=[{"field": "body", "message": detail}],
            )  # fmt: skip
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return problem_response(
            request,
            exc.status_code,
            str(exc.status_code),
            titles.get(exc.status_code, "Error"),
            str(exc.detail),
            headers or None,
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        from api.core.retry import is_retryable

        if is_retryable(exc):
            # Serialization failure or deadlock: api.core.retry.RetryMiddleware, outside this
            # handler, runs the whole request again.
            raise exc
        if isinstance(exc, DataError):
            # A value the database cannot hold (a NUL character in text on PostgreSQL, a number
            # out of range): the input's fault, and nothing was saved.
            reason = str(exc.orig or "").strip().splitlines()[0] if exc.orig else "invalid value"
            return _unstorable(request, f"A value cannot be stored: {reason}.")
        if isinstance(exc, OperationalError | InterfaceError | DisconnectionError) or (
            exc.connection_invalidated
        ):
            # The driver's message only: str(exc) would put the SQL parameters (patient data)
            # into the log.
            reason = str(exc.orig or type(exc).__name__).strip().splitlines()[0]
            log.warning(
                "database unavailable on %s %s: %s", request.method, request.url.path, reason
            )
            return database_unavailable(request)
        return await _unexpected(request, exc)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # An integer past 64 bits (offset=9223372036854775808): SQLite's driver cannot bind it.
        return _unstorable(
            request, "A number in the request is too large; use at most 9223372036854775807."
        )

    @app.exception_handler(UnicodeEncodeError)
    async def _unencodable(request: Request, exc: UnicodeEncodeError) -> JSONResponse:
        # Only input can carry an unpaired surrogate (JSON "\ud800"): no database stores one.
        return _unstorable(
            request,
            "Text contains an unpaired surrogate (such as \\ud800), which is not valid "
            "Unicode; send valid UTF-8 text.",
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            request,
            500,
            "internal",
            "Internal error",
            "Something went wrong on our side; nothing was saved. Please try again.",
        )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the problem statuses it can return, in the OpenAPI schema."""
    descriptions = {
        400: "Bad request",
        401: "Missing or invalid token",
        403: "Missing permission",
        404: "Not found in your clinic",
        409: "Conflicts with existing data",
        412: "Stale If-Match version",
        422: "Invalid input",
        428: "If-Match header required",
        429: "Too many requests",
        503: "Temporarily unavailable",
    }
    return {
        s: {
            "model": Problem,
            "description": descriptions.get(s, "Error"),
            "content": {PROBLEM_JSON: {}},
        }
        for s in statuses
    }
