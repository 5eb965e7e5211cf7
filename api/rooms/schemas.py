"""Room bodies.

PUT is a partial update: only the fields sent change; null for any field is a 422 (every room
field always has a value), so a client bug never looks like a successful save.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from api.schemas import ApiModel, InlineText, JsonBool, NotBlank, NotNull, StrictInput, Trim

# How a kind is stored; as sent, either case and spaces around it are fine (KIND_INPUT_PATTERN).
KIND_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
KIND_INPUT_PATTERN = r"^ *[A-Za-z0-9]+(?:-[A-Za-z0-9]+)* *$"


def normalize_kind(value: object) -> object:
    # Appointment types name the room kind they need; one spelling per kind keeps them matching,
    # so "X-Ray " is accepted and stored as "x-ray", while "x ray" is refused.
    return value.strip().lower() if isinstance(value, str) else value


Name = Annotated[str, StringConstraints(min_length=1, max_length=100), Trim, NotBlank, InlineText]
Kind = Annotated[
    str,
    Field(max_length=50, pattern=KIND_INPUT_PATTERN, examples=["x-ray", "scanner"]),
    AfterValidator(normalize_kind),
]


class RoomCreate(StrictInput):
    name: Name
    kind: Kind
    active: JsonBool = True


class RoomUpdate(StrictInput):
    """Partial update: omitted fields are unchanged; null is refused (422)."""

    name: Annotated[Name | None, NotNull()] = None
    kind: Annotated[Kind | None, NotNull()] = None
    active: Annotated[JsonBool | None, NotNull()] = None


class RoomRead(ApiModel):
    id: str
    clinic_id: str
    name: str
    kind: str
    active: bool
    created_at: datetime
    updated_at: datetime
