"""The code systems, extensions and value maps Slotwise's FHIR resources use."""

from __future__ import annotations

from typing import Any

from api.models import AppointmentStatus, AppointmentType

SYSTEM_BASE = "https://slotwise.dev/fhir"
# An appointment type's `code` (unique per clinic) is the service type a Schedule offers.
SERVICE_TYPE_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/appointment-type"
# SMART Scheduling Links: the deep link into the booking widget on a free Slot.
BOOKING_DEEP_LINK = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link"
# A hold's expiry on the pending Appointment $hold returns (IHE defines no element for it).
HOLD_EXPIRES = f"{SYSTEM_BASE}/StructureDefinition/hold-expires"
# The chair and room the engine chose for a proposed Appointment, so $hold/$book keep them.
CHAIR = f"{SYSTEM_BASE}/StructureDefinition/chair"
ROOM = f"{SYSTEM_BASE}/StructureDefinition/room"
TIMEZONE = "http://hl7.org/fhir/StructureDefinition/timezone"

APPOINTMENT_STATUS: dict[AppointmentStatus, str] = {
    AppointmentStatus.SCHEDULED: "booked",
    AppointmentStatus.CONFIRMED: "booked",
    AppointmentStatus.CHECKED_IN: "checked-in",
    AppointmentStatus.IN_PROGRESS: "arrived",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}


def statuses_for(fhir_status: str) -> list[AppointmentStatus]:
    return [ours for ours, theirs in APPOINTMENT_STATUS.items() if theirs == fhir_status]


def service_type(kind: AppointmentType) -> dict[str, Any]:
    return {
        "coding": [{"system": SERVICE_TYPE_SYSTEM, "code": kind.code, "display": kind.name}],
        "text": kind.name,
    }


def matches_token(kind: AppointmentType, token: str) -> bool:
    """A FHIR token search value: `code`, `system|code` or `|code` against the type's code."""
    system, _, code = token.rpartition("|")
    if "|" in token and system and system != SERVICE_TYPE_SYSTEM:
        return False
    return code == kind.code
