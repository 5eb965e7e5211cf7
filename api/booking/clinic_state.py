"""Builds the solver's view of a clinic from the database: the only place rows become a SlotQuery.

Busy time is loaded for the window asked about (widened by the longest buffer), so a query
over two weeks reads two weeks of appointments, not the clinic's whole history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from api.booking.busy_cache import busy_snapshot, versions
from api.booking.clinic_config import clinic_config, policy, type_spec
from api.booking.provider_time import hold_pattern, holds_provider, provider_busy
from api.booking.repository import GUEST_OWNER_PREFIX, patient_appointments
from api.core.crud import in_clinic
from api.models import (
    AppointmentType,
    Clinic,
)
from solver import local_days_around
from solver.problem import (
    BusyInterval,
    Preferences,
    Resource,
    ResourceKind,
    SlotQuery,
    Visit,
    WeeklyHours,
)
from solver.problem import Clinic as SolverClinic

# How a patient-portal slot hold is named in conflicts ("... is busy ... (online booking hold X)").
HOLD_REF = "online booking hold "


class ClinicState:
    """Everything the engine needs about one clinic for one window, loaded in a few queries."""

    def __init__(
        self,
        session: Session,
        clinic: Clinic,
        window_start: datetime,
        window_end: datetime,
        *,
        exclude_appointment_ids: Iterable[str] = (),
        lead_time_override: bool = False,
        hold_owner: str | None = None,
        over_guest_holds: bool = False,
    ) -> None:
        """``over_guest_holds``: staff book over anonymous guests' holds (docs/security-holds.md),
        so for them those holds are not busy time; a signed-in patient's hold still is."""
        self.session = session
        self.clinic = clinic
        # Both versions in one read, before anything they key is loaded.
        self.versions = versions(session, clinic.id)
        self.types = {t.id: t for t in session.scalars(in_clinic(AppointmentType, clinic.id))}
        max_buffer = max(
            (max(t.buffer_before, t.buffer_after) for t in self.types.values()), default=0
        )
        # Whole clinic-local days, not just the window: best fit's chair load and short gaps
        # read the chair's whole day, so a start must score the same whatever window holds it.
        busy_from, busy_to = local_days_around(
            clinic.time_zone,
            window_start - timedelta(minutes=max_buffer),
            window_end + timedelta(minutes=max_buffer),
        )
        self.window_start = window_start
        self.window_end = window_end
        self.exclude = frozenset(exclude_appointment_ids)
        config = clinic_config(session, clinic.id, self.versions.config)
        self.template_id = config.template_id
        hours = config.hours
        empty = WeeklyHours()
        self.providers = config.providers
        self.chairs = config.chairs
        self.rooms = config.rooms
        self.assistants = config.assistants

        busy: dict[str, list[BusyInterval]] = defaultdict(list)
        # Read per worker once per busy_version (api/booking/busy_cache.py); what follows
        # applies this request's own choices to it.
        snapshot = busy_snapshot(session, clinic.id, self.versions.busy, busy_from, busy_to)
        self.busy_valid_until = snapshot.valid_until
        for appt in snapshot.appointments:
            if appt.id in self.exclude:
                continue
            # Chair, room and assistant for the whole occupied span; the provider only while held.
            for resource_id in (appt.chair_id, appt.room_id, appt.assistant_id):
                if resource_id:
                    busy[resource_id].append(BusyInterval(*appt.occupied, ref=appt.id))
            if appt.provider_id:
                for begin, end in appt.provider_spans:
                    busy[appt.provider_id].append(BusyInterval(begin, end, ref=appt.id))
        # Patient-portal slot holds are busy time for everyone but their owner (hold_owner).
        for hold in snapshot.holds:
            if hold.owner == hold_owner or (
                over_guest_holds and hold.owner.startswith(GUEST_OWNER_PREFIX)
            ):
                continue
            ref = HOLD_REF + hold.id
            for resource_id in (hold.chair_id, hold.room_id, hold.assistant_id):
                if resource_id:
                    busy[resource_id].append(BusyInterval(*hold.occupied, ref=ref))
            hold_type = self.types.get(hold.appointment_type_id or "")
            if hold_type is None or not hold.provider_id:
                continue
            # A hold keeps the provider as the booking it stands for would: its type's pattern.
            minutes = int((hold.end - hold.start).total_seconds() // 60)
            pattern = hold_pattern(hold_type, minutes)
            held = holds_provider(hold_type, pattern, minutes)
            for begin, end in provider_busy(hold.start, hold.occupied, minutes, pattern, held):
                busy[hold.provider_id].append(BusyInterval(begin, end, ref=ref))

        resources: list[Resource] = []
        for kind, rows in (
            (ResourceKind.PROVIDER, self.providers),
            (ResourceKind.CHAIR, self.chairs),
            (ResourceKind.ROOM, self.rooms),
            (ResourceKind.ASSISTANT, self.assistants),
        ):
            for row in rows:
                resources.append(
                    Resource(
                        id=row.id,
                        kind=kind,
                        hours=hours.get((kind.value, row.id), empty),
                        busy=tuple(sorted(busy[row.id], key=lambda b: b.start)),
                        room_kind=row.room_kind,
                        name=row.name,
                    )
                )
        self.solver_clinic = SolverClinic(
            time_zone=clinic.time_zone,
            policy=policy(clinic, lead_time_override=lead_time_override),
            resources=tuple(resources),
            types=tuple(type_spec(t) for t in self.types.values() if t.active),
            template_slots=config.template_slots,
        )

    def patient_busy(self, patient_id: str | None) -> tuple[BusyInterval, ...]:
        if patient_id is None:
            return ()
        rows = patient_appointments(
            self.session, self.clinic.id, patient_id, self.window_start, self.window_end
        )
        return tuple(
            BusyInterval(a.start_time, a.end_time, ref=a.id)
            for a in sorted(rows, key=lambda a: a.start_time)
            if a.id not in self.exclude
        )

    def query(
        self,
        visit: Visit,
        now: datetime,
        *,
        patient_id: str | None = None,
        preferences: Preferences | None = None,
        time_limit_seconds: float = 2.0,
    ) -> SlotQuery:
        return SlotQuery(
            clinic=self.solver_clinic,
            visit=visit,
            window_start=self.window_start,
            window_end=self.window_end,
            now=now,
            patient_busy=self.patient_busy(patient_id),
            preferences=preferences or Preferences(),
            time_limit_seconds=time_limit_seconds,
        )
