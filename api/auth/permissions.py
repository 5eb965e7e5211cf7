"""Roles and the seed's permission strings: the one place that says who may do what."""

from __future__ import annotations

import enum


class Permission(enum.StrEnum):
    VIEW_CALENDAR = "booking:view_calendar"
    CREATE_APPOINTMENT = "booking:create_appointment"
    MODIFY_APPOINTMENT = "booking:modify_appointment"
    CANCEL_APPOINTMENT = "booking:cancel_appointment"
    OVERRIDE_CONFLICTS = "booking:override_conflicts"
    CONFIGURE = "booking:configure"
    PATIENT_PORTAL = "portal:self_service"
    # Opening a new clinic is the platform's business, not any clinic's: no clinic role holds
    # it; a user marked as a platform operator does (`slotwise users create --platform-operator`).
    OPEN_CLINIC = "platform:open_clinic"
    # Machine clients hold the clinic's data for partner systems: only an admin creates one,
    # sees its scopes, rotates its secret or revokes it.
    MANAGE_CLIENTS = "clients:manage"


class Role(enum.StrEnum):
    ADMIN = "admin"
    FRONTDESK = "frontdesk"
    PROVIDER = "provider"
    PATIENT = "patient"


_STAFF_BOOKING = {
    Permission.VIEW_CALENDAR,
    Permission.CREATE_APPOINTMENT,
    Permission.MODIFY_APPOINTMENT,
    Permission.CANCEL_APPOINTMENT,
    Permission.OVERRIDE_CONFLICTS,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(_STAFF_BOOKING | {Permission.CONFIGURE, Permission.MANAGE_CLIENTS}),
    Role.FRONTDESK: frozenset(_STAFF_BOOKING),
    # A provider sees the calendar and modifies only their own appointments (checked per object).
    Role.PROVIDER: frozenset({Permission.VIEW_CALENDAR, Permission.MODIFY_APPOINTMENT}),
    Role.PATIENT: frozenset({Permission.PATIENT_PORTAL}),
}


def permissions_for(role: str, *, platform_operator: bool = False) -> frozenset[Permission]:
    try:
        granted = ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        granted = frozenset()
    return granted | {Permission.OPEN_CLINIC} if platform_operator else granted
