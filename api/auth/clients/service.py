"""A clinic's machine clients: create, list, read, change, rotate the secret, revoke.

Shared by the admin's /api/clients and `slotwise clients`, so both follow the same rules.
Revoking is final (a partner that should come back gets a new client): a revoked client's
tokens stop working at their next request, since /fhir re-reads the client every time.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.auth.clients.credentials import new_secret
from api.auth.clients.schemas import ClientCreate, ClientUpdate
from api.auth.deps import Principal
from api.core.crud import Resource
from api.core.paging import PageQuery
from api.errors import Conflict
from api.models import MachineClient
from api.models.base import utcnow

CLIENTS = Resource(MachineClient, "machine client", order_by=(MachineClient.name, MachineClient.id))


def list_clients(
    session: Session, principal: Principal, *, window: PageQuery
) -> tuple[list[MachineClient], int]:
    return CLIENTS.list(session, principal.clinic_id, window)


def get_client(session: Session, principal: Principal, client_id: str) -> MachineClient:
    return CLIENTS.get(session, principal.clinic_id, client_id)


def create_client(
    session: Session, clinic_id: str, data: ClientCreate, *, created_by: str
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
    return CLIENTS.add(session, client), secret


def _still_active(client: MachineClient) -> None:
    if not client.active:
        raise Conflict(f"Machine client '{client.name}' was revoked; create a new client instead.")


def update_client(session: Session, client: MachineClient, data: ClientUpdate) -> MachineClient:
    changes = data.model_dump(by_alias=False, exclude_unset=True, exclude_none=True)
    if not changes:
        return client
    _still_active(client)
    return CLIENTS.change(session, client, changes)


def rotate_secret(session: Session, client: MachineClient) -> tuple[MachineClient, str]:
    """A new secret; the old one stops opening tokens at once (tokens issued stay valid until
    they expire, minutes later: revoke the client to end those too)."""
    _still_active(client)
    secret, client.secret_hash = new_secret()
    client.secret_rotated_at = utcnow()
    session.flush()
    return client, secret


def revoke_client(session: Session, client: MachineClient) -> MachineClient:
    if client.active:  # revoking twice keeps the first time
        client.active = False
        client.revoked_at = utcnow()
        session.flush()
    return client
