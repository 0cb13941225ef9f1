"""Signed action links: bound to one booking and one action, until their expiry, unforgeable."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from api_client.action_links import ActionLinkError, action_link, sign, verify
from gateway.action_links import page
from worker.channels.email import compose
from worker.customer_links import CustomerLinks

SECRET = "s3cret-for-action-links-0123456789abcdef"
BOOKING = uuid.UUID("0b7e1c2a-9f3d-4f4e-8a51-2d9d7c1e5b10")
END = datetime(2030, 9, 30, 9, 0, tzinfo=UTC)
BEFORE_END_S = (END - timedelta(hours=1)).timestamp()


def test_a_link_verifies_for_its_booking_and_action_until_it_expires() -> None:
    token = sign(SECRET, BOOKING, "cancel_by_customer", END)

    verify(SECRET, token, BOOKING, "cancel_by_customer", BEFORE_END_S)
    verify(SECRET, token, str(BOOKING), "cancel_by_customer", BEFORE_END_S)


def test_an_expired_link_is_refused() -> None:
    token = sign(SECRET, BOOKING, "cancel_by_customer", END)

    with pytest.raises(ActionLinkError, match="expired"):
        verify(SECRET, token, BOOKING, "cancel_by_customer", END.timestamp())


def test_a_link_for_another_action_is_refused() -> None:
    token = sign(SECRET, BOOKING, "decline_offer", END)

    with pytest.raises(ActionLinkError):
        verify(SECRET, token, BOOKING, "accept_offer", BEFORE_END_S)


def test_a_link_for_another_booking_is_refused() -> None:
    token = sign(SECRET, uuid.uuid4(), "cancel_by_customer", END)

    with pytest.raises(ActionLinkError):
        verify(SECRET, token, BOOKING, "cancel_by_customer", BEFORE_END_S)


@pytest.mark.parametrize("part", [0, 1, 2], ids=["header", "claims", "signature"])
def test_a_tampered_link_is_refused(part: int) -> None:
    pieces = sign(SECRET, BOOKING, "cancel_by_customer", END).split(".")
    flipped = "A" if pieces[part][5] != "A" else "B"
    pieces[part] = pieces[part][:5] + flipped + pieces[part][6:]

    with pytest.raises(ActionLinkError):
        verify(SECRET, ".".join(pieces), BOOKING, "cancel_by_customer", BEFORE_END_S)


def test_a_link_signed_with_another_secret_is_refused() -> None:
    token = sign("another-secret-of-the-same-length-0123456", BOOKING, "cancel_by_customer", END)

    with pytest.raises(ActionLinkError):
        verify(SECRET, token, BOOKING, "cancel_by_customer", BEFORE_END_S)


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c"])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(ActionLinkError):
        verify(SECRET, token, BOOKING, "cancel_by_customer", BEFORE_END_S)


def test_only_the_customers_actions_are_ever_signed() -> None:
    with pytest.raises(ValueError):
        sign(SECRET, BOOKING, "cancel_by_owner", END)


def test_the_url_is_timekits_external_action_path_on_the_public_base() -> None:
    url = action_link("https://bookings.example/", SECRET, BOOKING, "accept_offer", END)

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"https://bookings.example/v2/bookings/{BOOKING}/external_action/accept_offer"
    )
    [token] = parse_qs(parts.query)["signature"]
    verify(SECRET, token, BOOKING, "accept_offer", BEFORE_END_S)


def test_a_booking_gets_the_links_its_state_allows_each_until_its_relevance_ends() -> None:
    links = CustomerLinks("https://bookings.example", SECRET)
    offer_expires = END - timedelta(days=2)

    confirmed = links.for_booking(BOOKING, "confirmed", END, None)
    offered = links.for_booking(BOOKING, "offered", END, offer_expires)

    assert set(confirmed) == {"cancel_by_customer"}
    assert set(offered) == {"accept_offer", "decline_offer", "cancel_by_customer"}
    accept = parse_qs(urlsplit(offered["accept_offer"]).query)["signature"][0]
    with pytest.raises(ActionLinkError, match="expired"):
        verify(SECRET, accept, BOOKING, "accept_offer", offer_expires.timestamp())
    assert links.for_booking(BOOKING, "cancelled_by_customer", END, None) == {}
    # The same inputs sign the same link: an e-mail and the include show one URL.
    assert links.for_booking(BOOKING, "confirmed", END, None) == confirmed


def _delivery(kind: str, role: str, state: str) -> dict[str, object]:
    waitlist = {"offer_expires_at": (END - timedelta(days=1)).isoformat()}
    return {
        "notification_id": uuid.uuid4(),
        "type": kind,
        "recipient_role": role,
        "recipient_name": "Marty McFly",
        "recipient_email": "marty@mcfly.example",
        "message": None,
        "payload": {
            "id": str(BOOKING),
            "graph": "group_customer",
            "state": state,
            "seats": 1,
            "attributes": {
                "event_info": {"what": "Yoga", "start": END.isoformat(), "end": END.isoformat()},
                **({"waitlist": waitlist} if state == "offered" else {}),
            },
        },
    }


def test_a_confirmation_to_the_customer_carries_the_cancel_link() -> None:
    links = CustomerLinks("https://bookings.example", SECRET)

    text = compose(_delivery("booking.confirmed", "customer", "confirmed"), "b@x", links)
    body = text.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    cancel = links.for_booking(BOOKING, "confirmed", END, None)["cancel_by_customer"]
    assert f"Cancel your booking: {cancel}" in body


def test_an_offer_carries_accept_and_decline_links_and_the_owner_gets_none() -> None:
    links = CustomerLinks("https://bookings.example", SECRET)

    offer = compose(_delivery("booking.offered", "customer", "offered"), "b@x", links)
    owners = compose(_delivery("booking.created", "owner", "confirmed"), "b@x", links)
    unsigned = compose(_delivery("booking.offered", "customer", "offered"), "b@x", None)

    offer_text = offer.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Accept the offer: https://bookings.example/" in offer_text
    assert "Decline the offer: https://bookings.example/" in offer_text
    assert "external_action" not in str(owners)
    assert "external_action" not in str(unsigned)
    assert "PUT /v2/bookings/" in str(unsigned)  # without links, how to answer by the API


def test_the_page_escapes_every_text() -> None:
    shown = page(409, "<b>Not done</b>", "Biff's <script>alert(1)</script>").body.decode()

    assert "<script>" not in shown and "<b>" not in shown
    assert "&lt;script&gt;" in shown
