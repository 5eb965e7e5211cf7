from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth.deps import ViewCalendar
from api.db import SessionDep
from api.errors import problem_responses
from api.schedule import service
from api.schedule.schemas import ScheduleHoursRead
from api.schemas import IsoDateTime

router = APIRouter(prefix="/api/schedule", tags=["schedule"])


@router.get(
    "/hours", response_model=ScheduleHoursRead, responses=problem_responses(401, 403, 404, 422)
)
def get_hours(
    session: SessionDep,
    principal: ViewCalendar,
    start: Annotated[IsoDateTime, Query(alias="from", description="Window start (RFC 3339)")],
    end: Annotated[
        IsoDateTime,
        Query(alias="to", description=f"Window end; at most {service.MAX_WINDOW_DAYS} days on"),
    ],
) -> ScheduleHoursRead:
    """Every active resource's working hours, breaks and exceptions on each clinic-local date the
    window touches, and the template slots on those dates, expanded exactly as the booking
    engine expands them (so a start that availability offers lies inside the hours shown)."""
    return service.hours(session, principal, start, end)
