from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas import ApiModel, JsonBool, StrictInput


class ChairCreate(StrictInput):
    name: str = Field(min_length=1, max_length=100)
    active: JsonBool = True


class ChairUpdate(StrictInput):
    name: str | None = Field(None, min_length=1, max_length=100)
    active: JsonBool | None = None


class ChairRead(ApiModel):
    id: str
    clinic_id: str
    name: str
    active: bool
    created_at: datetime
    updated_at: datetime
