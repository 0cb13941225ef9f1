"""The owner's list (GET /bookings): Timekit's search terms and pagination envelope, through a
real worker on both databases."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from api_client import BookingClient, InvalidRequestError
from api_client.contract.responses import BookingPage
from harness.bodies import class_body, in_days, seat_body

pytestmark = pytest.mark.integration


def a_calendar(client: BookingClient, classes: int, **fields: Any) -> tuple[str, list[str]]:
    """A calendar of its own with `classes` classes, created in order; their ids."""
    calendar = f"cal-{uuid.uuid4().hex[:10]}"
    ids = []
    for day in range(classes):
        body = {**class_body(in_days(800 + day)), **fields}
        body["event"]["calendar_id"] = calendar
        ids.append(client.create_booking(body)["data"]["id"])
    return calendar, ids


def query_of(url: str | None) -> dict[str, Any]:
    assert url is not None
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_pages_follow_each_other_by_their_urls_in_creation_order(client: BookingClient) -> None:
    calendar, ids = a_calendar(client, 5)
    search = f"graph:group_owner;calendar_id:{calendar}"

    first = client.search_bookings(search, limit=2)
    BookingPage.model_validate(first)
    second = client.search_bookings(**_as_call(query_of(first["next_page_url"])))
    third = client.search_bookings(**_as_call(query_of(second["next_page_url"])))
    back = client.search_bookings(**_as_call(query_of(third["prev_page_url"])))

    assert {k: v for k, v in first.items() if k not in ("data", "next_page_url")} == {
        "total": 5,
        "per_page": 2,
        "current_page": 1,
        "last_page": 3,
        "prev_page_url": None,
    }
    assert [[b["id"] for b in page["data"]] for page in (first, second, third)] == [
        ids[0:2],
        ids[2:4],
        ids[4:5],
    ]
    assert (second["current_page"], third["current_page"], third["next_page_url"]) == (2, 3, None)
    assert [b["id"] for b in back["data"]] == ids[2:4] and back["current_page"] == 2
    # A page asked by its number alone is the same page
    by_number = client.search_bookings(search, limit=2, page=2)
    assert [b["id"] for b in by_number["data"]] == ids[2:4]


def _as_call(query: dict[str, Any]) -> dict[str, Any]:
    return {
        "search": query.get("search"),
        "limit": int(query["limit"]),
        "page": int(query["page"]),
        "after": query.get("after"),
        "before": query.get("before"),
    }


def test_every_term_filters(client: BookingClient) -> None:
    room = f"room-{uuid.uuid4().hex[:8]}"
    calendar, [yoga, cancelled] = a_calendar(
        client, 2, meta={"room": room, "level": "beginner"}, project_id="proj-search"
    )
    client.cancel(cancelled)
    email = f"marty-{uuid.uuid4().hex[:8]}@mcfly.example"
    seat_request = seat_body(yoga)
    seat_request["customer"]["email"] = email
    seat = client.create_booking(seat_request)["data"]["id"]

    def ids(search: str) -> list[str]:
        return [booking["id"] for booking in client.search_bookings(search)["data"]]

    assert ids(f"calendar_id:{calendar}") == [yoga, cancelled]
    assert ids(f"calendar_id:{calendar};state:tentative") == [yoga]
    assert ids(f"calendar_id:{calendar};graph:group_owner;state:cancelled") == [cancelled]
    assert ids(f"customer.email:{email}") == [seat]
    assert ids(f"meta.room:{room}") == [yoga, cancelled]
    assert ids(f"meta.room:{room};meta.level:beginner;state:tentative") == [yoga]
    assert ids(f"meta.room:{room};meta.level:advanced") == []
    assert ids(f"project.id:proj-search;calendar_id:{calendar}") == [yoga, cancelled]


def test_meta_terms_match_string_values_only(client: BookingClient) -> None:
    mark = uuid.uuid4().hex[:8]
    _calendar, [klass] = a_calendar(client, 1, meta={"mark": mark, "mats": 20, "paid": True})

    assert [b["id"] for b in client.search_bookings(f"meta.mark:{mark}")["data"]] == [klass]
    assert client.search_bookings(f"meta.mark:{mark};meta.mats:20")["data"] == []


@pytest.mark.parametrize(
    ("search", "options", "field"),
    [
        ("owner:doc", {}, "search"),
        ("graph", {}, "search"),
        (None, {"limit": 0}, "limit"),
        (None, {"limit": 101}, "limit"),
        (None, {"page": 0}, "page"),
        (None, {"after": "bm90IGEgY3Vyc29y"}, "after"),
    ],
)
def test_bad_searches_are_refused_before_sending(
    client: BookingClient, search: str | None, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        client.search_bookings(search, **options)

    assert list(refused.value.errors or {}) == [field]
