"""Assistants as a resource kind (issue 13, slice 7; docs/doctor-time-design.md).

Creates ``assistants`` (unique name per clinic) and ``appointment_type_assistants`` (which
assistants may assist a type; none listed means any), adds ``appointment_types.needs_assistant``
(false for every existing type, so every clinic books as before) and ``appointments.assistant_id``
(null for every existing appointment), and lets ``held_intervals`` hold an assistant: its
``resource_kind`` check gains ``assistant``. The exclusion constraint of 0014 already covers any
resource id, so an assistant's held time cannot overlap either. No appointment holds an
assistant yet, so there is nothing to backfill.

SQLite: ``appointments`` and ``appointment_types`` are never rebuilt, either way (a rebuild
drops the table, and with foreign keys on that deletes the rows of every table pointing at it
with ON DELETE CASCADE, or is refused under those that point at it without). The columns are
added by ``ALTER TABLE ... ADD COLUMN`` (with its ``REFERENCES``) and dropped by SQLite's native
``DROP COLUMN`` (3.35+), which takes a column's own foreign key with it.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = api.models.base.UTCDateTime
OLD_KINDS = "resource_kind IN ('provider', 'chair', 'room')"
NEW_KINDS = "resource_kind IN ('provider', 'chair', 'room', 'assistant')"
ASSISTANT_FK = "fk_appointments_assistant_id_assistants"


def _held_intervals(kinds: str) -> sa.Table:
    """held_intervals as 0014 made it, with the given kind check: the shape a SQLite rebuild
    copies into (given, not reflected, so the rebuilt table is exactly this)."""
    return sa.Table(
        "held_intervals",
        sa.MetaData(),
        sa.Column("clinic_id", sa.String(length=32), nullable=False),
        sa.Column("resource_kind", sa.String(length=10), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("appointment_id", sa.String(length=32), nullable=False),
        sa.Column("start_time", UTC(timezone=True), nullable=False),
        sa.Column("end_time", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.CheckConstraint("end_time > start_time", name="ck_held_intervals_time_order"),
        sa.CheckConstraint(kinds, name="ck_held_intervals_resource_kind"),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name="fk_held_intervals_appointment_id_appointments",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name="fk_held_intervals_clinic_id_clinics",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_held_intervals"),
        sa.Index("ix_held_intervals_appointment_id", "appointment_id"),
        sa.Index("ix_held_intervals_resource_window", "resource_id", "start_time"),
    )


def _set_held_kinds(kinds: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_held_intervals_resource_kind"), "held_intervals", type_="check")
        op.create_check_constraint(op.f("ck_held_intervals_resource_kind"), "held_intervals", kinds)
        return
    # Nothing points at held_intervals, so rebuilding it loses nothing.
    with op.batch_alter_table(
        "held_intervals", copy_from=_held_intervals(kinds), recreate="always"
    ):
        pass


def upgrade() -> None:
    op.create_table(
        "assistants",
        sa.Column("clinic_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_assistants_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistants")),
        sa.UniqueConstraint("clinic_id", "name", name=op.f("uq_assistants_clinic_id")),
    )
    op.create_index(op.f("ix_assistants_clinic_id"), "assistants", ["clinic_id"])
    op.create_table(
        "appointment_type_assistants",
        sa.Column("appointment_type_id", sa.String(length=32), nullable=False),
        sa.Column("assistant_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_type_id"],
            ["appointment_types.id"],
            name=op.f("fk_appointment_type_assistants_appointment_type_id_appointment_types"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["assistants.id"],
            name=op.f("fk_appointment_type_assistants_assistant_id_assistants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "appointment_type_id", "assistant_id", name=op.f("pk_appointment_type_assistants")
        ),
    )
    # A plain ADD COLUMN on both databases: no table rebuild.
    op.add_column(
        "appointment_types",
        sa.Column("needs_assistant", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("appointments", sa.Column("assistant_id", sa.String(32), nullable=True))
        op.create_foreign_key(
            op.f(ASSISTANT_FK), "appointments", "assistants", ["assistant_id"], ["id"]
        )
    else:
        op.execute(
            "ALTER TABLE appointments ADD COLUMN assistant_id VARCHAR(32) "
            f"CONSTRAINT {ASSISTANT_FK} REFERENCES assistants (id)"
        )
    _set_held_kinds(NEW_KINDS)


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM held_intervals WHERE resource_kind = 'assistant'"))
    _set_held_kinds(OLD_KINDS)
    if bind.dialect.name == "postgresql":
        op.drop_constraint(op.f(ASSISTANT_FK), "appointments", type_="foreignkey")
        op.drop_column("appointments", "assistant_id")
        op.drop_column("appointment_types", "needs_assistant")
    else:
        # Native DROP COLUMN, no rebuild (see above).
        op.execute("ALTER TABLE appointments DROP COLUMN assistant_id")
        op.execute("ALTER TABLE appointment_types DROP COLUMN needs_assistant")
    op.drop_table("appointment_type_assistants")
    op.drop_index(op.f("ix_assistants_clinic_id"), table_name="assistants")
    op.drop_table("assistants")
