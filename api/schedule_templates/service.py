from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.core.crud import Resource, is_active
from api.core.paging import PageQuery
from api.errors import Conflict, NotFound
from api.models import (
    Clinic,
    ScheduleException,
    ScheduleTemplate,
    TemplateSlot,
    WorkingHours,
    config_version,
)
from api.models.base import new_id
from api.schedule_templates.schemas import (
    ScheduleExceptionIn,
    ScheduleTemplateCreate,
    ScheduleTemplateUpdate,
    TemplateSlotIn,
    WorkingHoursIn,
    format_clock,
    sorted_exceptions,
    sorted_slots,
    sorted_working_hours,
)
from api.schedule_templates.validation import validate

TEMPLATES = Resource(
    ScheduleTemplate, "schedule template", order_by=(ScheduleTemplate.name, ScheduleTemplate.id)
)


def list_templates(
    session: Session, principal: Principal, *, active: bool | None, window: PageQuery
) -> tuple[list[ScheduleTemplate], int]:
    where = is_active(ScheduleTemplate, active)
    return TEMPLATES.list(session, principal.clinic_id, window, where)


def get_template(session: Session, principal: Principal, template_id: str) -> ScheduleTemplate:
    return TEMPLATES.get(session, principal.clinic_id, template_id)


def get_active_template(session: Session, principal: Principal) -> ScheduleTemplate:
    template = session.scalars(
        select(ScheduleTemplate)
        .where(
            ScheduleTemplate.clinic_id == principal.clinic_id,
            ScheduleTemplate.active.is_(True),
        )
        # Only one should ever be active; the newest wins should older data disagree.
        .order_by(ScheduleTemplate.updated_at.desc(), ScheduleTemplate.id)
        .limit(1)
    ).first()
    if template is None:
        raise NotFound(
            "Your clinic has no active schedule template; set active to true on one "
            "(PUT /api/schedule-templates/{id}) so booking knows the clinic's hours."
        )
    return template


def create_template(
    session: Session, principal: Principal, data: ScheduleTemplateCreate
) -> ScheduleTemplate:
    validate(session, principal.clinic_id, data.working_hours, data.exceptions, data.template_slots)
    template = ScheduleTemplate(
        id=new_id(), clinic_id=principal.clinic_id, name=data.name, active=data.active
    )
    template.working_hours = [_working_hours_row(w) for w in data.working_hours]
    template.exceptions = [_exception_row(e) for e in data.exceptions]
    template.template_slots = _slot_rows(template, data.template_slots)
    # Before the insert: the one-active-template index would refuse two at once.
    if template.active:
        _deactivate_others(session, template.clinic_id, template.id)
    session.add(template)
    session.flush()
    return template


def update_template(
    session: Session, template: ScheduleTemplate, data: ScheduleTemplateUpdate
) -> ScheduleTemplate:
    # Rules span lists (a slot must sit inside working hours), so check the merged document.
    hours = (
        data.working_hours
        if data.working_hours is not None
        else [_working_hours_in(w) for w in sorted_working_hours(template.working_hours)]
    )
    exceptions = (
        data.exceptions
        if data.exceptions is not None
        else [_exception_in(e) for e in sorted_exceptions(template.exceptions)]
    )
    slots = (
        data.template_slots
        if data.template_slots is not None
        else [_slot_in(s) for s in sorted_slots(template.template_slots)]
    )
    validate(session, template.clinic_id, hours, exceptions, slots)

    if data.name is not None:
        template.name = data.name
    if data.active and not template.active:
        _deactivate_others(session, template.clinic_id, template.id)
    if data.active is not None:
        template.active = data.active
    if data.working_hours is not None:
        template.working_hours = [_working_hours_row(w) for w in data.working_hours]
    if data.exceptions is not None:
        template.exceptions = [_exception_row(e) for e in data.exceptions]
    if data.template_slots is not None:
        template.template_slots = _slot_rows(template, data.template_slots)
    session.flush()
    return template


