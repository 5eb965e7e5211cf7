"""What a clinic offers online: its portal settings, its public face, the types a caller may
book, and the grid of start times patients choose from."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.core.crud import find_in_clinic
from api.errors import InvalidInput, NotFound
from api.models import (
    AppointmentType,
    Clinic,
    PortalSettings,
)
from api.portal import repository
from api.portal.identity import PortalCaller
from api.portal.schemas import (
    PortalClinic,
    PortalType,
)


def portal_settings(session: Session, clinic_id: str) -> PortalSettings:
    """The clinic's row, or the defaults (unsaved) when it never changed them."""
    row = session.get(PortalSettings, clinic_id)
    if row is None:
        row = PortalSettings(
            clinic_id=clinic_id,
            hold_minutes=5,
            slot_step_minutes=15,
            new_patient_daily_cap=20,
            new_patient_email_daily_cap=1,
            show_provider_names=False,
            max_active_online_bookings=3,
            new_patient_confirm_minutes=15,
            new_patient_unconfirmed_daily_cap=2,
            guest_share_percent=10,
        )
    return row


def update_portal_settings(
    session: Session, clinic_id: str, changes: dict[str, Any]
) -> PortalSettings:
    """Save the changed settings, creating the clinic's row on its first change."""
    row = session.get(PortalSettings, clinic_id)
    if row is None:
        row = portal_settings(session, clinic_id)
        session.add(row)
    for name, value in changes.items():
        setattr(row, name, value)
    session.flush()
    return row


def public_clinic(session: Session, clinic_id: str) -> Clinic:
    clinic = session.get(Clinic, clinic_id)
    if clinic is None or not clinic.active:
        raise NotFound(f"No clinic with id '{clinic_id}' takes bookings online.")
    return clinic


def clinic_info(session: Session, clinic: Clinic) -> PortalClinic:
    settings = portal_settings(session, clinic.id)
    kinds = repository.online_types(session, clinic.id)
    return PortalClinic(
        id=clinic.id,
        name=clinic.name,
        time_zone=clinic.time_zone,
        hold_minutes=settings.hold_minutes,
        min_lead_time_minutes=clinic.min_lead_time_minutes,
        max_horizon_days=clinic.max_horizon_days,
        appointment_types=[
            PortalType(
                id=k.id,
                name=k.name,
                color=k.color,
                duration=k.default_duration,
                new_patient_bookable=k.new_patient_bookable,
            )
            for k in kinds
        ],
    )


def bookable_type(session: Session, caller: PortalCaller, type_id: str) -> AppointmentType:
    """The type, if this caller may book it online; otherwise 422 saying to call the clinic.

    Patients may book online-bookable types; guests (no account) only those also marked for
    new patients. Another clinic's type answers exactly as a type that does not exist.
    """
    kind = find_in_clinic(session, AppointmentType, type_id, caller.clinic_id)
    if kind is None or not kind.active:
        raise InvalidInput("appointmentTypeId", f"No appointment type with id '{type_id}'.")
    if not kind.online_bookable:
        raise InvalidInput(
            "appointmentTypeId", f"'{kind.name}' cannot be booked online; please call us."
        )
    if caller.is_guest and not kind.new_patient_bookable:
        raise InvalidInput(
            "appointmentTypeId",
            f"'{kind.name}' is for registered patients: sign in to book it, or call us.",
        )
    return kind


def on_grid(clinic: Clinic, step_minutes: int, start: datetime) -> bool:
    """Whether a start is one of the clinic-local grid times the widget lists."""
    local = start.astimezone(ZoneInfo(clinic.time_zone))
    return (
        not local.second
        and not local.microsecond
        and not ((local.hour * 60 + local.minute) % step_minutes)
    )


def check_on_grid(session: Session, clinic: Clinic, start: datetime) -> None:
    """Guests and patients book only the times the widget lists: 422 for any other start.

    The engine accepts any start on the clinic's (finer) staff granularity; online bookings
    keep to the portal's grid so a script cannot wedge bookings between listed times and
    leave gaps nobody else can book.
    """
    step = portal_settings(session, clinic.id).slot_step_minutes
    if not on_grid(clinic, step, start):
        local = start.astimezone(ZoneInfo(clinic.time_zone))
        raise InvalidInput(
            "startTime",
            f"Online bookings start every {step} minutes ({local:%H:%M} {clinic.time_zone} is "
            "not one of those times); choose one of the listed times.",
            slotStepMinutes=step,
        )
