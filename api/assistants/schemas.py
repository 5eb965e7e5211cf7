"""Assistant bodies (PUT is partial, as for providers: null clears color, 422 for the rest)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from api.providers.schemas import Color, Name
from api.schemas import ApiModel, JsonBool, NotNull, StrictInput


class AssistantCreate(StrictInput):
    name: Name
    color: Color = None
    active: JsonBool = True


class AssistantUpdate(StrictInput):
    """Partial update: omitted fields are unchanged; null clears color, 422 for the rest."""

    name: Annotated[Name | None, NotNull()] = None
    color: Color = None
    active: Annotated[JsonBool | None, NotNull()] = None


class AssistantRead(ApiModel):
    id: str
    clinic_id: str
    name: str
    color: str | None
    active: bool
    created_at: datetime
    updated_at: datetime
