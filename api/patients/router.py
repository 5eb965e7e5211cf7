"""Patients: the calendar reads them; front desk registers and edits them.

Writes need CreateAppointment rather than Configure on purpose: registering a new patient is
everyday front-desk work at booking time, not clinic configuration.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth.deps import CreateAppointment, ViewCalendar
from api.core.fetch import by_id
from api.core.paging import Paging, page_of
from api.db import SessionDep
from api.errors import problem_responses
from api.models import Patient
from api.patients import service
from api.patients.schemas import PatientCreate, PatientRead, PatientUpdate
from api.schemas import MultilineText, Page, QueryBool

router = APIRouter(prefix="/api/patients", tags=["patients"])


PatientById = Annotated[Patient, by_id(service.get_patient, "patient_id")]


@router.get("", response_model=Page[PatientRead], responses=problem_responses(401, 403, 422))
def list_patients(
    session: SessionDep,
    principal: ViewCalendar,
    window: Paging,
    q: Annotated[
        Annotated[str, MultilineText] | None,
        Query(
            max_length=100,
            description="Every word must appear in the first or last name, email or phone "
            "(case-insensitive; spaces and dashes in phone numbers are ignored).",
        ),
    ] = None,
    active: QueryBool | None = None,
    provisional: QueryBool | None = None,
) -> Page[PatientRead]:
    """Patients ordered by last name, then first name."""
    found = service.list_patients(
        session, principal, q=q, active=active, provisional=provisional, window=window
    )
    return page_of(PatientRead.model_validate, found, window)


@router.post(
    "",
    response_model=PatientRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 422),
)
def create_patient(
    body: PatientCreate, session: SessionDep, principal: CreateAppointment
) -> PatientRead:
    """Register a patient; front desk does this daily, so it needs only CreateAppointment."""
    return PatientRead.model_validate(service.create_patient(session, principal, body))


@router.get("/{patient_id}", response_model=PatientRead, responses=problem_responses(401, 403, 404))
def get_patient(_: ViewCalendar, patient: PatientById) -> PatientRead:
    return PatientRead.model_validate(patient)


@router.put(
    "/{patient_id}", response_model=PatientRead, responses=problem_responses(401, 403, 404, 422)
)
def update_patient(
    body: PatientUpdate, session: SessionDep, principal: CreateAppointment, patient: PatientById
) -> PatientRead:
    return PatientRead.model_validate(service.update_patient(session, principal, patient, body))


@router.delete(
    "/{patient_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_patient(session: SessionDep, _: CreateAppointment, patient: PatientById) -> None:
    """Delete a patient without appointments or portal login (409 otherwise); plans go too."""
    service.delete_patient(session, patient)
