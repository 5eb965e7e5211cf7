"""Patient: read only, a patient of the caller's clinic (staff and clients with Patient.read)."""

from __future__ import annotations

from fastapi import APIRouter

from api.core.crud import find_in_clinic
from api.db import SessionDep
from api.errors import NotFound
from api.fhir.access import ReadsPatient
from api.fhir.responses import FhirResponse, Resource, instant
from api.models import Patient

router = APIRouter(include_in_schema=False)


def to_fhir(patient: Patient) -> Resource:
    telecom = [{"system": "email", "value": patient.email}] if patient.email else []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    resource: Resource = {
        "resourceType": "Patient",
        "id": patient.id,
        "meta": {"lastUpdated": instant(patient.updated_at)},
        "active": patient.active,
        "name": [{"family": patient.last_name, "given": [patient.first_name]}],
        "birthDate": patient.date_of_birth.isoformat(),
    }
    if telecom:
        resource["telecom"] = telecom
    return resource


@router.get("/Patient/{patient_id}")
def read_patient(patient_id: str, session: SessionDep, caller: ReadsPatient) -> FhirResponse:
    patient = find_in_clinic(session, Patient, patient_id, caller.clinic_id)
    if patient is None:
        raise NotFound(f"No Patient with id '{patient_id}' in your clinic.")
    return FhirResponse(to_fhir(patient))
