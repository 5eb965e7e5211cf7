"""Staff accounts (admin only): list them, deactivate one, change a role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.auth.deps import Configure
from api.core.fetch import by_id
from api.core.paging import Paging, page_of
from api.db import SessionDep
from api.errors import problem_responses
from api.models import User
from api.schemas import Page
from api.users import service
from api.users.schemas import UserRead, UserUpdate

router = APIRouter(prefix="/api/users", tags=["users"])


UserById = Annotated[User, by_id(service.get_user, "user_id")]


@router.get("", response_model=Page[UserRead], responses=problem_responses(401, 403, 422))
def list_users(
    session: SessionDep,
    principal: Configure,
    window: Paging,
) -> Page[UserRead]:
    return page_of(
        UserRead.model_validate, service.list_users(session, principal, window=window), window
    )


@router.get("/{user_id}", response_model=UserRead, responses=problem_responses(401, 403, 404))
def get_user(_: Configure, user: UserById) -> UserRead:
    return UserRead.model_validate(user)


@router.put(
    "/{user_id}", response_model=UserRead, responses=problem_responses(401, 403, 404, 409, 422)
)
def update_user(
    body: UserUpdate, session: SessionDep, principal: Configure, user: UserById
) -> UserRead:
    """Deactivate (`active: false`) or change the role of a staff account. Its open calendar
    connections close within seconds (4401 deactivated, 4403 role changed)."""
    return UserRead.model_validate(service.update_user(session, principal, user, body))
