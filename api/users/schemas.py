"""Staff account bodies: an admin deactivates an account or changes its role.

Patient accounts are the portal's (invitations) and are not listed or changed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from api.schemas import ApiModel, JsonBool, NotNull, StrictInput

StaffRole = Literal["admin", "frontdesk", "provider"]


class UserRead(ApiModel):
    id: str
    clinic_id: str
    email: str
    full_name: str
    role: str
    provider_id: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class UserUpdate(StrictInput):
    """Partial update: omitted fields are unchanged; null is refused (422) except for
    `providerId`, which only a provider account has (and must have)."""

    active: Annotated[JsonBool | None, NotNull()] = None
    role: Annotated[StaffRole | None, NotNull()] = None
    provider_id: str | None = None
