"""Room bodies.

PUT is a partial update: only the fields sent change; null for any field is a 422 (every room
field always has a value), so a client bug never looks like a successful save.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints, field_validator

from api.schemas import ApiModel, StrictInput

KIND_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def normalize_kind(value: object) -> object:
    # Appointment types name the room kind they need; one spelling per kind keeps them matching,
    # so "X-Ray " is accepted and stored as "x-ray", while "x ray" is refused.
    return value.strip().lower() if isinstance(value, str) else value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Kind = Annotated[
    str,
    BeforeValidator(normalize_kind),
    Field(min_length=1, max_length=50, pattern=KIND_PATTERN, examples=["x-ray", "scanner"]),
]


class RoomCreate(StrictInput):
    name: Name
    kind: Kind
    active: bool = True


class RoomUpdate(StrictInput):
    """Partial update: omitted fields are unchanged; null is refused (422)."""

    name: Name | None = None
    kind: Kind | None = None
    active: bool | None = None

    @field_validator("name", "kind", "active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only runs for values actually sent, so None here means an explicit null.
        if value is None:
            raise ValueError("cannot be null; omit the field to leave it unchanged")
        return value


class RoomRead(ApiModel):
    id: str
    clinic_id: str
    name: str
    kind: str
    active: bool
    created_at: datetime
    updated_at: datetime
