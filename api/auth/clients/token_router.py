"""The OAuth2 token endpoint for machine clients and the SMART configuration that names it.

`POST /fhir/auth/token` is the client credentials grant (RFC 6749 4.4): the client
authenticates with HTTP Basic (client_secret_basic) or form fields (client_secret_post), may ask
for fewer scopes than it holds, and gets a five-minute bearer token for /fhir. Errors are RFC
6749 5.2's JSON (`{"error": "invalid_client", "error_description": ...}`), not problem+json or
OperationOutcome: OAuth2 libraries read exactly that shape.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth.clients import scopes
from api.auth.clients.attempts import TokenAttempt
from api.auth.clients.credentials import secret_matches
from api.auth.clients.tokens import CLIENT_TOKEN_SECONDS, ClientClaims, issue_client_token
from api.auth.deps import SettingsDep
from api.db import Database, SessionDep
from api.models import MachineClient
from api.models.base import utcnow

TOKEN_PATH = "/fhir/auth/token"
SMART_CONFIGURATION_PATH = "/fhir/.well-known/smart-configuration"
GRANT_TYPE = "client_credentials"
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

router = APIRouter(tags=["machine clients"])

# Token answers and refusals must not be cached by anything in between (RFC 6749 5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class ClientToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    scope: str


class TokenError(BaseModel):
    error: str
    error_description: str


def _refusal(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = TokenError(error=error, error_description=description).model_dump()
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


class _Credentials(BaseModel):
    client_id: str
    secret: str
    basic: bool


def _credentials(
    authorization: str | None, client_id: str | None, client_secret: str | None
) -> _Credentials | JSONResponse:
    """The client's id and secret from exactly one of the two methods, or the refusal."""
    basic = authorization is not None and authorization[:6].lower() == "basic "
    if basic and (client_secret is not None):
        return _refusal(
            400,
            "invalid_request",
            "Send the client's credentials one way: HTTP Basic or client_id and client_secret "
            "in the form, not both.",
        )
    if basic:
        assert authorization is not None
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
            raw_id, raw_secret = decoded.split(":", 1)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return _invalid_client(
                "The Basic credentials are not base64 of 'client_id:client_secret'.", basic=True
            )
        # RFC 6749 2.3.1: both halves are form-urlencoded before they are joined.
        return _Credentials(
            client_id=unquote_plus(raw_id), secret=unquote_plus(raw_secret), basic=True
        )
    if client_id and client_secret is not None:
        return _Credentials(client_id=client_id, secret=client_secret, basic=False)
    return _invalid_client(
        "Authenticate the client: HTTP Basic with its id and secret, or client_id and "
        "client_secret in the form.",
        basic=False,
    )


def _invalid_client(description: str, *, basic: bool) -> JSONResponse:
    # RFC 6749 5.2: a client that tried Basic is told which scheme to use.
    headers = {"WWW-Authenticate": 'Basic realm="slotwise"'} if basic else {}
    return _refusal(401, "invalid_client", description, headers)


def _authenticated(request: Request, found: _Credentials) -> MachineClient | None:
    """The active client these credentials open, read outside the request's write transaction
    so the slow hash is checked without holding SQLite's write lock."""
    db: Database = request.app.state.db
    with db.read() as session:
        client = session.get(MachineClient, found.client_id[:64])
    if not secret_matches(found.secret, client.secret_hash if client else None):
        return None
    if client is None or not client.active:
        return None
    return client


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": TokenError, "description": "invalid_request, unsupported_grant_type, "
          "invalid_scope (RFC 6749 5.2)"},
    401: {"model": TokenError, "description": "invalid_client: unknown, revoked, or a wrong "
          "secret"},
    429: {"model": TokenError, "description": "too many failed authentications; see "
          "Retry-After"},
}  # fmt: skip


@router.post(TOKEN_PATH, response_model=ClientToken, responses=_ERRORS)
def issue_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    grant_type: Annotated[str | None, Form(description="client_credentials")] = None,
    scope: Annotated[str | None, Form(description="Space-separated; default: all granted")] = None,
    # No length limits here: a 422 would not be the RFC 6749 error OAuth2 clients read, and an
    # overlong id simply matches no client.
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> JSONResponse:
    """OAuth2 client credentials: a five-minute bearer token for /fhir with the scopes asked."""
    found = _credentials(authorization, client_id, client_secret)
    if isinstance(found, JSONResponse):
        return found
    attempt = TokenAttempt(request, found.client_id)
    refusal = attempt.admit()
    if refusal is not None:
        return _refusal(429, "slow_down", refusal.detail, refusal.headers)
    client = _authenticated(request, found)
    if client is None:
        attempt.failed()
        return _invalid_client(
            "Unknown or revoked client, or a wrong secret; check the client id and secret your "
            "clinic's admin gave you.",
            basic=found.basic,
        )
    if grant_type != GRANT_TYPE:
        if not grant_type:
            return _refusal(400, "invalid_request", "Send grant_type=client_credentials.")
        return _refusal(
            400,
            "unsupported_grant_type",
            f"This endpoint grants only client_credentials, not '{grant_type[:40]}'.",
        )
    wanted = (scope or "").split() or list(client.scopes)
    try:
        beyond = scopes.not_covered(client.scopes, wanted)
    except scopes.ScopeError as exc:
        return _refusal(400, "invalid_scope", str(exc))
    if beyond:
        return _refusal(
            400,
            "invalid_scope",
            f"This client is not granted {', '.join(beyond)}; it holds "
            f"{' '.join(client.scopes)}. Ask your clinic's admin to grant more.",
        )
    granted = tuple(scopes.normalized(wanted))
    stored = session.get(MachineClient, client.id)
    if stored is not None:
        stored.last_used_at = utcnow()
    token = issue_client_token(settings, ClientClaims(client.id, client.clinic_id, granted))
    body = ClientToken(access_token=token, expires_in=CLIENT_TOKEN_SECONDS, scope=" ".join(granted))
    return JSONResponse(body.model_dump(), headers=NO_STORE)


@router.get(SMART_CONFIGURATION_PATH, tags=["machine clients"])
def smart_configuration(request: Request) -> dict[str, Any]:
    """SMART App Launch's discovery document: where and how a backend service gets a token."""
    base = str(request.base_url).rstrip("/")
    return {
        "token_endpoint": base + TOKEN_PATH,
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "grant_types_supported": [GRANT_TYPE],
        "scopes_supported": scopes.SUPPORTED,
        "capabilities": ["client-confidential-symmetric", "permission-v1"],
    }
