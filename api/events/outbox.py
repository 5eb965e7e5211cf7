"""Appointment changes become calendar events only once their transaction has committed.

Listeners on the app's session factories note every appointment a flush wrote, and every
user whose access changed (deactivated, another role, deleted), (in
`session.info`), forget what a rollback undid, and hand the rest to the bus after the commit.
Hooking the ORM rather than each booking function means every path that writes an appointment
(staff booking, the patient portal, scripts through the app's sessions) announces itself, and a
refused or rolled-back booking never does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from api.events.bus import LocalBus, Message
from api.models import Appointment, AppointmentStatus, User

log = logging.getLogger(__name__)

PENDING_KEY = "slotwise.calendar_events"


# A change to any of these ends what a user's open calendar connections may see or do.
ACCESS_FIELDS = ("active", "role", "clinic_id", "provider_id", "patient_id")


@dataclass
class Pending:
    clinic_id: str
    key: str  # one event per appointment (or user) per commit
    message: Message
    transaction: SessionTransaction


def access_message(user_id: str) -> Message:
    """Not for the browser: tells each worker to re-check that user's open connections."""
    return {"type": "access", "userId": user_id}


def _access_changes(user: User) -> set[str]:
    """The clinics whose connections must hear of this user's changed access (old and new)."""
    state = inspect(user)
    if not any(state.attrs[name].history.has_changes() for name in ACCESS_FIELDS):
        return set()
    history = state.attrs["clinic_id"].history
    return {c for c in (*history.deleted, *history.unchanged, *history.added) if c}


def appointment_message(appointment: Appointment, action: str) -> Message:
    # Imported here: the booking service imports the app's models and schemas, and this
    # module is imported while the app is being assembled.
    from api.booking.service import to_read

    return {
        "type": "appointment",
        "action": action,
        "appointment": to_read(appointment).model_dump(mode="json", by_alias=True),
    }


def _action(session: Session, appointment: Appointment) -> str:
    if appointment in session.new:
        return "created"
    if appointment.status == AppointmentStatus.CANCELLED or appointment.deleted_at is not None:
        return "cancelled"
    return "changed"


def _after_flush(session: Session, _context: Any) -> None:
    touched = [
        obj
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, Appointment)
        and (obj in session.new or session.is_modified(obj, include_collections=False))
    ]
    users = {
        obj: _access_changes(obj) if obj not in session.deleted else {obj.clinic_id}
        for obj in (*session.dirty, *session.deleted)
        if isinstance(obj, User)
    }
    users = {user: clinics for user, clinics in users.items() if clinics}
    if not touched and not users and not any(isinstance(o, Appointment) for o in session.deleted):
        return
    pending: list[Pending] = session.info.setdefault(PENDING_KEY, [])
    transaction = session.get_transaction()
    assert transaction is not None
    inner = session.get_nested_transaction() or transaction
    for user, clinics in users.items():
        for clinic_id in clinics:
            key = f"user:{user.id}:{clinic_id}"
            pending.append(Pending(clinic_id, key, access_message(user.id), inner))
    for appointment in touched:
        pending.append(
            Pending(
                appointment.clinic_id,
                appointment.id,
                appointment_message(appointment, _action(session, appointment)),
                inner,
            )
        )
    for obj in session.deleted:
        if isinstance(obj, Appointment):
            message = {"type": "appointment", "action": "deleted", "appointment": {"id": obj.id}}
            pending.append(Pending(obj.clinic_id, obj.id, message, inner))


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    # A savepoint's rollback undoes only what was flushed inside it; a full rollback, all.
    pending: list[Pending] = session.info.get(PENDING_KEY, [])
    session.info[PENDING_KEY] = [p for p in pending if not _within(p.transaction, previous)]


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (closed, or rolled back): nothing it
    # flushed happened.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(PENDING_KEY, None)


def install(factories: list[sessionmaker[Session]], bus: LocalBus) -> None:
    def after_commit(session: Session) -> None:
        pending: list[Pending] = session.info.pop(PENDING_KEY, [])
        # One event per appointment per commit: the last state written wins.
        latest: dict[str, Pending] = {}
        for item in pending:
            first = latest.get(item.key)
            if first is not None and first.message.get("action") == "created":
                item.message = {**item.message, "action": "created"}
            latest[item.key] = item
        for item in latest.values():
            try:
                bus.publish(item.clinic_id, item.message)
            except Exception:  # never fail a committed request over a notification
                log.exception("could not publish a calendar event")

    for factory in factories:
        event.listen(factory, "after_flush", _after_flush)
        event.listen(factory, "after_soft_rollback", _after_soft_rollback)
        event.listen(factory, "after_commit", after_commit)
        event.listen(factory, "after_transaction_end", _after_transaction_end)
