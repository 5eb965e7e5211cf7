"""Clinic-scoped queries shared by every resource.

Every lookup filters by the caller's clinic (`in_clinic`, `find_in_clinic`: the one home of
that rule), so another clinic's row is simply "not found": the API never confirms that an id
exists elsewhere. `Resource` is the list / get / add / change / delete that every thin
configuration resource (chairs, rooms, providers, patients, types, templates, plans) shares;
their services add only what is theirs (checks, what counts as a use).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.core.paging import PageQuery
from api.errors import Conflict, NotFound
from api.models import ScheduleException, WorkingHours

M = TypeVar("M")


class InClinic(Protocol):
    """Whoever or whatever belongs to one clinic: a principal, a portal caller, a row."""

    @property
    def clinic_id(self) -> str: ...


def in_clinic(model: type[M], clinic_id: str) -> Select[M]:
    """The clinic's rows of a model: where every clinic-scoped list starts."""
    return select(model).where(model.clinic_id == clinic_id)  # type: ignore[attr-defined]


def find_in_clinic(session: Session, model: type[M], obj_id: str, clinic_id: str) -> M | None:
    """The row with this id if it belongs to the clinic, else None as if it did not exist.

    By primary key through the session, not a statement: a row the request already loaded
    costs no query, and nothing pending is flushed in the middle of an operation.
    """
    obj = session.get(model, obj_id)
    return obj if obj is not None and getattr(obj, "clinic_id", None) == clinic_id else None


def get_in_clinic(session: Session, model: type[M], obj_id: str, clinic_id: str, what: str) -> M:
    obj = find_in_clinic(session, model, obj_id, clinic_id)
    if obj is None:
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
    stmt = in_clinic(model, clinic_id).where(*where)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return list(session.scalars(stmt.order_by(*order_by).limit(limit).offset(offset))), total


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


def is_active(model: type[Any], active: bool | None) -> list[ColumnElement[bool]]:
    """The `?active=` filter: nothing when not asked."""
    return [] if active is None else [model.active.is_(active)]


@dataclass(frozen=True)
class Resource(Generic[M]):
    """One clinic-scoped table as its CRUD endpoints use it.

    `what` names it in 404s and delete conflicts ("No chair with id ..."); `order_by` is the
    list order (end it with the id where names repeat: pagination needs a total order);
    `duplicate`, when the table has a unique name or code, is the 409 a clashing write gets.
    Without it, writes flush plainly and a database error stays a 500: nothing the caller
    sends should reach one.
    """

    model: type[M]
    what: str
    order_by: tuple[Any, ...]
    duplicate: Callable[[M], str] | None = None

    def list(
        self,
        session: Session,
        clinic_id: str,
        window: PageQuery,
        where: Sequence[ColumnElement[bool]] = (),
    ) -> tuple[list[M], int]:
        return list_in_clinic(
            session,
            self.model,
            clinic_id,
            where=where,
            order_by=self.order_by,
            limit=window.limit,
            offset=window.offset,
        )

    def get(self, session: Session, clinic_id: str, obj_id: str) -> M:
        return get_in_clinic(session, self.model, obj_id, clinic_id, self.what)

    def _flush(self, session: Session, obj: M) -> M:
        if self.duplicate is None:
            session.flush()
        else:
            flush_or_conflict(session, self.duplicate(obj))
        return obj

    def add(self, session: Session, obj: M) -> M:
        session.add(obj)
        return self._flush(session, obj)

    def change(self, session: Session, obj: M, changes: dict[str, Any]) -> M:
        apply_changes(obj, changes)
        return self._flush(session, obj)

    def delete(
        self,
        session: Session,
        obj: M,
        *,
        label: str = "",
        uses: dict[str, Select[Any]] | None = None,
    ) -> None:
        """Delete, or 409: naming each of `uses` that still points at it, else on any
        foreign key that still does."""
        if uses is None:
            delete_or_conflict(session, obj, self.what)
        else:
            delete_unless_used(session, obj, self.what, label, uses)
