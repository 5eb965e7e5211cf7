from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from api.auth.deps import Configure, OpenClinic, ViewCalendar
from api.clinics import service
from api.clinics.schemas import ClinicCreate, ClinicRead, ClinicUpdate
from api.core.fetch import by_id
from api.db import SessionDep
from api.errors import problem_responses
from api.models import Clinic
from api.schemas import Page

router = APIRouter(prefix="/api/clinics", tags=["clinics"])


ClinicById = Annotated[Clinic, by_id(service.get_clinic, "clinic_id")]


@router.get("", response_model=Page[ClinicRead], responses=problem_responses(401, 403))
def list_clinics(session: SessionDep, principal: ViewCalendar) -> Page[ClinicRead]:
    """The clinics you belong to (staff belong to exactly one)."""
    clinic = service.get_clinic(session, principal, principal.clinic_id)
    return Page(items=[ClinicRead.model_validate(clinic)], total=1, limit=1, offset=0)


@router.post(
    "",
    response_model=ClinicRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 422),
)
def create_clinic(session: SessionDep, _: OpenClinic, body: ClinicCreate) -> ClinicRead:
    """Open a new clinic with its own first administrator (who then configures it).

    Platform operators only (`platform:open_clinic`); no clinic role, not even a clinic's admin,
    may open clinics. On the server, `slotwise clinics create` does the same.
    """
    return ClinicRead.model_validate(service.create_clinic(session, body))


@router.get("/{clinic_id}", response_model=ClinicRead, responses=problem_responses(401, 403, 404))
def get_clinic(_: ViewCalendar, clinic: ClinicById) -> ClinicRead:
    return ClinicRead.model_validate(clinic)


@router.put(
    "/{clinic_id}", response_model=ClinicRead, responses=problem_responses(401, 403, 404, 422)
)
def update_clinic(
    body: ClinicUpdate, session: SessionDep, _: Configure, clinic: ClinicById
) -> ClinicRead:
    return ClinicRead.model_validate(service.update_clinic(session, clinic, body))


@router.delete(
    "/{clinic_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_clinic(session: SessionDep, _: Configure, clinic: ClinicById) -> None:
    service.delete_clinic(session, clinic)
