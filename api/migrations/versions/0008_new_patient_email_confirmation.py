"""New-patient bookings confirmed by email, and the mail outbox that delivers the link.

`email_confirmations` holds each new patient's provisional booking until they confirm it;
`mail_outbox` holds every mail until a dispatcher has sent it; two portal settings say how long
an unconfirmed booking holds its time and how many may do so on one day.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = api.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "email_confirmations",
        sa.Column("clinic_id", sa.String(length=32), nullable=False),
        sa.Column("appointment_id", sa.String(length=32), nullable=False),
        sa.Column("patient_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("hold_until", UTC(timezone=True), nullable=False),
        sa.Column("link_expires_at", UTC(timezone=True), nullable=False),
        sa.Column("confirmed_at", UTC(timezone=True), nullable=True),
        sa.Column("released_at", UTC(timezone=True), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_email_confirmations_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_email_confirmations_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_email_confirmations_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_confirmations")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_email_confirmations_appointment_id")),
    )
    op.create_index(
        "ix_email_confirmations_clinic_window",
        "email_confirmations",
        ["clinic_id", "hold_until"],
    )
    op.create_table(
        "mail_outbox",
        sa.Column("clinic_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTC(timezone=True), nullable=False),
        sa.Column("claimed_until", UTC(timezone=True), nullable=True),
        sa.Column("sent_at", UTC(timezone=True), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_mail_outbox_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
    )
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["sent_at", "next_attempt_at"])
    with op.batch_alter_table("portal_settings") as batch:
        batch.add_column(
            sa.Column(
                "new_patient_confirm_minutes", sa.Integer(), nullable=False, server_default="15"
            )
        )
        batch.add_column(
            sa.Column(
                "new_patient_unconfirmed_daily_cap",
                sa.Integer(),
                nullable=False,
                server_default="2",
            )
        )
        batch.create_check_constraint(
            "new_patient_confirm_minutes", "new_patient_confirm_minutes BETWEEN 5 AND 60"
        )
        batch.create_check_constraint("unconfirmed_cap", "new_patient_unconfirmed_daily_cap >= 0")


def downgrade() -> None:
    with op.batch_alter_table("portal_settings") as batch:
        batch.drop_constraint("unconfirmed_cap", type_="check")
        batch.drop_constraint("new_patient_confirm_minutes", type_="check")
        batch.drop_column("new_patient_unconfirmed_daily_cap")
        batch.drop_column("new_patient_confirm_minutes")
    op.drop_index("ix_mail_outbox_due", table_name="mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_index("ix_email_confirmations_clinic_window", table_name="email_confirmations")
    op.drop_table("email_confirmations")
