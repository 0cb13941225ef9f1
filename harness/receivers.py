"""Real receivers on loopback for notification tests and benchmarks: a webhook, an SMTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .processes import free_port


@dataclass
class WebhookReceiver:
    """Records every POST whose signature checks out; answers `failing_status` (500 unless
    told otherwise) while `failing` is set.

    It checks `signature_header` as both formats sign it, and as Timekit documents for
    x-timekit-signature: the hex HMAC-SHA256 of the raw body with the shared secret."""

    secret: str
    signature_header: str = "X-Bookings-Signature"
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    refused: int = 0
    failing: bool = False
    failing_status: int = 500
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[str]:
        with self.lock:
            return [document["id"] for document in self.received]

    def documents(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.received)


@contextmanager
def webhook_receiver(
    secret: str = "s3cret", signature_header: str = "X-Bookings-Signature"
) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(secret, signature_header)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            with receiver.lock:
                if receiver.failing:
                    receiver.refused += 1
                    status = receiver.failing_status
                elif not hmac.compare_digest(expected, self.headers.get(signature_header, "")):
                    receiver.bad_signatures += 1
                    status = 401
                else:
                    receiver.received.append(json.loads(body))
                    status = 204
            self.send_response(status)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/bookings"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    """Collects every message it accepts, with the envelope's recipients beside the headers;
    refuses the addresses of `refusing` with the reply given there ("550 No such user")."""

    url: str = ""
    messages: list[EmailMessage] = field(default_factory=list)
    envelope_recipients: list[list[str]] = field(default_factory=list)
    refusing: dict[str, str] = field(default_factory=dict)

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in list(self.messages) if address in str(message["To"])]


class CollectingHandler:
    def __init__(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        refusal = self._mailbox.refusing.get(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self._mailbox.envelope_recipients.append(list(envelope.rcpt_tos))
        self._mailbox.messages.append(parsed)
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(CollectingHandler(mailbox), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mailbox.url = f"smtp://127.0.0.1:{port}"
        yield mailbox
    finally:
        controller.stop()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 in `folder`, made with the openssl command."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def login_of(user: str, password: str) -> Any:
    """An aiosmtpd authenticator that lets in this one login."""

    def authenticate(
        _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)

    return authenticate


@contextmanager
def tls_smtp_server(cert: Path, key: Path, user: str, password: str) -> Iterator[Mailbox]:
    """An SMTP server that wants STARTTLS (with `cert`) before a login of `user`;
    its mailbox's url is host:port (the caller says how to reach it)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        CollectingHandler(mailbox),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=login_of(user, password),
        auth_require_tls=True,
    )
    controller.start()
    mailbox.url = f"127.0.0.1:{port}"
    try:
        yield mailbox
    finally:
        controller.stop()
