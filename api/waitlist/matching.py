"""Which waiting entries fit freed time: the gap from the request, the entries as the engine's
requests, one `solver.match_gap` call, and the answer as the contract shapes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.booking import checks
from api.booking.availability import to_slot_read
from api.booking.clinic_state import ClinicState
from api.booking.schemas import ScoreTermRead
from api.core import clock
from api.core.crud import find_in_clinic
from api.errors import InvalidInput
from api.models import Appointment, Chair, Clinic, Provider, WaitlistEntry, WaitlistStatus
from api.waitlist import entries, repository
from api.waitlist.entries import EntryView
from api.waitlist.schemas import GapQuery, GapRead, MatchesRead, MatchRead
from solver import Gap, LocalWindow, WaitingRequest, WaitlistMatch, match_gap
from solver.problem import BusyInterval, Visit, VisitPart

MAX_GAP = timedelta(days=1)


@dataclass(frozen=True)
class FreedTime:
    gap: Gap
    # The appointment whose time this is: not busy time for the search, even if still booked.
    appointment_id: str | None = None

    def read(self) -> GapRead:
        return GapRead(
            start=self.gap.start,
            end=self.gap.end,
            chair_id=self.gap.chair_id,
            provider_id=self.gap.provider_id,
            appointment_id=self.appointment_id,
        )


def freed_time(session: Session, clinic: Clinic, query: GapQuery) -> FreedTime:
    if query.appointment_id is not None:
        if query.start or query.end or query.chair_id or query.provider_id:
            raise InvalidInput(
                "appointmentId", "Send either appointmentId or chairId/providerId with start/end."
            )
        appt = find_in_clinic(session, Appointment, query.appointment_id, clinic.id)
        if appt is None:
            raise InvalidInput(
                "appointmentId", f"No appointment with id '{query.appointment_id}' in your clinic."
            )
        gap = Gap(
            appt.occupied_start,
            appt.occupied_end,
            chair_id=appt.chair_id,
            provider_id=None if appt.chair_id else appt.provider_id,
        )
        return FreedTime(gap, appt.id)
    if query.start is None or query.end is None:
        raise InvalidInput(
            "start" if query.start is None else "end",
            "Give the freed time: appointmentId, or start and end with chairId and/or providerId.",
        )
    if query.chair_id is None and query.provider_id is None:
        raise InvalidInput("chairId", "Say whose time freed: chairId and/or providerId.")
    if query.end <= query.start:
        raise InvalidInput("end", "'end' must be after 'start'.")
    if query.end - query.start > MAX_GAP:
        raise InvalidInput("end", "A freed gap is at most one day long; ask day by day.")
    checks.require_in_clinic(session, Chair, query.chair_id, clinic.id, "chairId", "chair")
    checks.require_in_clinic(
        session, Provider, query.provider_id, clinic.id, "providerId", "provider"
    )
    return FreedTime(Gap(query.start, query.end, query.chair_id, query.provider_id))


def request_for(view: EntryView, busy: list[Appointment]) -> WaitingRequest:
    e = view.entry
    parts = tuple(
        VisitPart(
            type_id=p["appointmentTypeId"],
            duration_minutes=p["duration"],
            min_gap_minutes=p.get("minGapMinutes", 0),
            max_gap_minutes=p.get("maxGapMinutes", 0),
        )
        for p in e.parts
    )
    return WaitingRequest(
        id=e.id,
        visit=Visit(parts, same_provider=e.same_provider, same_chair=e.same_chair),
        waiting_since=e.created_at,
        window=LocalWindow(
            earliest_date=e.earliest_date,
            latest_date=e.latest_date,
            weekdays=frozenset(e.weekdays or ()),
            earliest_time=e.earliest_time,
            latest_time=e.latest_time,
        ),
        # The booking it would replace goes when this is booked: it is no busy time here.
        patient_busy=tuple(
            BusyInterval(a.start_time, a.end_time, ref=a.id)
            for a in sorted(busy, key=lambda a: a.start_time)
            if a.id != e.replaces_appointment_id
        ),
        preferred_provider_id=e.preferred_provider_id,
        priority=e.priority,
        replaces_start=view.replaced.start_time if view.replaced else None,
    )


@dataclass(frozen=True)
class Matched:
    freed: FreedTime
    complete: bool
    found: list[tuple[EntryView, WaitlistMatch]]


def find_matches(
    session: Session,
    clinic: Clinic,
    freed: FreedTime,
    time_limit: float,
    *,
    only: list[WaitlistEntry] | None = None,
) -> Matched:
    """Every waiting entry (or those of ``only``) that fits, best first."""
    now = clock.now()
    rows = (
        only
        if only is not None
        else repository.entries(
            session, clinic.id, statuses=[WaitlistStatus.WAITING, WaitlistStatus.OFFERED]
        )
    )
    waiting = [
        v for v in entries.views(session, clinic, rows, now) if v.status == WaitlistStatus.WAITING
    ]
    gap = freed.gap
    exclude = (freed.appointment_id,) if freed.appointment_id else ()
    busy = repository.patient_busy(
        session, clinic.id, (v.entry.patient_id for v in waiting), gap.start, gap.end
    )
    requests = [
        request_for(v, [a for a in busy.get(v.entry.patient_id, []) if a.id not in exclude])
        for v in waiting
    ]
    # Staff book over anonymous guests' holds (docs/security-holds.md), so matching does too.
    state = ClinicState(
        session, clinic, gap.start, gap.end, exclude_appointment_ids=exclude, over_guest_holds=True
    )
    result = match_gap(state.solver_clinic, gap, requests, now, time_limit_seconds=time_limit)
    by_id = {v.entry.id: v for v in waiting}
    return Matched(freed, result.complete, [(by_id[m.request_id], m) for m in result.matches])


def match_read(clinic: Clinic, view: EntryView, match: WaitlistMatch) -> MatchRead:
    return MatchRead(
        entry=entries.to_read(view),
        slot=to_slot_read(match.slot, ZoneInfo(clinic.time_zone)),
        score=match.score,
        terms=[ScoreTermRead(rule=t.rule, points=t.points, reason=t.reason) for t in match.terms],
    )


def matches(
    session: Session, clinic: Clinic, query: GapQuery, limit: int, time_limit: float
) -> MatchesRead:
    found = find_matches(session, clinic, freed_time(session, clinic, query), time_limit)
    return MatchesRead(
        gap=found.freed.read(),
        time_zone=clinic.time_zone,
        total=len(found.found),
        complete=found.complete,
        matches=[match_read(clinic, v, m) for v, m in found.found[:limit]],
    )
