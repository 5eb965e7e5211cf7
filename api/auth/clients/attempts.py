"""Limits on failed client authentications at the token endpoint (docs/security-limits.md).

Like staff sign-in (api/auth/lockout.py), failures are counted per address and per (client,
address), and checked before the secret is: a guesser at the limit learns nothing from a right
secret. There is no per-client ceiling across addresses, so a stranger guessing from elsewhere
cannot lock a partner's server out; a secret of 256 random bits needs no such ceiling.
"""

from __future__ import annotations

from fastapi import Request

from api.core.network import network_of
from api.core.ratelimit import RateLimited, Rule, client_ip, hashed, limiter_for
from api.core.retry import REPLAY

FAILURES_PER_ADDRESS = Rule(
    "client-token-ip", 30, 15 * 60, "failed client authentications from your network"
)
FAILURES_PER_CLIENT_AND_ADDRESS = Rule(
    "client-token-client-address",
    10,
    15 * 60,
    "failed authentications for this client from your network",
)


class TokenAttempt:
    """One token request's counting: `admit` before the secret is checked, `failed` after."""

    def __init__(self, request: Request, client_id: str) -> None:
        self._counters = limiter_for(request)
        self._replay = bool(request.scope.get(REPLAY))
        self._address = network_of(client_ip(request))
        self._pair = f"{hashed(client_id)}:{self._address}"

    def admit(self) -> RateLimited | None:
        """The refusal to send when a limit is reached (the caller shapes it as OAuth2 asks)."""
        retry = self._counters.test(FAILURES_PER_ADDRESS.item, self._address)
        if retry is not None:
            return FAILURES_PER_ADDRESS.refusal(retry)
        retry = self._counters.test(FAILURES_PER_CLIENT_AND_ADDRESS.item, self._pair)
        if retry is not None:
            return FAILURES_PER_CLIENT_AND_ADDRESS.refusal(retry)
        return None

    def failed(self) -> None:
        if self._replay:
            return  # the retry middleware's replay of an attempt already counted
        self._counters.hit(FAILURES_PER_ADDRESS.item, self._address)
        self._counters.hit(FAILURES_PER_CLIENT_AND_ADDRESS.item, self._pair)
