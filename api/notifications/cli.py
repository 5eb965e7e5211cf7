"""`slotwise outbox send`: send every unsent mail now, retries and all, and say what happened."""

from __future__ import annotations

import sys

from api.config import get_settings
from api.db import Database
from api.notifications.dispatcher import send_due
from api.notifications.senders import sender_from_settings


def send_command() -> int:
    settings = get_settings()
    db = Database(settings.database_url)
    try:
        # Everything unsent, including rows waiting out a backoff or past the attempt limit:
        # an operator running this wants the mail out now (say, after fixing SMTP settings).
        report = send_due(db, sender_from_settings(settings), settings.mail_from, everything=True)
    finally:
        db.dispose()
    print(f"sent {report.sent}, failed {report.failed}")
    if report.failed:
        print("see mail_outbox.last_error for why; run this again to retry", file=sys.stderr)
        return 1
    return 0
