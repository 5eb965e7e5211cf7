"""Machine clients: OAuth2 client-credentials callers of /fhir, one clinic each.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = api.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "machine_clients",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("clinic_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("revoked_at", UTC(timezone=True), nullable=True),
        sa.Column("last_used_at", UTC(timezone=True), nullable=True),
        sa.Column("secret_rotated_at", UTC(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_machine_clients_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_machine_clients")),
    )
    op.create_index(
        op.f("ix_machine_clients_clinic_id"), "machine_clients", ["clinic_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_machine_clients_clinic_id"), table_name="machine_clients")
    op.drop_table("machine_clients")
