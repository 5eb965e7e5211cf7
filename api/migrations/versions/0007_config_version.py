"""A clinic's configuration version, replaced by every write to its configuration.

Booking reads a clinic's resources, hours, exceptions and template slots on every request; the
version lets each worker cache them and know, with one column read, when they changed. It is a
random token, not a counter: a version written by a transaction that rolled back is never
issued again, so nothing cached under it can be mistaken for a later configuration.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        batch.add_column(
            sa.Column("config_version", sa.String(32), nullable=False, server_default="initial")
        )


def downgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        batch.drop_column("config_version")
