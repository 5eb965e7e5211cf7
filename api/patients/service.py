from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.core.crud import Resource, find_in_clinic
from api.core.paging import PageQuery
from api.errors import Conflict, InvalidInput
from api.models import Appointment, Clinic, Patient, Provider, User
from api.patients.schemas import PatientCreate, PatientUpdate

# Separators people type in phone numbers; ignored when searching so "07700 900123" finds
# "07700900123" and the other way round.
_PHONE_SEPARATORS = (" ", "-", "(", ")")

PATIENTS = Resource(
    Patient,
    "patient",
    # lower(): SQLite sorts bytes, PostgreSQL by collation; this orders "de Vries" the same on
    # both. id last so pagination has a total order among namesakes.
    order_by=(func.lower(Patient.last_name), func.lower(Patient.first_name), Patient.id),
)


def _strip_separators(expr: Any) -> Any:
    for sep in _PHONE_SEPARATORS:
        expr = func.replace(expr, sep, "")
    return expr


def _term_matches(term: str) -> ColumnElement[bool]:
    lowered = term.lower()
    options = [
        func.lower(Patient.first_name).contains(lowered, autoescape=True),
        func.lower(Patient.last_name).contains(lowered, autoescape=True),
        func.lower(Patient.email).contains(lowered, autoescape=True),
    ]
    digits = term
    for sep in _PHONE_SEPARATORS:
        digits = digits.replace(sep, "")
    if digits:  # a lone "-" or "(" would otherwise match every phone
        options.append(_strip_separators(Patient.phone).contains(digits, autoescape=True))
    return or_(*options)


def search_condition(q: str) -> list[ColumnElement[bool]]:
    """Every word must match a name, the email or the phone: "jane doe" finds Jane Doe."""
    return [_term_matches(term) for term in q.split()]


def list_patients(
    session: Session,
    principal: Principal,
    *,
    q: str | None,
    active: bool | None,
    provisional: bool | None,
    window: PageQuery,
) -> tuple[list[Patient], int]:
    where: list[ColumnElement[bool]] = []
    if q:
        where.extend(search_condition(q))
    if active is not None:
        where.append(Patient.active.is_(active))
    if provisional is not None:
        where.append(Patient.provisional.is_(provisional))
    return PATIENTS.list(session, principal.clinic_id, window, where)


def get_patient(session: Session, principal: Principal, patient_id: str) -> Patient:
    return PATIENTS.get(session, principal.clinic_id, patient_id)


def _clinic_today(session: Session, clinic_id: str) -> date:
    clinic = session.get(Clinic, clinic_id)
    zone = ZoneInfo(clinic.time_zone) if clinic is not None else None
    return datetime.now(zone).date()


def _check(session: Session, principal: Principal, changes: dict[str, Any]) -> None:
    born = changes.get("date_of_birth")
    if born is not None and born > _clinic_today(session, principal.clinic_id):
        raise InvalidInput("dateOfBirth", "The date of birth cannot be in the future.")
    provider_id = changes.get("usual_provider_id")
    if (
        provider_id is not None
        and find_in_clinic(session, Provider, provider_id, principal.clinic_id) is None
    ):
        raise InvalidInput(
            "usualProviderId", f"No provider with id '{provider_id}' in your clinic."
        )


def create_patient(session: Session, principal: Principal, data: PatientCreate) -> Patient:
    fields = data.model_dump(by_alias=False)
    _check(session, principal, fields)
    return PATIENTS.add(session, Patient(clinic_id=principal.clinic_id, **fields))


def update_patient(
    session: Session, principal: Principal, patient: Patient, data: PatientUpdate
) -> Patient:
    # Explicit nulls for required fields were refused by the schema; the remaining Nones are
    # deliberate clears of email/phone/usual provider.
    changes = data.model_dump(by_alias=False, exclude_unset=True)
    _check(session, principal, changes)
    return PATIENTS.change(session, patient, changes)


def delete_patient(session: Session, patient: Patient) -> None:
    # Checked first for a clear message; cancelled and soft-deleted appointments count too,
    # because they are the patient's history.
    who = f"{patient.first_name} {patient.last_name}"
    if session.scalar(select(exists().where(Appointment.patient_id == patient.id))):
        raise Conflict(f"{who} has appointments; set active to false instead of deleting.")
    # The portal login would cascade away with the patient, locking them out without notice.
    if session.scalar(select(exists().where(User.patient_id == patient.id))):
        raise Conflict(f"{who} has a portal account; set active to false instead of deleting.")
    PATIENTS.delete(session, patient)
