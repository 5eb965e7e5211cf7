"""Short-lived JWTs: HS256 only, issuer, audience and expiry always checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from api.config import Settings

ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    clinic_id: str
    role: str
    patient_id: str | None
    provider_id: str | None


def issue_token(settings: Settings, claims: TokenClaims, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    minutes = (
        settings.patient_token_minutes
        if claims.role == "patient"
        else settings.access_token_minutes
    )
    payload = {
        "sub": claims.user_id,
        "clinic": claims.clinic_id,
        "role": claims.role,
        "pid": claims.patient_id,
        "prv": claims.provider_id,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode(payload, settings.signing_secret(), algorithm=ALGORITHM)


def decode_token(settings: Settings, token: str) -> TokenClaims:
    """Raises jwt.InvalidTokenError for any token we did not issue, or that has expired."""
    payload = jwt.decode(
        token,
        settings.signing_secret(),
        algorithms=[ALGORITHM],  # a fixed list: "alg: none" and key confusion are refused
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        options={"require": ["exp", "iat", "sub", "iss", "aud"]},
    )
    return TokenClaims(
        user_id=str(payload["sub"]),
        clinic_id=str(payload["clinic"]),
        role=str(payload["role"]),
        patient_id=payload.get("pid"),
        provider_id=payload.get("prv"),
    )
