"""The bodies Timekit's clients send, through the client and a real worker on both databases."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select, text

from api_client import BookingClient, InvalidRequestError
from api_client.contract import BookingResponse, GroupListResponse
from harness.bodies import class_body, in_days, seat_body
from harness.databases import fresh_database
from worker.storage.migrate import MIGRATIONS_DIR
from worker.storage.tables import bookings

pytestmark = pytest.mark.integration

NEW_YORK = ZoneInfo("America/New_York")
RESOURCE_ID = "d187d6e0-d6cb-409a-ae60-45a8fd0ec879"
PROJECT_ID = "b2c1e3a4-0000-4000-8000-000000000001"


def valid(response: dict[str, Any]) -> dict[str, Any]:
    """The response's data, once it has validated against the client's contract."""
    BookingResponse.model_validate(response)
    data: dict[str, Any] = response["data"]
    return data


def flat_class_body(start: datetime, **extra: Any) -> dict[str, Any]:
    """A class as Timekit's current reference sends it: its event at the top level."""
    nested = class_body(start, max_seats=3, waitlist_size=5)
    return {
        "graph": "group_owner",
        "action": "create",
        "resource_id": RESOURCE_ID,
        "project_id": PROJECT_ID,
        **nested["event"],
        "settings": nested["settings"],
        "meta": {"room": "B", "mats": 20, "beginners": True, "price": 12.5},
        **extra,
    }


def booking_js_body(class_id: str, start: datetime, end: datetime, name: str) -> dict[str, Any]:
    """What booking.js posts for a group_customer seat (timekit-io/booking-js,
    src/pages/booking.js, timekitCreateBooking): times in the visitor's zone as moment's
    format() writes them, the form's fields on the customer, description as text, made-up what
    and where, the class's resource_id, related.owner_booking_id, and the `booking` config."""
    email = name.lower().replace(" ", ".") + "@mcfly.example"
    return {
        "description": f"Name: {name}\nEmail: {email}\nPhone: 555-0185\n",
        "end": end.astimezone(NEW_YORK).isoformat(),
        "start": start.astimezone(NEW_YORK).isoformat(),
        "customer": {
            "name": name,
            "email": email,
            "timezone": "America/New_York",
            "phone": "555-0185",
            "voip": "marty.mcfly",
            "comment": "Bringing my own mat",
            "newsletter": False,
            "styles": ["hatha", "yin"],
        },
        "where": "TBD",
        "what": f"Meeting with {name}",
        "resource_id": RESOURCE_ID,
        "related": {"owner_booking_id": class_id},
        "graph": "group_customer",
        "action": "create",
    }


def timekit_class(client: BookingClient) -> tuple[dict[str, Any], datetime, datetime]:
    start = in_days(7, hour=13)
    created = valid(client.create_booking(flat_class_body(start)))
    return created, start, start + timedelta(hours=1)


def test_a_flat_class_is_stored_like_a_nested_one_with_its_timekit_fields(
    client: BookingClient,
) -> None:
    start = in_days(7, hour=13)
    flat = valid(client.create_booking(flat_class_body(start)))
    nested = valid(client.create_booking(class_body(start, max_seats=3, waitlist_size=5)))

    shown = valid(client.get_booking(flat["id"], include=["attributes"]))

    assert shown["attributes"]["event_info"] == nested["attributes"]["event_info"]
    assert shown["attributes"]["settings"] == nested["attributes"]["settings"]
    assert (shown["resource_id"], shown["project_id"]) == (RESOURCE_ID, PROJECT_ID)
    assert shown["meta"] == {"room": "B", "mats": 20, "beginners": True, "price": 12.5}
    assert "meta" not in nested and "resource_id" not in nested


def test_a_class_with_its_event_twice_is_refused(client: BookingClient) -> None:
    body = {**class_body(in_days(7)), "start": in_days(7).isoformat()}

    with pytest.raises(InvalidRequestError) as refused:
        client.create_booking(body)

    assert refused.value.errors == {
        "event": ["is given twice: under event and at the top level (start)"]
    }


def test_booking_js_seat_body_books_a_seat_and_keeps_its_customer(client: BookingClient) -> None:
    klass, start, end = timekit_class(client)

    booked = valid(client.create_booking(booking_js_body(klass["id"], start, end, "Marty McFly")))

    assert booked["state"] == "confirmed"
    shown = valid(client.get_booking(booked["id"], include=["attributes"]))
    assert shown["resource_id"] == RESOURCE_ID
    assert shown["attributes"]["customer"] == {
        "name": "Marty McFly",
        "email": "marty.mcfly@mcfly.example",
        "phone": "555-0185",
        "voip": "marty.mcfly",
        "timezone": "America/New_York",
        "comment": "Bringing my own mat",
        "newsletter": False,
        "styles": ["hatha", "yin"],
    }
    assert shown["attributes"]["event_info"] == klass["attributes"]["event_info"]


def test_meta_and_project_are_kept_on_a_seat_booking(client: BookingClient) -> None:
    klass, _start, _end = timekit_class(client)
    body = {**seat_body(klass["id"]), "project_id": PROJECT_ID, "meta": {"order": "A-1985"}}

    booked = valid(client.create_booking(body))

    assert (booked["project_id"], booked["meta"]) == (PROJECT_ID, {"order": "A-1985"})
    assert "resource_id" not in booked


