"""Errors the engine raises for a query it cannot answer as asked."""

from __future__ import annotations


class InvalidQuery(ValueError):
    """The query is malformed; ``field`` names the input to fix, the message says how.

    Raised for caller mistakes (unknown ids, naive datetimes, a duration outside the type's
    bounds, an empty visit, ...), never for "no slot is free": that is an empty answer.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
