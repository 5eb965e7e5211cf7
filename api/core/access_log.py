"""The server's access log: one line per request, and no secret from a query string in any line.

`request_line` writes the line (logger `slotwise.access`; api/core/observe.py calls it once a
request is answered): method, route template, path without its query string, status, duration,
request id and the clinic when known. In JSON (SLOTWISE_LOG_FORMAT=json, api/core/logs.py) each is
a field of its own. It replaces uvicorn's access line, which `slotwise serve` turns off.

Keep secrets in query strings out of the server's logs.

Browsers cannot set headers on a WebSocket, so the calendar may authenticate with
`?token=<JWT>`, and an emailed confirmation link carries `?token=`. uvicorn writes the full path
with its query string to its access log (`uvicorn.access`) and, for WebSocket handshakes, to
`uvicorn.error`; anyone who can read the logs could then act as that user until the token
expires. This filter rewrites those records before any handler formats them.
"""

from __future__ import annotations

import logging
import re

# Parameter names whose values are credentials; matched case-insensitively, as sent.
SECRET_PARAMS = ("token", "access_token", "guest_token", "guestToken")
REDACTED = "[redacted]"
_SECRET_VALUE = re.compile(
    r"([?&](?:" + "|".join(re.escape(p) for p in SECRET_PARAMS) + r")=)[^&#\s\"]*",
    re.IGNORECASE,
)
LOGGERS = ("uvicorn.access", "uvicorn.error")
ACCESS_LOGGER = "slotwise.access"
# request.state's key for the caller's clinic, set where a request learns it (signing in).
CLINIC_KEY = "clinic_id"

_access = logging.getLogger(ACCESS_LOGGER)


def redact(text: str) -> str:
    return _SECRET_VALUE.sub(r"\1" + REDACTED, text)


class RedactQueryTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    """Idempotent: every app instance calls it, each logger gets the filter once."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryTokens) for f in logger.filters):
            logger.addFilter(RedactQueryTokens())


def note_clinic(state: object, clinic_id: str) -> None:
    """Name the request's clinic in its access line (`state` is `request.state`)."""
    setattr(state, CLINIC_KEY, clinic_id)


def request_line(
    *,
    method: str,
    route: str,
    path: str,
    status: int,
    seconds: float,
    request_id: str | None,
    clinic_id: str | None,
) -> None:
    if not _access.isEnabledFor(logging.INFO):
        return
    duration_ms = round(seconds * 1000, 2)
    clinic = f" clinic={clinic_id}" if clinic_id else ""
    _access.info(
        "%s %s %d %.1f ms%s id=%s",
        method,
        path,
        status,
        duration_ms,
        clinic,
        request_id or "-",
        extra={
            "method": method,
            "route": route,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "request_id": request_id,
            "clinic_id": clinic_id,
        },
    )
