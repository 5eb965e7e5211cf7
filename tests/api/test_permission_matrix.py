"""Every role against every endpoint, generated from the app's own route table.

Each route declares its permission once (a `require_<permission>` dependency). A role without
it must get 403 before anything else happens; a role with it must get past authorization
(any status but 401/403). A route that declares no permission must be on the public list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.auth.permissions import Permission, permissions_for
from api.main import create_app
from tests.conftest import ClinicWorld

PUBLIC = {
    ("POST", "/api/auth/token"),
    ("GET", "/api/auth/me"),
    # The booking widget's entry points: a clinic's public page and the guest session, plus
    # the invitation link (its single-use token is the credential).
    ("GET", "/api/patient-portal/clinics/{clinic_id}"),
    ("POST", "/api/patient-portal/guest-session"),
    ("POST", "/api/patient-portal/accept-invite"),
    # A new patient's emailed confirmation link: the signed token is the credential.
    ("POST", "/api/patient-portal/new-patient-bookings/confirm"),
    # A waitlist offer's emailed link: the signed token names the one recipient it can book.
    ("GET", "/api/patient-portal/waitlist-offer"),
    ("POST", "/api/patient-portal/waitlist-offer/accept"),
    ("POST", "/api/patient-portal/waitlist-offer/decline"),
    # Machine clients: the token endpoint authenticates the client itself (its id and secret
    # are the credential), and SMART's discovery document is public by definition.
    ("POST", "/fhir/auth/token"),
    ("GET", "/fhir/.well-known/smart-configuration"),
}
ROLES = ("admin", "frontdesk", "provider", "patient")


def _permissions(dependant: Dependant) -> Iterator[str]:
    name = getattr(dependant.call, "__name__", "")
    if name.startswith("require_"):
        yield name.removeprefix("require_").replace("_", ":", 1)
    for sub in dependant.dependencies:
        yield from _permissions(sub)


def route_table(app: FastAPI) -> list[tuple[str, str, str | None]]:
    rows = []
    # iter_route_contexts walks included routers: on this FastAPI version `app.routes` holds
    # them unexpanded, and a plain loop over it would find no API route at all.
    for rc in iter_route_contexts(app.routes):
        route = rc.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        perms = set(_permissions(rc.dependant))
        assert len(perms) <= 1, f"{rc.path} declares several permissions: {perms}"
        for method in sorted((rc.methods or set()) - {"HEAD", "OPTIONS"}):
            rows.append((method, str(rc.path), perms.pop() if perms else None))
            perms = set(_permissions(rc.dependant))
    assert rows, "the route table walk found no routes"
    return rows


ROUTES = route_table(create_app())


def test_every_route_declares_a_permission_or_is_public() -> None:
    undeclared = [(m, p) for m, p, perm in ROUTES if perm is None and (m, p) not in PUBLIC]
    assert undeclared == []
    assert {perm for *_, perm in ROUTES if perm} <= {p.value for p in Permission}


@pytest.mark.parametrize("role", ROLES)
def test_role_against_every_endpoint(client: TestClient, world: ClinicWorld, role: str) -> None:
    granted = {p.value for p in permissions_for(role)}
    failures = []
    for method, path, permission in ROUTES:
        if permission is None:
            continue
        url = re.sub(r"\{[^}]+\}", "0" * 32, path)
        resp = client.request(method, url, headers=world.headers(role), json={})
        allowed = permission in granted
        if allowed and resp.status_code in (401, 403):
            failures.append(f"{role} {method} {path}: {resp.status_code}, expected access")
        if not allowed and resp.status_code != 403:
            failures.append(f"{role} {method} {path}: {resp.status_code}, expected 403")
    assert failures == []


def test_no_token_is_401_everywhere(client: TestClient) -> None:
    for method, path, permission in ROUTES:
        if permission is None:
            continue
        url = re.sub(r"\{[^}]+\}", "0" * 32, path)
        assert client.request(method, url, json={}).status_code == 401, (method, path)


def test_only_an_admin_manages_machine_clients() -> None:
    holders = [role for role in ROLES if Permission.MANAGE_CLIENTS in permissions_for(role)]
    assert holders == ["admin"]
    routes = {(m, p) for m, p, perm in ROUTES if perm == Permission.MANAGE_CLIENTS}
    assert ("POST", "/api/clients") in routes
    assert ("POST", "/api/clients/{client_id}/revoke") in routes


def test_only_a_platform_operator_opens_clinics(
    client: TestClient, world: ClinicWorld, db: Session
) -> None:
    platform_only = [(m, p) for m, p, perm in ROUTES if perm == Permission.OPEN_CLINIC]
    assert platform_only == [("POST", "/api/clinics")]
    assert all(Permission.OPEN_CLINIC not in permissions_for(role) for role in ROLES)
    user = world.users["admin"]
    user.platform_operator = True
    db.merge(user)
    db.commit()
    # Past authorization: the empty body is a 422, not a 403.
    resp = client.post("/api/clinics", headers=world.headers("admin"), json={})
    assert resp.status_code == 422
