"""`slotwise patients invite`: the command-line twin of POST /api/patients/{id}/invite."""

from __future__ import annotations

import sys

from api.auth.deps import Principal
from api.auth.permissions import Role, permissions_for
from api.db import Database
from api.errors import DomainError
from api.models import Patient
from api.portal import invitations


def invite_command(database_url: str, patient_id: str, email: str | None, valid_hours: int) -> int:
    db = Database(database_url)
    try:
        with db.write() as session:
            patient = session.get(Patient, patient_id)
            if patient is None:
                print(f"error: no patient with id {patient_id}", file=sys.stderr)
                return 1
            # Run by whoever administers the server: acts as the clinic's administrator.
            actor = Principal(
                user_id="cli",
                clinic_id=patient.clinic_id,
                role=Role.ADMIN,
                permissions=permissions_for(Role.ADMIN),
            )
            try:
                invited = invitations.invite(session, actor, patient_id, email, valid_hours)
            except DomainError as exc:
                print(f"error: {exc.detail}", file=sys.stderr)
                return 1
            session.commit()
    finally:
        db.dispose()
    print(
        f"invited {invited.email} (patient {invited.patient_id}); the token below is valid "
        f"until {invited.expires_at:%Y-%m-%d %H:%M} UTC and works once:"
    )
    print(invited.invitation_token)
    return 0
