"""Schedule helpers shared by test fixtures, stress tests and benchmarks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from api.models import ScheduleTemplate, WorkingHours


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
