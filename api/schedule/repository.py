"""What the hours view reads besides the cached clinic configuration: the template's wording."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import ScheduleException, TemplateSlot


def exception_reasons(
    session: Session, template_id: str | None, first: date, last: date
) -> dict[tuple[str, str, date], str | None]:
    """The reason of each dated exception in ``first..last``, by (resource type, id, date)."""
    if template_id is None:
        return {}
    rows = session.execute(
        select(
            ScheduleException.resource_type,
            ScheduleException.resource_id,
            ScheduleException.date,
            ScheduleException.reason,
        ).where(
            ScheduleException.template_id == template_id,
            ScheduleException.date >= first,
            ScheduleException.date <= last,
        )
    )
    return {(kind, rid, day): reason for kind, rid, day, reason in rows}


def slot_names(session: Session, template_id: str | None) -> dict[str, str]:
    if template_id is None:
        return {}
    rows = session.execute(
        select(TemplateSlot.id, TemplateSlot.name).where(TemplateSlot.template_id == template_id)
    )
    return {slot_id: name for slot_id, name in rows}
