"""Held intervals: one row per resource and interval an active appointment holds, one exclusion
constraint over all of them (docs/doctor-time-design.md, "Database guarantee").

With doctor time a provider is held only during the pattern's ``D`` runs, which the per-column
exclusion constraints of migration 0002 on ``appointments`` cannot express. This revision creates
``held_intervals``, backfills it from the existing active appointments (chair and room for the
whole span with buffers; the provider for the whole span without a pattern, the ``D`` runs with
one, nothing when the appointment does not hold its provider), then on PostgreSQL adds
``ex_held_intervals_overlap`` and drops the provider (as 0013 recreated it, for rows that hold
their provider), chair and room constraints it replaces. The patient's constraint stays on
``appointments`` (a patient is not a held resource).

The backfill is written out here rather than calling the application's ``held_by``: a migration
must keep doing what it did when it was written, whatever the models grow later. The pattern
rule itself is ``solver.time_pattern.provider_held``, the one place that defines it.

Revision ID: 0014
Revises: 0013
"""

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

import api.models.base
from solver.time_pattern import provider_held

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = api.models.base.UTCDateTime

ACTIVE = "deleted_at IS NULL AND status NOT IN ('CANCELLED', 'NO_SHOW') AND NOT conflict_override"
# ex_appointments_<name>_overlap of migrations 0002 and 0013, with the rows each covered.
REPLACED = {
    "provider": f"{ACTIVE} AND holds_provider",
    "chair": ACTIVE,
    "room": ACTIVE,
}
BATCH = 1000

_appointments = sa.table(
    "appointments",
    sa.column("id", sa.String()),
    sa.column("clinic_id", sa.String()),
    sa.column("start_time", UTC()),
    sa.column("end_time", UTC()),
    sa.column("duration", sa.Integer()),
    sa.column("occupied_start", UTC()),
    sa.column("occupied_end", UTC()),
    sa.column("provider_id", sa.String()),
    sa.column("chair_id", sa.String()),
    sa.column("room_id", sa.String()),
    sa.column("time_pattern", sa.String()),
    sa.column("holds_provider", sa.Boolean()),
)
_held = sa.table(
    "held_intervals",
    sa.column("id", sa.String()),
    sa.column("clinic_id", sa.String()),
    sa.column("resource_kind", sa.String()),
    sa.column("resource_id", sa.String()),
    sa.column("appointment_id", sa.String()),
    sa.column("start_time", UTC()),
    sa.column("end_time", UTC()),
)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds()) // 60


def _held_rows(a: Any) -> Iterator[dict[str, Any]]:
    def row(kind: str, resource_id: str, start: datetime, end: datetime) -> dict[str, Any]:
        return {
            "id": uuid.uuid4().hex,
            "clinic_id": a.clinic_id,
            "resource_kind": kind,
            "resource_id": resource_id,
            "appointment_id": a.id,
            "start_time": start,
            "end_time": end,
        }

    for kind, resource_id in (("chair", a.chair_id), ("room", a.room_id)):
        if resource_id:
            yield row(kind, resource_id, a.occupied_start, a.occupied_end)
    if a.holds_provider:
        runs = provider_held(
            a.time_pattern,
            a.duration,
            _minutes(a.start_time - a.occupied_start),
            _minutes(a.occupied_end - a.end_time),
        )
        for begin, end in runs:
            if end > begin:
                yield row(
                    "provider",
                    a.provider_id,
                    a.start_time + timedelta(minutes=begin),
                    a.start_time + timedelta(minutes=end),
                )


def upgrade() -> None:
    op.create_table(
        "held_intervals",
        sa.Column("clinic_id", sa.String(length=32), nullable=False),
        sa.Column("resource_kind", sa.String(length=10), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("appointment_id", sa.String(length=32), nullable=False),
        sa.Column("start_time", UTC(timezone=True), nullable=False),
        sa.Column("end_time", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_held_intervals_time_order")),
        sa.CheckConstraint(
            "resource_kind IN ('provider', 'chair', 'room')",
            name=op.f("ck_held_intervals_resource_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_held_intervals_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_held_intervals_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_intervals")),
    )
    op.create_index(op.f("ix_held_intervals_appointment_id"), "held_intervals", ["appointment_id"])
    op.create_index(
        "ix_held_intervals_resource_window", "held_intervals", ["resource_id", "start_time"]
    )

    bind = op.get_bind()
    active = bind.execute(sa.select(_appointments).where(sa.text(ACTIVE))).all()
    pending: list[dict[str, Any]] = []
    for appointment in active:
        pending.extend(_held_rows(appointment))
        if len(pending) >= BATCH:
            bind.execute(_held.insert(), pending)
            pending = []
    if pending:
        bind.execute(_held.insert(), pending)

    if bind.dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    # Added after the backfill: rows the old constraints kept apart cannot collide here, and a
    # clinic whose data somehow does overlap sees this migration fail rather than lose the rule.
    op.execute(
        "ALTER TABLE held_intervals ADD CONSTRAINT ex_held_intervals_overlap "
        "EXCLUDE USING gist (resource_id WITH =, tstzrange(start_time, end_time, '[)') WITH &&)"
    )
    for name in REPLACED:
        op.execute(f"ALTER TABLE appointments DROP CONSTRAINT ex_appointments_{name}_overlap")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE held_intervals DROP CONSTRAINT ex_held_intervals_overlap")
        # Back to whole spans: this fails, as it should, where patterned appointments of one
        # provider share a span (only the held intervals could tell their D runs apart).
        for name, where in REPLACED.items():
            op.execute(
                f"ALTER TABLE appointments ADD CONSTRAINT ex_appointments_{name}_overlap "
                f"EXCLUDE USING gist ({name}_id WITH =, "
                f"tstzrange(occupied_start, occupied_end, '[)') WITH &&) WHERE ({where})"
            )
    op.drop_index("ix_held_intervals_resource_window", table_name="held_intervals")
    op.drop_index(op.f("ix_held_intervals_appointment_id"), table_name="held_intervals")
    op.drop_table("held_intervals")
