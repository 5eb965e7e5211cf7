from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from api.auth.deps import Configure, ViewCalendar
from api.core.fetch import by_id
from api.core.paging import Paging, page_of
from api.db import SessionDep
from api.errors import problem_responses
from api.models import Provider
from api.providers import service
from api.providers.schemas import ProviderCreate, ProviderRead, ProviderUpdate
from api.schemas import Page, QueryBool

router = APIRouter(prefix="/api/providers", tags=["providers"])


ProviderById = Annotated[Provider, by_id(service.get_provider, "provider_id")]


@router.get("", response_model=Page[ProviderRead], responses=problem_responses(401, 403, 422))
def list_providers(
    session: SessionDep,
    principal: ViewCalendar,
    window: Paging,
    active: QueryBool | None = None,
) -> Page[ProviderRead]:
    found = service.list_providers(session, principal, active=active, window=window)
    return page_of(ProviderRead.model_validate, found, window)


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
def get_provider(_: ViewCalendar, provider: ProviderById) -> ProviderRead:
    return ProviderRead.model_validate(provider)


@router.put(
    "/{provider_id}", response_model=ProviderRead, responses=problem_responses(401, 403, 404, 422)
)
def update_provider(
    body: ProviderUpdate, session: SessionDep, _: Configure, provider: ProviderById
) -> ProviderRead:
    return ProviderRead.model_validate(service.update_provider(session, provider, body))


@router.delete(
    "/{provider_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_provider(session: SessionDep, _: Configure, provider: ProviderById) -> None:
    service.delete_provider(session, provider)
