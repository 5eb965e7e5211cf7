"""Errors under /fhir as OperationOutcome, with the same messages the JSON API gives.

The project's handlers (api/errors.py) decide status, message and headers once; for a /fhir
path the problem+json body they produce is restated as an OperationOutcome, so a rule's
wording never forks between the two APIs.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from api.fhir.caller import TOKEN_PATH
from api.fhir.responses import FhirResponse

ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    412: "conflict",
    413: "too-costly",
    422: "business-rule",
    428: "required",
    429: "throttled",
    503: "transient",
}

Handler = Callable[[Request, Exception], Awaitable[Response] | Response]


def operation_outcome(status: int, detail: str, problem: dict[str, Any]) -> dict[str, Any]:
    code = ISSUE_CODES.get(status, "exception" if status >= 500 else "processing")
    issues: list[dict[str, Any]] = []
    for item in problem.get("conflicts") or []:
        issues.append(
            {
                "severity": "error",
                "code": "conflict",
                "details": {"text": item.get("message", detail)},
                "diagnostics": item.get("code", ""),
            }
        )
    for item in problem.get("errors") or []:
        issue = {
            "severity": "error",
            "code": "invalid" if status == 422 and "violations" not in problem else code,
            "details": {"text": item.get("message", detail)},
        }
        if item.get("field"):
            issue["expression"] = [str(item["field"])]
        issues.append(issue)
    if not issues:
        issues.append({"severity": "error", "code": code, "details": {"text": detail}})
    return {
        "resourceType": "OperationOutcome",
        "text": {"status": "generated", "div": _div(detail)},
        "issue": issues,
    }


def _div(text: str) -> str:
    from html import escape

    return f'<div xmlns="http://www.w3.org/1999/xhtml">{escape(text)}</div>'


def _is_fhir(request: Request) -> bool:
    path = request.url.path
    return (path == "/fhir" or path.startswith("/fhir/")) and path != TOKEN_PATH


def _as_fhir(previous: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        result = previous(request, exc)
        response = await result if isinstance(result, Awaitable) else result
        if not _is_fhir(request) or not bytes(response.body or b"").startswith(b"{"):
            return response
        problem = json.loads(bytes(response.body))
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "content-type")
        }
        return FhirResponse(
            operation_outcome(response.status_code, str(problem.get("detail", "")), problem),
            status_code=response.status_code,
            headers=headers,
        )

    return handle


def install(app: FastAPI) -> None:
    """Wrap every handler api.errors installed; call after `install_handlers(app)`."""
    for exc_class, previous in list(app.exception_handlers.items()):
        app.exception_handlers[exc_class] = _as_fhir(previous)
