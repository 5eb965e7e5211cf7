"""No double booking, enforced by the database.

On PostgreSQL, exclusion constraints (btree_gist) make overlapping active appointments for one
provider, chair, room or patient impossible whatever the application does: two concurrent
transactions that both passed the application's check cannot both commit. Rows a user with
`booking:override_conflicts` deliberately double-booked are left out, as are cancelled and
no-show appointments. SQLite has no such constraint; there every write transaction starts with
BEGIN IMMEDIATE, so the check and the insert run alone (see api/db.py).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "deleted_at IS NULL AND status NOT IN ('CANCELLED', 'NO_SHOW') AND NOT conflict_override"
# Resources are held with the type's buffers; the patient only for the appointment itself.
EXCLUSIONS = {
    "provider": ("provider_id", "occupied_start", "occupied_end"),
    "chair": ("chair_id", "occupied_start", "occupied_end"),
    "room": ("room_id", "occupied_start", "occupied_end"),
    "patient": ("patient_id", "start_time", "end_time"),
}


def upgrade() -> None:
    op.create_index(
        "ix_appointments_clinic_window", "appointments", ["clinic_id", "occupied_start"]
    )
    op.create_index("ix_appointments_patient_window", "appointments", ["patient_id", "start_time"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, (column, start, end) in EXCLUSIONS.items():
        op.execute(
            f"ALTER TABLE appointments ADD CONSTRAINT ex_appointments_{name}_overlap "
            f"EXCLUDE USING gist ({column} WITH =, tstzrange({start}, {end}, '[)') WITH &&) "
            f"WHERE ({ACTIVE})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in EXCLUSIONS:
            op.execute(f"ALTER TABLE appointments DROP CONSTRAINT ex_appointments_{name}_overlap")
    op.drop_index("ix_appointments_patient_window", table_name="appointments")
    op.drop_index("ix_appointments_clinic_window", table_name="appointments")
