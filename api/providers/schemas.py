"""Provider bodies.

PUT is a partial update: only the fields sent change. Sending null clears an optional field
(title, color); null for a field that always has a value (name, active) is a 422 rather than
being ignored, so a client bug never looks like a successful save.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from api.schemas import (
    ApiModel,
    BlankMeansNull,
    InlineText,
    JsonBool,
    NotBlank,
    NotNull,
    StrictInput,
    Trim,
)

Name = Annotated[str, StringConstraints(min_length=1, max_length=200), Trim, NotBlank, InlineText]
# Constraints sit on the inner str: applied to the whole `| None` union they would reject null.
# Forms send "" for a cleared optional input; store that as "no value", not as "".
Title = Annotated[
    Annotated[str, StringConstraints(max_length=100), Trim, InlineText] | None,
    BlankMeansNull(),
]
# Either case is accepted; stored lowercase so the calendar can compare and render colours
# without normalising.
Color = Annotated[
    Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$"), AfterValidator(str.lower)]
    | None,
    BlankMeansNull(),
    Field(examples=["#4a90d9"]),
]


class ProviderCreate(StrictInput):
    name: Name
    title: Title = None
    color: Color = None
    active: JsonBool = True


class ProviderUpdate(StrictInput):
    """Partial update: omitted fields are unchanged; null clears title/color, 422 for the rest."""

    name: Annotated[Name | None, NotNull()] = None
    title: Title = None
    color: Color = None
    active: Annotated[JsonBool | None, NotNull()] = None


class ProviderRead(ApiModel):
    id: str
    clinic_id: str
    name: str
    title: str | None
    color: str | None
    active: bool
    created_at: datetime
    updated_at: datetime
