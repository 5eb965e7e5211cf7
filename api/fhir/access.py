"""`require_scope(...)`: the dependency every /fhir route declares, from the bearer token.

Staff tokens are accepted with the scopes their role's permissions amount to, so the clinic's
own staff can use any FHIR client; machine clients' tokens carry their granted scopes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from api.auth.clients.access import caller_for_token
from api.auth.clients.scopes import APPOINTMENT_WRITE, READ_SCOPES
from api.auth.deps import Principal, SettingsDep, current_principal, oauth2_scheme
from api.auth.permissions import Permission
from api.errors import Forbidden
from api.fhir.caller import FhirCaller


def staff_scopes(principal: Principal) -> frozenset[str]:
    scopes: set[str] = set()
    if principal.can(Permission.VIEW_CALENDAR):
        scopes |= READ_SCOPES
    if principal.can(Permission.CREATE_APPOINTMENT) and principal.can(
        Permission.CANCEL_APPOINTMENT
    ):
        scopes.add(APPOINTMENT_WRITE)
    return frozenset(scopes)


def _caller(
    request: Request,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> FhirCaller:
    # A machine client's token (api/auth/clients/access.py); anything else is read as staff's.
    if token and (machine := caller_for_token(request, token)) is not None:
        return machine
    principal = current_principal(request, settings, token)
    if principal.patient_id is not None:
        raise Forbidden(
            "Patients book through the patient portal (/api/patient-portal), not /fhir."
        )
    return FhirCaller(
        clinic_id=principal.clinic_id, scopes=staff_scopes(principal), principal=principal
    )


def require_scope(scope: str) -> Callable[..., FhirCaller]:
    def _check(caller: Annotated[FhirCaller, Depends(_caller)]) -> FhirCaller:
        if not caller.allows(scope):
            who = (
                f"client '{caller.client_id}'"
                if caller.client_id
                else (f"your role ({caller.principal.role})")
            )
            raise Forbidden(f"This needs the scope '{scope}', which {who} does not have.")
        return caller

    _check.__name__ = "require_" + scope.replace("/", "_").replace(".", "_").replace("*", "all")
    return _check


def _reads(resource: str) -> Callable[..., FhirCaller]:
    return require_scope(f"system/{resource}.read")


ReadsLocation = Annotated[FhirCaller, Depends(_reads("Location"))]
ReadsPractitioner = Annotated[FhirCaller, Depends(_reads("Practitioner"))]
ReadsSchedule = Annotated[FhirCaller, Depends(_reads("Schedule"))]
ReadsSlot = Annotated[FhirCaller, Depends(_reads("Slot"))]
ReadsAppointment = Annotated[FhirCaller, Depends(_reads("Appointment"))]
ReadsPatient = Annotated[FhirCaller, Depends(_reads("Patient"))]
WritesAppointments = Annotated[FhirCaller, Depends(require_scope(APPOINTMENT_WRITE))]
