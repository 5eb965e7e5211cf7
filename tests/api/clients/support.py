"""Creating machine clients and asking for their tokens, as an admin and a partner would."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote_plus

from fastapi.testclient import TestClient

from tests.conftest import ClinicWorld

TOKEN_URL = "/fhir/auth/token"


def create_client(
    client: TestClient,
    world: ClinicWorld,
    scopes: list[str],
    name: str = "Practice website",
) -> dict[str, Any]:
    resp = client.post(
        "/api/clients", headers=world.headers("admin"), json={"name": name, "scopes": scopes}
    )
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def request_token(client: TestClient, created: dict[str, Any], scope: str | None = None) -> Any:
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    return client.post(TOKEN_URL, data=form, headers=basic(created["id"], created["clientSecret"]))
