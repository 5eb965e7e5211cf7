"""Where mail goes: the console (the embedded default), files, or an SMTP server.

A sender takes a finished `EmailMessage` and either delivers it or raises; the dispatcher
records the error and retries later. Choose one with `SLOTWISE_MAIL_SENDER`
(docs/notifications.md lists every setting).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

from api.config import Settings
from api.notifications.outbox import Mail

log = logging.getLogger("slotwise.mail")


class MailSender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def build_message(mail: Mail, sender_address: str) -> EmailMessage:
    """A plain-text mail with an HTML alternative when there is one.

    Header values refuse line breaks (the email package raises), so a name typed into a form
    cannot add headers.
    """
    message = EmailMessage()
    message["From"] = sender_address
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender_address)[1].rpartition("@")[2] or "localhost"
    # The outbox id in the Message-ID: a resend after a lost acknowledgement is recognisable.
    message["Message-ID"] = make_msgid(idstring=mail.id, domain=domain)
    message["X-Slotwise-Kind"] = mail.kind
    message.set_content(mail.text_body)
    if mail.html_body:
        message.add_alternative(mail.html_body, subtype="html")
    return message


class ConsoleSender:
    """Logs each mail, links and all: for a laptop or a demo, where no mail server exists."""

    def send(self, message: EmailMessage) -> None:
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        log.info(
            "mail (console sender, not delivered)\nTo: %s\nSubject: %s\n\n%s",
            message["To"],
            message["Subject"],
            text,
        )


class FileSender:
    """Writes each mail as an .eml file (readable by any mail program) into a directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").replace("/", "_") + ".eml"
        # Created owner-only from the start: mails name patients and their appointments.
        fd = os.open(self.directory / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(message.as_bytes())


class SmtpSender:
    """One connection per mail: the volumes are small and a pooled connection goes stale."""

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.security = settings.smtp_security
        self.username = settings.smtp_username
        self.password = settings.smtp_password.get_secret_value()
        self.timeout = settings.smtp_timeout_seconds
        self.ca_file = settings.smtp_ca_file or None

    def _tls(self) -> ssl.SSLContext:
        # Verified certificates and host names always; a private CA can be named instead.
        return ssl.create_default_context(cafile=self.ca_file)

    def send(self, message: EmailMessage) -> None:
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._tls())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=self._tls())
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


def sender_from_settings(settings: Settings) -> MailSender:
    if settings.mail_sender == "smtp":
        return SmtpSender(settings)
    if settings.mail_sender == "file":
        return FileSender(settings.mail_dir)
    return ConsoleSender()
