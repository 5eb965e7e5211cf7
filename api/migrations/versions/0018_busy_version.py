"""A clinic's busy-time version, replaced by the database itself on every write to busy time.

Availability reads a clinic's appointments, slot holds and new-patient confirmations on every
query. ``clinics.busy_version`` lets each worker (and the Redis availability cache) key what it
computed from them and know, from one column read, whether they changed. Triggers write it, in
the same statement as the row change, so no write path can forget it: the ORM, a bulk UPDATE
(the new-patient release), a script's raw SQL. A random token, not a counter, for the reason of
``config_version`` (migration 0007): a version a rolled-back transaction wrote is never issued
again, so nothing cached under it is mistaken for the committed data.

BEFORE triggers, so on PostgreSQL the clinic row's lock is taken before the row's own exclusion
constraints are checked: every busy-time writer of a clinic takes the same lock first, and two
bookings racing for one chair wait on it in one order instead of deadlocking.

On SQLite a later migration that rebuilds one of these tables (``batch_alter_table`` copies it)
drops its triggers with it and must create them again.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table whose rows are busy time or decide when busy time ends.
TABLES = ("appointments", "slot_holds", "email_confirmations")
OPERATIONS = ("INSERT", "UPDATE", "DELETE")

_PG_FUNCTION = """
CREATE FUNCTION bump_busy_version() RETURNS trigger AS $$
BEGIN
    UPDATE clinics SET busy_version = md5(random()::text || clock_timestamp()::text)
    WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.clinic_id ELSE NEW.clinic_id END;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def _name(table: str, operation: str) -> str:
    return f"tr_{table}_busy_{operation.lower()}"


def upgrade() -> None:
    # A plain ADD COLUMN, never a batch copy of `clinics` (see downgrade).
    op.add_column(
        "clinics",
        sa.Column("busy_version", sa.String(32), nullable=False, server_default="initial"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(
                    f"CREATE TRIGGER {_name(table, operation)} BEFORE {operation} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION bump_busy_version()"
                )
        return
    for table in TABLES:
        for operation in OPERATIONS:
            row = "OLD" if operation == "DELETE" else "NEW"
            op.execute(
                f"CREATE TRIGGER {_name(table, operation)} BEFORE {operation} ON {table} "
                "FOR EACH ROW BEGIN UPDATE clinics SET busy_version = lower(hex(randomblob(16))) "
                f"WHERE id = {row}.clinic_id; END"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        for operation in OPERATIONS:
            on = f" ON {table}" if postgresql else ""
            op.execute(f"DROP TRIGGER IF EXISTS {_name(table, operation)}{on}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS bump_busy_version()")
    # A plain DROP COLUMN (SQLite 3.35+), never a batch copy: rebuilding `clinics` on SQLite
    # drops the old table, and its ON DELETE CASCADE would empty every clinic's appointments.
    op.execute("ALTER TABLE clinics DROP COLUMN busy_version")