def delete_template(session: Session, template: ScheduleTemplate) -> None:
    if template.active:
        raise Conflict(
            f"'{template.name}' is your clinic's active schedule template; "
            "activate another template first, then delete this one."
        )
    # Appointments booked into its slots keep their times; the FK sets template_slot_id NULL.
    session.delete(template)
    session.flush()


def _deactivate_others(session: Session, clinic_id: str, keep_id: str) -> None:
    """Keep at most one active template per clinic, within the caller's transaction.

    A partial unique index refuses a second active template; to make concurrent activations
    wait for each other rather than fail, lock the clinic row first: two
    concurrent activations on PostgreSQL then run one after the other, and the second one's
    UPDATE sees the first one's template. NO KEY UPDATE, because the template insert's foreign
    key already holds KEY SHARE on the clinic and plain FOR UPDATE would deadlock two callers.
    (SQLite writers are already serialised by BEGIN IMMEDIATE.)
    """
    session.execute(select(Clinic.id).where(Clinic.id == clinic_id).with_for_update(key_share=True))
    session.execute(
        update(ScheduleTemplate)
        .where(
            ScheduleTemplate.clinic_id == clinic_id,
            ScheduleTemplate.id != keep_id,
            ScheduleTemplate.active.is_(True),
        )
        .values(active=False)
        .execution_options(synchronize_session="fetch")
    )
    # A bulk UPDATE bypasses the unit of work, so it does not bump the version by itself.
    config_version.bump(session, [clinic_id])


# --- converting between the API shapes and rows -------------------------------------------


def _working_hours_row(w: WorkingHoursIn) -> WorkingHours:
    return WorkingHours(
        resource_type=w.resource_type,
        resource_id=w.resource_id,
        weekday=w.weekday,
        start_time=w.start,
        end_time=w.end,
    )


def _working_hours_in(w: WorkingHours) -> WorkingHoursIn:
    return WorkingHoursIn.model_validate(
        {
            "resource_type": w.resource_type,
            "resource_id": w.resource_id,
            "weekday": w.weekday,
            "start": w.start_time,
            "end": w.end_time,
        }
    )


def _exception_row(e: ScheduleExceptionIn) -> ScheduleException:
    return ScheduleException(
        resource_type=e.resource_type,
        resource_id=e.resource_id,
        date=e.date,
        blocks=[[format_clock(b.start), format_clock(b.end)] for b in e.blocks],
        reason=e.reason,
    )


def _exception_in(e: ScheduleException) -> ScheduleExceptionIn:
    return ScheduleExceptionIn.model_validate(
        {
            "resource_type": e.resource_type,
            "resource_id": e.resource_id,
            "date": e.date,
            "blocks": [{"start": s, "end": t} for s, t in e.blocks],
            "reason": e.reason,
        }
    )


def _slot_in(s: TemplateSlot) -> TemplateSlotIn:
    return TemplateSlotIn.model_validate(
        {
            "id": s.id,
            "name": s.name,
            "weekday": s.weekday,
            "start": s.start_time,
            "end": s.end_time,
            "chair_id": s.chair_id,
            "provider_id": s.provider_id,
            "appointment_type_ids": list(s.appointment_type_ids),
        }
    )


def _slot_rows(template: ScheduleTemplate, slots: list[TemplateSlotIn]) -> list[TemplateSlot]:
    """Reuse this template's rows for ids sent back, so appointments booked into them stay linked.

    An id that is not one of this template's slots (e.g. copied from another template) is
    ignored and the slot is created afresh, which makes "GET one, POST as a copy" work.
    """
    existing = {s.id: s for s in template.template_slots}
    rows = []
    for s in slots:
        row = existing.pop(s.id, None) if s.id else None
        if row is None:
            row = TemplateSlot()
        row.name = s.name
        row.weekday = s.weekday
        row.start_time = s.start
        row.end_time = s.end
        row.chair_id = s.chair_id
        row.provider_id = s.provider_id
        row.appointment_type_ids = list(dict.fromkeys(s.appointment_type_ids))
        rows.append(row)
    return rows
