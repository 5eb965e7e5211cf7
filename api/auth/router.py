from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from api.auth.deps import CurrentUser, SettingsDep
from api.auth.lockout import SignInAttempt
from api.auth.passwords import verify_password
from api.auth.tokens import TokenClaims, issue_token
from api.db import SessionDep
from api.errors import Unauthorized, problem_responses
from api.models import User
from api.schemas import ApiModel

router = APIRouter(prefix="/api/auth", tags=["auth"])


class TokenResponse(BaseModel):
    # OAuth2 names these fields in snake_case; clients' libraries expect exactly that.
    access_token: str
    token_type: str = "bearer"
    expires_in: int


# RFC 5321 caps a forward path at 256 octets including the angle brackets: an address longer
# than 254 characters cannot be anyone's, so it is refused before it is counted or looked up.
MAX_USERNAME = 254


class SignInForm(BaseModel):
    """OAuth2's password grant form (RFC 6749 4.3.2), with the username's length bounded."""

    grant_type: str | None = Field(default=None, pattern="^password$")
    username: str = Field(max_length=MAX_USERNAME, description="The account's email address.")
    password: str
    scope: str = ""


class MeRead(ApiModel):
    user_id: str
    clinic_id: str
    role: str
    permissions: list[str]
    patient_id: str | None
    provider_id: str | None


@router.post("/token", response_model=TokenResponse, responses=problem_responses(401, 422, 429))
def login(
    form: Annotated[SignInForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> TokenResponse:
    attempt = SignInAttempt(request, form.username)
    attempt.admit()
    user = session.scalar(select(User).where(func.lower(User.email) == form.username.lower()))
    ok = verify_password(form.password, user.password_hash if user else None)
    if user is None or not ok or not user.active:
        attempt.failed()
        raise Unauthorized("Email or password is wrong.")
    attempt.succeeded()
    claims = TokenClaims(user.id, user.clinic_id, user.role, user.patient_id, user.provider_id)
    minutes = (
        settings.patient_token_minutes if user.role == "patient" else settings.access_token_minutes
    )
    return TokenResponse(access_token=issue_token(settings, claims), expires_in=minutes * 60)


@router.get("/me", response_model=MeRead, responses=problem_responses(401))
def me(principal: CurrentUser) -> MeRead:
    return MeRead(
        user_id=principal.user_id,
        clinic_id=principal.clinic_id,
        role=principal.role,
        permissions=sorted(p.value for p in principal.permissions),
        patient_id=principal.patient_id,
        provider_id=principal.provider_id,
    )
