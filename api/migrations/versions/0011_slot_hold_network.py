"""Slot holds remember the caller's network and since when the time has been held.

Guest holds are capped per network (an IPv4 address, or an IPv6 /64) and renewals are capped
by how long one owner or network has held the same time (docs/security-holds.md).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = api.models.base.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("slot_holds") as batch:
        batch.add_column(sa.Column("network", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("held_since", UTC(timezone=True), nullable=True))
    # Holds placed before this revision were first held when they were created.
    op.execute("UPDATE slot_holds SET held_since = created_at")
    with op.batch_alter_table("slot_holds") as batch:
        batch.alter_column("held_since", existing_type=UTC(timezone=True), nullable=False)
        batch.create_index("ix_slot_holds_clinic_network", ["clinic_id", "network"])


def downgrade() -> None:
    with op.batch_alter_table("slot_holds") as batch:
        batch.drop_index("ix_slot_holds_clinic_network")
        batch.drop_column("held_since")
        batch.drop_column("network")
