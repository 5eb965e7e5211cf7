"""Sign-in limits that cap password guessing without letting a stranger lock a user out.

After OWASP's Authentication Cheat Sheet: failures are counted per (account, address) and per
address; a per-account ceiling, ten times higher, counts failures from every address; a
successful sign-in clears its (account, address) count and remembers the address for the
account. When the ceiling is reached the account is refused only to addresses it has not
signed in from lately, so someone guessing from many addresses cannot keep the real user out
at their usual desk (docs/security-limits.md#sign-in).
"""

from __future__ import annotations

from fastapi import Request

from api.core.network import network_of
from api.core.ratelimit import Rule, client_ip, hashed, limiter_for
from api.core.retry import REPLAY

FAILURES_PER_ADDRESS = Rule("login-ip", 30, 15 * 60, "failed sign-ins from your network")
FAILURES_PER_ACCOUNT_AND_ADDRESS = Rule(
    "login-account-address", 10, 15 * 60, "failed sign-ins for this account from your network"
)
FAILURES_PER_ACCOUNT = Rule("login-account", 100, 3600, "failed sign-ins for this account")
# One event per (account, address) after a success; present means "signed in from here lately".
KNOWN_ADDRESS = Rule("login-known-address", 1, 30 * 24 * 3600, "")


class SignInAttempt:
    """One sign-in's counting: `admit` before the password is checked, then one outcome."""

    def __init__(self, request: Request, username: str) -> None:
        self._counters = limiter_for(request)
        self._replay = bool(request.scope.get(REPLAY))
        self._address = network_of(client_ip(request))  # an IPv6 caller counts as its /64
        self._account = hashed(username.strip().lower())
        self._pair = f"{self._account}:{self._address}"

    def admit(self) -> None:
        """429 when this address, this account or this pair has failed too often.

        Checked before the password, so a guesser at a limit learns nothing from a right one.
        """
        counters = self._counters
        retry = counters.test(FAILURES_PER_ADDRESS.item, self._address)
        if retry is not None:
            raise FAILURES_PER_ADDRESS.refusal(retry)
        retry = counters.test(FAILURES_PER_ACCOUNT.item, self._account)
        if retry is not None and not self._address_is_known():
            raise FAILURES_PER_ACCOUNT.refusal(retry)
        if self._replay:
            return  # the retry middleware's replay of an attempt already counted once
        # Counted now rather than on failure, so concurrent guesses cannot all slip under the
        # limit; a success clears it again.
        retry = counters.hit(FAILURES_PER_ACCOUNT_AND_ADDRESS.item, self._pair)
        if retry is not None:
            raise FAILURES_PER_ACCOUNT_AND_ADDRESS.refusal(retry)

    def failed(self) -> None:
        self._counters.hit(FAILURES_PER_ADDRESS.item, self._address)
        self._counters.hit(FAILURES_PER_ACCOUNT.item, self._account)

    def succeeded(self) -> None:
        self._counters.clear(FAILURES_PER_ACCOUNT_AND_ADDRESS.item, self._pair)
        # Cleared first so the 30 days run from the latest sign-in, not the first.
        self._counters.clear(KNOWN_ADDRESS.item, self._pair)
        self._counters.hit(KNOWN_ADDRESS.item, self._pair)

    def _address_is_known(self) -> bool:
        # The one-event window is full exactly when a success from here was remembered.
        return self._counters.test(KNOWN_ADDRESS.item, self._pair) is not None
