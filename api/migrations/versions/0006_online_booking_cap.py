"""A cap on each patient's upcoming online bookings (portal settings).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("portal_settings") as batch:
        batch.add_column(
            sa.Column(
                "max_active_online_bookings", sa.Integer(), nullable=False, server_default="3"
            )
        )
        batch.create_check_constraint("active_online_cap", "max_active_online_bookings >= 0")


def downgrade() -> None:
    with op.batch_alter_table("portal_settings") as batch:
        batch.drop_constraint("active_online_cap", type_="check")
        batch.drop_column("max_active_online_bookings")
