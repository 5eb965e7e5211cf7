"""The API's only clock. The solver never reads one: it is handed `now()` from here."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
