"""Writing mail into the outbox, and claiming and settling rows for a dispatcher.

A row is written by `enqueue` inside the caller's unit of work, so the mail exists exactly when
the change it announces committed. Sending happens later, outside any request transaction: a
dispatcher claims a row with a short lease (`claimed_until`), sends it with no transaction open,
then marks it sent or records the error and when to try again. The lease makes two dispatchers
(several workers, or the CLI beside a server) never send one row twice at once; a dispatcher
that dies mid-send leaves the lease to run out and the row is sent again (at least once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from api.models import OutboxMail

# A send that takes longer than this is presumed dead and may be retried by another dispatcher.
LEASE = timedelta(minutes=2)
# After this many failed attempts only an operator (`slotwise outbox send`) retries a row.
MAX_ATTEMPTS = 8
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class Mail:
    """What a sender needs; read from a row so no ORM object crosses into the send."""

    id: str
    kind: str
    recipient: str
    subject: str
    text_body: str
    html_body: str | None


def enqueue(
    session: Session,
    *,
    kind: str,
    recipient: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    clinic_id: str | None = None,
    related: dict[str, Any] | None = None,
) -> OutboxMail:
    row = OutboxMail(
        clinic_id=clinic_id,
        kind=kind,
        recipient=recipient,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        related=related or {},
    )
    session.add(row)
    return row


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at an hour: a mail server down for a while is not hammered."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def due_ids(session: Session, now: datetime, *, limit: int, everything: bool) -> list[str]:
    """Unsent rows nobody is sending; `everything` also takes rows waiting out a backoff or past
    the attempt limit (an operator asked)."""
    stmt = select(OutboxMail.id).where(
        OutboxMail.sent_at.is_(None),
        or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
    )
    if not everything:
        stmt = stmt.where(OutboxMail.next_attempt_at <= now, OutboxMail.attempts < MAX_ATTEMPTS)
    return list(session.scalars(stmt.order_by(OutboxMail.created_at).limit(limit)))


def next_retry_at(session: Session) -> datetime | None:
    """When the earliest row waiting out a backoff becomes due, if any."""
    return session.scalar(
        select(OutboxMail.next_attempt_at)
        .where(OutboxMail.sent_at.is_(None), OutboxMail.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMail.next_attempt_at)
        .limit(1)
    )


def claim(session: Session, mail_id: str, now: datetime) -> Mail | None:
    """Take the lease on one row; None when another dispatcher has it or it was sent."""
    claimed = session.execute(
        update(OutboxMail)
        .where(
            OutboxMail.id == mail_id,
            OutboxMail.sent_at.is_(None),
            or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
        )
        .values(claimed_until=now + LEASE, attempts=OutboxMail.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    row = session.execute(
        select(
            OutboxMail.id,
            OutboxMail.kind,
            OutboxMail.recipient,
            OutboxMail.subject,
            OutboxMail.text_body,
            OutboxMail.html_body,
        ).where(OutboxMail.id == mail_id)
    ).one()
    return Mail(*row)


def mark_sent(session: Session, mail_id: str, now: datetime) -> None:
    session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id)
        .values(sent_at=now, claimed_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, mail_id: str, now: datetime, error: str) -> None:
    attempts = session.scalar(select(OutboxMail.attempts).where(OutboxMail.id == mail_id)) or 1
    session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id)
        .values(
            claimed_until=None,
            last_error=error[:MAX_ERROR_CHARS],
            next_attempt_at=now + backoff(attempts),
        )
        .execution_options(synchronize_session=False)
    )
