"""The calendar's live channel (`WS /api/booking/events`) and the calendar page with its assets.

Protocol (JSON text frames). The client authenticates with `?token=<JWT>` or, to keep the
token out of URLs and logs, with a first message `{"type": "auth", "token": "..."}`. The server
answers `{"type": "ready"}` once this connection receives its clinic's events, then sends
`{"type": "appointment", "action": "created|changed|cancelled", "appointment": {...}}` for
every committed change, and answers each `{"type": "probe", "seq": n, ...}` with
`{"type": "probe", "seq": n, "ok": bool, "conflicts": [...]}`. Close codes: 4401 not signed in,
token expired or account deactivated, 4403 no calendar permission or role changed, 4408 fell
behind (reconnect and reload). A deactivation or role change closes the user's connections on
every worker within a second: it is published on the same bus as appointment changes (and
each connection re-reads its user every RECHECK_SECONDS in case a message was lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth.deps import Principal
from api.auth.permissions import Permission, permissions_for
from api.auth.tokens import decode_token
from api.config import Settings
from api.db import Database
from api.events import outbox, probe
from api.events.bus import LocalBus, Subscription, make_bus
from api.models import User

router = APIRouter()

WEB = Path(__file__).resolve().parent.parent.parent / "web"
PAGE_DIR = WEB / "calendar"
VENDOR_DIR = WEB / "node_modules" / "@event-calendar" / "build" / "dist"
VENDOR_FILES = frozenset({"event-calendar.min.js", "event-calendar.min.css"})
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
}
AUTH_TIMEOUT_SECONDS = 10
# Each open connection re-reads its user at least this often, besides on every access message.
RECHECK_SECONDS = 60.0


class AuthFailed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def install(app: FastAPI) -> None:
    """One bus per app; appointment commits on the app's sessions publish to it."""
    settings: Settings = app.state.settings
    bus = make_bus(settings.redis_url)
    app.state.event_bus = bus
    db: Database = app.state.db
    outbox.install([db.read, db.write], bus)


def authenticate(app: FastAPI, token: str) -> tuple[Principal, float]:
    """The same checks as the HTTP routes; returns the principal and the token's expiry."""
    settings: Settings = app.state.settings
    try:
        claims = decode_token(settings, token)
        expires = float(jwt.decode(token, options={"verify_signature": False})["exp"])
    except jwt.ExpiredSignatureError as exc:
        raise AuthFailed(4401, "Your session has expired; sign in again.") from exc
    except jwt.InvalidTokenError as exc:
        raise AuthFailed(4401, "The access token is not valid; sign in again.") from exc
    db: Database = app.state.db
    with db.read() as session:
        user = session.get(User, claims.user_id)
    if user is None or not user.active or user.clinic_id != claims.clinic_id:
        raise AuthFailed(4401, "This account is no longer active; sign in again.")
    principal = Principal(
        user_id=user.id,
        clinic_id=user.clinic_id,
        role=user.role,
        permissions=permissions_for(user.role),
        patient_id=user.patient_id,
        provider_id=user.provider_id,
    )
    if not principal.can(Permission.VIEW_CALENDAR):
        raise AuthFailed(4403, f"Your role ({user.role}) lacks 'booking:view_calendar'.")
    return principal, expires


def run_probe(app: FastAPI, principal: Principal, message: dict[str, Any]) -> dict[str, Any]:
    db: Database = app.state.db
    started = time.perf_counter()
    with db.read() as session:
        reply = probe.answer(session, principal, message)
    reply["serverMs"] = round((time.perf_counter() - started) * 1000, 2)
    return reply


async def _first_token(ws: WebSocket) -> str:
    try:
        raw = await asyncio.wait_for(ws.receive_text(), AUTH_TIMEOUT_SECONDS)
        message = json.loads(raw)
    except (TimeoutError, ValueError) as exc:
        raise AuthFailed(4401, 'Send {"type": "auth", "token": "<access token>"} first.') from exc
    if not isinstance(message, dict) or message.get("type") != "auth" or not message.get("token"):
        raise AuthFailed(4401, 'Send {"type": "auth", "token": "<access token>"} first.')
    return str(message["token"])


@router.websocket("/api/booking/events")
async def calendar_events(ws: WebSocket) -> None:
    app: FastAPI = ws.app
    bus: LocalBus = app.state.event_bus
    await ws.accept()
    try:
        token = ws.query_params.get("token") or await _first_token(ws)
        principal, expires = await run_in_threadpool(authenticate, app, token)
    except AuthFailed as exc:
        await ws.close(code=exc.code, reason=exc.reason)
        return
    except WebSocketDisconnect:
        return
    sub = await bus.subscribe(principal.clinic_id)
    try:
        await ws.send_json(
            {"type": "ready", "clinicId": principal.clinic_id, "userId": principal.user_id}
        )
        reader = asyncio.create_task(_read(ws, app, principal, sub))
        writer = asyncio.create_task(_write(ws, app, token, principal, sub, expires))
        done, pending = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for task in done:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                task.result()
    finally:
        await bus.unsubscribe(sub)


