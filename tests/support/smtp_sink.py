"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives."""

import email
import socket
import threading
import time
from email.header import decode_header, make_header

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        if any(rcpt.startswith("reject") for rcpt in envelope.rcpt_tos):
            return "550 mailbox unavailable"
        message = email.message_from_bytes(envelope.content)
        with self.sink.lock:
            self.sink.messages.append(
                {
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "subject": str(make_header(decode_header(message["Subject"] or ""))),
                    "body": _text_body(message),
                }
            )
        return "250 OK"


def _text_body(message):
    if message.is_multipart():
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        return ""
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


class SmtpSink:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def wait_for(self, count, timeout=5.0):
        """Wait until at least `count` messages arrived; returns the messages."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        with self.lock:
            return list(self.messages)
