"""Machine clients: partner systems that call /fhir with OAuth2 client credentials.

The secret is stored only as an argon2 hash and shown once, when created or rotated. The
client's id is public (it is the OAuth2 `client_id` and the audit trail's actor for what the
client books), random, and prefixed so a reader of the audit trail tells it from a user's id.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, TimestampMixin, UTCDateTime

CLIENT_ID_PREFIX = "swc_"


def new_client_id() -> str:
    # 28 hex digits (112 random bits) after the prefix: 32 characters, what audit_log.actor_id
    # and every other id column hold.
    return CLIENT_ID_PREFIX + secrets.token_hex(14)


class MachineClient(TimestampMixin, Base):
    __tablename__ = "machine_clients"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_client_id)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(200))
    # SMART v1 system scopes granted, sorted ("system/Slot.read", "system/*.read").
    scopes: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When a token was last issued to it: stamped by the token endpoint, not by every FHIR
    # request, so reads never take a write lock.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The admin's user id, or "cli" for `slotwise clients create`.
    created_by: Mapped[str] = mapped_column(String(32))
