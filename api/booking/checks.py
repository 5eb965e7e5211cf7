"""The booking checks every operation shares, and the portal and the conflict probe ask too.

Planning the parts of a request (types, durations and resources in the caller's clinic),
turning them into the engine's visit, and asking the engine (`solver.validate`) whether the
clinic's state allows them: one home, so a staff booking, a portal hold and a probe answer
from the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.auth.permissions import Permission, Role
from api.booking import assistants, rules
from api.booking.clinic_config import template_slot_spec
from api.booking.clinic_state import ClinicState
from api.booking.conflict_names import name_doctor_time
from api.booking.provider_time import (
    engine_provider,
    fitted_pattern,
    holds_provider,
    responsible_provider,
)
from api.booking.schemas import Override, PartInput
from api.core import clock, metrics
from api.core.crud import find_in_clinic
from api.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from api.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Assistant,
    Chair,
    Clinic,
    Provider,
    Room,
    TemplateSlot,
)
from solver import InvalidQuery, template_slot_fit, validate
from solver.problem import Visit, VisitPart
from solver.result import PartAssignment

STAFF_ROLES = frozenset({Role.ADMIN, Role.FRONTDESK, Role.PROVIDER})
# Time, resources and duration can change only before the patient is in the chair.
MOVABLE = frozenset({AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED})
# The window either side of a booking that the engine loads busy time for.
STATE_MARGIN = timedelta(days=1)
# Staff visits with explicit times: parts must follow each other within a day.
VISIT_MAX_GAP_MINUTES = 24 * 60


@dataclass
class Context:
    session: Session
    principal: Principal
    request_id: str | None
    # The patient-portal hold owner booking: their own slot hold is not busy time for them.
    hold_owner: str | None = None

    @property
    def over_guest_holds(self) -> bool:
        """Staff book over anonymous guests' slot holds (docs/security-holds.md)."""
        return self.hold_owner is None and self.principal.role in STAFF_ROLES


def caller_clinic(session: Session, principal: Principal) -> Clinic:
    clinic = session.get(Clinic, principal.clinic_id)
    if clinic is None:
        raise NotFound("Your clinic no longer exists.")
    return clinic


def require_in_clinic(
    session: Session, model: type[Any], obj_id: str | None, clinic_id: str, field: str, what: str
) -> Any:
    if obj_id is None:
        return None
    obj = find_in_clinic(session, model, obj_id, clinic_id)
    if obj is None:
        raise InvalidInput(field, f"No {what} with id '{obj_id}' in your clinic.")
    if not getattr(obj, "active", True):
        raise InvalidInput(field, f"The {what} '{getattr(obj, 'name', obj_id)}' is inactive.")
    return obj


def check_assistant_pin(
    session: Session, clinic_id: str, kind: AppointmentType, assistant_id: str | None, field: str
) -> None:
    """A pinned assistant is an active one of the clinic whom the type lets assist (every path
    that takes ``assistantId`` says the same)."""
    assistant = require_in_clinic(session, Assistant, assistant_id, clinic_id, field, "assistant")
    assistants.check_pin(kind, assistant, field)


def check_duration(kind: AppointmentType, minutes: int, field: str) -> None:
    if minutes < kind.min_duration:
        raise InvalidInput(
            field,
            f"{minutes} minutes is below the {kind.name} minimum of {kind.min_duration} minutes.",
            bound="minDuration",
            limit=kind.min_duration,
        )
    if minutes > kind.max_duration:
        raise InvalidInput(
            field,
            f"{minutes} minutes is above the {kind.name} maximum of {kind.max_duration} minutes.",
            bound="maxDuration",
            limit=kind.max_duration,
        )


def resource_kinds(state: ClinicState) -> dict[str, str]:
    kinds = {p.id: "provider" for p in state.providers}
    kinds.update({c.id: "chair" for c in state.chairs})
    kinds.update({r.id: "room" for r in state.rooms})
    kinds.update({a.id: "assistant" for a in state.assistants})
    return kinds


