"""Who is calling /fhir, and with which SMART scopes: the seam the machine clients plug into.

A staff user's token and a machine client's token both end up as a `FhirCaller`; every FHIR
route asks only whether the caller's scopes allow what it does, and hands `principal` to the
booking services, so the audit trail names the user or the client that booked.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth.deps import Principal

# Where machine clients get their tokens and the SMART discovery document (fhir-auth's routes);
# the CapabilityStatement advertises them.
TOKEN_PATH = "/fhir/auth/token"
SMART_CONFIGURATION_PATH = "/fhir/.well-known/smart-configuration"

RESOURCES = ("Location", "Practitioner", "Schedule", "Slot", "Appointment", "Patient")
READ_SCOPES = frozenset(f"system/{r}.read" for r in RESOURCES)
APPOINTMENT_WRITE = "system/Appointment.write"
WRITE_SCOPES = frozenset({APPOINTMENT_WRITE})


def scope_allows(granted: str, wanted: str) -> bool:
    """SMART v1 wildcards: `system/*.read` grants every read, `system/Slot.*` both on Slot."""
    try:
        g_context, g_rest = granted.split("/", 1)
        w_context, w_rest = wanted.split("/", 1)
        g_type, g_access = g_rest.rsplit(".", 1)
        w_type, w_access = w_rest.rsplit(".", 1)
    except ValueError:
        return False
    return g_context == w_context and g_type in ("*", w_type) and g_access in ("*", w_access)


@dataclass(frozen=True)
class FhirCaller:
    clinic_id: str
    scopes: frozenset[str]
    principal: Principal
    # The machine client's id; None for a staff user signed in with their own token.
    client_id: str | None = None

    def allows(self, scope: str) -> bool:
        return any(scope_allows(granted, scope) for granted in self.scopes)
