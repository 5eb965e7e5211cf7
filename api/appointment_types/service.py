from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.appointment_types.schemas import AppointmentTypeCreate, AppointmentTypeUpdate
from api.auth.deps import Principal
from api.core.crud import Resource, is_active
from api.core.paging import PageQuery
from api.errors import Conflict, InvalidInput
from api.models import AppointmentType, Assistant, Provider, ScheduleTemplate
from solver.errors import InvalidQuery
from solver.time_pattern import check_pattern

M = TypeVar("M", Provider, Assistant)

# Fields where an explicit null in a PUT means "clear it" rather than "leave it alone".
_NULLABLE = frozenset({"room_kind", "time_pattern"})

TYPES = Resource(
    AppointmentType,
    "appointment type",
    order_by=(AppointmentType.name, AppointmentType.code, AppointmentType.id),
    duplicate=lambda kind: (
        f"An appointment type with code '{kind.code}' already exists in your clinic."
    ),
)


def list_appointment_types(
    session: Session,
    principal: Principal,
    *,
    active: bool | None,
    online_bookable: bool | None,
    window: PageQuery,
) -> tuple[list[AppointmentType], int]:
    where = is_active(AppointmentType, active)
    if online_bookable is not None:
        where.append(AppointmentType.online_bookable.is_(online_bookable))
    return TYPES.list(session, principal.clinic_id, window, where)


def get_appointment_type(session: Session, principal: Principal, type_id: str) -> AppointmentType:
    return TYPES.get(session, principal.clinic_id, type_id)


def create_appointment_type(
    session: Session, principal: Principal, data: AppointmentTypeCreate
) -> AppointmentType:
    values = data.model_dump(by_alias=False, exclude={"provider_ids", "assistant_ids"})
    values["min_duration"] = values["min_duration"] or data.default_duration
    values["max_duration"] = values["max_duration"] or data.default_duration
    _check_durations(values, sent=set(data.model_fields_set))
    _check_time_pattern(values, sent=set(data.model_fields_set))
    appt_type = AppointmentType(clinic_id=principal.clinic_id, **values)
    appt_type.providers = _providers(session, principal.clinic_id, data.provider_ids)
    appt_type.assistants = _assistants(session, principal.clinic_id, data.assistant_ids)
    return TYPES.add(session, appt_type)


def update_appointment_type(
    session: Session, appt_type: AppointmentType, data: AppointmentTypeUpdate
) -> AppointmentType:
    changes = {
        k: v
        for k, v in data.model_dump(by_alias=False, exclude_unset=True).items()
        if v is not None or k in _NULLABLE
    }
    provider_ids: list[str] | None = changes.pop("provider_ids", None)
    assistant_ids: list[str] | None = changes.pop("assistant_ids", None)
    # The bounds must hold for the row as it will be, not just for the fields sent.
    merged = {
        name: changes.get(name, getattr(appt_type, name))
        for name in ("min_duration", "default_duration", "max_duration", "time_pattern")
    }
    _check_durations(merged, sent=set(changes))
    _check_time_pattern(merged, sent=set(changes))
    if provider_ids is not None:
        appt_type.providers = _providers(session, appt_type.clinic_id, provider_ids)
    if assistant_ids is not None:
        appt_type.assistants = _assistants(session, appt_type.clinic_id, assistant_ids)
    return TYPES.change(session, appt_type, changes)


def delete_appointment_type(session: Session, appt_type: AppointmentType) -> None:
    # Template slots list type ids in a JSON column, which no foreign key protects.
    templates = session.scalars(
        select(ScheduleTemplate).where(ScheduleTemplate.clinic_id == appt_type.clinic_id)
    )
    using = sorted(
        t.name
        for t in templates
        if any(appt_type.id in slot.appointment_type_ids for slot in t.template_slots)
    )
    if using:
        names = ", ".join(f"'{n}'" for n in using)
        raise Conflict(
            f"Template slots in schedule template(s) {names} are reserved for this appointment "
            "type; remove it from those slots first, or set active to false instead."
        )
    TYPES.delete(session, appt_type)


def _check_durations(values: dict[str, Any], *, sent: set[str]) -> None:
    """min <= default <= max, blaming the field the caller most likely got wrong."""
    pairs = (("min_duration", "default_duration"), ("default_duration", "max_duration"))
    for low, high in pairs:
        lo, hi = values[low], values[high]
        if lo <= hi:
            continue
        # On a PUT that only moved the upper bound, the upper bound is what to fix.
        if high in sent and low not in sent:
            raise InvalidInput(_camel(high), f"{_camel(high)} {hi} is below {_camel(low)} {lo}")
        raise InvalidInput(_camel(low), f"{_camel(low)} {lo} is above {_camel(high)} {hi}")


def _check_time_pattern(values: dict[str, Any], *, sent: set[str]) -> None:
    """The pattern must fit the default duration as the row will be (solver.time_pattern's rule).

    A PUT that changes only defaultDuration under a stored pattern is blamed on defaultDuration:
    that is the field the caller touched, and the message names the pattern it no longer fits.
    """
    pattern: str | None = values.get("time_pattern")
    if pattern is None:
        return
    default = values["default_duration"]
    try:
        check_pattern(pattern, default, field="timePattern")
    except InvalidQuery as exc:
        if "default_duration" in sent and "time_pattern" not in sent:
            raise InvalidInput(
                "defaultDuration",
                f"defaultDuration {default} does not fit timePattern '{pattern}': "
                f"{exc}; send a timePattern for the new duration too",
            ) from exc
        raise InvalidInput("timePattern", str(exc)) from exc


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _providers(session: Session, clinic_id: str, provider_ids: list[str]) -> list[Provider]:
    return _in_clinic(session, Provider, clinic_id, provider_ids, "providerIds", "provider")


def _assistants(session: Session, clinic_id: str, assistant_ids: list[str]) -> list[Assistant]:
    return _in_clinic(session, Assistant, clinic_id, assistant_ids, "assistantIds", "assistant")


def _in_clinic(
    session: Session, model: type[M], clinic_id: str, ids: list[str], field: str, what: str
) -> list[M]:
    wanted = list(dict.fromkeys(ids))  # drop repeats, keep the caller's order
    if not wanted:
        return []
    found = {
        row.id: row
        for row in session.scalars(
            select(model).where(model.clinic_id == clinic_id, model.id.in_(wanted))
        )
    }
    missing = [rid for rid in wanted if rid not in found]
    if missing:
        listed = ", ".join(f"'{m}'" for m in missing)
        raise InvalidInput(field, f"No {what} with id {listed} in your clinic.")
    return [found[rid] for rid in wanted]
