"""Waitlist (issue 15): entries, offers of freed time, and each offer's recipients.

New tables only, nothing existing changes (docs/waitlist.md). An offer's slot holds are rows in
``slot_holds`` (owner ``waitlist-offer:<id>``), so no hold table is added here.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "waitlist_entries",
        sa.Column("clinic_id", sa.String(length=32), nullable=False),
        sa.Column("patient_id", sa.String(length=32), nullable=False),
        sa.Column("appointment_type_id", sa.String(length=32), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("same_provider", sa.Boolean(), nullable=False),
        sa.Column("same_chair", sa.Boolean(), nullable=False),
        sa.Column("earliest_date", sa.Date(), nullable=True),
        sa.Column("latest_date", sa.Date(), nullable=True),
        sa.Column("weekdays", sa.JSON(), nullable=True),
        sa.Column("earliest_time", sa.Time(), nullable=True),
        sa.Column("latest_time", sa.Time(), nullable=True),
        sa.Column("preferred_provider_id", sa.String(length=32), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("replaces_appointment_id", sa.String(length=32), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "WAITING",
                "OFFERED",
                "BOOKED",
                "WITHDRAWN",
                "EXPIRED",
                name="waitliststatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum("STAFF", "PORTAL", name="waitlistsource", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("booked_appointment_id", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", api.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("priority BETWEEN 0 AND 10", name=op.f("ck_waitlist_entries_priority")),
        sa.ForeignKeyConstraint(
            ["appointment_type_id"],
            ["appointment_types.id"],
            name=op.f("fk_waitlist_entries_appointment_type_id_appointment_types"),
        ),
        sa.ForeignKeyConstraint(
            ["booked_appointment_id"],
            ["appointments.id"],
            name=op.f("fk_waitlist_entries_booked_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_waitlist_entries_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_waitlist_entries_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["preferred_provider_id"],
            ["providers.id"],
            name=op.f("fk_waitlist_entries_preferred_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["replaces_appointment_id"],
            ["appointments.id"],
            name=op.f("fk_waitlist_entries_replaces_appointment_id_appointments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_waitlist_entries_clinic_status", ["clinic_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_waitlist_entries_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "waitlist_offers",
        sa.Column("clinic_id", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "OPEN",
                "ACCEPTED",
                "EXPIRED",
                "WITHDRAWN",
                name="offerstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("gap_start", api.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("gap_end", api.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("gap_chair_id", sa.String(length=32), nullable=True),
        sa.Column("gap_provider_id", sa.String(length=32), nullable=True),
        sa.Column("gap_appointment_id", sa.String(length=32), nullable=True),
        sa.Column("expires_at", api.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", api.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", api.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_entry_id", sa.String(length=32), nullable=True),
        sa.Column("booked_appointment_ids", sa.JSON(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.CheckConstraint("gap_end > gap_start", name=op.f("ck_waitlist_offers_gap_order")),
        sa.ForeignKeyConstraint(
            ["accepted_entry_id"],
            ["waitlist_entries.id"],
            name=op.f("fk_waitlist_offers_accepted_entry_id_waitlist_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_waitlist_offers_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["gap_appointment_id"],
            ["appointments.id"],
            name=op.f("fk_waitlist_offers_gap_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["gap_chair_id"], ["chairs.id"], name=op.f("fk_waitlist_offers_gap_chair_id_chairs")
        ),
        sa.ForeignKeyConstraint(
            ["gap_provider_id"],
            ["providers.id"],
            name=op.f("fk_waitlist_offers_gap_provider_id_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offers")),
    )
    with op.batch_alter_table("waitlist_offers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_waitlist_offers_clinic_created", ["clinic_id", "created_at"], unique=False
        )

    op.create_table(
        "waitlist_offer_recipients",
        sa.Column("offer_id", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.String(length=32), nullable=False),
        sa.Column("patient_id", sa.String(length=32), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "SENT",
                "ACCEPTED",
                "DECLINED",
                "TAKEN",
                name="recipientstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("slot", sa.JSON(), nullable=False),
        sa.Column("start_time", api.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_time", api.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", api.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entries.id"],
            name=op.f("fk_waitlist_offer_recipients_entry_id_waitlist_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["waitlist_offers.id"],
            name=op.f("fk_waitlist_offer_recipients_offer_id_waitlist_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_waitlist_offer_recipients_patient_id_patients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offer_recipients")),
    )
    with op.batch_alter_table("waitlist_offer_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_waitlist_offer_recipients_entry_id"), ["entry_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_waitlist_offer_recipients_offer_id"), ["offer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("waitlist_offer_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_waitlist_offer_recipients_offer_id"))
        batch_op.drop_index(batch_op.f("ix_waitlist_offer_recipients_entry_id"))

    op.drop_table("waitlist_offer_recipients")
    with op.batch_alter_table("waitlist_offers", schema=None) as batch_op:
        batch_op.drop_index("ix_waitlist_offers_clinic_created")

    op.drop_table("waitlist_offers")
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_waitlist_entries_patient_id"))
        batch_op.drop_index("ix_waitlist_entries_clinic_status")

    op.drop_table("waitlist_entries")
