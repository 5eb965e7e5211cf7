"""Provider bodies.

PUT is a partial update: only the fields sent change. Sending null clears an optional field
(title, color); null for a field that always has a value (name, active) is a 422 rather than
being ignored, so a client bug never looks like a successful save.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints, field_validator

from api.schemas import ApiModel, StrictInput


def _blank_to_none(value: object) -> object:
    # Forms send "" for a cleared optional input; store that as "no value", not as "".
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Constraints sit on the inner str: applied to the whole `| None` union they would reject null.
Title = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None,
    BeforeValidator(_blank_to_none),
]
# Stored lowercase so the calendar can compare and render colours without normalising.
Color = Annotated[
    Annotated[str, StringConstraints(pattern=r"^#[0-9a-f]{6}$")] | None,
    BeforeValidator(_blank_to_none),
    BeforeValidator(_lower),
    Field(examples=["#4a90d9"]),
]


class ProviderCreate(StrictInput):
    name: Name
    title: Title = None
    color: Color = None
    active: bool = True


class ProviderUpdate(StrictInput):
    """Partial update: omitted fields are unchanged; null clears title/color, 422 for the rest."""

    name: Name | None = None
    title: Title = None
    color: Color = None
    active: bool | None = None

    @field_validator("name", "active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only runs for values actually sent, so None here means an explicit null.
        if value is None:
            raise ValueError("cannot be null; omit the field to leave it unchanged")
        return value


class ProviderRead(ApiModel):
    id: str
    clinic_id: str
    name: str
    title: str | None
    color: str | None
    active: bool
    created_at: datetime
    updated_at: datetime
