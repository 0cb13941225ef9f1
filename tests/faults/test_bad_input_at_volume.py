"""Bad input at volume, short form: generated requests through the client and the gateway."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import httpx
import pytest
from sqlalchemy import create_engine

from harness.bodies import class_body, seat_body
from harness.processes import free_port
from harness.receivers import Mailbox
from tests.faults.bad_bodies import class_bodies
from tests.faults.bad_input import BadInputTarget, bad_input_deployment, probe, run_bad_input
from tests.faults.bad_input_deliveries import delivery_problems, misaddressed
from tests.faults.bad_input_paths import Outcome, Sender, connected_senders, gateway_sender
from tests.faults.bad_requests import BadRequest, CreateRequest

pytestmark = pytest.mark.integration

SHORT_COUNT = 300


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BadInputTarget]:
    with bad_input_deployment(tmp_path_factory.mktemp("bad-input")) as deployed:
        yield deployed


def calling_successes_refusals(sender: Sender) -> Sender:
    """A broken path: it tells the caller "refused" even when the booking was made."""

    def send(request: BadRequest) -> Outcome:
        outcome = sender(request)
        if outcome.kind == "success":
            return Outcome("refusal", 409, "claimed refused")
        return outcome

    return send


def test_generated_requests_get_a_success_or_a_4xx_refusals_write_nothing_and_successes_notify(
    target: BadInputTarget,
) -> None:
    report = run_bad_input(
        target.redis_url,
        target.database_url,
        target.gateway.base_url,
        target.gateway.api_key,
        count=SHORT_COUNT,
        seed=6,
        mailbox=target.mailbox,
    )

    assert report.problems() == [], report.render()
    for path, tally in report.tallies.items():
        assert tally.sent == SHORT_COUNT, path
        assert tally.succeeded > 0, report.render()
        assert sum(tally.refused.values()) > 0, report.render()
    # The deliveries were checked, not skipped: accepted bookings were mailed.
    assert target.mailbox.messages


def test_a_path_that_calls_its_successes_refusals_is_caught_writing(
    target: BadInputTarget,
) -> None:
    anchor = datetime.now(UTC) + timedelta(days=30)
    requests = class_bodies(anchor).map(CreateRequest)

    gateway = target.gateway
    with connected_senders(target.redis_url, gateway.base_url, gateway.api_key) as (_, senders):
        lying = {"client": calling_successes_refusals(senders["client"])}
        report = probe(lying, target.database_url, requests, count=5, seed=0)

    assert report.problems() == ["client: 5 refusals wrote to the database"]


def test_a_gateway_that_does_not_answer_is_reported_as_crashing(target: BadInputTarget) -> None:
    anchor = datetime.now(UTC) + timedelta(days=30)
    requests = class_bodies(anchor).map(CreateRequest)

    with httpx.Client(base_url=f"http://127.0.0.1:{free_port()}", timeout=5) as nobody:
        report = probe({"gateway": gateway_sender(nobody)}, target.database_url, requests, 3, 0)

    assert report.problems() == ["gateway: 3 answers were neither a success nor a 4xx"]
    assert "ConnectError" in report.render()


def test_an_accepted_booking_whose_e_mail_is_refused_is_reported_undelivered(
    target: BadInputTarget,
) -> None:
    since = datetime.now(UTC)
    owner = {"name": "Emmett Brown", "email": "gone@hill-valley.example"}
    target.mailbox.refusing[owner["email"]] = "550 5.1.1 No such user"
    gateway = target.gateway
    with connected_senders(target.redis_url, gateway.base_url, gateway.api_key) as (client, _):
        klass = {**class_body(since + timedelta(days=30)), "owner": owner}
        class_id = client.create_booking(klass)["data"]["id"]
        client.create_booking(seat_body(class_id))
    engine = create_engine(target.database_url)
    try:
        problems = delivery_problems(engine, since, target.mailbox)
    finally:
        engine.dispose()

    [problem] = problems
    assert problem.startswith("notifications: 1 x email booking.created failed: permanent: ")


def test_an_e_mail_whose_headers_name_someone_the_envelope_does_not_is_reported() -> None:
    honest, forged = EmailMessage(), EmailMessage()
    honest["To"] = "Marty <marty@mcfly.example>"
    forged["To"] = "Marty <marty@mcfly.example>"
    forged["Bcc"] = "evil@example.com"
    mailbox = Mailbox(messages=[honest, forged])
    mailbox.envelope_recipients = [["marty@mcfly.example"], ["marty@mcfly.example"]]

    assert misaddressed(mailbox) == [
        "['marty@mcfly.example', 'evil@example.com'] sent to ['marty@mcfly.example']"
    ]
