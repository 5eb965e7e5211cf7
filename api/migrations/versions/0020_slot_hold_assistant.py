"""Slot holds reserve the assistant the engine chose (issue 13, slice 7).

``slot_holds.assistant_id`` (null for every existing hold, and for holds of types that need no
assistant): a patient holding a time in the widget keeps that assistant, as the hold already
keeps its chair and provider, so a staff booking or another hold cannot take them meanwhile,
and confirming the hold books them. Holds last minutes, so there is nothing to backfill: a hold
placed before this revision expires holding no assistant, as it did.

SQLite: ``slot_holds`` is not rebuilt (a rebuild would drop the busy-version triggers 0018 put on
it); the column is added by ``ALTER TABLE ... ADD COLUMN`` with its ``REFERENCES`` and dropped by
the native ``DROP COLUMN``, as 0017 did for ``appointments``. An inline ``REFERENCES`` keeps no
``ON DELETE`` that SQLAlchemy can reflect, so the key has none on either database (models and
migrations must agree) and deleting an assistant deletes their holds itself.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ASSISTANT_FK = "fk_slot_holds_assistant_id_assistants"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("slot_holds", sa.Column("assistant_id", sa.String(32), nullable=True))
        op.create_foreign_key(
            op.f(ASSISTANT_FK),
            "slot_holds",
            "assistants",
            ["assistant_id"],
            ["id"],
        )
    else:
        op.execute(
            "ALTER TABLE slot_holds ADD COLUMN assistant_id VARCHAR(32) "
            f"CONSTRAINT {ASSISTANT_FK} REFERENCES assistants (id)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(ASSISTANT_FK), "slot_holds", type_="foreignkey")
        op.drop_column("slot_holds", "assistant_id")
    else:
        op.execute("ALTER TABLE slot_holds DROP COLUMN assistant_id")
