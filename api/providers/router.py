from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth.deps import Configure, ViewCalendar
from api.db import SessionDep
from api.errors import problem_responses
from api.providers import service
from api.providers.schemas import ProviderCreate, ProviderRead, ProviderUpdate
from api.schemas import BIGINT_MAX, Page, QueryBool

router = APIRouter(prefix="/api/providers", tags=["providers"])


@router.get("", response_model=Page[ProviderRead], responses=problem_responses(401, 403, 422))
def list_providers(
    session: SessionDep,
    principal: ViewCalendar,
    active: QueryBool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> Page[ProviderRead]:
    items, total = service.list_providers(
        session, principal, active=active, limit=limit, offset=offset
    )
    return Page(
        items=[ProviderRead.model_validate(p) for p in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "",
    response_model=ProviderRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 422),
)
def create_provider(
    body: ProviderCreate, session: SessionDep, principal: Configure
) -> ProviderRead:
    return ProviderRead.model_validate(service.create_provider(session, principal, body))


@router.get(
    "/{provider_id}", response_model=ProviderRead, responses=problem_responses(401, 403, 404)
)
def get_provider(provider_id: str, session: SessionDep, principal: ViewCalendar) -> ProviderRead:
    return ProviderRead.model_validate(service.get_provider(session, principal, provider_id))


@router.put(
    "/{provider_id}", response_model=ProviderRead, responses=problem_responses(401, 403, 404, 422)
)
def update_provider(
    provider_id: str, body: ProviderUpdate, session: SessionDep, principal: Configure
) -> ProviderRead:
    provider = service.get_provider(session, principal, provider_id)
    return ProviderRead.model_validate(service.update_provider(session, provider, body))


@router.delete(
    "/{provider_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_provider(provider_id: str, session: SessionDep, principal: Configure) -> None:
    service.delete_provider(session, service.get_provider(session, principal, provider_id))
