"""Inviting a patient to the portal, and accepting the invitation by setting a password."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.auth.passwords import hash_password
from api.core import clock
from api.core.crud import find_in_clinic
from api.errors import Conflict, InvalidInput, NotFound
from api.models import (
    Patient,
    PatientInvitation,
    User,
)
from api.portal import repository
from api.portal.schemas import (
    InviteRead,
)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    session: Session,
    actor: Principal,
    patient_id: str,
    email: str | None,
    valid_hours: int,
) -> InviteRead:
    """A patient user (no password yet) and a single-use token to set one."""
    patient = find_in_clinic(session, Patient, patient_id, actor.clinic_id)
    if patient is None:
        raise NotFound(f"No patient with id '{patient_id}' in your clinic.")
    user = repository.patient_account(session, patient.id)
    if user is not None and user.password_hash:
        raise Conflict("This patient already has a portal account; they can sign in.")
    address = (email or (user.email if user else None) or patient.email or "").strip().lower()
    if not address:
        raise InvalidInput("email", "The patient has no email on file; give one to invite them.")
    # Only this clinic's accounts: whether another clinic has one with this address is none
    # of this clinic's business, and the answer must not depend on it (migration 0010).
    holder = repository.account_with_email(session, patient.clinic_id, address)
    if holder is not None and (user is None or holder.id != user.id):
        raise Conflict(f"The email {address} already belongs to another account at this clinic.")
    if user is None:
        user = User(
            clinic_id=patient.clinic_id,
            email=address,
            password_hash=None,
            role="patient",
            full_name=f"{patient.first_name} {patient.last_name}",
            patient_id=patient.id,
        )
        session.add(user)
    user.email = address
    session.flush()
    now = clock.now()
    # A new invitation replaces any earlier one still open.
    repository.close_open_invitations(session, user.id)
    token = secrets.token_urlsafe(32)
    invitation = PatientInvitation(
        clinic_id=patient.clinic_id,
        user_id=user.id,
        token_hash=_token_hash(token),
        expires_at=now + timedelta(hours=valid_hours),
        created_by=actor.user_id,
    )
    session.add(invitation)
    session.flush()
    return InviteRead(
        user_id=user.id,
        patient_id=patient.id,
        email=address,
        invitation_token=token,
        expires_at=invitation.expires_at,
    )


def accept_invite(session: Session, token: str, password: str) -> User:
    invitation = repository.invitation_by_token_hash(session, _token_hash(token))
    now = clock.now()
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        # One answer for unknown, used and expired: the token itself reveals nothing.
        raise InvalidInput(
            "token",
            "This invitation link is not valid any more; ask the clinic for a new one.",
        )
    user = session.get(User, invitation.user_id)
    if user is None or not user.active:
        raise InvalidInput("token", "This account is closed; please contact the clinic.")
    user.password_hash = hash_password(password)
    invitation.used_at = now
    session.flush()
    return user
