from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.auth.passwords import hash_password
from api.auth.permissions import Role
from api.clinics.schemas import ClinicCreate, ClinicUpdate, origins_to_strings
from api.core.crud import apply_changes, delete_or_conflict
from api.errors import Conflict, NotFound
from api.models import Appointment, Clinic, User


def get_clinic(session: Session, principal: Principal, clinic_id: str) -> Clinic:
    clinic = session.get(Clinic, clinic_id)
    if clinic is None or clinic.id != principal.clinic_id:
        raise NotFound(f"No clinic with id '{clinic_id}' that you belong to.")
    return clinic


def create_clinic(session: Session, data: ClinicCreate) -> Clinic:
    # A new clinic has no accounts yet, so no address can clash: accounts are per clinic, and
    # one person may run several clinics (they tell them apart when signing in).
    email = str(data.first_admin.email).lower()
    fields = data.model_dump(by_alias=False, exclude={"first_admin", "website_origins"})
    clinic = Clinic(**fields, website_origins=origins_to_strings(data.website_origins))
    session.add(clinic)
    session.flush()
    session.add(
        User(
            clinic_id=clinic.id,
            email=email,
            password_hash=hash_password(data.first_admin.password),
            role=Role.ADMIN,
            full_name=data.first_admin.full_name,
        )
    )
    session.flush()
    return clinic


def update_clinic(session: Session, clinic: Clinic, data: ClinicUpdate) -> Clinic:
    changes = data.model_dump(by_alias=False, exclude_unset=True)
    if "website_origins" in changes:
        changes["website_origins"] = origins_to_strings(data.website_origins or [])
    # A null for a required setting means "not sent", never "erase it".
    apply_changes(clinic, {k: v for k, v in changes.items() if v is not None})
    session.flush()
    return clinic


def delete_clinic(session: Session, clinic: Clinic) -> None:
    if session.scalar(select(Appointment.id).where(Appointment.clinic_id == clinic.id).limit(1)):
        raise Conflict("This clinic has appointments; set active to false to close it instead.")
    delete_or_conflict(session, clinic, "clinic")