def may_override(principal: Principal, override: Override) -> tuple[bool, bool]:
    allowed = principal.can(Permission.OVERRIDE_CONFLICTS)
    if (override.override or override.override_lead_time) and not allowed:
        raise Forbidden(
            "Overriding needs the permission 'booking:override_conflicts', which your role "
            f"({principal.role}) does not have."
        )
    return override.override and allowed, override.override_lead_time and allowed


@dataclass
class PlannedPart:
    kind: AppointmentType
    start: datetime
    minutes: int
    provider_id: str
    chair_id: str | None
    room_id: str | None
    template_slot_id: str | None
    procedure_ids: list[str]
    # This part's own doctor-time pattern, fitted to its minutes; None: the whole appointment.
    time_pattern: str | None = None
    # The pinned assistant; with ``choose_assistant``, the one to try first (check_rules then
    # sets the one booked: api/booking/assistants.py).
    assistant_id: str | None = None
    choose_assistant: bool = False

    @property
    def holds_provider(self) -> bool:
        return holds_provider(self.kind, self.time_pattern, self.minutes)

    @property
    def engine_provider_id(self) -> str | None:
        return engine_provider(self.kind, self.provider_id, self.time_pattern, self.minutes)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    @property
    def occupied(self) -> tuple[datetime, datetime]:
        return (
            self.start - timedelta(minutes=self.kind.buffer_before),
            self.end + timedelta(minutes=self.kind.buffer_after),
        )

    def assignment(self) -> PartAssignment:
        return PartAssignment(
            type_id=self.kind.id,
            start=self.start,
            end=self.end,
            provider_id=self.engine_provider_id,
            chair_id=self.chair_id,
            room_id=self.room_id,
            template_slot_id=self.template_slot_id,
            assistant_id=self.assistant_id,
        )


def plan_parts(
    session: Session,
    clinic: Clinic,
    parts: list[PartInput],
    prefix: str,
    usual_provider_id: str | None = None,
) -> list[PlannedPart]:
    """The parts in the caller's clinic. ``usual_provider_id`` (the patient's) is recorded on a
    part whose type needs no provider when the client names none."""
    planned = []
    for index, part in enumerate(parts):
        where = f"{prefix}{index}." if prefix else ""
        kind = require_in_clinic(
            session,
            AppointmentType,
            part.appointment_type_id,
            clinic.id,
            f"{where}appointmentTypeId",
            "appointment type",
        )
        minutes = part.duration if part.duration is not None else kind.default_duration
        check_duration(kind, minutes, f"{where}duration")
        provider_id = part.provider_id or responsible_provider(
            session, clinic.id, kind, usual_provider_id, f"{where}providerId"
        )
        require_in_clinic(
            session, Provider, provider_id, clinic.id, f"{where}providerId", "provider"
        )
        require_in_clinic(session, Chair, part.chair_id, clinic.id, f"{where}chairId", "chair")
        require_in_clinic(session, Room, part.room_id, clinic.id, f"{where}roomId", "room")
        check_assistant_pin(session, clinic.id, kind, part.assistant_id, f"{where}assistantId")
        planned.append(
            PlannedPart(
                kind=kind,
                start=part.start_time,
                minutes=minutes,
                provider_id=provider_id,
                chair_id=part.chair_id,
                room_id=part.room_id,
                template_slot_id=part.template_slot_id,
                procedure_ids=list(part.procedure_ids),
                # Copied from the type at booking, so a later change of the type's pattern
                # never moves the doctor time of appointments already in the diary.
                time_pattern=fitted_pattern(kind.time_pattern, minutes, f"{where}duration"),
                assistant_id=part.assistant_id,
                choose_assistant=kind.needs_assistant and part.assistant_id is None,
            )
        )
    return planned