async def _read(ws: WebSocket, app: FastAPI, principal: Principal, sub: Subscription) -> None:
    """Probes are answered in order, off the event loop; replies share the one writer."""
    while True:
        raw = await ws.receive_text()
        try:
            message = json.loads(raw)
        except ValueError:
            await sub.queue.put({"type": "error", "error": "Frames must be JSON objects."})
            continue
        if not isinstance(message, dict):
            continue
        kind = message.get("type")
        if kind == "probe":
            reply = await run_in_threadpool(run_probe, app, principal, message)
            await sub.queue.put(reply)
        elif kind == "ping":
            await sub.queue.put({"type": "pong", "seq": message.get("seq")})


def recheck(app: FastAPI, token: str, principal: Principal) -> AuthFailed | None:
    """Why this connection must end now that its user's access changed, or None.

    The token is still valid; the user row is what changed. Deactivated (or moved to another
    clinic): 4401. Another role, or another provider or patient to act for: 4403, since what
    the connection was allowed to see was decided for the old role; signing in again gives
    the calendar the new one.
    """
    try:
        now, _ = authenticate(app, token)
    except AuthFailed as exc:
        return exc
    if (now.role, now.provider_id, now.patient_id) != (
        principal.role,
        principal.provider_id,
        principal.patient_id,
    ):
        return AuthFailed(4403, f"Your role changed to {now.role}; sign in again.")
    return None


async def _write(
    ws: WebSocket,
    app: FastAPI,
    token: str,
    principal: Principal,
    sub: Subscription,
    expires: float,
) -> None:
    checked = time.monotonic()
    while True:
        remaining = expires - datetime.now(UTC).timestamp()
        if remaining <= 0:
            await ws.close(code=4401, reason="Your session has expired; sign in again.")
            return
        if time.monotonic() - checked >= RECHECK_SECONDS:
            # The bus announces every change to a user's access, but a message can be lost
            # (Redis down at that moment) or a change made outside the app's sessions: look
            # again now and then, whatever the bus said.
            ended = await run_in_threadpool(recheck, app, token, principal)
            if ended is not None:
                await ws.close(code=ended.code, reason=ended.reason)
                return
            checked = time.monotonic()
        try:
            message = await asyncio.wait_for(
                sub.queue.get(), timeout=min(remaining, RECHECK_SECONDS)
            )
        except TimeoutError:
            continue
        if sub.overflowed:
            await ws.close(code=4408, reason="Too many changes at once; reload the calendar.")
            return
        if message.get("type") == "access":
            # Queued in commit order: nothing published after the change reaches this socket
            # before the check below has run.
            if message.get("userId") != principal.user_id:
                continue
            ended = await run_in_threadpool(recheck, app, token, principal)
            if ended is not None:
                await ws.close(code=ended.code, reason=ended.reason)
                return
            continue
        await ws.send_json(message)


# --------------------------------------------------------------------------- the page


def _file(path: Path) -> Response:
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "no-cache"},
    )


def _not_found(detail: str) -> Response:
    problem = {"type": "about:blank", "title": "Not found", "status": 404, "detail": detail}
    body = json.dumps(problem)
    return Response(body, status_code=404, media_type="application/problem+json")


@router.get("/calendar", include_in_schema=False)
def calendar_page() -> Response:
    return _file(PAGE_DIR / "index.html")


@router.get("/calendar/assets/{name}", include_in_schema=False)
def calendar_asset(name: str) -> Response:
    path = (PAGE_DIR / name).resolve()
    # Only files directly in web/calendar: no path tricks reach the rest of the disk.
    if path.parent != PAGE_DIR or not path.is_file() or path.suffix not in MEDIA_TYPES:
        return _not_found(f"No calendar asset named '{name}'.")
    return _file(path)


@router.get("/calendar/vendor/{name}", include_in_schema=False)
def calendar_vendor(name: str) -> Response:
    if name not in VENDOR_FILES:
        return _not_found(f"No vendored file named '{name}'.")
    path = VENDOR_DIR / name
    if not path.is_file():
        return _not_found(
            f"{name} is not installed; run `npm ci --prefix web` (make does this for you)."
        )
    return _file(path)
