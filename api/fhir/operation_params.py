"""An operation's inputs: a `Parameters` body (POST) or the query string (GET)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.errors import InvalidInput

Resource = dict[str, Any]


class Inputs:
    """name → values; a parameter's value is its value[x], or its resource."""

    def __init__(self, values: dict[str, list[Any]]) -> None:
        self.values = values

    @classmethod
    def from_body(cls, body: Any) -> Inputs:
        if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
            raise InvalidInput(
                "body", "Send a FHIR Parameters resource (resourceType 'Parameters')."
            )
        values: dict[str, list[Any]] = {}
        for param in body.get("parameter") or []:
            if not isinstance(param, dict) or not isinstance(param.get("name"), str):
                raise InvalidInput("parameter", "Every parameter needs a name.")
            value = param.get("resource")
            if value is None:
                value = next((v for k, v in param.items() if k.startswith("value")), None)
            values.setdefault(param["name"], []).append(value)
        return cls(values)

    @classmethod
    def from_query(cls, request: Request) -> Inputs:
        values: dict[str, list[Any]] = {}
        for name, value in request.query_params.multi_items():
            values.setdefault(name, []).append(value)
        return cls(values)

    def one(self, name: str) -> Any:
        found = self.values.get(name) or []
        if len(found) > 1:
            raise InvalidInput(name, f"Give '{name}' once.")
        return found[0] if found else None

    def text(self, name: str) -> str | None:
        value = self.one(name)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(name, f"'{name}' must be a string.")
        return value

    def reference(self, name: str) -> str | None:
        """A Reference value's `reference`, or a plain string (GET)."""
        value = self.one(name)
        if isinstance(value, dict):
            value = value.get("reference")
        if value is not None and not isinstance(value, str):
            raise InvalidInput(name, f"'{name}' must be a reference such as 'Patient/123'.")
        return value

    def resource(self, name: str, resource_type: str) -> Resource | None:
        value = self.one(name)
        if value is not None and (
            not isinstance(value, dict) or value.get("resourceType") != resource_type
        ):
            raise InvalidInput(name, f"'{name}' must be a {resource_type} resource.")
        return value