def visit_for(parts: list[PlannedPart]) -> Visit:
    return Visit(
        parts=tuple(
            VisitPart(
                type_id=p.kind.id,
                duration_minutes=p.minutes,
                provider_id=p.engine_provider_id,
                chair_id=p.chair_id,
                room_id=p.room_id,
                template_slot_id=p.template_slot_id,
                min_gap_minutes=0,
                max_gap_minutes=VISIT_MAX_GAP_MINUTES,
                time_pattern=p.time_pattern,
                # Left open where booking chooses: one query checks every assistant it tries.
                assistant_id=None if p.choose_assistant else p.assistant_id,
            )
            for p in parts
        )
    )


def _state_for(
    session: Session,
    clinic: Clinic,
    parts: list[PlannedPart],
    *,
    exclude: list[str],
    lead_time_override: bool,
    hold_owner: str | None = None,
    over_guest_holds: bool = False,
) -> ClinicState:
    start = min(p.occupied[0] for p in parts) - STATE_MARGIN
    end = max(p.occupied[1] for p in parts) + STATE_MARGIN
    return ClinicState(
        session,
        clinic,
        start,
        end,
        exclude_appointment_ids=exclude,
        lead_time_override=lead_time_override,
        hold_owner=hold_owner,
        over_guest_holds=over_guest_holds,
    )


def check_rules(
    ctx: Context,
    clinic: Clinic,
    parts: list[PlannedPart],
    patient_id: str,
    override: Override,
    *,
    exclude: list[str] = (),  # type: ignore[assignment]
) -> bool:
    """Every booking rule, by the engine; returns True when the caller books over a conflict."""
    may_conflict, may_lead = may_override(ctx.principal, override)
    state = _state_for(
        ctx.session,
        clinic,
        parts,
        exclude=list(exclude),
        lead_time_override=may_lead,
        hold_owner=ctx.hold_owner,
        over_guest_holds=ctx.over_guest_holds,
    )
    query = state.query(visit_for(parts), clock.now(), patient_id=patient_id)
    prefix = "parts." if len(parts) > 1 else None
    try:
        with metrics.engine_time("validate"):
            assistants.choose(state, query, parts, prefix or "")
            violations = validate(query, [p.assignment() for p in parts])
    except InvalidQuery as exc:
        raise rules.invalid_input(exc, prefix) from exc
    if ctx.principal.role in STAFF_ROLES:
        violations = name_doctor_time(ctx.session, clinic.id, violations)
    return rules.raise_for(
        violations,
        resource_kinds(state),
        may_override_conflicts=may_conflict,
        may_override_lead_time=may_lead,
    )


def template_slot_filled(
    ctx: Context, clinic: Clinic, part: PlannedPart, appointment: Appointment
) -> str | None:
    """A moved appointment keeps its template slot only while it still fills it."""
    slot = (
        ctx.session.get(TemplateSlot, appointment.template_slot_id)
        if appointment.template_slot_id
        else None
    )
    if slot is None:
        return None
    claim = replace(part.assignment(), template_slot_id=slot.id)
    return template_slot_fit(clinic.time_zone, (template_slot_spec(slot),), claim).fills


def check_version(appointment: Appointment, if_match: str | None, *, required: bool) -> None:
    if if_match is None:
        if required:
            raise PreconditionRequired(
                "Send If-Match with the appointment's ETag (its version) so a change made by "
                "someone else meanwhile is not overwritten."
            )
        return
    wanted = if_match.strip().removeprefix("W/").strip('"')
    if wanted != str(appointment.version):
        raise PreconditionFailed(
            f"The appointment is now at version {appointment.version}, not {wanted}; "
            "reload it and apply your change again.",
            currentVersion=appointment.version,
        )


def offered_type(types: Mapping[str, AppointmentType], type_id: str) -> AppointmentType:
    """The clinic's type with this id, if it is still offered (``ClinicState.types``)."""
    kind = types.get(type_id)
    if kind is None:
        raise InvalidInput(
            "appointmentTypeId", f"No appointment type with id '{type_id}' in your clinic."
        )
    if not kind.active:
        raise Conflict(f"The appointment type '{kind.name}' is no longer offered.")
    return kind
