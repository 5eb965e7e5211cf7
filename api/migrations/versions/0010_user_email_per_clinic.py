"""An email address is unique within a clinic, not across the platform.

With one platform-wide account per address, inviting a patient whose address another clinic
already uses had to fail, which told this clinic's staff that the address belongs to someone at
another clinic. Each clinic's accounts are now its own; sign-in tells same-address accounts apart
by the password, the clinic named in `client_id` and the website the request comes from.

Downgrading fails while two clinics have an account with the same address.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_email"), type_="unique")
        batch.create_unique_constraint(op.f("uq_users_clinic_id_email"), ["clinic_id", "email"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_clinic_id_email"), type_="unique")
        batch.create_unique_constraint(op.f("uq_users_email"), ["email"])
