"""A clinic's machine clients: create, list, read, change, rotate the secret, revoke.

Shared by the admin's /api/clients and `slotwise clients`, so both follow the same rules.
Revoking is final (a partner that should come back gets a new client): a revoked client's
tokens stop working at their next request, since /fhir re-reads the client every time.

Each change writes a row of the clinic's audit trail in its own transaction (`api.audit`, the
appointments' table and hash chain): who, which client, what changed. The snapshots name the
client's grant and state, never its secret or the secret's hash.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.audit import service as audit
from api.auth.clients.credentials import new_secret
from api.auth.clients.schemas import ClientCreate, ClientUpdate
from api.auth.deps import Principal
from api.core.crud import Resource
from api.core.paging import PageQuery
from api.errors import Conflict
from api.models import MachineClient
from api.models.base import utcnow

CLIENTS = Resource(MachineClient, "machine client", order_by=(MachineClient.name, MachineClient.id))
ENTITY_TYPE = "machine_client"


def snapshot(client: MachineClient) -> dict[str, Any]:
    """What the audit trail keeps of a client: its grant and state (not `secret_hash`)."""
    return {
        "name": client.name,
        "scopes": list(client.scopes),
        "active": client.active,
        "revoked_at": client.revoked_at.isoformat() if client.revoked_at else None,
        "secret_rotated_at": (
            client.secret_rotated_at.isoformat() if client.secret_rotated_at else None
        ),
    }


def _audit(
    session: Session,
    client: MachineClient,
    action: str,
    before: dict[str, Any] | None,
    *,
    actor_id: str,
    request_id: str | None,
) -> None:
    audit.record_event(
        session,
        clinic_id=client.clinic_id,
        entity_type=ENTITY_TYPE,
        entity_id=client.id,
        action=action,
        actor_id=actor_id,
        request_id=request_id,
        before=before,
        after=snapshot(client),
    )


def list_clients(
    session: Session, principal: Principal, *, window: PageQuery
) -> tuple[list[MachineClient], int]:
    return CLIENTS.list(session, principal.clinic_id, window)


def get_client(session: Session, principal: Principal, client_id: str) -> MachineClient:
    return CLIENTS.get(session, principal.clinic_id, client_id)


def create_client(
    session: Session,
    clinic_id: str,
    data: ClientCreate,
    *,
    created_by: str,
    request_id: str | None = None,
) -> tuple[MachineClient, str]:
    """The new client and its secret, which is not kept anywhere but in the caller's hands."""
    secret, secret_hash = new_secret()
    client = MachineClient(
        clinic_id=clinic_id,
        name=data.name,
        scopes=data.scopes,
        secret_hash=secret_hash,
        active=True,
        created_by=created_by,
    )
    CLIENTS.add(session, client)
    _audit(session, client, "client.create", None, actor_id=created_by, request_id=request_id)
    return client, secret


def _still_active(client: MachineClient) -> None:
    if not client.active:
        raise Conflict(f"Machine client '{client.name}' was revoked; create a new client instead.")


def update_client(
    session: Session,
    client: MachineClient,
    data: ClientUpdate,
    *,
    actor_id: str,
    request_id: str | None = None,
) -> MachineClient:
    changes = data.model_dump(by_alias=False, exclude_unset=True, exclude_none=True)
    if not changes:
        return client
    _still_active(client)
    before = snapshot(client)
    CLIENTS.change(session, client, changes)
    if snapshot(client) != before:  # the same name and grant again changes nothing
        _audit(session, client, "client.update", before, actor_id=actor_id, request_id=request_id)
    return client


def rotate_secret(
    session: Session, client: MachineClient, *, actor_id: str, request_id: str | None = None
) -> tuple[MachineClient, str]:
    """A new secret; the old one stops opening tokens at once (tokens issued stay valid until
    they expire, minutes later: revoke the client to end those too)."""
    _still_active(client)
    before = snapshot(client)
    secret, client.secret_hash = new_secret()
    client.secret_rotated_at = utcnow()
    session.flush()
    _audit(
        session, client, "client.rotate_secret", before, actor_id=actor_id, request_id=request_id
    )
    return client, secret


def revoke_client(
    session: Session, client: MachineClient, *, actor_id: str, request_id: str | None = None
) -> MachineClient:
    if client.active:  # revoking twice keeps the first time
        before = snapshot(client)
        client.active = False
        client.revoked_at = utcnow()
        session.flush()
        _audit(session, client, "client.revoke", before, actor_id=actor_id, request_id=request_id)
    return client
