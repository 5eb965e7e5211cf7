"""Every write to a clinic's configuration replaces ``clinics.config_version`` with a new random
token in the same transaction, so a worker can cache what booking reads about the clinic and
know, from one column, whether its copy is still the clinic's configuration. A token, not a
counter: one written by a transaction that rolled back is never issued again.

Configuration is what ``api.booking.clinic_state`` reads besides appointments and holds:
providers, chairs, rooms, assistants, appointment types, schedule templates and their hours,
exceptions and slots, and the portal settings. The bump rides on the unit of work
(``before_flush``, registered when ``api.models`` is imported), so ORM writes anywhere are
covered; a bulk ``update()`` of such a table must call ``bump`` itself
(``schedule_templates.service`` does). Writing those tables with raw SQL behind the
application's back needs a bump too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from api.models.appointment_type import AppointmentType
from api.models.base import new_id
from api.models.clinic import Clinic
from api.models.portal import PortalSettings
from api.models.resources import Assistant, Chair, Provider, Room
from api.models.schedule import ScheduleException, ScheduleTemplate, TemplateSlot, WorkingHours

# Portal settings too: listings cache them with the types (api/portal/availability_config.py).
_OWNED_BY_CLINIC = (
    Provider,
    Chair,
    Room,
    Assistant,
    AppointmentType,
    ScheduleTemplate,
    PortalSettings,
)
_OWNED_BY_TEMPLATE = (WorkingHours, ScheduleException, TemplateSlot)


def bump(session: Session, clinic_ids: Iterable[str]) -> None:
    ids = sorted(set(clinic_ids))
    if ids:
        # Core, on the session's connection: an ORM statement here would autoflush into the
        # flush that called us.
        session.connection().execute(
            update(Clinic.__table__)  # type: ignore[arg-type]
            .where(Clinic.__table__.c.id.in_(ids))
            .values(config_version=new_id())
        )


@event.listens_for(Session, "before_flush")
def _bump_on_config_writes(session: Session, _context: Any, _instances: Any) -> None:
    clinic_ids: set[str] = set()
    template_ids: set[str] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, _OWNED_BY_CLINIC):
            if obj.clinic_id is not None:
                clinic_ids.add(obj.clinic_id)
        elif isinstance(obj, _OWNED_BY_TEMPLATE) and obj.template_id is not None:
            # A child added through its template leaves the template dirty; this covers one
            # written or deleted on its own.
            template_ids.add(obj.template_id)
    if template_ids:
        table = ScheduleTemplate.__table__
        clinic_ids.update(
            session.connection().scalars(
                select(table.c.clinic_id).where(table.c.id.in_(sorted(template_ids)))
            )
        )
    bump(session, clinic_ids)
