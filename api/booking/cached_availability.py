"""Staff availability (`mode=all`) as a response body, from the availability cache when current.

A cached answer is the engine's first `limit` starts as JSON (api/core/cache.py, shared by all
workers through Redis when configured), under a key naming the clinic's `config_version` and
`busy_version` (read before the engine runs) and everything in the request; it lives `TTL` at
most and never past the first hold expiry or lapse in its busy time. A read keeps only starts
still at or after both the window's start and now plus the lead time, so a hit is never more
permissive than a fresh run; in its `TTL` it can miss a start that has just come inside a window
ending "14 days from now" or inside the horizon. Bodies are built as plain dicts in the shape
`AvailabilityRead` declares (tests/api/cache compare them), not one pydantic object per start:
that was a tenth of a 14-day request.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.booking import rules
from api.booking.availability import (
    AvailabilityRequest,
    engine_query,
    request_window,
    resolve,
)
from api.booking.busy_cache import versions
from api.booking.schemas import AvailabilityRead
from api.core import cache, metrics
from api.models import Clinic
from solver import InvalidQuery, find_availability
from solver.result import Slot

TTL = timedelta(seconds=30)


def iso(instant: datetime) -> str:
    """An instant as the API writes it: UTC, 'Z', microseconds only when there are some."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def slot_json(slot: Slot, zone: ZoneInfo) -> dict[str, Any]:
    """One start as `SlotRead` serialises it, built directly."""
    return {
        "startTime": iso(slot.start),
        "endTime": iso(slot.end),
        "localDate": slot.start.astimezone(zone).date().isoformat(),
        "parts": [
            {
                "appointmentTypeId": p.type_id,
                "startTime": iso(p.start),
                "endTime": iso(p.end),
                "duration": int((p.end - p.start).total_seconds() // 60),
                "providerId": p.provider_id,
                "chairId": p.chair_id,
                "roomId": p.room_id,
                "templateSlotId": p.template_slot_id,
                "providerTime": [
                    {"startTime": iso(begin), "endTime": iso(end)} for begin, end in p.provider_time
                ],
                "assistantId": p.assistant_id,
            }
            for p in slot.parts
        ],
    }


def _whole_second(instant: datetime) -> datetime:
    # Starts are whole minutes; rounding the bound up lets ISO strings compare as instants.
    if instant.microsecond:
        instant += timedelta(microseconds=1_000_000 - instant.microsecond)
    return instant


def find_all(
    session: Session,
    clinic: Clinic,
    req: AvailabilityRequest,
    now: datetime,
    *,
    time_limit: float,
    over_guest_holds: bool = False,
) -> bytes:
    """The `mode=all` response body for `req`, as `availability.find` answers it, encoded."""
    resolved = resolve(session, clinic, req)
    window = request_window(req, clinic, now)
    current = versions(session, clinic.id)
    store = cache.for_session(session)
    key = store.key(
        (
            "staff",
            clinic.id,
            current,
            clinic.time_zone,
            clinic.slot_granularity_minutes,
            clinic.min_lead_time_minutes,
            clinic.max_horizon_days,
            repr(req),
            tuple(resolved.type_ids),
            over_guest_holds,
        )
    )
    head = AvailabilityRead(
        mode="all",
        time_zone=clinic.time_zone,
        complete=True,
        patient_id=resolved.patient.id if resolved.patient else None,
        treatment_plan_id=resolved.plan_id,
        procedure_ids=resolved.procedure_ids,
    ).model_dump(mode="json", by_alias=True)
    del head["slots"]
    # Each start is kept encoded next to its startTime: a hit filters and joins, no re-encoding.
    cached: list[list[str]] | None = store.get(key)
    if cached is not None:
        earliest = iso(
            _whole_second(max(window[0], now + timedelta(minutes=clinic.min_lead_time_minutes)))
        )
        return _body(head, [text for start, text in cached if start >= earliest])
    state, query = engine_query(
        session,
        clinic,
        req,
        resolved,
        window,
        now,
        time_limit=time_limit,
        exclude_appointment_ids=(),
        hold_owner=None,
        over_guest_holds=over_guest_holds,
    )
    try:
        with metrics.engine_time("availability"):
            found = find_availability(query)
    except InvalidQuery as exc:
        raise rules.invalid_input(exc) from exc
    zone = ZoneInfo(clinic.time_zone)
    slots = [slot_json(s, zone) for s in found.slots[: req.limit]]
    encoded = [[s["startTime"], json.dumps(s, separators=(",", ":"))] for s in slots]
    head["complete"] = found.complete
    if found.complete:  # a search cut short by its time limit is not an answer to keep
        until = now + TTL
        if state.busy_valid_until is not None:
            until = min(until, state.busy_valid_until)
        store.put(key, encoded, until)
    return _body(head, [text for _, text in encoded])


def _body(head: dict[str, Any], slots: list[str]) -> bytes:
    fields = json.dumps(head, separators=(",", ":"))[1:-1]
    return ("{" + fields + ',"slots":[' + ",".join(slots) + "]}").encode()
