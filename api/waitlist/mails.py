"""The waitlist's mails, written to the outbox in the transaction that makes or closes the offer
(sent later by the dispatcher with the configured sender, docs/notifications.md)."""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.config import Settings
from api.models import AppointmentType, Clinic, Patient, WaitlistOffer, WaitlistOfferRecipient
from api.notifications import outbox

OFFER_KIND = "waitlist-offer"
TAKEN_KIND = "waitlist-offer-taken"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _when(clinic: Clinic, recipient: WaitlistOfferRecipient) -> str:
    local = recipient.start_time.astimezone(ZoneInfo(clinic.time_zone))
    return f"{local:%A %d %B %Y} at {local:%H:%M} ({clinic.time_zone})"


def _names(session: Session, recipient: WaitlistOfferRecipient) -> tuple[Patient, str]:
    patient = session.get(Patient, recipient.patient_id)
    assert patient is not None
    kind = session.get(AppointmentType, recipient.slot[0]["appointmentTypeId"])
    return patient, _one_line(kind.name if kind else "appointment")


def offer(
    session: Session,
    settings: Settings,
    clinic: Clinic,
    recipient: WaitlistOfferRecipient,
    offer_row: WaitlistOffer,
    link: str,
) -> bool:
    """Queue the offer mail; False when the patient has no email (staff then phone them)."""
    patient, kind_name = _names(session, recipient)
    if not patient.email:
        return False
    clinic_name = _one_line(clinic.name)
    when = _when(clinic, recipient)
    until = offer_row.expires_at.astimezone(ZoneInfo(clinic.time_zone))
    lines = [
        f"Hello {patient.first_name},",
        "",
        f"An earlier time has come free at {clinic_name}: a {kind_name} on {when}.",
        "",
        "To take it, open this link and press Accept:",
        link,
        "",
        f"The offer is open until {until:%H:%M} on {until:%d %B}. We have offered it to a few "
        "patients who asked for an earlier time; the first to accept gets it, and if someone "
        "is quicker you simply stay on our waitlist.",
        "",
        clinic_name,
    ]
    e = html.escape
    html_body = (
        f"<p>Hello {e(patient.first_name)},</p>"
        f"<p>An earlier time has come free at {e(clinic_name)}: a {e(kind_name)} on "
        f"{e(when)}.</p>"
        f'<p><a href="{e(link, quote=True)}">See the offer and accept it</a></p>'
        f"<p>The offer is open until {until:%H:%M} on {until:%d %B}. The first patient to "
        "accept gets it; if someone is quicker you simply stay on our waitlist.</p>"
        f"<p>{e(clinic_name)}</p>"
    )
    outbox.enqueue(
        session,
        kind=OFFER_KIND,
        clinic_id=clinic.id,
        recipient=patient.email,
        subject=f"An earlier {kind_name} at {clinic_name}"[:200],
        text_body="\n".join(lines),
        html_body=html_body,
        related={"offerId": offer_row.id, "recipientId": recipient.id, "patientId": patient.id},
    )
    return True


def taken(session: Session, clinic: Clinic, recipient: WaitlistOfferRecipient) -> None:
    patient, kind_name = _names(session, recipient)
    if not patient.email:
        return
    clinic_name = _one_line(clinic.name)
    text = "\n".join(
        [
            f"Hello {patient.first_name},",
            "",
            f"The {kind_name} on {_when(clinic, recipient)} we offered you has been taken by "
            "another patient. You are still on our waitlist, and we will tell you when another "
            "earlier time comes free.",
            "",
            clinic_name,
        ]
    )
    outbox.enqueue(
        session,
        kind=TAKEN_KIND,
        clinic_id=clinic.id,
        recipient=patient.email,
        subject=f"The earlier {kind_name} at {clinic_name} has been taken"[:200],
        text_body=text,
        related={"offerId": recipient.offer_id, "recipientId": recipient.id},
    )
