from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.core.crud import Resource, find_in_clinic
from api.core.paging import PageQuery
from api.errors import Conflict, InvalidInput
from api.models import (
    Appointment,
    AppointmentType,
    Patient,
    PlannedProcedure,
    PlanStatus,
    TreatmentPlan,
    appointment_procedures,
)
from api.models.base import utcnow
from api.treatment_plans.schemas import (
    ProcedureInput,
    TreatmentPlanCreate,
    TreatmentPlanUpdate,
)

# Oldest first: the order the plans were drawn up; id for a total order.
PLANS = Resource(
    TreatmentPlan, "treatment plan", order_by=(TreatmentPlan.created_at, TreatmentPlan.id)
)


def list_plans(
    session: Session,
    principal: Principal,
    *,
    patient_id: str | None,
    status: PlanStatus | None,
    window: PageQuery,
) -> tuple[list[TreatmentPlan], int]:
    where: list[ColumnElement[bool]] = []
    if patient_id is not None:
        where.append(TreatmentPlan.patient_id == patient_id)
    if status is not None:
        where.append(TreatmentPlan.status == status)
    return PLANS.list(session, principal.clinic_id, window, where)


def get_plan(session: Session, principal: Principal, plan_id: str) -> TreatmentPlan:
    return PLANS.get(session, principal.clinic_id, plan_id)


def _check_types(session: Session, clinic_id: str, items: list[ProcedureInput]) -> None:
    wanted = {item.appointment_type_id for item in items}
    if not wanted:
        return
    known = set(
        session.scalars(
            select(AppointmentType.id).where(
                AppointmentType.id.in_(wanted), AppointmentType.clinic_id == clinic_id
            )
        )
    )
    for index, item in enumerate(items):
        if item.appointment_type_id not in known:
            raise InvalidInput(
                f"procedures.{index}.appointmentTypeId",
                f"No appointment type with id '{item.appointment_type_id}' in your clinic.",
            )


def _build_procedures(plan: TreatmentPlan, items: list[ProcedureInput]) -> list[PlannedProcedure]:
    """The plan's new procedure list: kept ones updated in place, new ones created."""
    existing = {p.id: p for p in plan.procedures}
    seen: set[str] = set()
    result: list[PlannedProcedure] = []
    for index, item in enumerate(items):
        fields = {
            "sequence": index + 1,
            "name": item.name,
            "code": item.code,
            "appointment_type_id": item.appointment_type_id,
            "status": item.status,
        }
        if item.id is None:
            result.append(PlannedProcedure(**fields))
            continue
        # An unknown id is an error, not a new procedure: the client believes it is keeping a
        # procedure (and its appointments), and silently replacing it would break that.
        if item.id not in existing:
            raise InvalidInput(
                f"procedures.{index}.id", f"Procedure '{item.id}' is not part of this plan."
            )
        if item.id in seen:
            raise InvalidInput(
                f"procedures.{index}.id", f"Procedure '{item.id}' is listed more than once."
            )
        seen.add(item.id)
        procedure = existing[item.id]
        for name, value in fields.items():
            setattr(procedure, name, value)
        result.append(procedure)
    return result


def _booked(session: Session, procedure_ids: list[str]) -> set[str]:
    if not procedure_ids:
        return set()
    return set(
        session.scalars(
            select(appointment_procedures.c.procedure_id).where(
                appointment_procedures.c.procedure_id.in_(procedure_ids)
            )
        )
    )


def _check_patient(session: Session, principal: Principal, patient_id: str) -> None:
    if find_in_clinic(session, Patient, patient_id, principal.clinic_id) is None:
        raise InvalidInput("patientId", f"No patient with id '{patient_id}' in your clinic.")


def create_plan(session: Session, principal: Principal, data: TreatmentPlanCreate) -> TreatmentPlan:
    _check_patient(session, principal, data.patient_id)
    _check_types(session, principal.clinic_id, data.procedures)
    for index, item in enumerate(data.procedures):
        if item.id is not None:
            raise InvalidInput(
                f"procedures.{index}.id", "A new plan has no procedures to keep; omit the id."
            )
    plan = TreatmentPlan(
        clinic_id=principal.clinic_id,
        patient_id=data.patient_id,
        name=data.name,
        status=data.status,
        procedures=[],
    )
    plan.procedures = _build_procedures(plan, data.procedures)
    return PLANS.add(session, plan)


def update_plan(
    session: Session, principal: Principal, plan: TreatmentPlan, data: TreatmentPlanUpdate
) -> TreatmentPlan:
    if data.name is not None:
        plan.name = data.name
    if data.status is not None:
        plan.status = data.status
    if data.procedures is not None:
        _check_types(session, principal.clinic_id, data.procedures)
        procedures = _build_procedures(plan, data.procedures)
        kept = {p.id for p in procedures if p.id is not None}
        removed = [p for p in plan.procedures if p.id not in kept]
        # Removing a booked procedure would silently unlink it from its appointment.
        booked = _booked(session, [p.id for p in removed])
        if booked:
            names = ", ".join(sorted(p.name for p in removed if p.id in booked))
            raise Conflict(
                f"Procedures booked on appointments cannot be removed: {names}. "
                "Keep them in the list (with their id) or cancel the appointments first."
            )
        plan.procedures = procedures
        # Only child rows may change; the plan's own updatedAt should still say it was edited.
        plan.updated_at = utcnow()
    session.flush()
    return plan


def delete_plan(session: Session, plan: TreatmentPlan) -> None:
    # Booked procedures would cascade out of their appointments without a trace.
    linked = session.scalar(
        select(exists().where(Appointment.treatment_plan_id == plan.id))
    ) or bool(_booked(session, [p.id for p in plan.procedures]))
    if linked:
        raise Conflict(
            f"Treatment plan '{plan.name}' has booked appointments; "
            f"set its status to {PlanStatus.CANCELLED} instead of deleting it."
        )
    PLANS.delete(session, plan)
