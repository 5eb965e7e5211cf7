"""Who is calling the portal: a signed-in patient, or a guest session of the booking widget.

A guest session is a short JWT the API issues itself (`POST /api/patient-portal/guest-session`)
with its own audience, so it can never pass as a user token (and a user token never as a guest
one). Its random id names the guest's slot hold and caps what one session may book. Identity
comes only from the token, never from a request body.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlsplit

import jwt
from fastapi import Depends, Request

from api.auth.deps import Principal, SettingsDep, current_principal, oauth2_scheme
from api.auth.permissions import Permission
from api.auth.tokens import ALGORITHM
from api.config import Settings
from api.errors import Forbidden, Unauthorized
from api.models import Clinic

GUEST_MINUTES = 60


@dataclass(frozen=True)
class PortalCaller:
    clinic_id: str
    principal: Principal
    patient_id: str | None = None
    guest_id: str | None = None

    @property
    def owner(self) -> str:
        """The slot-hold owner key: one active hold per patient or guest session."""
        return f"patient:{self.patient_id}" if self.patient_id else f"guest:{self.guest_id}"

    @property
    def is_guest(self) -> bool:
        return self.patient_id is None


def _guest_audience(settings: Settings) -> str:
    return settings.jwt_audience + ":guest"


def issue_guest_token(settings: Settings, clinic_id: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    payload = {
        "sub": "g" + secrets.token_hex(12),
        "clinic": clinic_id,
        "typ": "guest",
        "iss": settings.jwt_issuer,
        "aud": _guest_audience(settings),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=GUEST_MINUTES)).timestamp()),
    }
    return jwt.encode(payload, settings.signing_secret(), algorithm=ALGORITHM)


def decode_guest(settings: Settings, token: str) -> tuple[str, str] | None:
    """(guest id, clinic id) for a valid guest token; None for any other token."""
    try:
        payload = jwt.decode(
            token,
            settings.signing_secret(),
            algorithms=[ALGORITHM],
            audience=_guest_audience(settings),
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        # Only a guest token gets the guest message; an expired user token is the user path's.
        unverified = jwt.decode(token, options={"verify_signature": False})
        if unverified.get("typ") != "guest":
            return None
        raise Unauthorized("Your booking session has expired; start again.") from exc
    except jwt.InvalidTokenError:
        return None
    if payload.get("typ") != "guest":
        return None
    return str(payload["sub"]), str(payload["clinic"])


def guest_principal(guest_id: str, clinic_id: str) -> Principal:
    # Recorded as the booking's `bookedBy` and audit actor: "guest-" + the session id.
    return Principal(
        user_id=f"guest-{guest_id}"[:32],
        clinic_id=clinic_id,
        role="guest",
        permissions=frozenset(),
    )


def require_portal_self_service(
    request: Request,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> PortalCaller:
    """portal:self_service for a patient token or a guest-session token; staff get 403."""
    if not token:
        raise Unauthorized("Sign in, or start a booking session, first.")
    guest = decode_guest(settings, token)
    if guest is not None:
        guest_id, clinic_id = guest
        return PortalCaller(
            clinic_id=clinic_id, principal=guest_principal(guest_id, clinic_id), guest_id=guest_id
        )
    principal = current_principal(request, settings, token)
    if not principal.can(Permission.PATIENT_PORTAL) or principal.patient_id is None:
        raise Forbidden(
            f"Your role ({principal.role}) lacks the permission '{Permission.PATIENT_PORTAL}'."
        )
    return PortalCaller(
        clinic_id=principal.clinic_id, principal=principal, patient_id=principal.patient_id
    )


Caller = Annotated[PortalCaller, Depends(require_portal_self_service)]


def same_origin(request: Request, origin: str) -> bool:
    here = urlsplit(str(request.base_url))
    there = urlsplit(origin)
    return (here.scheme, here.netloc) == (there.scheme, there.netloc)


def normalise_origin(value: str) -> str:
    parts = urlsplit(value.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(request: Request, clinic: Clinic) -> bool:
    """True for a same-site call (or one without an Origin), or one from this clinic's sites."""
    origin = request.headers.get("origin")
    if not origin or same_origin(request, origin):
        return True
    return normalise_origin(origin) in {normalise_origin(o) for o in clinic.website_origins or []}


def check_origin(request: Request, clinic: Clinic) -> None:
    """A cross-site browser call must come from one of *this* clinic's website origins."""
    origin = request.headers.get("origin")
    if not origin_allowed(request, clinic):
        raise Forbidden(
            f"Online booking for {clinic.name} is not enabled on {origin}; the clinic can add "
            "it to its websiteOrigins."
        )
