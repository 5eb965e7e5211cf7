"""Keep secrets in query strings out of the server's logs.

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
