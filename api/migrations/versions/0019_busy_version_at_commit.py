"""PostgreSQL replaces a clinic's busy_version at commit, not at each row's write.

0018's BEFORE triggers took the clinic row's lock at a booking's first write and held it to
commit, so every booking of a clinic waited for the one before it, losers included: a storm of
200 bookings for 20 times took 38 s instead of 7 and timed requests out waiting for a pooled
connection (500s in `make stress`). Deferred constraint triggers run the same bump when the
transaction commits: a booking that loses its race fails on the held-interval exclusion
constraint before it ever touches the clinic row, and a winner holds that row only while it
commits. The version still changes in the writing transaction, so a reader sees the new data
and the new version together, as before.

SQLite keeps 0018's triggers: its single write lock already serialises writers.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 0018 (a migration keeps doing what it did, so the names are written out here).
TABLES = ("appointments", "slot_holds", "email_confirmations")
OPERATIONS = ("INSERT", "UPDATE", "DELETE")


def _name(table: str, operation: str) -> str:
    return f"tr_{table}_busy_{operation.lower()}"


def _recreate(timing: str) -> None:
    for table in TABLES:
        for operation in OPERATIONS:
            name = _name(table, operation)
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(
                f"CREATE {timing} {name} "
                + ("AFTER" if timing.startswith("CONSTRAINT") else "BEFORE")
                + f" {operation} ON {table} "
                + ("DEFERRABLE INITIALLY DEFERRED " if timing.startswith("CONSTRAINT") else "")
                + "FOR EACH ROW EXECUTE FUNCTION bump_busy_version()"
            )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate("CONSTRAINT TRIGGER")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate("TRIGGER")
