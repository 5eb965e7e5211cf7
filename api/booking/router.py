"""The seed's staff booking endpoints, exactly as its API table names them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from api.auth.deps import (
    CancelAppointment,
    CreateAppointment,
    ModifyAppointment,
    Principal,
    SettingsDep,
    ViewCalendar,
)
from api.booking import availability, cached_availability, checks, repository, service
from api.booking.cancel import cancel
from api.booking.create import create
from api.booking.duplicate import duplicate
from api.booking.reschedule import reschedule
from api.booking.schemas import (
    AppointmentCreate,
    AppointmentDetail,
    AppointmentRead,
    AppointmentUpdate,
    AuditRead,
    AvailabilityRead,
    DuplicateRequest,
    NamedRef,
    ProcedureRef,
    RescheduleRequest,
    RoomRef,
    TypeRef,
    VisitRead,
)
from api.booking.update import update
from api.core import clock
from api.core.fetch import by_id
from api.core.idempotency import IdempotencyKey, respond_once
from api.db import SessionDep
from api.errors import InvalidInput, problem_responses
from api.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
)
from api.schemas import BIGINT_MAX, IsoDateTime, MultilineText, Page, QueryBool

router = APIRouter(prefix="/api/booking", tags=["booking"])

IfMatch = Annotated[str | None, Header(alias="If-Match", description="The appointment's ETag.")]
# Declared after the route's permission, so 401/403 come before another clinic's 404.
AppointmentById = Annotated[Appointment, by_id(service.get_appointment, "appointment_id")]
# The same, and a provider may change only their own appointments (403).
OwnAppointmentById = Annotated[Appointment, by_id(service.get_for_update, "appointment_id")]


def _ctx(session: SessionDep, principal: Principal, request: Request) -> checks.Context:
    return checks.Context(session, principal, getattr(request.state, "request_id", None))


def _etag(appointment: Appointment) -> str:
    return f'"{appointment.version}"'


@router.get(
    "/appointments",
    response_model=Page[AppointmentRead],
    responses=problem_responses(401, 403, 422),
)
def list_appointments(
    session: SessionDep,
    principal: ViewCalendar,
    start: Annotated[IsoDateTime | None, Query(alias="from", description="Ends after this")] = None,
    end: Annotated[IsoDateTime | None, Query(alias="to", description="Starts before this")] = None,
    provider_id: Annotated[str | None, Query(alias="providerId")] = None,
    chair_id: Annotated[str | None, Query(alias="chairId")] = None,
    room_id: Annotated[str | None, Query(alias="roomId")] = None,
    patient_id: Annotated[str | None, Query(alias="patientId")] = None,
    appointment_type_id: Annotated[str | None, Query(alias="appointmentTypeId")] = None,
    visit_id: Annotated[str | None, Query(alias="visitId")] = None,
    assistant_id: Annotated[str | None, Query(alias="assistantId")] = None,
    status_: Annotated[list[AppointmentStatus] | None, Query(alias="status")] = None,
    source: Annotated[list[AppointmentSource] | None, Query()] = None,
    include_cancelled: Annotated[QueryBool, Query(alias="includeCancelled")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> Page[AppointmentRead]:
    wanted = repository.AppointmentFilter(
        start=start,
        end=end,
        provider_id=provider_id,
        chair_id=chair_id,
        room_id=room_id,
        patient_id=patient_id,
        appointment_type_id=appointment_type_id,
        visit_id=visit_id,
        assistant_id=assistant_id,
        statuses=status_ or (),
        sources=source or (),
        include_cancelled=include_cancelled,
    )
    rows, total = repository.page(session, principal, wanted, limit=limit, offset=offset)
    return Page(items=[service.to_read(a) for a in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/appointments/{appointment_id}",
    response_model=AppointmentDetail,
    responses=problem_responses(401, 403, 404),
)
def get_appointment(
    session: SessionDep, _: ViewCalendar, appt: AppointmentById, response: Response
) -> AppointmentDetail:
    response.headers["ETag"] = _etag(appt)
    return _detail(session, appt)


def _detail(session: SessionDep, appt: Appointment) -> AppointmentDetail:
    rel = repository.related(session, appt)
    chair, room, plan, patient = rel.chair, rel.room, rel.plan, rel.patient
    return AppointmentDetail(
        **service.to_read(appt).model_dump(by_alias=False),
        appointment_type=TypeRef.model_validate(rel.kind),
        patient=NamedRef(id=patient.id, name=f"{patient.first_name} {patient.last_name}"),
        provider=NamedRef(id=rel.provider.id, name=rel.provider.name),
        chair=NamedRef(id=chair.id, name=chair.name) if chair else None,
        room=RoomRef(id=room.id, name=room.name, kind=room.kind) if room else None,
        assistant=NamedRef(id=rel.assistant.id, name=rel.assistant.name) if rel.assistant else None,
        treatment_plan=NamedRef(id=plan.id, name=plan.name) if plan else None,
        procedures=[ProcedureRef.model_validate(p) for p in appt.procedures],
        visit_appointment_ids=rel.visit_appointment_ids,
    )


@router.post(
    "/appointments",
    status_code=status.HTTP_201_CREATED,
    response_model=AppointmentRead | VisitRead,
    responses=problem_responses(401, 403, 409, 422),
)
def create_appointment(
    body: AppointmentCreate,
    session: SessionDep,
    principal: CreateAppointment,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Book one appointment, or a visit (`parts`) whose appointments are booked all or none."""
    ctx = _ctx(session, principal, request)

    def run() -> tuple[int, Any, dict[str, str]]:
        rows = create(ctx, body)
        if body.parts is None:
            return (
                201,
                service.to_read(rows[0]),
                {"ETag": _etag(rows[0]), "Location": f"{request.url.path}/{rows[0].id}"},
            )
        visit = VisitRead(
            visit_id=rows[0].visit_id or "", appointments=[service.to_read(r) for r in rows]
        )
        return 201, visit, {}

    return respond_once(
        ctx.session,
        ctx.principal.user_id,
        request,
        idempotency_key,
        body.model_dump(mode="json"),
        run,
    )


