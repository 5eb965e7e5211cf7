"""The patient portal's waitlist endpoints, under the portal's prefix (docs/waitlist.md).

A router of its own rather than more routes in api/portal/router.py (near its 500-line limit):
the offer endpoints take the emailed link's token as their only credential, and joining or
leaving needs a signed-in patient, as the portal's own appointments do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from api.auth.deps import SettingsDep
from api.booking import checks
from api.core.ratelimit import Rule, per_ip
from api.db import SessionDep, WriteSessionDep
from api.errors import problem_responses
from api.portal.identity import PortalCaller, check_origin
from api.portal.offer import public_clinic
from api.portal.router import SignedInPatient
from api.waitlist import portal, responses
from api.waitlist.schemas import OfferToken, PortalJoin, PortalOfferRead, PortalWaitlistEntry

router = APIRouter(prefix="/api/patient-portal", tags=["patient portal"])

# The link is the credential: a guessing client gets a few tries a minute, a patient plenty.
OFFER_LINKS = Rule("waitlist-offer", 60, 900, "uses of waitlist offer links")


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


@router.get(
    "/waitlist-offer",
    response_model=PortalOfferRead,
    responses=problem_responses(422, 429),
    dependencies=[Depends(per_ip(OFFER_LINKS))],
)
def show_offer(
    session: WriteSessionDep,
    settings: SettingsDep,
    request: Request,
    token: Annotated[str, Query(max_length=2000)],
) -> PortalOfferRead:
    """What the emailed link offers: what, when, and whether it is still open."""
    return responses.show(session, settings, token, _request_id(request))


@router.post(
    "/waitlist-offer/accept",
    status_code=status.HTTP_201_CREATED,
    response_model=PortalOfferRead,
    responses={
        200: {"model": PortalOfferRead, "description": "Already yours: the same booking"},
        409: {"model": PortalOfferRead, "description": "Taken, declined, expired or withdrawn"},
        **problem_responses(422, 429),
    },
    dependencies=[Depends(per_ip(OFFER_LINKS))],
)
def accept_offer(
    body: OfferToken, session: SessionDep, settings: SettingsDep, request: Request
) -> JSONResponse:
    """Take the offered time. The first acceptance books it; accepting again returns the same
    booking; after someone else's, 409 with status `taken` (you stay on the waitlist)."""
    code, read = responses.accept(session, settings, body.token, _request_id(request))
    return JSONResponse(jsonable_encoder(read, by_alias=True), status_code=code)


@router.post(
    "/waitlist-offer/decline",
    response_model=PortalOfferRead,
    responses={409: {"model": PortalOfferRead}, **problem_responses(422, 429)},
    dependencies=[Depends(per_ip(OFFER_LINKS))],
)
def decline_offer(
    body: OfferToken, session: SessionDep, settings: SettingsDep, request: Request
) -> JSONResponse:
    code, read = responses.decline(session, settings, body.token, _request_id(request))
    return JSONResponse(jsonable_encoder(read, by_alias=True), status_code=code)


def _ctx(session: SessionDep, caller: PortalCaller, request: Request) -> checks.Context:
    check_origin(request, public_clinic(session, caller.clinic_id))
    return checks.Context(session, caller.principal, _request_id(request))


@router.post(
    "/waitlist",
    status_code=status.HTTP_201_CREATED,
    response_model=PortalWaitlistEntry,
    responses=problem_responses(401, 403, 409, 422),
)
def join_waitlist(
    body: PortalJoin, session: SessionDep, caller: SignedInPatient, request: Request
) -> PortalWaitlistEntry:
    """Tell me if an earlier time frees up for this booking of mine."""
    return portal.join(_ctx(session, caller, request), caller, body)


@router.get(
    "/waitlist", response_model=list[PortalWaitlistEntry], responses=problem_responses(401, 403)
)
def my_waitlist(
    session: SessionDep, caller: SignedInPatient, request: Request
) -> list[PortalWaitlistEntry]:
    clinic = public_clinic(session, caller.clinic_id)
    check_origin(request, clinic)
    return portal.own_entries(session, clinic, caller)


@router.delete(
    "/waitlist/{entry_id}",
    response_model=PortalWaitlistEntry,
    responses=problem_responses(401, 403, 404, 409),
)
def leave_waitlist(
    entry_id: str, session: SessionDep, caller: SignedInPatient, request: Request
) -> PortalWaitlistEntry:
    return portal.leave(_ctx(session, caller, request), caller, entry_id)
