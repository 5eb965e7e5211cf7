"""SMART v1 system scopes, `system/<resource>.<read|write|*>`, and which grant covers what.

The one home of the scope rules: the token endpoint, the admin API and every /fhir route's
check (`FhirCaller.allows`) ask this module.

A client is granted a set of scopes; a token request may ask for any subset of what is covered
(`system/Slot.read` under a grant of `system/*.read`), never more. Only `system/` scopes exist
here: a machine client acts for its clinic, not for a signed-in user or patient.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# The FHIR resources /fhir serves; a grant naming any other would allow nothing.
RESOURCES = ("Appointment", "Location", "Patient", "Practitioner", "Schedule", "Slot")
ACCESS = ("read", "write")
# What /fhir's routes ask for (api/fhir/access.py), and what staff roles amount to there.
READ_SCOPES = frozenset(f"system/{r}.read" for r in RESOURCES)
APPOINTMENT_WRITE = "system/Appointment.write"

_SCOPE = re.compile(r"system/(?P<resource>[A-Za-z]+|\*)\.(?P<access>read|write|\*)")


@dataclass(frozen=True)
class Scope:
    resource: str  # a name from RESOURCES, or "*"
    access: str  # "read", "write" or "*"

    def covers(self, other: Scope) -> bool:
        return self.resource in ("*", other.resource) and self.access in ("*", other.access)

    def meet(self, other: Scope) -> Scope | None:
        """The scope allowing what both allow, if they overlap at all."""
        resource = _narrower(self.resource, other.resource)
        access = _narrower(self.access, other.access)
        return None if resource is None or access is None else Scope(resource, access)

    def concrete(self) -> list[Scope]:
        """The (resource, access) pairs it allows, wildcards spelled out."""
        return [
            Scope(r, a)
            for r in RESOURCES
            for a in ACCESS
            if self.resource in ("*", r) and self.access in ("*", a)
        ]

    def __str__(self) -> str:
        return f"system/{self.resource}.{self.access}"


def _narrower(a: str, b: str) -> str | None:
    if a == "*":
        return b
    if b in ("*", a):
        return a
    return None


class ScopeError(ValueError):
    """A scope string that is not one this server grants; the message says what to send."""


def parse(text: str) -> Scope:
    match = _SCOPE.fullmatch(text)
    if match is None:
        raise ScopeError(
            f"'{text}' is not a scope this server grants; send SMART system scopes such as "
            "'system/Slot.read', 'system/Appointment.write' or 'system/*.read'."
        )
    resource = match["resource"]
    if resource != "*" and resource not in RESOURCES:
        raise ScopeError(
            f"'{text}' names no resource this server serves; use one of "
            f"{', '.join(RESOURCES)} or '*'."
        )
    return Scope(resource, match["access"])


def normalized(texts: Iterable[str]) -> list[str]:
    """Each scope checked, duplicates dropped, sorted: how a grant is stored."""
    return sorted({str(parse(text)) for text in texts})


def covered(granted: Iterable[str], wanted: str) -> bool:
    """Whether the grant allows everything `wanted` (itself possibly a wildcard) allows:
    `system/*.*` is covered by `system/*.read` with `system/*.write`."""
    grant = [parse(scope) for scope in granted]
    return all(any(g.covers(pair) for g in grant) for pair in parse(wanted).concrete())


def not_covered(granted: Iterable[str], wanted: Iterable[str]) -> list[str]:
    grant = list(granted)
    return [scope for scope in wanted if not covered(grant, scope)]


def intersection(first: Iterable[str], second: Iterable[str]) -> frozenset[str]:
    """What both allow: a token's `system/*.read` under a grant now narrowed to
    `system/Appointment.*` allows `system/Appointment.read`."""
    left, right = [parse(s) for s in first], [parse(s) for s in second]
    return frozenset(str(meet) for a in left for b in right if (meet := a.meet(b)) is not None)


SUPPORTED = [f"system/{r}.{a}" for r in ("*", *RESOURCES) for a in ACCESS]
