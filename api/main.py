"""Assembles the application: settings, database, error handlers and one router per resource."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.appointment_types.router import router as appointment_types_router
from api.assistants.router import router as assistants_router
from api.auth.clients.router import router as clients_router
from api.auth.clients.token_router import router as client_token_router
from api.auth.router import router as auth_router
from api.booking.router import router as booking_router
from api.chairs.router import router as chairs_router
from api.clinics.router import router as clinics_router
from api.config import Settings, get_settings
from api.core import access_log, idempotency, metrics
from api.core import cache as availability_cache
from api.core.body_limit import BodyLimitMiddleware
from api.core.observe import NoteRoute, ObserveRequests
from api.core.request_id import request_id_middleware
from api.core.retry import RetryMiddleware
from api.core.security_headers import SecurityHeadersMiddleware
from api.db import Database
from api.errors import install_handlers
from api.events import router as events
from api.fhir import errors as fhir_errors
from api.fhir.router import router as fhir_router
from api.notifications import dispatcher as notifications
from api.patients.router import router as patients_router
from api.portal import web as portal_web
from api.portal.cors import portal_cors_middleware
from api.portal.router import router as portal_router
from api.portal.staff_router import patients_router as portal_invite_router
from api.portal.staff_router import router as portal_staff_router
from api.providers.router import router as providers_router
from api.rooms.router import router as rooms_router
from api.schedule.router import router as schedule_router
from api.schedule_templates.router import router as schedule_templates_router
from api.treatment_plans.router import router as treatment_plans_router
from api.users.router import router as users_router
from api.waitlist.portal_router import router as waitlist_portal_router
from api.waitlist.router import router as waitlist_router

ROUTERS = (
    booking_router,
    auth_router,
    clinics_router,
    chairs_router,
    assistants_router,
    providers_router,
    rooms_router,
    patients_router,
    treatment_plans_router,
    appointment_types_router,
    schedule_templates_router,
    schedule_router,
    portal_router,
    portal_staff_router,
    portal_invite_router,
    portal_web.router,
    events.router,
    users_router,
    clients_router,
    client_token_router,
    fhir_router,
    waitlist_router,
    waitlist_portal_router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.idempotency_sweeper.start()
        yield
        app.state.idempotency_sweeper.stop()
        app.state.mail.stop()
        app.state.db.dispose()

    app = FastAPI(
        title="Slotwise",
        version="0.1.0",
        description="Clinic appointment booking with CP-SAT slot finding.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = Database(settings.database_url, echo=settings.sql_echo)
    # Availability answers shared through Redis when configured (docs/performance.md).
    availability_cache.configure(
        app.state.db.engine.pool, settings.database_url, settings.redis_url
    )
    metrics.instrument_engine(app.state.db.engine)
    app.state.idempotency_sweeper = idempotency.Sweeper(app.state.db)
    settings.signing_secret()  # create the persisted secret now, not inside a request
    install_handlers(app)
    fhir_errors.install(app)  # under /fhir the same errors, as OperationOutcome
    access_log.install()  # before serving: no token in a query string reaches the logs
    events.install(app)
    notifications.install(app)
    app.add_middleware(NoteRoute)  # innermost: next to the router (api/core/observe.py)
    app.middleware("http")(request_id_middleware)
    # The booking widget's CORS: per-clinic website origins, read at run time.
    app.middleware("http")(portal_cors_middleware)
    # Outermost last: the size limit runs first, then serialization failures are retried.
    app.add_middleware(RetryMiddleware)
    app.add_middleware(BodyLimitMiddleware, timeout_seconds=settings.body_timeout_seconds)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match"],
            expose_headers=["ETag", "Retry-After"],
        )
    # Outermost of all, so every response carries them: a 413, a CORS answer, an error.
    app.add_middleware(SecurityHeadersMiddleware)
    # Around all of the above, so every answer is timed, counted and logged once.
    app.add_middleware(ObserveRequests)
    if settings.trusted_proxies:
        # Before anything reads the client's address: forwarded headers are believed only when
        # the peer is one of these proxies, and then only the addresses the proxies appended.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", tags=["ops"], include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if settings.metrics_route:
        # Off unless SLOTWISE_METRICS=on: the counts say how busy each clinic's routes are.
        @app.get("/metrics", tags=["ops"], include_in_schema=False)
        def prometheus_metrics() -> Response:
            body, content_type = metrics.exposition()
            return Response(body, media_type=content_type)

    return app


def app_factory() -> FastAPI:
    logging.basicConfig(level=logging.INFO)
    return create_app()
