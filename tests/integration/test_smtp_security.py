"""The e-mail channel speaks STARTTLS with a verified certificate and logs in with credentials."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harness.receivers import Mailbox, self_signed_certificate, tls_smtp_server
from tests.unit.outbox_rows import seat_payload
from worker.channels.email import EmailChannel

pytestmark = pytest.mark.integration

USER, PASSWORD = "studio", "p@ss word"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_mailbox(certificate: tuple[Path, Path]) -> Iterator[Mailbox]:
    with tls_smtp_server(*certificate, USER, PASSWORD) as mailbox:
        yield mailbox


def delivery() -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "notification_id": uuid.uuid4(),
        "type": "booking.confirmed",
        "recipient_role": "customer",
        "recipient_name": "Marty McFly",
        "recipient_email": "marty@mcfly.example",
        "message": None,
        "payload": seat_payload(),
        "created_at": datetime.now(UTC),
    }


def test_mail_goes_out_over_starttls_with_a_login_when_the_certificate_is_trusted(
    tls_mailbox: Mailbox, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    password = PASSWORD.replace("@", "%40").replace(" ", "%20")
    url = f"smtp://{USER}:{password}@{tls_mailbox.url}?starttls=true"

    errors = EmailChannel(url, "bookings@studio.example", timeout_s=5).send([delivery()])

    assert errors == {}
    assert len(tls_mailbox.to("marty@mcfly.example")) == 1


def test_an_untrusted_certificate_fails_the_delivery_instead_of_sending_in_the_clear(
    tls_mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    url = f"smtp://{USER}:x@{tls_mailbox.url}?starttls=true"
    sent = delivery()

    errors = EmailChannel(url, "bookings@studio.example", timeout_s=5).send([sent])

    assert "CERTIFICATE_VERIFY_FAILED" in errors[sent["id"]].reason
    assert tls_mailbox.messages == []


def test_wrong_credentials_fail_the_delivery(
    tls_mailbox: Mailbox, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    url = f"smtp://{USER}:wrong@{tls_mailbox.url}?starttls=true"
    sent = delivery()

    errors = EmailChannel(url, "bookings@studio.example", timeout_s=5).send([sent])

    assert "SMTP" in errors[sent["id"]].reason
    assert tls_mailbox.messages == []
