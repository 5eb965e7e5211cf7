"""Append-only audit trail, written in the same transaction as the change it records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit import chain
from api.auth.deps import Principal
from api.models import Appointment, AuditEntry
from api.models.base import utcnow

AUDITED_FIELDS = (
    "patient_id", "appointment_type_id", "provider_id", "chair_id", "room_id", "start_time",
    "end_time", "duration", "status", "treatment_plan_id", "notes", "patient_notes", "source",
    "template_slot_id", "visit_id", "deleted_at", "conflict_override", "override_reason",
    "cancellation_reason", "cancellation_fee_amount", "cancellation_fee_currency", "version",
    "needs_confirmation", "assistant_id",
)  # fmt: skip


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(appointment: Appointment) -> dict[str, Any]:
    data = {name: _jsonable(getattr(appointment, name)) for name in AUDITED_FIELDS}
    data["procedure_ids"] = sorted(p.id for p in appointment.procedures)
    return data


def record_event(
    session: Session,
    *,
    clinic_id: str,
    entity_type: str,
    entity_id: str,
    action: str,
    actor_id: str,
    request_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str | None = None,
) -> AuditEntry:
    """One row of the clinic's trail for any entity, linked into its hash chain; `before` and
    `after` are JSON-ready snapshots (the caller chooses what they may hold)."""
    entry = AuditEntry(
        clinic_id=clinic_id,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        actor_id=actor_id,
        request_id=request_id,
        before=before,
        after=after,
        reason=reason,
        at=utcnow(),  # set now, not at flush: it is part of the row's hash
    )
    chain.seal(session, entry)
    session.add(entry)
    return entry


def record(
    session: Session,
    principal: Principal,
    *,
    action: str,
    appointment: Appointment,
    before: dict[str, Any] | None,
    request_id: str | None,
    reason: str | None = None,
) -> AuditEntry:
    return record_event(
        session,
        clinic_id=appointment.clinic_id,
        entity_type="appointment",
        entity_id=appointment.id,
        action=action,
        actor_id=principal.user_id,
        request_id=request_id,
        before=before,
        after=snapshot(appointment),
        reason=reason,
    )


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """Field → [old, new] for the fields that differ, for people reading the trail."""
    before, after = before or {}, after or {}
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }


def entries_for(session: Session, clinic_id: str, appointment_id: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.clinic_id == clinic_id, AuditEntry.entity_id == appointment_id)
            .order_by(AuditEntry.id)
        )
    )
