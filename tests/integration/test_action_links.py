"""Customers act from their e-mail: signed links through a real gateway and worker.

The links come from the worker (include=customer_action_links and the e-mails it sends), and
the gateway serves them with no API key: a GET shows a page and changes nothing, its button's
POST acts, and a tampered or expired link is 403 and changes nothing. Over httpx, and once in
headless Chromium: the page, its button, the back button and a reload, as a customer meets them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, expect

from api_client import BookingClient
from api_client.action_links import action_link
from gateway.action_links import INVALID
from harness.bodies import class_body, seat_body
from harness.browsers import visiting
from harness.databases import fresh_database
from harness.gateways import running_gateway
from harness.receivers import Mailbox, smtp_server
from harness.redis_servers import own_redis
from harness.waiting import eventually
from harness.workers import running_workers

pytestmark = pytest.mark.integration

SECRET = "action-link-secret-for-the-tests-0123456789"
API_KEY = "live_api_key_action_links"
# Where the customer reading the e-mail is; the pages show no times.
CUSTOMER_ZONE = "Europe/London"


@dataclass
class Linked:
    """A gateway and workers sharing the action-link secret, mail going to a real SMTP server."""

    client: BookingClient
    http: httpx.Client
    base_url: str
    mailbox: Mailbox


@pytest.fixture(scope="module")
def linked(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Linked]:
    workdir = tmp_path_factory.mktemp(f"action-links-{backend}")
    # A Redis of their own: no other test's workers may take these workers' tasks.
    with (
        own_redis(workdir / "redis") as redis_server,
        smtp_server() as mailbox,
        fresh_database(backend, workdir) as database_url,
        running_gateway(
            redis_server.url(), API_KEY, workdir, {"BOOKINGS_ACTION_LINK_SECRET": SECRET}
        ) as gateway,
    ):
        settings = {
            "BOOKINGS_ACTION_LINK_SECRET": SECRET,
            "BOOKINGS_PUBLIC_URL": gateway.base_url,
            "BOOKINGS_SMTP_URL": mailbox.url,
        }
        with (
            running_workers(redis_server.url(), database_url, workdir, settings=settings) as dep,
            dep.client() as client,
            # No Authorization header: the signature is the only credential.
            httpx.Client(timeout=30) as http,
        ):
            yield Linked(client, http, gateway.base_url, mailbox)


def a_class(client: BookingClient, **settings: object) -> str:
    return str(client.create_booking(class_body(**settings))["data"]["id"])


def links_of(client: BookingClient, booking_id: str) -> dict[str, str]:
    data = client.get_booking(booking_id, include=["customer_action_links"])["data"]
    links: dict[str, str] = data["customer_action_links"]
    return links


def state_of(client: BookingClient, booking_id: str) -> str:
    return str(client.get_booking(booking_id)["data"]["state"])


def signature_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["signature"][0]


def press_button(http: httpx.Client, link: str, signature: str | None = None) -> httpx.Response:
    """What the page's button sends: a form POST of the signature to the link's path."""
    target = link.split("?", 1)[0]
    return http.post(target, data={"signature": signature or signature_of(link)})


def tampered(link: str) -> str:
    """The link with the first character of the token's signature changed (the last one may
    carry only padding bits, which decode the same)."""
    head, token = link.split("signature=", 1)
    header, claims, mac = token.split(".")
    changed = ("A" if mac[0] != "A" else "B") + mac[1:]
    return f"{head}signature={header}.{claims}.{changed}"


def mail_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_a_seat_booking_includes_a_cancel_link_on_the_public_url_and_a_class_none(
    linked: Linked,
) -> None:
    class_id = a_class(linked.client)
    seat_id = linked.client.create_booking(seat_body(class_id))["data"]["id"]

    links = links_of(linked.client, seat_id)

    assert set(links) == {"cancel_by_customer"}
    assert links["cancel_by_customer"].startswith(
        f"{linked.base_url}/v2/bookings/{seat_id}/external_action/cancel_by_customer?signature="
    )
    assert links_of(linked.client, class_id) == {}


def test_opening_the_link_shows_a_page_and_changes_nothing_then_the_button_cancels(
    linked: Linked,
) -> None:
    class_id = a_class(linked.client)
    seat_id = linked.client.create_booking(seat_body(class_id))["data"]["id"]
    link = links_of(linked.client, seat_id)["cancel_by_customer"]

    # When a mail scanner (or the customer) opens the link, twice
    opened = [linked.http.get(link) for _ in range(2)]

    # Then a page with a button, and the booking is as it was
    for page in opened:
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert "Cancel my booking" in page.text and 'method="post"' in page.text
        [target] = re.findall(r'<form method="post" action="([^"]+)"', page.text)
        assert urljoin(link, target) == link.split("?")[0]  # the button posts to the link's path
        assert page.headers["x-frame-options"] == "DENY"
    assert state_of(linked.client, seat_id) == "confirmed"

    # When the button is pressed (twice: the second acts no more)
    pressed = [press_button(linked.http, link) for _ in range(2)]

    # Then the booking is cancelled by its customer, once
    for outcome in pressed:
        assert outcome.status_code == 200, outcome.text
        assert "Your booking is cancelled" in outcome.text
    assert state_of(linked.client, seat_id) == "cancelled_by_customer"
    logs = linked.client.get_booking(seat_id, include=["logs"])["data"]["logs"]
    assert [entry["action"] for entry in logs].count("cancel_by_customer") == 1


def test_a_tampered_misdirected_or_expired_link_is_403_and_changes_nothing(
    linked: Linked,
) -> None:
    class_id = a_class(linked.client)
    seat_id = linked.client.create_booking(seat_body(class_id))["data"]["id"]
    other_id = linked.client.create_booking(seat_body(class_id, name="Biff"))["data"]["id"]
    link = links_of(linked.client, seat_id)["cancel_by_customer"]
    expired = action_link(
        linked.base_url, SECRET, seat_id, "cancel_by_customer", datetime.now(UTC) - timedelta(1)
    )
    misdirected = link.replace(seat_id, other_id)
    wrong_action = link.replace("cancel_by_customer", "cancel_by_owner")

    for bad in (tampered(link), expired, misdirected, wrong_action):
        shown = linked.http.get(bad)
        pressed = press_button(linked.http, bad)
        assert (shown.status_code, pressed.status_code) == (403, 403), bad
        assert "not valid" in pressed.text and "Cancel my booking" not in shown.text
    # The right path with a signature that is not in the form, or not the link's
    assert press_button(linked.http, link, signature="nonsense").status_code == 403
    assert linked.http.post(link.split("?")[0]).status_code == 403

    assert state_of(linked.client, seat_id) == "confirmed"
    assert state_of(linked.client, other_id) == "confirmed"


def test_a_link_whose_action_is_no_longer_allowed_shows_the_refusal(linked: Linked) -> None:
    class_id = a_class(linked.client)
    seat_id = linked.client.create_booking(seat_body(class_id))["data"]["id"]
    link = links_of(linked.client, seat_id)["cancel_by_customer"]
    linked.client.cancel_by_owner(seat_id, "The class is moving <elsewhere>")

    pressed = press_button(linked.http, link)

    assert pressed.status_code == 409, pressed.text
    assert "not allowed" in pressed.text
    assert state_of(linked.client, seat_id) == "cancelled_by_owner"


def test_the_confirmation_email_carries_the_same_cancel_link_and_it_works(
    linked: Linked,
) -> None:
    class_id = a_class(linked.client)
    seat = linked.client.create_booking(seat_body(class_id, name="Lorraine Baines"))["data"]

    [mail] = eventually(lambda: linked.mailbox.to("lorraine.baines@mcfly.example"))
    [link] = re.findall(r"Cancel your booking: (\S+)", mail_text(mail))

    assert link == links_of(linked.client, seat["id"])["cancel_by_customer"]
    assert press_button(linked.http, link).status_code == 200
    assert state_of(linked.client, seat["id"]) == "cancelled_by_customer"


def test_an_offer_is_accepted_from_the_link_in_its_email(linked: Linked) -> None:
    # Given a full class whose freed seats are offered, and Jennifer waiting in line
    class_id = a_class(linked.client, max_seats=1, waitlist_size=5, waitlist_promotion="offer")
    holder = linked.client.create_booking(seat_body(class_id, name="Holder"))["data"]["id"]
    body = seat_body(class_id, name="Jennifer Parker", waitlist=True)
    waiting = linked.client.create_booking(body)["data"]["id"]
    assert set(links_of(linked.client, waiting)) == {"cancel_by_customer"}

    # When the holder leaves, Jennifer is offered the seat, by e-mail with her links
    linked.client.cancel_by_customer(holder, "Can't make it")
    assert state_of(linked.client, waiting) == "offered"
    offers = eventually(
        lambda: [
            mail
            for mail in linked.mailbox.to("jennifer.parker@mcfly.example")
            if "accept" in str(mail["Subject"])
        ]
    )
    text = mail_text(offers[0])
    [accept] = re.findall(r"Accept the offer: (\S+)", text)
    [decline] = re.findall(r"Decline the offer: (\S+)", text)
    links = links_of(linked.client, waiting)
    assert (links["accept_offer"], links["decline_offer"]) == (accept, decline)

    # Then opening the link changes nothing, and its button confirms her seat
    assert linked.http.get(accept).status_code == 200
    assert state_of(linked.client, waiting) == "offered"
    accepted = press_button(linked.http, accept)
    assert accepted.status_code == 200, accepted.text
    assert "your booking is confirmed" in accepted.text
    assert state_of(linked.client, waiting) == "confirmed"
    # and the decline link, now out of turn, is refused by the worker
    assert press_button(linked.http, decline).status_code == 409
    assert state_of(linked.client, waiting) == "confirmed"


def test_without_a_secret_and_public_url_the_include_answers_no_links(
    client: BookingClient,
) -> None:
    class_id = a_class(client)
    seat_id = client.create_booking(seat_body(class_id))["data"]["id"]

    assert links_of(client, seat_id) == {}


# The pages are the gateway's and the same on either database: the browser visits them once,
# on SQLite (the module's other tests run on every backend).
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_in_a_browser_the_link_cancels_after_the_button_and_a_tampered_one_is_refused(
    linked: Linked, browser: Browser
) -> None:
    class_id = a_class(linked.client)
    seat_id = linked.client.create_booking(seat_body(class_id))["data"]["id"]
    other_id = linked.client.create_booking(seat_body(class_id, name="Biff"))["data"]["id"]
    link = links_of(linked.client, seat_id)["cancel_by_customer"]

    # When the customer opens the link from the e-mail
    with visiting(browser, link, CUSTOMER_ZONE) as visit:
        page = visit.page
        # Then the page asks, and the booking is as it was
        expect(page.locator("h1"), visit.report()).to_have_text("Cancel your booking?")
        button = page.get_by_role("button", name="Cancel my booking")
        expect(button).to_be_visible()
        assert state_of(linked.client, seat_id) == "confirmed"

        # When the customer presses the button
        with page.expect_response(lambda response: response.request.method == "POST") as posted:
            button.click()
        # Then the page shows the outcome, and the booking is cancelled by its customer
        assert posted.value.status == 200
        expect(page.locator("main p"), visit.report()).to_have_text("Your booking is cancelled.")
        assert state_of(linked.client, seat_id) == "cancelled_by_customer"

        # When the customer goes back and presses again, then reloads the outcome (the browser
        # sends the form again): the same outcome, and the booking was cancelled once
        page.go_back()
        page.get_by_role("button", name="Cancel my booking").click()
        expect(page.locator("main p")).to_have_text("Your booking is cancelled.")
        with page.expect_response(lambda response: response.request.method == "POST") as again:
            page.reload()
        assert again.value.status == 200
        expect(page.locator("main p")).to_have_text("Your booking is cancelled.")
    logs = linked.client.get_booking(seat_id, include=["logs"])["data"]["logs"]
    assert [entry["action"] for entry in logs].count("cancel_by_customer") == 1

    # When someone opens Biff's link with its signature changed
    other_link = links_of(linked.client, other_id)["cancel_by_customer"]
    with visiting(browser, tampered(other_link), CUSTOMER_ZONE) as visit:
        # Then the browser shows the refusal and no button
        expect(visit.page.locator("main p"), visit.report()).to_have_text(INVALID)
        expect(visit.page.get_by_role("button")).to_have_count(0)
    # And when the genuine page's form is made to send a changed signature, the same refusal
    with visiting(browser, other_link, CUSTOMER_ZONE) as visit:
        page = visit.page
        field = page.locator("input[name=signature]")
        field.evaluate(
            "(input, value) => { input.value = value; }", signature_of(tampered(other_link))
        )
        with page.expect_response(lambda response: response.request.method == "POST") as refused:
            page.get_by_role("button", name="Cancel my booking").click()
        assert refused.value.status == 403
        expect(page.locator("main p"), visit.report()).to_have_text(INVALID)
    assert state_of(linked.client, other_id) == "confirmed"
