"""A machine client's bearer token on /fhir, back to the client and what it may do now.

Every request re-reads the client, as staff requests re-read the user: a revoked client is
refused at once, and a grant narrowed since the token was issued applies at once. The
`Principal` handed to the booking services names the client, so the audit trail's actor for
what it books is the client's id.
"""

from __future__ import annotations

import jwt
from fastapi import Request

from api.auth.clients import scopes
from api.auth.clients.tokens import decode_client_token, is_client_token
from api.auth.deps import Principal
from api.auth.permissions import Permission
from api.config import Settings
from api.db import Database
from api.errors import Unauthorized
from api.fhir.caller import FhirCaller
from api.models import MachineClient

CLIENT_ROLE = "client"


def caller_for_token(request: Request, token: str) -> FhirCaller | None:
    """The client's caller; None for a token that is not a client's (the staff path reads it).

    Raises Unauthorized for a client token that is expired, forged or of a revoked client.
    """
    settings: Settings = request.app.state.settings
    if not is_client_token(settings, token):
        return None
    try:
        claims = decode_client_token(settings, token)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized(
            "The access token has expired (they last five minutes); get a new one from "
            "/fhir/auth/token."
        ) from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(
            "The access token is not valid; get a new one from /fhir/auth/token."
        ) from exc
    db: Database = request.app.state.db
    with db.read() as session:  # a short read of its own, as for staff (api/auth/deps.py)
        client = session.get(MachineClient, claims.client_id)
    if client is None or not client.active or client.clinic_id != claims.clinic_id:
        raise Unauthorized(
            "This machine client has been revoked; ask the clinic's admin for a new one."
        )
    granted = _still_granted(claims.scopes, client.scopes)
    return FhirCaller(
        clinic_id=client.clinic_id,
        scopes=granted,
        principal=principal_for(client, granted),
        client_id=client.id,
    )


def _still_granted(in_token: tuple[str, ...], grant: list[str]) -> frozenset[str]:
    try:
        return scopes.intersection(in_token, grant)
    except scopes.ScopeError:  # a grant stored before the grammar changed: nothing
        return frozenset()


def principal_for(client: MachineClient, granted: frozenset[str]) -> Principal:
    """What the booking services see: the calendar to read, booking and cancelling to write;
    never overriding conflicts or configuring the clinic, whatever the scopes."""
    permissions: set[Permission] = set()
    if granted:
        permissions.add(Permission.VIEW_CALENDAR)
    if scopes.covered(granted, scopes.APPOINTMENT_WRITE):
        permissions |= {Permission.CREATE_APPOINTMENT, Permission.CANCEL_APPOINTMENT}
    return Principal(
        user_id=client.id,
        clinic_id=client.clinic_id,
        role=CLIENT_ROLE,
        permissions=frozenset(permissions),
    )
