"""The signed link in an offer mail: HMAC-SHA256 (the app's signing secret) naming one recipient.

Its own audience, so an offer link never passes as a sign-in, guest or confirmation token. The
link expires with the offer, but an expired signature still names its recipient: the offer
page then says the offer ran out rather than that the link is broken.
"""

from __future__ import annotations

from datetime import datetime

import jwt

from api.auth.tokens import ALGORITHM
from api.config import Settings
from api.errors import InvalidInput

TOKEN_TYPE = "waitlist-offer"
# The offer page the widget serves (web/widget/), which calls the portal's offer endpoints.
OFFER_PAGE = "/widget/waitlist-offer.html"


def _audience(settings: Settings) -> str:
    return settings.jwt_audience + ":" + TOKEN_TYPE


def offer_token(settings: Settings, recipient_id: str, issued: datetime, expires: datetime) -> str:
    payload = {
        "sub": recipient_id,
        "typ": TOKEN_TYPE,
        "iss": settings.jwt_issuer,
        "aud": _audience(settings),
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(payload, settings.signing_secret(), algorithm=ALGORITHM)


def offer_link(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}{OFFER_PAGE}?token={token}"


class LinkInvalid(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "token",
            "This offer link is not valid; open the link from your email exactly as it was "
            "sent, or call us.",
        )


def read_token(settings: Settings, token: str) -> str:
    """The recipient id a genuine link names, expired or not; LinkInvalid otherwise."""
    try:
        payload = jwt.decode(
            token,
            settings.signing_secret(),
            algorithms=[ALGORITHM],
            audience=_audience(settings),
            issuer=settings.jwt_issuer,
            # Expiry is the offer's, read from the offer row at use.
            options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_exp": False},
        )
    except jwt.InvalidTokenError as exc:
        raise LinkInvalid() from exc
    if payload.get("typ") != TOKEN_TYPE or not isinstance(payload.get("sub"), str):
        raise LinkInvalid()
    return str(payload["sub"])
