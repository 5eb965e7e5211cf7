"""Waitlist entries: staff create, change and withdraw them; every read says their status now.

Status is stored, but an entry can stop being waiting without anyone touching it: its latest
date passes, the booking it would replace is cancelled or starts, or the offer it is in runs
out. `status_now` reads that at use (no background job); write paths store it (`settle`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.booking import checks
from api.booking.provider_time import fitted_pattern
from api.booking.schemas import NamedRef
from api.core import clock
from api.core.crud import find_in_clinic
from api.errors import Conflict, InvalidInput, NotFound
from api.models import (
    Appointment,
    AppointmentType,
    Clinic,
    Patient,
    Provider,
    WaitlistEntry,
    WaitlistSource,
    WaitlistStatus,
)
from api.models.appointment import INACTIVE_STATUSES
from api.waitlist import audit, repository
from api.waitlist.schemas import (
    PartRead,
    WaitlistEntryCreate,
    WaitlistEntryRead,
    WaitlistEntryUpdate,
    WaitlistPart,
)

FINAL = (WaitlistStatus.BOOKED, WaitlistStatus.WITHDRAWN, WaitlistStatus.EXPIRED)
# A visit asked for from a booking keeps its parts at most this far apart, or closer.
VISIT_GAP_MINUTES = 30


def local_today(clinic: Clinic, now: datetime) -> date:
    return now.astimezone(ZoneInfo(clinic.time_zone)).date()


def replaced_is_upcoming(replaced: Appointment | None, now: datetime) -> bool:
    return (
        replaced is not None
        and replaced.deleted_at is None
        and replaced.status in checks.MOVABLE
        and replaced.start_time > now
    )


def status_now(
    entry: WaitlistEntry,
    replaced: Appointment | None,
    open_offer_id: str | None,
    today: date,
    now: datetime,
) -> WaitlistStatus:
    if entry.status in FINAL:
        return entry.status
    if entry.latest_date is not None and entry.latest_date < today:
        return WaitlistStatus.EXPIRED
    if entry.replaces_appointment_id is not None and not replaced_is_upcoming(replaced, now):
        return WaitlistStatus.EXPIRED
    if entry.status == WaitlistStatus.OFFERED and open_offer_id is None:
        return WaitlistStatus.WAITING
    return entry.status


@dataclass(frozen=True)
class EntryView:
    """An entry with what its read needs, loaded for a whole page in a few queries."""

    entry: WaitlistEntry
    patient: Patient
    replaced: Appointment | None
    open_offer_id: str | None
    status: WaitlistStatus


def views(
    session: Session, clinic: Clinic, rows: Sequence[WaitlistEntry], now: datetime
) -> list[EntryView]:
    replaced = repository.appointments_by_id(
        session, (e.replaces_appointment_id or "" for e in rows)
    )
    offers = repository.open_offers_by_entry(session, (e.id for e in rows), now)
    patients = repository.patients_by_id(session, (e.patient_id for e in rows))
    today = local_today(clinic, now)
    out = []
    for entry in rows:
        patient = patients[entry.patient_id]
        mine = replaced.get(entry.replaces_appointment_id or "")
        offer_id = offers.get(entry.id)
        out.append(
            EntryView(entry, patient, mine, offer_id, status_now(entry, mine, offer_id, today, now))
        )
    return out


def to_read(view: EntryView) -> WaitlistEntryRead:
    e = view.entry
    return WaitlistEntryRead(
        id=e.id,
        clinic_id=e.clinic_id,
        patient_id=e.patient_id,
        patient=NamedRef(
            id=view.patient.id, name=f"{view.patient.first_name} {view.patient.last_name}"
        ),
        appointment_type_id=e.appointment_type_id,
        parts=[PartRead.model_validate(p) for p in e.parts],
        same_provider=e.same_provider,
        same_chair=e.same_chair,
        earliest_date=e.earliest_date,
        latest_date=e.latest_date,
        weekdays=sorted(e.weekdays or []),
        earliest_time=e.earliest_time,
        latest_time=e.latest_time,
        preferred_provider_id=e.preferred_provider_id,
        priority=e.priority,
        notes=e.notes,
        replaces_appointment_id=e.replaces_appointment_id,
        replaces_start_time=view.replaced.start_time if view.replaced else None,
        status=view.status,
        source=e.source,
        booked_appointment_id=e.booked_appointment_id,
        open_offer_id=view.open_offer_id if view.status == WaitlistStatus.OFFERED else None,
        created_at=e.created_at,
        updated_at=e.updated_at,
        version=e.version,
    )


def read_one(session: Session, clinic: Clinic, entry: WaitlistEntry) -> WaitlistEntryRead:
    return to_read(views(session, clinic, [entry], clock.now())[0])


def get_entry(session: Session, who: Any, entry_id: str) -> WaitlistEntry:
    entry = find_in_clinic(session, WaitlistEntry, entry_id, who.clinic_id)
    if entry is None:
        raise NotFound(f"No waitlist entry with id '{entry_id}' in your clinic.")
    return entry


def settle(session: Session, clinic: Clinic, entry: WaitlistEntry, now: datetime) -> EntryView:
    """Store what the entry's status has become by itself (expired, or waiting again)."""
    view = views(session, clinic, [entry], now)[0]
    if view.status != entry.status:
        entry.status = view.status
    return view