@pytest.mark.parametrize("field", ["start", "end"])
def test_a_seat_booking_for_another_time_is_refused_and_writes_nothing(
    client: BookingClient, field: str
) -> None:
    klass, start, end = timekit_class(client)
    body = booking_js_body(klass["id"], start, end, "Biff Tannen")
    body[field] = (datetime.fromisoformat(body[field]) + timedelta(hours=1)).isoformat()

    with pytest.raises(InvalidRequestError) as refused:
        client.create_booking(body)

    assert refused.value.status == 422
    assert refused.value.errors is not None and list(refused.value.errors) == [field]
    assert "the class's" in refused.value.errors[field][0]
    after = valid(client.get_booking(klass["id"], include=["attributes", "related_bookings"]))
    assert after["attributes"]["group_booking"]["current_seats"] == 0
    assert after["related_bookings"] == []


def test_a_waiting_seat_booking_keeps_its_fields_too(client: BookingClient) -> None:
    klass, start, end = timekit_class(client)
    client.create_booking(seat_body(klass["id"], 3, "Holder"))
    body = {**booking_js_body(klass["id"], start, end, "Jennifer Parker"), "waitlist": True}

    waiting = valid(client.create_booking(body))

    assert waiting["state"] == "waitlisted"
    assert waiting["attributes"]["customer"]["timezone"] == "America/New_York"
    assert waiting["resource_id"] == RESOURCE_ID


def test_include_customers_lists_who_holds_seats_in_timekits_shape(
    client: BookingClient,
) -> None:
    klass, start, end = timekit_class(client)
    marty = valid(client.create_booking(booking_js_body(klass["id"], start, end, "Marty McFly")))
    biff = valid(client.create_booking(seat_body(klass["id"], 1, "Biff Tannen")))
    valid(client.create_booking(seat_body(klass["id"], 1, "George McFly")))
    valid(client.create_booking(seat_body(klass["id"], 1, "Lorraine Baines", waitlist=True)))
    client.cancel_by_customer(biff["id"], "Not my kind of class")  # Lorraine is promoted

    shown = valid(client.get_booking(klass["id"], include=["customers"]))

    assert [c["name"] for c in shown["customers"]] == [
        "Marty McFly",
        "George McFly",
        "Lorraine Baines",
    ]
    assert shown["customers"][0] == {
        "name": "Marty McFly",
        "email": "marty.mcfly@mcfly.example",
        "phone": "555-0185",
        "voip": "marty.mcfly",
        "timezone": "America/New_York",
    }
    assert shown["customers"][1]["phone"] is None
    own = valid(client.get_booking(marty["id"], include=["customers"]))
    assert own["customers"] == shown["customers"][:1]


def test_timekits_other_include_values_are_ignored(client: BookingClient) -> None:
    klass, _start, _end = timekit_class(client)

    plain = valid(client.get_booking(klass["id"]))
    asked = valid(client.get_booking(klass["id"], include="event,calendar,user"))

    assert {k: v for k, v in asked.items() if k != "updated_at"} == {
        k: v for k, v in plain.items() if k != "updated_at"
    }


def test_the_public_list_shows_resource_and_project_but_not_meta(client: BookingClient) -> None:
    klass, start, _end = timekit_class(client)

    listed = client.list_groups(
        start=start - timedelta(minutes=1), end=start + timedelta(minutes=1)
    )

    GroupListResponse.model_validate(listed)
    [shown] = [c for c in listed["data"] if c["id"] == klass["id"]]
    assert (shown["resource_id"], shown["project_id"]) == (RESOURCE_ID, PROJECT_ID)
    assert "meta" not in shown


def test_a_flat_series_gives_every_class_its_timekit_fields(client: BookingClient) -> None:
    body = {
        **flat_class_body(in_days(7, hour=13)),
        "recurrence": {"starts": [in_days(d, hour=13).isoformat() for d in (7, 14)]},
    }

    term = client.create_recurring(body)["data"]

    assert len(term["bookings"]) == 2
    assert {b["resource_id"] for b in term["bookings"]} == {RESOURCE_ID}
    assert all(b["meta"]["room"] == "B" for b in term["bookings"])


def test_an_unknown_top_level_field_is_still_refused(client: BookingClient) -> None:
    klass, start, end = timekit_class(client)

    with pytest.raises(InvalidRequestError) as refused:
        client.create_booking({**booking_js_body(klass["id"], start, end, "Doc"), "colour": "red"})

    assert refused.value.errors is not None and list(refused.value.errors) == ["colour"]


def test_bookings_made_before_migration_0005_read_without_timekit_fields(
    backend: str, workdir: Path
) -> None:
    with fresh_database(backend, workdir) as database_url:
        engine = create_engine(database_url)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["engine"] = engine
        command.upgrade(config, "0004")
        class_id = uuid.uuid4()
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO bookings (id, graph, state, created_at, updated_at)"
                    " VALUES (:id, 'group_owner', 'tentative', :now, :now)"
                ),
                {"id": class_id if backend == "postgresql" else class_id.hex, "now": in_days(0)},
            )

        command.upgrade(config, "head")  # 0005 and every later one: the table as it is now

        with engine.connect() as conn:
            row = conn.execute(select(bookings).where(bookings.c.id == class_id)).mappings().one()
        engine.dispose()
    assert (row["resource_id"], row["project_id"], row["meta"], row["customer_fields"]) == (
        None,
        None,
        None,
        None,
    )
