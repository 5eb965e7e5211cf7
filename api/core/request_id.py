from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from fastapi import Request, Response

_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


async def request_id_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Tag each request with an id (the caller's X-Request-ID when sane) for logs and audit."""
    given = request.headers.get("x-request-id", "")
    request.state.request_id = given if _SAFE.match(given) else uuid.uuid4().hex
    response = await call_next(request)
    response.headers["X-Request-ID"] = request.state.request_id
    return response
