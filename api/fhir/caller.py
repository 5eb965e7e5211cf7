"""Who is calling /fhir, and with which SMART scopes: the seam the machine clients plug into.

A staff user's token and a machine client's token both end up as a `FhirCaller`; every FHIR
route asks only whether the caller's scopes allow what it does, and hands `principal` to the
booking services, so the audit trail names the user or the client that booked. What a scope
allows is `api.auth.clients.scopes`'s to say.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth.clients.scopes import covered
from api.auth.deps import Principal

# Where machine clients get their tokens and the SMART discovery document (fhir-auth's routes);
# the CapabilityStatement advertises them.
TOKEN_PATH = "/fhir/auth/token"
SMART_CONFIGURATION_PATH = "/fhir/.well-known/smart-configuration"


@dataclass(frozen=True)
class FhirCaller:
    clinic_id: str
    scopes: frozenset[str]
    principal: Principal
    # The machine client's id; None for a staff user signed in with their own token.
    client_id: str | None = None

    def allows(self, scope: str) -> bool:
        """Whether the scopes held cover `scope` (SMART v1 wildcards: `system/*.read`)."""
        return covered(self.scopes, scope)
