"""The share of a day's provider time guests may reserve at once (portal settings).

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("portal_settings") as batch:
        batch.add_column(
            sa.Column("guest_share_percent", sa.Integer(), nullable=False, server_default="10")
        )
        batch.create_check_constraint("guest_share", "guest_share_percent BETWEEN 1 AND 100")


def downgrade() -> None:
    with op.batch_alter_table("portal_settings") as batch:
        batch.drop_constraint("guest_share", type_="check")
        batch.drop_column("guest_share_percent")
