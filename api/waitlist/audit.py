"""The waitlist's rows in the clinic's audit trail (same table and hash chain as appointments)."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from api.audit.service import record_event
from api.models import WaitlistEntry, WaitlistOffer

ENTRY_FIELDS = (
    "patient_id", "appointment_type_id", "parts", "same_provider", "same_chair", "earliest_date",
    "latest_date", "weekdays", "earliest_time", "latest_time", "preferred_provider_id", "priority",
    "notes", "replaces_appointment_id", "status", "source", "booked_appointment_id", "version",
)  # fmt: skip

# Who did it, when no user did: a patient following an emailed link, or the clock.
LINK_ACTOR = "offer-link"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def entry_snapshot(entry: WaitlistEntry) -> dict[str, Any]:
    return {name: _jsonable(getattr(entry, name)) for name in ENTRY_FIELDS}


def offer_snapshot(offer: WaitlistOffer) -> dict[str, Any]:
    return {
        "status": offer.status.value,
        "gap_start": offer.gap_start.isoformat(),
        "gap_end": offer.gap_end.isoformat(),
        "gap_chair_id": offer.gap_chair_id,
        "gap_provider_id": offer.gap_provider_id,
        "gap_appointment_id": offer.gap_appointment_id,
        "expires_at": offer.expires_at.isoformat(),
        "accepted_entry_id": offer.accepted_entry_id,
        "booked_appointment_ids": list(offer.booked_appointment_ids or []),
        "recipients": [
            {"id": r.id, "entry_id": r.entry_id, "status": r.status.value} for r in offer.recipients
        ],
    }


def entry_event(
    session: Session,
    entry: WaitlistEntry,
    action: str,
    actor_id: str,
    request_id: str | None,
    before: dict[str, Any] | None,
    reason: str | None = None,
) -> None:
    record_event(
        session,
        clinic_id=entry.clinic_id,
        entity_type="waitlist_entry",
        entity_id=entry.id,
        action=action,
        actor_id=actor_id,
        request_id=request_id,
        before=before,
        after=entry_snapshot(entry),
        reason=reason,
    )


def offer_event(
    session: Session,
    offer: WaitlistOffer,
    action: str,
    actor_id: str,
    request_id: str | None,
    before: dict[str, Any] | None,
    reason: str | None = None,
) -> None:
    record_event(
        session,
        clinic_id=offer.clinic_id,
        entity_type="waitlist_offer",
        entity_id=offer.id,
        action=action,
        actor_id=actor_id,
        request_id=request_id,
        before=before,
        after=offer_snapshot(offer),
        reason=reason,
    )
