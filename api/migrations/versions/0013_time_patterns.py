"""Doctor time (issue 13): time patterns on types and appointments, and whether an appointment
holds its provider.

``appointment_types.time_pattern`` and ``appointments.time_pattern`` hold one character per 5
minutes (``D`` provider time, ``A`` assistant time; see ``solver.time_pattern``); NULL keeps
today's model, the provider for the whole appointment. ``appointments.holds_provider`` is false
for appointments that record a responsible provider without holding them (types with
needsProvider false, or a pattern without ``D``). Every existing row is unpatterned and holds its
provider, so the server default backfills them as they are.

The provider exclusion constraint of 0002 now also requires ``holds_provider``: an appointment
that does not hold its provider must not block another booking of that provider. (Overlaps of
``D`` runs within patterned appointments are the held-intervals table's job, slice 4 of
docs/doctor-time-design.md; the whole-span constraint stays for unpatterned rows meanwhile.)

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 480 minutes (the longest type) in 5-minute steps.
PATTERN_LENGTH = 96
ACTIVE = "deleted_at IS NULL AND status NOT IN ('CANCELLED', 'NO_SHOW') AND NOT conflict_override"
PROVIDER_EXCLUSION = (
    "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_provider_overlap "
    "EXCLUDE USING gist (provider_id WITH =, "
    "tstzrange(occupied_start, occupied_end, '[)') WITH &&) WHERE ({where})"
)
DROP_PROVIDER_EXCLUSION = (
    "ALTER TABLE appointments DROP CONSTRAINT ex_appointments_provider_overlap"
)


def upgrade() -> None:
    with op.batch_alter_table("appointment_types") as batch:
        batch.add_column(sa.Column("time_pattern", sa.String(PATTERN_LENGTH), nullable=True))
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("time_pattern", sa.String(PATTERN_LENGTH), nullable=True))
        batch.add_column(
            sa.Column("holds_provider", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_PROVIDER_EXCLUSION)
        op.execute(PROVIDER_EXCLUSION.format(where=f"{ACTIVE} AND holds_provider"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_PROVIDER_EXCLUSION)
        op.execute(PROVIDER_EXCLUSION.format(where=ACTIVE))
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("holds_provider")
        batch.drop_column("time_pattern")
    with op.batch_alter_table("appointment_types") as batch:
        batch.drop_column("time_pattern")
