"""The SQL invariants every stress scenario checks afterwards: no overlap of one resource's held
time, no acknowledged booking lost."""

from __future__ import annotations

import sqlalchemy as sa

ACTIVE = (
    "a.deleted_at IS NULL AND a.status NOT IN ('CANCELLED', 'NO_SHOW') AND NOT a.conflict_override"
)


def overlaps(conn: sa.Connection) -> dict[str, int]:
    """Pairs of active appointments that overlap on one provider, chair, room or patient."""
    found = {}
    for resource, start, end in (
        ("provider_id", "occupied_start", "occupied_end"),
        ("chair_id", "occupied_start", "occupied_end"),
        ("room_id", "occupied_start", "occupied_end"),
        ("patient_id", "start_time", "end_time"),
    ):
        found[resource] = (
            conn.execute(
                sa.text(
                    f"SELECT count(*) FROM appointments a JOIN appointments b "
                    f"ON a.{resource} = b.{resource} AND a.id < b.id "
                    f"AND a.{start} < b.{end} AND b.{start} < a.{end} "
                    f"WHERE {ACTIVE} AND {ACTIVE.replace('a.', 'b.')}"
                )
            ).scalar()
            or 0
        )
    return found


def held_overlaps(conn: sa.Connection, kind: str | None = None) -> int:
    """Pairs of held intervals of one resource (of one kind, when given) that overlap: the
    table's exclusion constraint forbids them on PostgreSQL, the application's locking on
    SQLite."""
    only = " WHERE a.resource_kind = :kind" if kind is not None else ""
    return int(
        conn.execute(
            sa.text(
                "SELECT count(*) FROM held_intervals a JOIN held_intervals b "
                "ON a.resource_id = b.resource_id AND a.id < b.id "
                "AND a.start_time < b.end_time AND b.start_time < a.end_time" + only
            ),
            {"kind": kind} if kind is not None else {},
        ).scalar()
        or 0
    )


def acknowledged_missing(conn: sa.Connection, ids: list[str]) -> int:
    """Acknowledged (201) appointments not in the database exactly once."""
    if not ids:
        return 0
    present = set(conn.execute(sa.text("SELECT id FROM appointments")).scalars())
    return sum(1 for i in ids if i not in present) + (len(ids) - len(set(ids)))
