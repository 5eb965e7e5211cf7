from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from api.schemas import ApiModel, InlineText, JsonBool, StrictInput


class ChairCreate(StrictInput):
    name: Annotated[str, InlineText] = Field(min_length=1, max_length=100)
    active: JsonBool = True


class ChairUpdate(StrictInput):
    name: Annotated[str, InlineText] | None = Field(None, min_length=1, max_length=100)
    active: JsonBool | None = None


class ChairRead(ApiModel):
    id: str
    clinic_id: str
    name: str
    active: bool
    created_at: datetime
    updated_at: datetime