# --------------------------------------------------------------------------- parts and window


def _part(
    session: Session, clinic: Clinic, part: WaitlistPart, where: str, first: bool
) -> dict[str, Any]:
    kind: AppointmentType = checks.require_in_clinic(
        session,
        AppointmentType,
        part.appointment_type_id,
        clinic.id,
        f"{where}appointmentTypeId",
        "appointment type",
    )
    minutes = part.duration if part.duration is not None else kind.default_duration
    checks.check_duration(kind, minutes, f"{where}duration")
    # A duration that would cut the type's doctor time can never be booked: say so now.
    fitted_pattern(kind.time_pattern, minutes, f"{where}duration")
    if part.max_gap_minutes < part.min_gap_minutes:
        raise InvalidInput(f"{where}maxGapMinutes", "maxGapMinutes must be at least minGapMinutes.")
    return {
        "appointmentTypeId": kind.id,
        "duration": minutes,
        "minGapMinutes": 0 if first else part.min_gap_minutes,
        "maxGapMinutes": 0 if first else part.max_gap_minutes,
    }


def planned_parts(
    session: Session,
    clinic: Clinic,
    type_id: str | None,
    duration: int | None,
    parts: list[WaitlistPart] | None,
) -> list[dict[str, Any]]:
    if parts is not None:
        return [_part(session, clinic, p, f"parts.{i}.", i == 0) for i, p in enumerate(parts)]
    assert type_id is not None
    return [
        _part(
            session, clinic, WaitlistPart(appointment_type_id=type_id, duration=duration), "", True
        )
    ]


