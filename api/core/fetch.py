"""Fetch-or-404 dependencies for the rows a route names by id in its path.

    ChairById = Annotated[Chair, by_id(service.get_chair, "chair_id")]

The route then takes `chair: ChairById` after its permission (`_: Configure`): FastAPI solves
dependencies in the order they are declared, so a caller without the permission gets 403 and
only then does an id outside the caller's clinic get the resource's own 404. The fetch runs
before the body is read, so an unknown id is a 404 even when the body is also wrong.

No `from __future__ import annotations` in this module on purpose: FastAPI reads the
dependency's parameter types at run time, and the path parameter's name is only known when
`by_id` is called.
"""

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path
from sqlalchemy.orm import Session

from api.auth.deps import CurrentUser, Principal
from api.db import SessionDep

M = TypeVar("M")


def by_id(fetch: Callable[[Session, Principal, str], M], path_param: str) -> Any:
    """`Depends` on `fetch(session, principal, <the path parameter>)`, the resource's own
    clinic-scoped get that raises its 404."""

    def dependency(
        obj_id: Annotated[str, Path(alias=path_param)],
        session: SessionDep,
        principal: CurrentUser,
    ) -> M:
        return fetch(session, principal, obj_id)

    dependency.__name__ = f"{path_param.removesuffix('_id')}_by_id"
    return Depends(dependency)
