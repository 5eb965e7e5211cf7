"""Availability and best-fit suggestions through the engine, plus quick booking's "what next"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.booking import checks, rules
from api.booking.clinic_state import ClinicState
from api.booking.provider_time import type_holds_provider
from api.booking.schemas import (
    AvailabilityRead,
    PartSlot,
    ProviderTime,
    ScoreTermRead,
    SlotRead,
    SuggestionRead,
)
from api.core import metrics
from api.core.crud import find_in_clinic
from api.errors import InvalidInput, NotFound
from api.models import (
    AppointmentType,
    Clinic,
    Patient,
    PlannedProcedure,
    PlanStatus,
    ProcedureStatus,
    TreatmentPlan,
)
from solver import InvalidQuery, best_fit, find_availability
from solver.problem import Preferences, SlotQuery, Visit, VisitPart
from solver.result import Slot

DEFAULT_DAYS = 14
MAX_DAYS = 92


@dataclass(frozen=True)
class AvailabilityRequest:
    type_ids: list[str]
    window_start: datetime | None
    window_end: datetime | None
    durations: list[int]
    provider_id: str | None = None
    chair_id: str | None = None
    room_id: str | None = None
    assistant_id: str | None = None
    patient_id: str | None = None
    template_slot_id: str | None = None
    mode: str = "all"
    limit: int = 10
    preferred_start: datetime | None = None
    same_provider: bool = False
    same_chair: bool = False
    min_gap_minutes: int = 0
    max_gap_minutes: int = 30
    online_only: bool = False


def request_window(
    req: AvailabilityRequest, clinic: Clinic, now: datetime
) -> tuple[datetime, datetime]:
    start = max(req.window_start or now, now)
    end = req.window_end or start + timedelta(days=DEFAULT_DAYS)
    return window_for(start, end, clinic, now)


def window_for(
    start: datetime, end: datetime, clinic: Clinic, now: datetime
) -> tuple[datetime, datetime]:
    """The searched window for [start, end): 422 when it is empty, too long or past the horizon."""
    if end <= start:
        raise InvalidInput("to", "'to' must be after 'from' (and 'from' not in the past).")
    if end - start > timedelta(days=MAX_DAYS):
        raise InvalidInput("to", f"Ask for at most {MAX_DAYS} days at a time.")
    horizon = now + timedelta(days=clinic.max_horizon_days)
    if start >= horizon:
        until = horizon.astimezone(ZoneInfo(clinic.time_zone))
        raise InvalidInput(
            "from",
            f"The window starts after the booking horizon ({clinic.max_horizon_days} days, "
            f"until {until:%Y-%m-%d %H:%M} {clinic.time_zone}); choose an earlier 'from'.",
        )
    return start, min(end, horizon)


def next_planned(
    session: Session, clinic_id: str, patient_id: str
) -> tuple[TreatmentPlan, PlannedProcedure]:
    """The patient's next pending procedure on an active plan: what quick booking books."""
    row = session.execute(
        select(TreatmentPlan, PlannedProcedure)
        .join(PlannedProcedure, PlannedProcedure.plan_id == TreatmentPlan.id)
        .where(
            TreatmentPlan.clinic_id == clinic_id,
            TreatmentPlan.patient_id == patient_id,
            TreatmentPlan.status == PlanStatus.ACTIVE,
            PlannedProcedure.status == ProcedureStatus.PENDING,
        )
        .order_by(TreatmentPlan.created_at, PlannedProcedure.sequence)
        .limit(1)
    ).first()
    if row is None:
        raise NotFound(
            "This patient has no pending procedure on an active treatment plan; "
            "choose an appointment type."
        )
    return row[0], row[1]


