"""/api/clients: the clinic admin's machine clients (docs/fhir.md, "Machine clients")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from api.auth.clients import service
from api.auth.clients.schemas import ClientCreate, ClientRead, ClientUpdate, ClientWithSecret
from api.auth.deps import Principal, require
from api.auth.permissions import Permission
from api.booking import service as booking_service
from api.booking.schemas import AuditRead
from api.core.fetch import by_id
from api.core.paging import Paging, page_of
from api.db import SessionDep
from api.errors import problem_responses
from api.models import MachineClient
from api.schemas import Page

router = APIRouter(prefix="/api/clients", tags=["machine clients"])

ManageClients = Annotated[Principal, Depends(require(Permission.MANAGE_CLIENTS))]
ClientById = Annotated[MachineClient, by_id(service.get_client, "client_id")]


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _with_secret(client: MachineClient, secret: str) -> ClientWithSecret:
    read = ClientRead.model_validate(client)
    return ClientWithSecret(**read.model_dump(by_alias=False), client_secret=secret)


@router.get("", response_model=Page[ClientRead], responses=problem_responses(401, 403, 422))
def list_clients(session: SessionDep, principal: ManageClients, window: Paging) -> Page[ClientRead]:
    found = service.list_clients(session, principal, window=window)
    return page_of(ClientRead.model_validate, found, window)


@router.post(
    "",
    response_model=ClientWithSecret,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 422),
)
def create_client(
    body: ClientCreate, session: SessionDep, principal: ManageClients, request: Request
) -> ClientWithSecret:
    """A client for a partner system; the answer's `clientSecret` is shown this once."""
    client, secret = service.create_client(
        session,
        principal.clinic_id,
        body,
        created_by=principal.user_id,
        request_id=_request_id(request),
    )
    return _with_secret(client, secret)


@router.get("/{client_id}", response_model=ClientRead, responses=problem_responses(401, 403, 404))
def get_client(_: ManageClients, client: ClientById) -> ClientRead:
    return ClientRead.model_validate(client)


@router.put(
    "/{client_id}",
    response_model=ClientRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_client(
    body: ClientUpdate,
    session: SessionDep,
    principal: ManageClients,
    client: ClientById,
    request: Request,
) -> ClientRead:
    """Rename, or change the scopes granted (narrowing applies to tokens already issued)."""
    changed = service.update_client(
        session, client, body, actor_id=principal.user_id, request_id=_request_id(request)
    )
    return ClientRead.model_validate(changed)


@router.post(
    "/{client_id}/rotate-secret",
    response_model=ClientWithSecret,
    responses=problem_responses(401, 403, 404, 409),
)
def rotate_secret(
    session: SessionDep, principal: ManageClients, client: ClientById, request: Request
) -> ClientWithSecret:
    """A new secret, shown this once; the old one opens no more tokens."""
    client, secret = service.rotate_secret(
        session, client, actor_id=principal.user_id, request_id=_request_id(request)
    )
    return _with_secret(client, secret)


@router.post(
    "/{client_id}/revoke", response_model=ClientRead, responses=problem_responses(401, 403, 404)
)
def revoke_client(
    session: SessionDep, principal: ManageClients, client: ClientById, request: Request
) -> ClientRead:
    """Final: no more tokens, and the ones issued stop working at their next request."""
    revoked = service.revoke_client(
        session, client, actor_id=principal.user_id, request_id=_request_id(request)
    )
    return ClientRead.model_validate(revoked)


@router.get(
    "/{client_id}/audit",
    response_model=list[AuditRead],
    responses=problem_responses(401, 403, 404),
)
def client_audit(
    session: SessionDep, principal: ManageClients, client: ClientById
) -> list[AuditRead]:
    """Who created, changed, rotated and revoked it, oldest first (never the secret)."""
    return booking_service.audit_trail(session, principal.clinic_id, client.id)
