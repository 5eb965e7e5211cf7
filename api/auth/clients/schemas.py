"""Machine client bodies. The secret appears in exactly two answers: create and rotate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from api.auth.clients import scopes
from api.schemas import ApiModel, InlineText, StrictInput

# The grammar in the schema too, so a client generator knows it; `scopes.parse` enforces it with
# a message naming what to send.
SCOPE_PATTERN = rf"^system/(\*|{'|'.join(scopes.RESOURCES)})\.(read|write|\*)$"

Scopes = Annotated[
    list[Annotated[str, Field(max_length=40, json_schema_extra={"pattern": SCOPE_PATTERN})]],
    Field(
        min_length=1,
        max_length=20,
        description="SMART v1 system scopes, e.g. `system/Slot.read`, `system/Appointment.write`,"
        " `system/*.read`.",
        examples=[["system/*.read", "system/Appointment.write"]],
    ),
    AfterValidator(scopes.normalized),
]


class ClientCreate(StrictInput):
    name: Annotated[str, InlineText] = Field(
        min_length=1, max_length=100, description="Whose system this is, e.g. 'Practice website'."
    )
    scopes: Scopes


class ClientUpdate(StrictInput):
    """Partial update; a narrower grant takes effect on tokens already issued at once."""

    name: Annotated[str, InlineText] | None = Field(None, min_length=1, max_length=100)
    scopes: Scopes | None = None


class ClientRead(ApiModel):
    id: str = Field(description="The OAuth2 client_id.")
    clinic_id: str
    name: str
    scopes: list[str]
    active: bool
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="When it was last issued a token.")
    secret_rotated_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class ClientWithSecret(ClientRead):
    client_secret: str = Field(
        description="Shown only in this answer; the server keeps only its hash."
    )