def parts_of_booking(session: Session, replaced: Appointment) -> list[dict[str, Any]]:
    """What a booking is, as waitlist parts: its type and duration, each part of its visit."""
    visit = repository.visit_of(session, replaced)
    out = []
    for i, appt in enumerate(visit):
        gap = 0 if i == 0 else int((appt.start_time - visit[i - 1].end_time).total_seconds() // 60)
        out.append(
            {
                "appointmentTypeId": appt.appointment_type_id,
                "duration": appt.duration,
                "minGapMinutes": 0,
                "maxGapMinutes": 0 if i == 0 else max(gap, VISIT_GAP_MINUTES),
            }
        )
    return out


def check_replaces(
    session: Session, clinic: Clinic, patient_id: str, appointment_id: str, now: datetime
) -> Appointment:
    appt = find_in_clinic(session, Appointment, appointment_id, clinic.id)
    if appt is None or appt.patient_id != patient_id:
        raise InvalidInput(
            "replacesAppointmentId", f"This patient has no appointment with id '{appointment_id}'."
        )
    if not replaced_is_upcoming(appt, now) or appt.status in INACTIVE_STATUSES:
        raise InvalidInput(
            "replacesAppointmentId",
            "Only an upcoming scheduled or confirmed booking can be replaced by an earlier time.",
        )
    return appt


def _no_duplicate(
    session: Session, clinic: Clinic, appointment_id: str, own_id: str | None
) -> None:
    for other in repository.entries(session, clinic.id, statuses=repository.ON_THE_LIST):
        if other.replaces_appointment_id == appointment_id and other.id != own_id:
            raise Conflict(
                "This booking is already on the waitlist for an earlier time "
                f"(entry {other.id}); change that entry instead.",
                entryId=other.id,
            )


def _latest_not_past(clinic: Clinic, latest: date | None, now: datetime) -> None:
    # An entry whose window has already closed would read expired the moment it is saved.
    if latest is not None and latest < local_today(clinic, now):
        raise InvalidInput(
            "latestDate", f"{latest.isoformat()} has passed; give a latest date from today on."
        )


def _check_provider(session: Session, clinic: Clinic, provider_id: str | None) -> None:
    checks.require_in_clinic(
        session, Provider, provider_id, clinic.id, "preferredProviderId", "provider"
    )


# --------------------------------------------------------------------------- operations


def create(
    ctx: checks.Context,
    body: WaitlistEntryCreate,
    *,
    source: WaitlistSource = WaitlistSource.STAFF,
) -> WaitlistEntry:
    session = ctx.session
    clinic = checks.caller_clinic(session, ctx.principal)
    now = clock.now()
    patient = checks.require_in_clinic(
        session, Patient, body.patient_id, clinic.id, "patientId", "patient"
    )
    _latest_not_past(clinic, body.latest_date, now)
    replaced = None
    if body.replaces_appointment_id is not None:
        replaced = check_replaces(session, clinic, patient.id, body.replaces_appointment_id, now)
        _no_duplicate(session, clinic, replaced.id, None)
    if body.parts is None and body.appointment_type_id is None:
        assert replaced is not None
        parts = parts_of_booking(session, replaced)
    else:
        parts = planned_parts(session, clinic, body.appointment_type_id, body.duration, body.parts)
    _check_provider(session, clinic, body.preferred_provider_id)
    entry = WaitlistEntry(
        clinic_id=clinic.id,
        patient_id=patient.id,
        appointment_type_id=parts[0]["appointmentTypeId"],
        parts=parts,
        same_provider=body.same_provider,
        same_chair=body.same_chair,
        earliest_date=body.earliest_date,
        latest_date=body.latest_date,
        weekdays=sorted(set(body.weekdays)) if body.weekdays else None,
        earliest_time=body.earliest_time,
        latest_time=body.latest_time,
        preferred_provider_id=body.preferred_provider_id,
        priority=body.priority,
        notes=body.notes,
        replaces_appointment_id=replaced.id if replaced else None,
        status=WaitlistStatus.WAITING,
        source=source,
        created_by=ctx.principal.user_id,
    )
    session.add(entry)
    session.flush()
    audit.entry_event(
        session, entry, "waitlist.create", ctx.principal.user_id, ctx.request_id, None
    )
    return entry


def update(ctx: checks.Context, entry: WaitlistEntry, body: WaitlistEntryUpdate) -> WaitlistEntry:
    session = ctx.session
    clinic = checks.caller_clinic(session, ctx.principal)
    now = clock.now()
    view = settle(session, clinic, entry, now)
    if view.status not in repository.ON_THE_LIST:
        raise Conflict(f"A {view.status.value} waitlist entry cannot be changed.")
    before = audit.entry_snapshot(entry)
    sent = body.model_fields_set
    if body.parts is not None or body.appointment_type_id is not None:
        first = entry.parts[0]
        type_id = body.appointment_type_id or first["appointmentTypeId"]
        duration = body.duration if "duration" in sent else None
        entry.parts = planned_parts(session, clinic, type_id, duration, body.parts)
        entry.appointment_type_id = entry.parts[0]["appointmentTypeId"]
    elif body.duration is not None:
        first = entry.parts[0]
        rest = entry.parts[1:]
        entry.parts = [
            *planned_parts(session, clinic, first["appointmentTypeId"], body.duration, None),
            *rest,
        ]
    for name in ("same_provider", "same_chair", "priority"):
        value = getattr(body, name)
        if name in sent and value is not None:
            setattr(entry, name, value)
    for name in ("earliest_date", "latest_date", "earliest_time", "latest_time", "notes"):
        if name in sent:
            setattr(entry, name, getattr(body, name))
    if "weekdays" in sent:
        entry.weekdays = sorted(set(body.weekdays)) if body.weekdays else None
    if "preferred_provider_id" in sent:
        _check_provider(session, clinic, body.preferred_provider_id)
        entry.preferred_provider_id = body.preferred_provider_id
    if "replaces_appointment_id" in sent:
        if body.replaces_appointment_id is not None:
            check_replaces(session, clinic, entry.patient_id, body.replaces_appointment_id, now)
            _no_duplicate(session, clinic, body.replaces_appointment_id, entry.id)
        entry.replaces_appointment_id = body.replaces_appointment_id
    if "latest_date" in sent:
        _latest_not_past(clinic, entry.latest_date, now)
    if entry.earliest_date and entry.latest_date and entry.latest_date < entry.earliest_date:
        raise InvalidInput("latestDate", "latestDate must not be before earliestDate.")
    if entry.earliest_time and entry.latest_time and entry.latest_time <= entry.earliest_time:
        raise InvalidInput("latestTime", "latestTime must be after earliestTime.")
    session.flush()
    audit.entry_event(
        session, entry, "waitlist.update", ctx.principal.user_id, ctx.request_id, before
    )
    return entry


def page(
    session: Session,
    clinic: Clinic,
    *,
    statuses: Sequence[WaitlistStatus],
    appointment_type_id: str | None,
    patient_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[WaitlistEntryRead], int]:
    """Filtered by status as it is now (read at use), so paging happens after the filter."""
    now = clock.now()
    rows = repository.entries(
        session, clinic.id, appointment_type_id=appointment_type_id, patient_id=patient_id
    )
    found = [v for v in views(session, clinic, rows, now) if not statuses or v.status in statuses]
    return [to_read(v) for v in found[offset : offset + limit]], len(found)
