"""Patient portal: per-clinic portal settings, slot holds and patient invitations.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = api.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "portal_settings",
        sa.Column("clinic_id", sa.String(length=32), nullable=False),
        sa.Column("hold_minutes", sa.Integer(), nullable=False),
        sa.Column("slot_step_minutes", sa.Integer(), nullable=False),
        sa.Column("new_patient_daily_cap", sa.Integer(), nullable=False),
        sa.Column("new_patient_email_daily_cap", sa.Integer(), nullable=False),
        sa.Column("show_provider_names", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "hold_minutes BETWEEN 1 AND 60", name=op.f("ck_portal_settings_hold_minutes")
        ),
        sa.CheckConstraint(
            "new_patient_daily_cap >= 0 AND new_patient_email_daily_cap >= 0",
            name=op.f("ck_portal_settings_caps"),
        ),
        sa.CheckConstraint(
            "slot_step_minutes BETWEEN 5 AND 120", name=op.f("ck_portal_settings_slot_step")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_portal_settings_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("clinic_id", name=op.f("pk_portal_settings")),
    )
    op.create_table(
        "slot_holds",
        sa.Column("clinic_id", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=80), nullable=False),
        sa.Column("appointment_type_id", sa.String(length=32), nullable=False),
        sa.Column("start_time", UTC(timezone=True), nullable=False),
        sa.Column("end_time", UTC(timezone=True), nullable=False),
        sa.Column("occupied_start", UTC(timezone=True), nullable=False),
        sa.Column("occupied_end", UTC(timezone=True), nullable=False),
        sa.Column("provider_id", sa.String(length=32), nullable=True),
        sa.Column("chair_id", sa.String(length=32), nullable=True),
        sa.Column("room_id", sa.String(length=32), nullable=True),
        sa.Column("expires_at", UTC(timezone=True), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_slot_holds_time_order")),
        sa.ForeignKeyConstraint(
            ["appointment_type_id"],
            ["appointment_types.id"],
            name=op.f("fk_slot_holds_appointment_type_id_appointment_types"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chair_id"],
            ["chairs.id"],
            name=op.f("fk_slot_holds_chair_id_chairs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_slot_holds_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_slot_holds_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_slot_holds_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slot_holds")),
    )
    op.create_index(
        "ix_slot_holds_clinic_window", "slot_holds", ["clinic_id", "occupied_start"], unique=False
    )
    op.create_index(op.f("ix_slot_holds_owner"), "slot_holds", ["owner"], unique=False)
    op.create_table(
        "patient_invitations",
        sa.Column("clinic_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTC(timezone=True), nullable=False),
        sa.Column("used_at", UTC(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_patient_invitations_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_patient_invitations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_patient_invitations_token_hash")),
    )
    op.create_index(
        op.f("ix_patient_invitations_user_id"), "patient_invitations", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_patient_invitations_user_id"), table_name="patient_invitations")
    op.drop_table("patient_invitations")
    op.drop_index(op.f("ix_slot_holds_owner"), table_name="slot_holds")
    op.drop_index("ix_slot_holds_clinic_window", table_name="slot_holds")
    op.drop_table("slot_holds")
    op.drop_table("portal_settings")
