"""Sending the outbox: once per due row, after the transaction that wrote it has committed.

`install` hooks the app's session factories: a commit that wrote outbox rows wakes the
worker's dispatcher thread, which sends every due row (its own and any left over by a failure
or another process) and then sleeps until the next retry falls due or the next commit wakes it.
No request ever waits for a mail server. `send_due` is the same loop run once, which is what
`slotwise outbox send` does.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from api.core import clock
from api.db import Database
from api.models import OutboxMail
from api.notifications import outbox
from api.notifications.senders import MailSender, build_message, sender_from_settings

log = logging.getLogger(__name__)

WRITTEN_KEY = "slotwise.mail_written"
BATCH = 100
# After the dispatch itself failed (the database away for a moment), look again this soon.
ERROR_RECHECK_SECONDS = 60.0


@dataclass(frozen=True)
class DispatchReport:
    sent: int
    failed: int
    next_retry_at: datetime | None


def send_due(
    db: Database, sender: MailSender, from_address: str, *, everything: bool = False
) -> DispatchReport:
    """Send what is due, each row claimed, sent and settled in its own short transaction."""
    sent = failed = 0
    seen: set[str] = set()
    while True:
        with db.read() as session:
            ids = [
                i
                for i in outbox.due_ids(session, clock.now(), limit=BATCH, everything=everything)
                if i not in seen
            ]
        if not ids:
            break
        for mail_id in ids:
            seen.add(mail_id)
            with db.write() as session:
                mail = outbox.claim(session, mail_id, clock.now())
                session.commit()
            if mail is None:
                continue
            try:
                sender.send(build_message(mail, from_address))
            except Exception as exc:  # any failure of any sender: recorded, retried later
                log.warning("mail %s to %s not sent: %s", mail.id, mail.recipient, exc)
                with db.write() as session:
                    outbox.mark_failed(
                        session, mail_id, clock.now(), f"{type(exc).__name__}: {exc}"
                    )
                    session.commit()
                failed += 1
                continue
            with db.write() as session:
                outbox.mark_sent(session, mail_id, clock.now())
                session.commit()
            sent += 1
    with db.read() as session:
        retry = outbox.next_retry_at(session)
    return DispatchReport(sent, failed, retry)


class MailDispatcher:
    """One per worker process: a thread that exists only while there is mail to send."""

    def __init__(self, db: Database, sender: MailSender, from_address: str) -> None:
        self.db = db
        self.sender = sender
        self.from_address = from_address
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        with self._lock:
            self._wake.set()
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(target=self._run, name="slotwise-mail", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            wait: float | None
            try:
                retry = send_due(self.db, self.sender, self.from_address).next_retry_at
            except Exception:  # the database away for a moment: look again later
                log.exception("mail dispatch failed")
                wait = ERROR_RECHECK_SECONDS
            else:
                wait = None if retry is None else (retry - clock.now()).total_seconds()
            with self._lock:
                # Decided under the lock a kick takes: a commit right now is never missed.
                if wait is None and not self._wake.is_set():
                    self._thread = None
                    return
            self._wake.wait(timeout=None if wait is None else max(wait, 0.05))
        with self._lock:
            self._thread = None


def _after_flush(session: Session, _context: Any) -> None:
    if any(isinstance(obj, OutboxMail) for obj in session.new):
        session.info[WRITTEN_KEY] = True


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(WRITTEN_KEY, None)


def install(app: FastAPI) -> MailDispatcher:
    settings = app.state.settings
    db: Database = app.state.db
    dispatcher = MailDispatcher(db, sender_from_settings(settings), settings.mail_from)

    def after_commit(session: Session) -> None:
        if session.info.pop(WRITTEN_KEY, False):
            dispatcher.kick()

    for factory in (db.read, db.write):
        event.listen(factory, "after_flush", _after_flush)
        event.listen(factory, "after_commit", after_commit)
        event.listen(factory, "after_transaction_end", _after_transaction_end)
    app.state.mail = dispatcher
    return dispatcher
