"""The clinic staff's side of the patient portal: its settings and inviting a patient."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.auth.deps import Configure, CreateAppointment, ViewCalendar
from api.db import SessionDep
from api.errors import problem_responses
from api.portal import invitations, offer
from api.portal.schemas import InviteRead, InviteRequest, PortalSettingsRead, PortalSettingsUpdate

router = APIRouter(prefix="/api/patient-portal", tags=["patient portal"])
# Inviting a patient to the portal sits with the patient record.
patients_router = APIRouter(prefix="/api/patients", tags=["patient portal"])


@router.get("/settings", response_model=PortalSettingsRead, responses=problem_responses(401, 403))
def get_settings(session: SessionDep, principal: ViewCalendar) -> PortalSettingsRead:
    return PortalSettingsRead.model_validate(offer.portal_settings(session, principal.clinic_id))


@router.put(
    "/settings", response_model=PortalSettingsRead, responses=problem_responses(401, 403, 422)
)
def put_settings(
    body: PortalSettingsUpdate, session: SessionDep, principal: Configure
) -> PortalSettingsRead:
    """Hold length, the patients' time grid, new-patient caps, whether provider names show."""
    row = offer.update_portal_settings(session, principal.clinic_id, body.changes())
    return PortalSettingsRead.model_validate(row)


@patients_router.post(
    "/{patient_id}/invite",
    status_code=status.HTTP_201_CREATED,
    response_model=InviteRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def invite_patient(
    patient_id: str, body: InviteRequest, session: SessionDep, principal: CreateAppointment
) -> InviteRead:
    """Invite a patient to the portal: a single-use, expiring token to set their password.

    Send the token to the patient (the link to POST /api/patient-portal/accept-invite).
    """
    return invitations.invite(session, principal, patient_id, body.email, body.valid_hours)
