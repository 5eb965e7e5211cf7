"""Machine clients' access tokens: JWTs with the project's signing key, for /fhir only.

Their audience is the API's plus "/fhir", so a client token opens nothing under /api (the staff
decoder checks the audience) and a staff token is never read as a client's. SMART's backend
services guide asks for tokens of five minutes at most; a client asks for a new one as it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from api.auth.tokens import ALGORITHM
from api.config import Settings

CLIENT_TOKEN_SECONDS = 300


def client_audience(settings: Settings) -> str:
    return f"{settings.jwt_audience}/fhir"


@dataclass(frozen=True)
class ClientClaims:
    client_id: str
    clinic_id: str
    scopes: tuple[str, ...]


def issue_client_token(
    settings: Settings, claims: ClientClaims, now: datetime | None = None
) -> str:
    now = now or datetime.now(UTC)
    payload = {
        "sub": claims.client_id,
        "clinic": claims.clinic_id,
        "scope": " ".join(claims.scopes),
        "iss": settings.jwt_issuer,
        "aud": client_audience(settings),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=CLIENT_TOKEN_SECONDS)).timestamp()),
    }
    return jwt.encode(payload, settings.signing_secret(), algorithm=ALGORITHM)


def is_client_token(settings: Settings, token: str) -> bool:
    """Whether the token says it is a client's; only routes it, `decode_client_token` verifies."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return False
    return bool(claims.get("aud") == client_audience(settings))


def decode_client_token(settings: Settings, token: str) -> ClientClaims:
    """Raises jwt.InvalidTokenError for a token we did not issue to a client, or one expired."""
    payload = jwt.decode(
        token,
        settings.signing_secret(),
        algorithms=[ALGORITHM],
        audience=client_audience(settings),
        issuer=settings.jwt_issuer,
        options={"require": ["exp", "iat", "sub", "iss", "aud"]},
    )
    return ClientClaims(
        client_id=str(payload["sub"]),
        clinic_id=str(payload["clinic"]),
        scopes=tuple(str(payload.get("scope", "")).split()),
    )
