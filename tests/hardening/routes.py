"""The app's route table, flattened through included routers (FastAPI 0.165 keeps included
routers as `_IncludedRouter` entries, so `app.routes` alone lists none of the API routes)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts


def _permissions(dependant: Dependant) -> Iterator[str]:
    name = getattr(dependant.call, "__name__", "")
    if name.startswith("require_"):
        yield name.removeprefix("require_").replace("_", ":", 1)
    for sub in dependant.dependencies:
        yield from _permissions(sub)


def route_table(app: FastAPI) -> list[tuple[str, str, str | None]]:
    """(method, path, permission or None) for every documented API route."""
    rows = []
    for rc in iter_route_contexts(app.routes):
        route = rc.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        perms = set(_permissions(rc.dependant))
        for method in sorted((rc.methods or set()) - {"HEAD", "OPTIONS"}):
            rows.append((method, str(rc.path), next(iter(perms)) if perms else None))
    assert rows, "no routes found: the route table walk is broken"
    return rows
