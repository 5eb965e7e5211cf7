"""Clinic-scoped queries shared by the configuration resources.

Every lookup filters by the caller's clinic, so another clinic's row is simply "not found":
the API never confirms that an id exists elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.errors import Conflict, NotFound
from api.models import ScheduleException, WorkingHours

M = TypeVar("M")


def get_in_clinic(session: Session, model: type[M], obj_id: str, clinic_id: str, what: str) -> M:
    obj = session.get(model, obj_id)
    if obj is None or getattr(obj, "clinic_id", None) != clinic_id:
        raise NotFound(f"No {what} with id '{obj_id}' in your clinic.")
    return obj


def list_in_clinic(
    session: Session,
    model: type[M],
    clinic_id: str,
    *,
    where: Sequence[ColumnElement[bool]] = (),
    order_by: Sequence[Any] = (),
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[M], int]:
    conditions = [model.clinic_id == clinic_id, *where]  # type: ignore[attr-defined]
    total = session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
    stmt = select(model).where(*conditions).order_by(*order_by).limit(limit).offset(offset)
    return list(session.scalars(stmt)), total


def apply_changes(obj: object, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(obj, name, value)


def flush_or_conflict(session: Session, message: str) -> None:
    """Flush now so a unique or foreign-key violation becomes a 409 the caller can act on.

    The request fails either way, so no savepoint: its unit of work rolls everything back.
    """
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(message) from exc


def delete_or_conflict(session: Session, obj: object, what: str) -> None:
    try:
        session.delete(obj)
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"This {what} is still used by appointments or schedules; "
            "set active to false instead of deleting it."
        ) from exc


def schedule_references(resource_type: str, resource_id: str) -> dict[str, Select[Any]]:
    """Schedule rows naming a resource. They carry no foreign key (one column serves three
    resource kinds), so the database alone would let the resource go and leave hours
    pointing at nothing."""
    return {
        "working hours": select(WorkingHours.id).where(
            WorkingHours.resource_type == resource_type, WorkingHours.resource_id == resource_id
        ),
        "schedule exceptions": select(ScheduleException.id).where(
            ScheduleException.resource_type == resource_type,
            ScheduleException.resource_id == resource_id,
        ),
    }


def delete_unless_used(
    session: Session, obj: object, what: str, label: str, uses: dict[str, Select[Any]]
) -> None:
    """Delete, or 409 naming everything that still points at the object."""
    found = [name for name, stmt in uses.items() if session.scalar(select(exists(stmt)))]
    if found:
        raise Conflict(
            f"{what.capitalize()} '{label}' is still used by {', '.join(found)}; "
            "set active to false instead of deleting it."
        )
    # Backstop for a reference added concurrently: a foreign key still refuses.
    delete_or_conflict(session, obj, what)
