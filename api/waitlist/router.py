"""Staff waitlist endpoints (docs/waitlist.md): entries, matches for freed time, direct booking,
offers. Every route needs booking:create_appointment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse

from api.auth.deps import CreateAppointment, Principal, SettingsDep
from api.booking import checks
from api.booking import service as booking_service
from api.booking.schemas import AuditRead
from api.core import clock
from api.core.fetch import by_id
from api.core.idempotency import IdempotencyKey, respond_once
from api.core.paging import Paging
from api.db import SessionDep, WriteSessionDep
from api.errors import problem_responses
from api.models import OfferStatus, WaitlistEntry, WaitlistOffer, WaitlistStatus
from api.schemas import IsoDateTime, Page
from api.waitlist import entries, flows, matching, offers, repository
from api.waitlist.schemas import (
    GapQuery,
    MatchesRead,
    OfferCreate,
    OfferRead,
    WaitlistBook,
    WaitlistBooked,
    WaitlistEntryCreate,
    WaitlistEntryRead,
    WaitlistEntryUpdate,
)

router = APIRouter(prefix="/api/booking/waitlist", tags=["waitlist"])

# Declared after the route's permission, so 401/403 come before another clinic's 404.
EntryById = Annotated[WaitlistEntry, by_id(entries.get_entry, "entry_id")]
OfferById = Annotated[WaitlistOffer, by_id(offers.get_offer, "offer_id")]


def _ctx(session: SessionDep, principal: Principal, request: Request) -> checks.Context:
    return checks.Context(session, principal, getattr(request.state, "request_id", None))


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _clinic(session: SessionDep, principal: Principal) -> Any:
    return checks.caller_clinic(session, principal)


# --------------------------------------------------------------------------- matches and offers
# (before /{entry_id}, whose path would otherwise take "matches" and "offers" as an id)


@router.get("/matches", response_model=MatchesRead, responses=problem_responses(401, 403, 422))
def get_matches(
    session: SessionDep,
    principal: CreateAppointment,
    settings: SettingsDep,
    appointment_id: Annotated[str | None, Query(alias="appointmentId")] = None,
    chair_id: Annotated[str | None, Query(alias="chairId")] = None,
    provider_id: Annotated[str | None, Query(alias="providerId")] = None,
    start: Annotated[IsoDateTime | None, Query()] = None,
    end: Annotated[IsoDateTime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> MatchesRead:
    """Waiting entries that fit freed time, best first, each with its slot and reasons."""
    query = GapQuery(
        appointment_id=appointment_id,
        chair_id=chair_id,
        provider_id=provider_id,
        start=start,
        end=end,
    )
    return matching.matches(
        session, _clinic(session, principal), query, limit, settings.solver_time_limit_seconds
    )


@router.post(
    "/offers",
    status_code=status.HTTP_201_CREATED,
    response_model=OfferRead,
    responses=problem_responses(401, 403, 409, 422),
)
def create_offer(
    body: OfferCreate,
    session: SessionDep,
    principal: CreateAppointment,
    settings: SettingsDep,
    request: Request,
) -> OfferRead:
    """Offer the freed time to the top entries at once; each gets a signed link by mail."""
    offer = offers.create(_ctx(session, principal, request), settings, body)
    return offers.to_read(session, _clinic(session, principal), offer)


@router.get("/offers", response_model=Page[OfferRead], responses=problem_responses(401, 403, 422))
def list_offers(
    session: SessionDep,
    principal: CreateAppointment,
    window: Paging,
    status_: Annotated[list[OfferStatus] | None, Query(alias="status")] = None,
) -> Page[OfferRead]:
    clinic = _clinic(session, principal)
    rows = repository.offers(session, clinic.id)
    reads = [offers.to_read(session, clinic, o) for o in rows]
    if status_:
        reads = [r for r in reads if r.status in status_]
    return Page(
        items=reads[window.offset : window.offset + window.limit],
        total=len(reads),
        limit=window.limit,
        offset=window.offset,
    )


@router.get(
    "/offers/{offer_id}", response_model=OfferRead, responses=problem_responses(401, 403, 404)
)
def get_offer(
    offer_id: str, session: WriteSessionDep, principal: CreateAppointment, request: Request
) -> OfferRead:
    """One offer; an open offer past its time is closed as expired now (and audited)."""
    # Fetched in this route's write session, not by OfferById: the alias reads through the
    # request's read session, and a change made to its row would be that session's to write.
    offer = offers.get_offer(session, principal, offer_id)
    offers.settle(session, offer, clock.now(), principal.user_id, _request_id(request))
    return offers.to_read(session, _clinic(session, principal), offer)


@router.delete(
    "/offers/{offer_id}", response_model=OfferRead, responses=problem_responses(401, 403, 404, 409)
)
def withdraw_offer(
    session: SessionDep, principal: CreateAppointment, offer: OfferById, request: Request
) -> OfferRead:
    """Withdraw an open offer: its held time is free again and its entries wait again."""
    done = offers.withdraw(_ctx(session, principal, request), offer)
    return offers.to_read(session, _clinic(session, principal), done)


# --------------------------------------------------------------------------- entries


@router.get("", response_model=Page[WaitlistEntryRead], responses=problem_responses(401, 403, 422))
def list_entries(
    session: SessionDep,
    principal: CreateAppointment,
    window: Paging,
    status_: Annotated[list[WaitlistStatus] | None, Query(alias="status")] = None,
    appointment_type_id: Annotated[str | None, Query(alias="appointmentTypeId")] = None,
    patient_id: Annotated[str | None, Query(alias="patientId")] = None,
) -> Page[WaitlistEntryRead]:
    """Entries oldest first, filtered by their status as it is now."""
    items, total = entries.page(
        session,
        _clinic(session, principal),
        statuses=status_ or [],
        appointment_type_id=appointment_type_id,
        patient_id=patient_id,
        limit=window.limit,
        offset=window.offset,
    )
    return Page(items=items, total=total, limit=window.limit, offset=window.offset)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WaitlistEntryRead,
    responses=problem_responses(401, 403, 409, 422),
)
def create_entry(
    body: WaitlistEntryCreate, session: SessionDep, principal: CreateAppointment, request: Request
) -> WaitlistEntryRead:
    entry = entries.create(_ctx(session, principal, request), body)
    return entries.read_one(session, _clinic(session, principal), entry)


@router.get(
    "/{entry_id}", response_model=WaitlistEntryRead, responses=problem_responses(401, 403, 404)
)
def get_entry(
    session: SessionDep, principal: CreateAppointment, entry: EntryById
) -> WaitlistEntryRead:
    return entries.read_one(session, _clinic(session, principal), entry)


@router.put(
    "/{entry_id}",
    response_model=WaitlistEntryRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_entry(
    body: WaitlistEntryUpdate,
    session: SessionDep,
    principal: CreateAppointment,
    entry: EntryById,
    request: Request,
) -> WaitlistEntryRead:
    entries.update(_ctx(session, principal, request), entry, body)
    return entries.read_one(session, _clinic(session, principal), entry)


@router.delete(
    "/{entry_id}", response_model=WaitlistEntryRead, responses=problem_responses(401, 403, 404, 409)
)
def withdraw_entry(
    session: SessionDep, principal: CreateAppointment, entry: EntryById, request: Request
) -> WaitlistEntryRead:
    """Take the entry off the list (status withdrawn); an open offer to it is declined for it."""
    flows.withdraw_entry(_ctx(session, principal, request), entry)
    return entries.read_one(session, _clinic(session, principal), entry)


@router.get(
    "/{entry_id}/audit", response_model=list[AuditRead], responses=problem_responses(401, 403, 404)
)
def entry_audit(
    session: SessionDep, principal: CreateAppointment, entry: EntryById
) -> list[AuditRead]:
    return booking_service.audit_trail(session, principal.clinic_id, entry.id)


@router.post(
    "/{entry_id}/book",
    status_code=status.HTTP_201_CREATED,
    response_model=WaitlistBooked,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def book_entry(
    body: WaitlistBook,
    session: SessionDep,
    principal: CreateAppointment,
    settings: SettingsDep,
    entry: EntryById,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Book the entry at the slot given (source WAITLIST); its later booking is cancelled in
    the same transaction; conflicts are the booking API's 409."""
    ctx = _ctx(session, principal, request)

    def run() -> tuple[int, Any, dict[str, str]]:
        done = flows.book_directly(ctx, settings, entry, body)
        clinic = _clinic(session, principal)
        return (
            201,
            WaitlistBooked(
                entry=entries.read_one(session, clinic, entry),
                appointments=[booking_service.to_read(a) for a in done.appointments],
                cancelled_appointment_ids=done.cancelled_ids,
            ),
            {},
        )

    return respond_once(
        ctx.session,
        ctx.principal.user_id,
        request,
        idempotency_key,
        body.model_dump(mode="json"),
        run,
    )
