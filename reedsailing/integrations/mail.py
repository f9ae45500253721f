"""Outgoing mail through Flask-Mail. Without `MAIL_SERVER` (the quick start) a mail is
logged instead of sent, so the verification flow still works on a laptop; its body (a
verification code) only in development login mode, where nobody's account is real."""

import logging
import smtplib
import threading

from flask import current_app
from flask_mail import Connection, Message

log = logging.getLogger(__name__)


class TimeoutConnection(Connection):
    """Flask-Mail's connection with a socket timeout, so a dead SMTP server cannot hang us."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT_SECONDS"]
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls and not self.mail.use_ssl:
            host.starttls()
        # A plain relay needs no login (docs/operations.md): only log in with a username.
        if self.mail.username:
            host.login(self.mail.username, self.mail.password or "")
        return host


def _connect():
    return TimeoutConnection(current_app.extensions["mail"])


class MailError(Exception):
    pass


def send_mail(to, subject, body):
    """Send one plain-text mail now; raises MailError when the server refuses it."""
    if not current_app.config.get("MAIL_SERVER"):
        if current_app.config.get("WECHAT_APPID"):
            # Real accounts: a code in the log would let whoever reads it bind any address.
            log.warning("MAIL_SERVER is not set; mail to %s not sent: %s", to, subject)
        else:
            log.warning("MAIL_SERVER is not set; mail to %s not sent: %s | %s", to, subject, body)
        return
    message = Message(subject=subject, recipients=[to], body=body)
    try:
        with _connect() as connection:
            connection.send(message)
    except Exception as error:  # smtplib and socket errors have no common base
        raise MailError(f"{error.__class__.__name__}: {error}") from error


def send_many_in_background(messages):
    """Send [(to, subject, body), ...] on a background thread, one connection for all.

    Never called inside a transaction: the caller passes plain values. A failed
    mail is logged with its address and does not stop the others. The thread is not a
    daemon: a process that exits cleanly (the `crawl-boya --once` CLI) waits for its
    mails first, each bounded by MAIL_TIMEOUT_SECONDS (README "Security").
    """
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            send_many(messages)

    thread = threading.Thread(target=run, name="mail-sender", daemon=False)
    thread.start()
    return thread


def send_many(messages):
    """Send [(to, subject, body), ...] now; returns (sent, failed) counts."""
    sent = failed = 0
    if not current_app.config.get("MAIL_SERVER"):
        for to, subject, _body in messages:
            log.warning("MAIL_SERVER is not set; mail to %s not sent: %s", to, subject)
        return 0, 0
    try:
        with _connect() as connection:
            for to, subject, body in messages:
                try:
                    connection.send(Message(subject=subject, recipients=[to], body=body))
                    sent += 1
                except Exception:  # one bad address must not stop the others
                    failed += 1
                    log.exception("mail to %s failed", to)
    except Exception:
        failed = len(messages) - sent
        log.exception("could not connect to the mail server; %d mails not sent", failed)
    return sent, failed
