"""Tamper evidence for the audit trail: a per-clinic hash chain, and its verification.

Each row stores `prev_hash`, the `row_hash` of the previous row of the same clinic (64 zeros for
the first), and `row_hash`, a SHA-256 over its own content and `prev_hash`. Changing, deleting or
inserting a row in the middle breaks the chain at that row, which `slotwise audit verify` reports.

Appends to one clinic's chain are serialised: on PostgreSQL by a transaction-scoped advisory lock
(taken after the appointment rows are flushed, so it is the last lock a booking takes and cannot
deadlock with the exclusion constraints); on SQLite every writer already holds the database write
lock from BEGIN IMMEDIATE.

What a chain cannot show on its own: someone able to rewrite the whole table can recompute every
hash, and dropping rows from the end leaves a shorter valid chain. `verify` prints each clinic's
row count and head hash so they can be kept elsewhere (a ticket, a log line) and compared.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from api.models import AuditEntry

GENESIS = "0" * 64
HASHED_FIELDS = (
    "clinic_id", "entity_type", "entity_id", "action", "actor_id", "at", "request_id", "before",
    "after", "reason",
)  # fmt: skip


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def row_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over the row's content in a canonical JSON form (sorted keys, exact unicode)."""
    payload = {name: _canonical(fields.get(name)) for name in HASHED_FIELDS}
    payload["prev_hash"] = prev_hash
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in HASHED_FIELDS}


def lock_chain(session: Session, clinic_id: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"slotwise.audit:{clinic_id}"},
        )


def seal(session: Session, entry: AuditEntry) -> None:
    """Link `entry` (not yet flushed) to the end of its clinic's chain."""
    lock_chain(session, entry.clinic_id)
    # Autoflush writes this transaction's earlier entries first, so the tail includes them.
    tail = session.scalar(
        select(AuditEntry.row_hash)
        .where(AuditEntry.clinic_id == entry.clinic_id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    entry.prev_hash = tail or GENESIS
    entry.row_hash = row_hash(_fields(entry), entry.prev_hash)


@dataclass
class ChainReport:
    clinic_id: str
    rows: int
    head: str
    broken_at: int | None = None
    problem: str | None = None
    anchors_found: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(
    session: Session, clinic_id: str | None = None, anchors: Collection[str] = ()
) -> list[ChainReport]:
    """Recompute every clinic's chain in id order; report the first row that does not fit.

    ``anchors`` are heads printed by an earlier run and kept elsewhere: each must still be the
    hash of a row in an unbroken chain, which catches rows cut off the end since then (a
    shorter chain is otherwise still a valid one).
    """
    query = select(AuditEntry).order_by(AuditEntry.clinic_id, AuditEntry.id)
    if clinic_id is not None:
        query = query.where(AuditEntry.clinic_id == clinic_id)
    reports: dict[str, ChainReport] = {}
    wanted = set(anchors)
    for entry in session.scalars(query.execution_options(yield_per=1000)):
        report = reports.setdefault(entry.clinic_id, ChainReport(entry.clinic_id, 0, GENESIS))
        report.rows += 1
        if not report.ok:
            continue
        if entry.prev_hash != report.head:
            report.broken_at = entry.id
            report.problem = "does not follow the previous row (a row was removed or inserted)"
        elif entry.row_hash != row_hash(_fields(entry), entry.prev_hash):
            report.broken_at = entry.id
            report.problem = "its content was changed after it was written"
        else:
            report.head = entry.row_hash
            if entry.row_hash in wanted:
                report.anchors_found.add(entry.row_hash)
    return list(reports.values())


def seal_existing(conn: Connection) -> int:
    """For the migration: chain rows written before the chain existed, in id order."""
    rows = conn.execute(
        text(
            "SELECT id, clinic_id, entity_type, entity_id, action, actor_id, at, request_id, "
            "before, after, reason FROM audit_log ORDER BY clinic_id, id"
        )
    ).mappings()
    heads: dict[str, str] = {}
    updates = []
    for row in rows:
        fields = dict(row)
        at = fields["at"]
        if isinstance(at, str):  # SQLite through plain Core: the stored text, naive UTC
            at = datetime.fromisoformat(at)
        fields["at"] = at if at.tzinfo else at.replace(tzinfo=UTC)
        for name in ("before", "after"):
            if isinstance(fields[name], str):
                fields[name] = json.loads(fields[name])
        prev = heads.get(row["clinic_id"], GENESIS)
        digest = row_hash(fields, prev)
        heads[row["clinic_id"]] = digest
        updates.append({"id": row["id"], "prev": prev, "hash": digest})
    for update in updates:
        conn.execute(
            text("UPDATE audit_log SET prev_hash = :prev, row_hash = :hash WHERE id = :id"),
            update,
        )
    return len(updates)


def verify_command(database_url: str, clinic_id: str | None, anchors: Collection[str] = ()) -> int:
    """`slotwise audit verify`: one line per clinic; exit status 1 when any chain is broken
    or an anchor (a head printed by an earlier run) is no longer in one."""
    from api.db import Database

    db = Database(database_url)
    try:
        with db.read() as session:
            reports = verify(session, clinic_id, anchors)
    finally:
        db.dispose()
    if not reports:
        print("no audit rows" + (f" for clinic {clinic_id}" if clinic_id else ""))
    for r in reports:
        if r.ok:
            print(f"ok      clinic {r.clinic_id}: {r.rows} rows, head {r.head}")
        else:
            print(f"BROKEN  clinic {r.clinic_id}: row {r.broken_at} {r.problem}")
    found = set().union(*(r.anchors_found for r in reports))
    lost = [a for a in dict.fromkeys(anchors) if a not in found]
    for anchor in lost:
        print(
            f"MISSING anchor {anchor}: no unbroken chain reaches it any more; rows were cut off "
            "the end of a chain, or the chain was rewritten"
        )
    return 0 if all(r.ok for r in reports) and not lost else 1