@router.put(
    "/appointments/{appointment_id}",
    response_model=AppointmentRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
def update_appointment(
    body: AppointmentUpdate,
    session: SessionDep,
    principal: ModifyAppointment,
    appt: OwnAppointmentById,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> AppointmentRead:
    """Change resources, duration, notes or status. Needs If-Match; a stale version is 412."""
    update(_ctx(session, principal, request), appt, body, if_match)
    response.headers["ETag"] = _etag(appt)
    return service.to_read(appt)


@router.delete(
    "/appointments/{appointment_id}",
    response_model=AppointmentRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
def cancel_appointment(
    session: SessionDep,
    principal: CancelAppointment,
    appt: AppointmentById,
    request: Request,
    response: Response,
    reason: Annotated[str, Query(min_length=1, max_length=1000), MultilineText],
    waive_fee: Annotated[QueryBool, Query(alias="waiveFee")] = False,
    if_match: IfMatch = None,
) -> AppointmentRead:
    """Cancel with a reason. Inside the late-cancel window the record carries the clinic's fee."""
    cancel(_ctx(session, principal, request), appt, reason, if_match, waive_fee=waive_fee)
    response.headers["ETag"] = _etag(appt)
    return service.to_read(appt)


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response_model=AppointmentRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
def reschedule_appointment(
    body: RescheduleRequest,
    session: SessionDep,
    principal: ModifyAppointment,
    appt: OwnAppointmentById,
    request: Request,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Move to a new time and/or resources in one step; every rule is checked again."""
    ctx = _ctx(session, principal, request)

    def run() -> tuple[int, Any, dict[str, str]]:
        reschedule(ctx, appt, body, if_match)
        return 200, service.to_read(appt), {"ETag": _etag(appt)}

    return respond_once(
        ctx.session,
        ctx.principal.user_id,
        request,
        idempotency_key,
        body.model_dump(mode="json"),
        run,
    )


@router.post(
    "/appointments/{appointment_id}/duplicate",
    status_code=status.HTTP_201_CREATED,
    response_model=AppointmentRead,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def duplicate_appointment(
    body: DuplicateRequest,
    session: SessionDep,
    principal: CreateAppointment,
    source: AppointmentById,
    settings: SettingsDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Copy to `startTime`, or without one to the next best-fit time (same resources if free)."""
    ctx = _ctx(session, principal, request)

    def run() -> tuple[int, Any, dict[str, str]]:
        copy = duplicate(ctx, source, body, settings.solver_time_limit_seconds)
        return 201, service.to_read(copy), {"ETag": _etag(copy)}

    return respond_once(
        ctx.session,
        ctx.principal.user_id,
        request,
        idempotency_key,
        body.model_dump(mode="json"),
        run,
    )


@router.get(
    "/appointments/{appointment_id}/audit",
    response_model=list[AuditRead],
    responses=problem_responses(401, 403, 404),
)
def appointment_audit(
    session: SessionDep, principal: ViewCalendar, appt: AppointmentById
) -> list[AuditRead]:
    return service.audit_trail(session, principal.clinic_id, appt.id)


@router.get(
    "/availability",
    response_model=AvailabilityRead,
    responses=problem_responses(401, 403, 404, 422),
)
def get_availability(
    session: SessionDep,
    principal: ViewCalendar,
    settings: SettingsDep,
    appointment_type_id: Annotated[
        list[str] | None,
        Query(alias="appointmentTypeId", description="One type, or several in visit order"),
    ] = None,
    start: Annotated[IsoDateTime | None, Query(alias="from")] = None,
    end: Annotated[IsoDateTime | None, Query(alias="to")] = None,
    duration: Annotated[list[int] | None, Query(description="Minutes, one per type")] = None,
    provider_id: Annotated[str | None, Query(alias="providerId")] = None,
    chair_id: Annotated[str | None, Query(alias="chairId")] = None,
    room_id: Annotated[str | None, Query(alias="roomId")] = None,
    assistant_id: Annotated[str | None, Query(alias="assistantId")] = None,
    patient_id: Annotated[str | None, Query(alias="patientId")] = None,
    template_slot_id: Annotated[str | None, Query(alias="templateSlotId")] = None,
    mode: Literal["all", "best"] = "all",
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=5000,
            description="mode=all: at most this many starts; "
            "mode=best: this many suggestions (default 10, at most 50)",
        ),
    ] = None,
    preferred_start: Annotated[IsoDateTime | None, Query(alias="preferredStart")] = None,
    same_provider: Annotated[QueryBool, Query(alias="sameProvider")] = False,
    same_chair: Annotated[QueryBool, Query(alias="sameChair")] = False,
    min_gap: Annotated[int, Query(alias="minGap", ge=0, le=24 * 60)] = 0,
    max_gap: Annotated[int, Query(alias="maxGap", ge=0, le=24 * 60)] = 30,
) -> AvailabilityRead | Response:
    """Bookable starts (`mode=all`) or ranked best-fit suggestions (`mode=best`, top `limit`).

    Without `appointmentTypeId` but with `patientId`, this finds the patient's next planned
    procedure: `mode=best&limit=1` is quick booking from the patient record.
    """
    if mode == "best":
        limit = limit or 10
        if limit > 50:
            raise InvalidInput("limit", "Ask for at most 50 best-fit suggestions.")
    else:
        limit = limit or 5000
    if max_gap < min_gap:
        raise InvalidInput("maxGap", "maxGap must not be below minGap.")
    clinic = checks.caller_clinic(session, principal)
    req = availability.AvailabilityRequest(
        type_ids=appointment_type_id or [],
        window_start=start,
        window_end=end,
        durations=duration or [],
        provider_id=provider_id,
        chair_id=chair_id,
        room_id=room_id,
        assistant_id=assistant_id,
        patient_id=patient_id,
        template_slot_id=template_slot_id,
        mode=mode,
        limit=limit,
        preferred_start=preferred_start,
        same_provider=same_provider,
        same_chair=same_chair,
        min_gap_minutes=min_gap,
        max_gap_minutes=max_gap,
    )
    if mode == "all":
        # The body as plain JSON, from the availability cache when current
        # (api/booking/cached_availability.py): no pydantic object per start.
        body = cached_availability.find_all(
            session,
            clinic,
            req,
            clock.now(),
            time_limit=settings.solver_time_limit_seconds,
            over_guest_holds=True,
        )
        return Response(body, media_type="application/json")
    return availability.find(
        session,
        clinic,
        req,
        clock.now(),
        time_limit=settings.solver_time_limit_seconds,
        # Staff book over guests' holds, so the times those hold are free to them.
        over_guest_holds=True,
    )
