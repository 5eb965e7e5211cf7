from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.deps import CurrentUser, SettingsDep
from api.auth.lockout import SignInAttempt
from api.auth.passwords import verify_password
from api.auth.tokens import TokenClaims, issue_token
from api.db import SessionDep
from api.errors import Conflict, Unauthorized, problem_responses
from api.models import Clinic, User
from api.portal.identity import origin_allowed
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
    client_id: str | None = Field(
        default=None,
        max_length=64,
        description="The clinic's id. The booking widget always sends it; otherwise needed only "
        "when the address has accounts at several clinics with the same password.",
    )


class MeRead(ApiModel):
    user_id: str
    clinic_id: str
    role: str
    permissions: list[str]
    patient_id: str | None
    provider_id: str | None


@router.post(
    "/token", response_model=TokenResponse, responses=problem_responses(401, 409, 422, 429)
)
def login(
    form: Annotated[SignInForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> TokenResponse:
    attempt = SignInAttempt(request, form.username)
    attempt.admit()
    try:
        user = _signed_in_user(session, request, form)
    except Unauthorized:
        attempt.failed()
        raise
    except Conflict:
        # One password opening accounts at several clinics: the password was right, so this
        # counts as a success, not towards a lock-out of someone who left out client_id.
        attempt.succeeded()
        raise
    attempt.succeeded()
    claims = TokenClaims(user.id, user.clinic_id, user.role, user.patient_id, user.provider_id)
    minutes = (
        settings.patient_token_minutes if user.role == "patient" else settings.access_token_minutes
    )
    return TokenResponse(access_token=issue_token(settings, claims), expires_in=minutes * 60)


# An address has at most one account per clinic; a handful of clinics sharing one person is
# plausible, more is not, and each candidate costs a password hash to check.
MAX_ACCOUNTS_PER_ADDRESS = 5


def _signed_in_user(session: Session, request: Request, form: SignInForm) -> User:
    """The one active account the address and password open, in the clinic being signed in to.

    A cross-site request (the booking widget on a practice's site) may sign in only to a clinic
    that lists that site in its websiteOrigins: clinic B's site gets no token for an account at
    clinic A. Every refusal reads alike, so a site learns nothing about other clinics' accounts.
    """
    query = select(User).where(func.lower(User.email) == form.username.strip().lower())
    if form.client_id is not None:
        query = query.where(User.clinic_id == form.client_id)
    candidates = [
        user
        for user in session.scalars(query.order_by(User.id).limit(MAX_ACCOUNTS_PER_ADDRESS))
        if (clinic := session.get(Clinic, user.clinic_id)) is not None
        and origin_allowed(request, clinic)
    ]
    if not candidates:
        verify_password(form.password, None)  # as slow as a wrong password
    opened = [
        user
        for user in candidates
        if verify_password(form.password, user.password_hash) and user.active
    ]
    if len(opened) > 1:
        raise Conflict(
            "This email has accounts at several clinics with this password; sign in with "
            "client_id set to the id of the clinic you mean."
        )
    if not opened:
        raise Unauthorized("Email or password is wrong.")
    return opened[0]


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