def to_slot_read(slot: Slot, zone: ZoneInfo) -> SlotRead:
    return SlotRead(
        start_time=slot.start,
        end_time=slot.end,
        local_date=slot.start.astimezone(zone).date().isoformat(),
        parts=[
            PartSlot(
                appointment_type_id=p.type_id,
                start_time=p.start,
                end_time=p.end,
                duration=int((p.end - p.start).total_seconds() // 60),
                provider_id=p.provider_id,
                chair_id=p.chair_id,
                room_id=p.room_id,
                template_slot_id=p.template_slot_id,
                assistant_id=p.assistant_id,
                provider_time=[
                    ProviderTime(start_time=begin, end_time=end) for begin, end in p.provider_time
                ],
            )
            for p in slot.parts
        ],
    )


@dataclass(frozen=True)
class Resolved:
    """What a request asks for once its patient and planned procedure are looked up."""

    patient: Patient | None
    type_ids: list[str]
    plan_id: str | None
    procedure_ids: list[str]


def resolve(session: Session, clinic: Clinic, req: AvailabilityRequest) -> Resolved:
    patient = None
    if req.patient_id:
        patient = find_in_clinic(session, Patient, req.patient_id, clinic.id)
        if patient is None:
            raise InvalidInput(
                "patientId", f"No patient with id '{req.patient_id}' in your clinic."
            )
    type_ids, plan_id, procedure_ids = list(req.type_ids), None, []
    if not type_ids:
        if patient is None:
            raise InvalidInput(
                "appointmentTypeId",
                "Give an appointment type, or a patient to book their next planned procedure.",
            )
        plan, procedure = next_planned(session, clinic.id, patient.id)
        type_ids, plan_id, procedure_ids = [procedure.appointment_type_id], plan.id, [procedure.id]
    if req.durations and len(req.durations) != len(type_ids):
        raise InvalidInput("duration", "Give one duration per appointment type, in order.")
    return Resolved(patient, type_ids, plan_id, procedure_ids)


def engine_query(
    session: Session,
    clinic: Clinic,
    req: AvailabilityRequest,
    resolved: Resolved,
    window: tuple[datetime, datetime],
    now: datetime,
    *,
    time_limit: float,
    exclude_appointment_ids: tuple[str, ...],
    hold_owner: str | None,
    over_guest_holds: bool,
) -> tuple[ClinicState, SlotQuery]:
    start, end = window
    type_ids, patient = resolved.type_ids, resolved.patient
    state = ClinicState(
        session,
        clinic,
        start,
        end,
        exclude_appointment_ids=exclude_appointment_ids,
        hold_owner=hold_owner,
        over_guest_holds=over_guest_holds,
    )
    for type_id in type_ids:
        kind: AppointmentType = checks.offered_type(state.types, type_id)
        if req.online_only and not kind.online_bookable:
            raise InvalidInput(
                "appointmentTypeId", f"'{kind.name}' cannot be booked online; please call us."
            )
    visit = Visit(
        parts=tuple(
            VisitPart(
                type_id=type_id,
                duration_minutes=req.durations[i] if req.durations else None,
                provider_id=req.provider_id if type_holds_provider(state.types[type_id]) else None,
                chair_id=req.chair_id if state.types[type_id].needs_chair else None,
                room_id=req.room_id if state.types[type_id].room_kind else None,
                # Like chairId and roomId: only for the parts whose type holds one.
                assistant_id=req.assistant_id if state.types[type_id].needs_assistant else None,
                template_slot_id=req.template_slot_id if i == 0 else None,
                min_gap_minutes=req.min_gap_minutes if i else 0,
                max_gap_minutes=req.max_gap_minutes if i else 0,
            )
            for i, type_id in enumerate(type_ids)
        ),
        same_provider=req.same_provider,
        same_chair=req.same_chair,
    )
    usual = patient.usual_provider_id if patient else None
    query = state.query(
        visit,
        now,
        patient_id=patient.id if patient else None,
        preferences=Preferences(preferred_start=req.preferred_start, usual_provider_id=usual),
        time_limit_seconds=time_limit,
    )
    return state, query


def find(
    session: Session,
    clinic: Clinic,
    req: AvailabilityRequest,
    now: datetime,
    *,
    time_limit: float,
    exclude_appointment_ids: tuple[str, ...] = (),
    hold_owner: str | None = None,
    over_guest_holds: bool = False,
) -> AvailabilityRead:
    resolved = resolve(session, clinic, req)
    patient, plan_id, procedure_ids = resolved.patient, resolved.plan_id, resolved.procedure_ids
    _state, query = engine_query(
        session,
        clinic,
        req,
        resolved,
        request_window(req, clinic, now),
        now,
        time_limit=time_limit,
        exclude_appointment_ids=exclude_appointment_ids,
        hold_owner=hold_owner,
        over_guest_holds=over_guest_holds,
    )
    zone = ZoneInfo(clinic.time_zone)
    try:
        if req.mode == "best":
            result = best_fit(query, k=req.limit)
            return AvailabilityRead(
                mode="best",
                time_zone=clinic.time_zone,
                complete=result.complete,
                status=result.status.value,
                suggestions=[
                    SuggestionRead(
                        **to_slot_read(s.slot, zone).model_dump(by_alias=False),
                        score=s.score,
                        terms=[
                            ScoreTermRead(rule=t.rule, points=t.points, reason=t.reason)
                            for t in s.terms
                        ],
                    )
                    for s in result.suggestions
                ],
                patient_id=patient.id if patient else None,
                treatment_plan_id=plan_id,
                procedure_ids=procedure_ids,
            )
        with metrics.engine_time("availability"):
            found = find_availability(query)
    except InvalidQuery as exc:
        raise rules.invalid_input(exc) from exc
    slots = [to_slot_read(s, zone) for s in found.slots[: req.limit]]
    return AvailabilityRead(
        mode="all",
        time_zone=clinic.time_zone,
        complete=found.complete,
        slots=slots,
        patient_id=patient.id if patient else None,
        treatment_plan_id=plan_id,
        procedure_ids=procedure_ids,
    )
