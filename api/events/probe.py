"""The conflict probe: would this appointment be bookable at that time with those resources?

Answers with exactly the violations the booking endpoints would refuse, because it asks the
same engine (`solver.validate`) about the same clinic state (`ClinicState`) and names the
violations through the same mapping (`rules.conflict_items`) as `checks.check_rules`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field, ValidationError
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.booking import assistants, checks, repository, rules
from api.booking.clinic_state import ClinicState
from api.booking.conflict_names import name_doctor_time
from api.booking.provider_time import fitted_pattern, responsible_provider, type_holds_provider
from api.core import clock, metrics
from api.core.crud import find_in_clinic
from api.errors import DomainError
from api.models import Appointment, AppointmentType, Clinic
from api.schemas import IsoDateTime, StrictInput
from solver import InvalidQuery, validate

PROBE_MARGIN = timedelta(hours=1)


class ProbeRequest(StrictInput):
    """An appointment being moved (`appointmentId`) or a new one (`appointmentTypeId`)."""

    seq: int | str | None = None
    appointment_id: str | None = None
    appointment_type_id: str | None = None
    patient_id: str | None = None
    start_time: IsoDateTime
    duration: int | None = Field(None, ge=1, le=24 * 60)
    provider_id: str | None = None
    chair_id: str | None = None
    room_id: str | None = None
    # A drop onto an assistant's column; absent or null: as booking, the current one while free.
    assistant_id: str | None = None


def parse(message: dict[str, Any]) -> ProbeRequest:
    body = {k: v for k, v in message.items() if k != "type"}
    return ProbeRequest.model_validate(body)


def check(session: Session, principal: Principal, req: ProbeRequest) -> dict[str, Any]:
    """The probe's answer: `ok`, and each conflict with its code, message and kind."""
    clinic = session.get(Clinic, principal.clinic_id)
    if clinic is None:
        return _error(req, "Your clinic no longer exists.")
    moving: Appointment | None = None
    if req.appointment_id is not None:
        moving = repository.get(session, principal, req.appointment_id)
        if moving is None:
            return _error(req, f"No appointment with id '{req.appointment_id}' in your clinic.")
    type_id = req.appointment_type_id or (moving.appointment_type_id if moving else None)
    kind = find_in_clinic(session, AppointmentType, type_id, clinic.id) if type_id else None
    if kind is None:
        return _error(req, "Name the appointment being moved or the type being booked.")
    fields = req.model_fields_set

    def pick(name: str) -> str | None:
        value: str | None = getattr(req, name)
        if name in fields or moving is None:
            return value
        current: str | None = getattr(moving, name)
        return current

    provider_id = pick("provider_id")
    if provider_id is None:
        if type_holds_provider(kind):
            return _error(req, "An appointment needs a provider.")
        try:
            # Recorded, never held: which one cannot change the answer, only that one exists.
            provider_id = responsible_provider(session, clinic.id, kind, None)
        except DomainError as exc:
            return _error(req, exc.detail)
    minutes = req.duration or (moving.duration if moving else kind.default_duration)
    try:
        # The same bound check (and message) the endpoints apply before asking the engine.
        checks.check_duration(kind, minutes, "duration")
    except DomainError as exc:
        bound = {"code": "duration_bounds", "message": exc.detail, "kind": "rule"}
        conflict = {**bound, "resource": None, "resourceId": None, "appointmentId": None}
        return _reply(req, [{**conflict, "partIndex": 0}])
    part = checks.PlannedPart(
        kind=kind,
        start=req.start_time,
        minutes=minutes,
        provider_id=provider_id,
        chair_id=pick("chair_id"),
        room_id=pick("room_id"),
        # As `reschedule.apply_move`: a moved appointment is validated at a custom time.
        template_slot_id=None,
        procedure_ids=[],
    )
    pinned = req.assistant_id if "assistant_id" in fields else None
    part.choose_assistant = kind.needs_assistant and pinned is None
    part.assistant_id = (
        (moving.assistant_id if moving else None) if part.choose_assistant else pinned
    )
    try:
        # A moved appointment keeps its own pattern, a new one takes its type's: as booking.
        own = moving.time_pattern if moving else kind.time_pattern
        part.time_pattern = fitted_pattern(own, minutes, "duration")
    except DomainError as exc:
        return _error(req, exc.detail)
    exclude = [moving.id] if moving else []
    # Only what overlaps the dragged block matters, so the probe loads an hour either side
    # rather than the booking's day either side: the same rules over far fewer rows, which
    # is what keeps a probe per hovered slot cheap. ClinicState still widens the busy-time
    # query by the longest buffer.
    occupied_start, occupied_end = part.occupied
    state = ClinicState(
        session,
        clinic,
        occupied_start - PROBE_MARGIN,
        occupied_end + PROBE_MARGIN,
        exclude_appointment_ids=exclude,
        # The calendar is staff: they book over guests' holds, so the probe does not flag them.
        over_guest_holds=True,
    )
    patient_id = req.patient_id or (moving.patient_id if moving else None)
    query = state.query(checks.visit_for([part]), clock.now(), patient_id=patient_id)
    try:
        with metrics.engine_time("validate"):
            assistants.choose(state, query, [part], "")
            violations = validate(query, [part.assignment()])
    except InvalidQuery as exc:
        return _error(req, rules.invalid_input(exc).detail)
    except DomainError as exc:
        return _error(req, exc.detail)
    # The probe is the staff calendar's: it may name the patient the doctor is busy with.
    violations = name_doctor_time(session, clinic.id, violations)
    items = rules.conflict_items(violations, checks.resource_kinds(state))
    conflicts = [
        {
            **item.model_dump(mode="json", by_alias=True),
            # "conflict": a 409 that override-holders may book over; "rule": a 422.
            "kind": "conflict" if item.code in rules.CONFLICT_CODES else "rule",
        }
        for item in items
    ]
    return _reply(req, conflicts)


def _reply(req: ProbeRequest, conflicts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "probe",
        "seq": req.seq,
        "ok": not conflicts,
        "conflicts": conflicts,
        "message": " ".join(str(c["message"]) for c in conflicts),
    }


def answer(session: Session, principal: Principal, message: dict[str, Any]) -> dict[str, Any]:
    seq = message.get("seq")
    try:
        req = parse(message)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return {"type": "probe", "seq": seq, "ok": False, "error": f"{where}: {first['msg']}"}
    try:
        return check(session, principal, req)
    except DomainError as exc:
        return _error(req, exc.detail)


def _error(req: ProbeRequest, detail: str) -> dict[str, Any]:
    return {"type": "probe", "seq": req.seq, "ok": False, "error": detail, "conflicts": []}
