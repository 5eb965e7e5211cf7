"""Schedule helpers shared by test fixtures, stress tests and benchmarks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Assistant, ScheduleTemplate, WorkingHours


def open_every_day(
    template: ScheduleTemplate,
    resources: Iterable[tuple[str, str]],
    start: time = time(8),
    end: time = time(18),
) -> None:
    """Give each (resource type, id) the same hours on all seven days, so a test never depends
    on the weekday it runs."""
    for kind, resource_id in resources:
        template.working_hours.extend(
            WorkingHours(
                resource_type=kind,
                resource_id=resource_id,
                weekday=weekday,
                start_time=start,
                end_time=end,
            )
            for weekday in range(7)
        )


def add_assistant(session: Session, clinic_id: str, name: str) -> Assistant:
    """An assistant working 08:00-18:00 every day in the clinic's one schedule template
    (flushed, not committed)."""
    assistant = Assistant(clinic_id=clinic_id, name=name)
    session.add(assistant)
    session.flush()
    template = session.scalars(
        select(ScheduleTemplate).where(ScheduleTemplate.clinic_id == clinic_id)
    ).one()
    open_every_day(template, [("assistant", assistant.id)])
    return assistant
