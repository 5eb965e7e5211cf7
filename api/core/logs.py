"""How the server's log lines look: one JSON object per line in production, text in `make demo`.

`slotwise serve` hands `log_config(...)` to uvicorn, which applies it in every worker before the
app loads, so uvicorn's own lines and the app's come out in the same shape. The request lines
themselves are written by api/core/access_log.py.
"""

from __future__ import annotations

from typing import Any, Literal

LogFormat = Literal["json", "text"]

# Record attributes every JSON line carries, besides a request line's fields; `process` (the
# worker's pid) tells which of several workers wrote a line.
_JSON_FIELDS = ("levelname", "name", "process", "message")
_TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def formatter_config(fmt: LogFormat) -> dict[str, Any]:
    if fmt == "json":
        return {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": list(_JSON_FIELDS),
            "rename_fields": {"levelname": "level", "name": "logger", "process": "pid"},
            # ISO 8601 in UTC, under "timestamp".
            "timestamp": True,
        }
    return {"format": _TEXT_FORMAT}


def log_config(fmt: LogFormat, level: str = "INFO") -> dict[str, Any]:
    """A logging.config.dictConfig for uvicorn's `log_config`: one handler on stderr for all."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        # Loggers made at import (the app's modules) keep working under the new handler.
        "disable_existing_loggers": False,
        "formatters": {"default": formatter_config(fmt)},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's loggers carry no handler of their own: their lines reach the root's.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"level": level},
            # Replaced by the app's request line (access_log.request_line): one line a request.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
