"""Authentication and permission dependencies: routes are authenticated by default."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api.auth.permissions import Permission, permissions_for
from api.auth.tokens import decode_token
from api.config import Settings
from api.core import access_log
from api.db import Database
from api.errors import Forbidden, Unauthorized
from api.models import User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


@dataclass(frozen=True)
class Principal:
    user_id: str
    clinic_id: str
    role: str
    permissions: frozenset[Permission]
    patient_id: str | None = None
    provider_id: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def current_principal(
    request: Request,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    if not token:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <token>'.")
    try:
        claims = decode_token(settings, token)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Your session has expired; sign in again.") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("The access token is not valid; sign in again.") from exc
    # A short read of its own, not the request's unit of work: a write request must not take
    # SQLite's write lock here and then wait for another worker thread to run the endpoint,
    # or many concurrent writers starve the lock holder of threads until the busy timeout.
    db: Database = request.app.state.db
    with db.read() as session:
        user = session.get(User, claims.user_id)
    # The role and clinic come from the database, not the token, so a demoted or
    # deactivated user loses access at once rather than when the token expires.
    if user is None or not user.active or user.clinic_id != claims.clinic_id:
        raise Unauthorized("This account is no longer active; sign in again.")
    access_log.note_clinic(request.state, user.clinic_id)
    return Principal(
        user_id=user.id,
        clinic_id=user.clinic_id,
        role=user.role,
        permissions=permissions_for(user.role, platform_operator=user.platform_operator),
        patient_id=user.patient_id,
        provider_id=user.provider_id,
    )


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require(permission: Permission, hint: str = "") -> Callable[[Principal], Principal]:
    def _check(principal: CurrentUser) -> Principal:
        if not principal.can(permission):
            raise Forbidden(
                f"Your role ({principal.role}) lacks the permission '{permission}'.{hint}"
            )
        return principal

    _check.__name__ = f"require_{permission.value.replace(':', '_')}"
    return _check


ViewCalendar = Annotated[Principal, Depends(require(Permission.VIEW_CALENDAR))]
CreateAppointment = Annotated[Principal, Depends(require(Permission.CREATE_APPOINTMENT))]
ModifyAppointment = Annotated[Principal, Depends(require(Permission.MODIFY_APPOINTMENT))]
CancelAppointment = Annotated[Principal, Depends(require(Permission.CANCEL_APPOINTMENT))]
Configure = Annotated[Principal, Depends(require(Permission.CONFIGURE))]
PatientPortal = Annotated[Principal, Depends(require(Permission.PATIENT_PORTAL))]
OpenClinic = Annotated[
    Principal,
    Depends(
        require(
            Permission.OPEN_CLINIC,
            " Only the platform operator opens clinics: ask them, or run `slotwise clinics"
            " create` on the server.",
        )
    ),
]
