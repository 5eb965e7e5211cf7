"""Staff accounts of the caller's clinic: list, read, deactivate, change role.

Every request re-reads the caller's role and `active` flag, so a change here takes effect on
the next HTTP request; open calendar connections hear of it through the event bus
(`api/events/outbox.py` announces every committed change to a user's access).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from api.auth.deps import Principal
from api.auth.permissions import Role
from api.core.crud import Resource
from api.core.paging import PageQuery
from api.errors import Conflict, InvalidInput, NotFound
from api.models import Provider, User
from api.users.schemas import UserUpdate


def _staff() -> ColumnElement[bool]:
    return User.role != Role.PATIENT.value


# Only the list: a staff account's get answers "staff account" and hides patients' accounts.
USERS = Resource(User, "staff account", order_by=(User.email,))


def list_users(
    session: Session, principal: Principal, *, window: PageQuery
) -> tuple[list[User], int]:
    return USERS.list(session, principal.clinic_id, window, [_staff()])


def get_user(session: Session, principal: Principal, user_id: str) -> User:
    user = session.get(User, user_id)
    # Another clinic's account and a patient's portal account answer exactly like missing ones.
    if user is None or user.clinic_id != principal.clinic_id or user.role == Role.PATIENT.value:
        raise NotFound(f"No staff account with id '{user_id}' in your clinic.")
    return user


def update_user(session: Session, principal: Principal, user: User, data: UserUpdate) -> User:
    changes = data.model_dump(by_alias=False, exclude_unset=True)
    if not changes:
        return user
    if user.id == principal.user_id:
        # An admin who demotes or deactivates themselves may leave the clinic with no admin.
        raise Conflict("You cannot change your own account; ask another admin.")
    role = changes.get("role", user.role)
    provider_id = changes.get("provider_id", user.provider_id if role == user.role else None)
    if role == Role.PROVIDER.value:
        if provider_id is None:
            raise InvalidInput("providerId", "A provider account acts for a provider; name one.")
        provider = session.get(Provider, provider_id)
        if provider is None or provider.clinic_id != principal.clinic_id:
            raise InvalidInput("providerId", f"No provider with id '{provider_id}' in your clinic.")
    elif changes.get("provider_id") is not None:
        raise InvalidInput("providerId", f"Only a provider account names a provider, not {role}.")
    else:
        provider_id = None
    user.role = role
    user.provider_id = provider_id
    if "active" in changes:
        user.active = changes["active"]
    session.flush()
    return user
