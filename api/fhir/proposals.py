"""Proposed Appointments ($find's answers) with ids that name them, so $hold and $book can.

IHE's $hold and $book take a reference to a proposed Appointment. Nothing is stored for a
proposal: its id spells out the type, start, length and resources, each resource by the first
8 hex digits of its id (uuid4 hex), which is unique in a clinic in practice and checked to be.
An id fits FHIR's 64 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import Conflict, NotFound
from api.fhir.responses import Resource, instant, reference
from api.fhir.slots import slot_id
from api.fhir.terms import CHAIR, ROOM, service_type
from api.models import AppointmentType, Chair, Patient, Provider, Room

PREFIX = 8
_HEX = re.compile(r"[0-9a-f]{8}|0")
_ID = re.compile(r"p-(\w+)-(\w+)-(\w+)-(\w+)-(\w+)-([0-9a-z]+)-(\d{1,4})")


@dataclass(frozen=True)
class Proposal:
    kind: AppointmentType
    start: datetime
    minutes: int
    provider_id: str | None
    chair_id: str | None
    room_id: str | None
    patient_id: str | None

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    @property
    def id(self) -> str:
        def short(value: str | None) -> str:
            return value[:PREFIX] if value else "0"

        stamp = _base36(int(self.start.timestamp()) // 60)
        parts = (self.kind.id, self.provider_id, self.chair_id, self.room_id, self.patient_id)
        return "p-" + "-".join(short(v) for v in parts) + f"-{stamp}-{self.minutes}"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def _resolve(session: Session, model: type[Any], clinic_id: str, short: str) -> Any:
    if short == "0":
        return None
    rows = session.scalars(
        select(model).where(model.clinic_id == clinic_id, model.id.startswith(short)).limit(2)
    ).all()
    if len(rows) > 1:
        raise Conflict(
            "This proposed appointment's id is ambiguous in your clinic; run $find again and "
            "book with the Appointment resource it returns (appointment-resource)."
        )
    return rows[0] if rows else None


def decode(session: Session, clinic_id: str, proposal_id: str) -> Proposal:
    """The proposal an id names in the caller's clinic; 404 when it names nothing there."""
    match = _ID.fullmatch(proposal_id)
    missing = NotFound(f"No proposed Appointment '{proposal_id}' in your clinic; run $find.")
    if match is None or not all(_HEX.fullmatch(g) for g in match.groups()[:5]):
        raise missing
    kind_s, provider_s, chair_s, room_s, patient_s, stamp, minutes = match.groups()
    kind = _resolve(session, AppointmentType, clinic_id, kind_s)
    found = [
        _resolve(session, model, clinic_id, short)
        for model, short in ((Provider, provider_s), (Chair, chair_s), (Room, room_s))
    ]
    patient = _resolve(session, Patient, clinic_id, patient_s)
    named = zip(found, (provider_s, chair_s, room_s), strict=True)
    if kind is None or any(f is None and s != "0" for f, s in named):
        raise missing
    if patient is None and patient_s != "0":
        raise missing
    start = datetime.fromtimestamp(int(stamp, 36) * 60, UTC)
    provider, chair, room = found
    return Proposal(
        kind=kind,
        start=start,
        minutes=int(minutes),
        provider_id=provider.id if provider else None,
        chair_id=chair.id if chair else None,
        room_id=room.id if room else None,
        patient_id=patient.id if patient else None,
    )


def to_fhir(proposal: Proposal, clinic_id: str, status: str = "proposed") -> Resource:
    participants: list[Resource] = []
    if proposal.patient_id:
        participants.append(
            {"actor": reference("Patient", proposal.patient_id), "status": "needs-action"}
        )
    if proposal.provider_id:
        participants.append(
            {"actor": reference("Practitioner", proposal.provider_id), "status": "accepted"}
        )
    participants.append({"actor": reference("Location", clinic_id), "status": "accepted"})
    extension = [{"url": CHAIR, "valueString": proposal.chair_id}] if proposal.chair_id else []
    if proposal.room_id:
        extension.append({"url": ROOM, "valueString": proposal.room_id})
    resource: Resource = {
        "resourceType": "Appointment",
        "id": proposal.id,
        "status": status,
        "serviceType": [service_type(proposal.kind)],
        "start": instant(proposal.start),
        "end": instant(proposal.end),
        "minutesDuration": proposal.minutes,
        "slot": [reference("Slot", slot_id(proposal.kind.id, proposal.start))],
        "participant": participants,
    }
    if extension:
        resource["extension"] = extension
    return resource
