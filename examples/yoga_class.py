"""The seed's yoga-class walk-through, dates moved into the future, through a live worker."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from api_client import BookingClient, BookingError


def wait_for_notifications(client: BookingClient, booking_id: str, count: int) -> dict[str, Any]:
    """The booking's notifications once `count` of them are delivered (delivery is async)."""
    for _ in range(100):
        shown = client.get_booking(booking_id, include=["notifications"])
        delivered = [n for n in shown["data"]["notifications"] if n["state"] == "delivered"]
        if len(delivered) >= count:
            break
        time.sleep(0.1)
    return {"data": {"id": booking_id, "notifications": shown["data"]["notifications"]}}


def show(title: str, response: dict[str, Any]) -> None:
    print(f"\n== {title}")
    print(json.dumps(response, indent=2))


def next_friday_at_8_utc(now: datetime) -> datetime:
    days_ahead = (4 - now.weekday()) % 7 or 7
    friday = (now + timedelta(days=days_ahead)).replace(hour=8, minute=0, second=0, microsecond=0)
    return friday


def class_body(start: datetime, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "graph": "group_owner",
        "settings": settings,
        "event": {
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "what": "Doc Brown's Friday Yoga Class",
            "where": "Sesame St, Middleburg, FL 32068, USA",
            "calendar_id": "replace-with-id",
            "description": "Please arrive 10 minutes before classes begin",
        },
    }


def main() -> None:
    client = BookingClient()
    friday = next_friday_at_8_utc(datetime.now(UTC))

    # 1. Define availability: a class with 20 seats, and one with booking rules a week later.
    first = client.create_booking(class_body(friday, {"max_seats": 20}))
    show("1. Doc Brown sets up a yoga class with 20 seats", first)
    rules = {
        "max_seats": 20,
        "min_cancel_time": "1 day",
        "min_booking_time": "2 hours",
        "max_booking_time": "14 days",
    }
    with_owner = class_body(friday + timedelta(days=7), rules)
    with_owner["owner"] = {"name": "Emmett Brown", "email": "doc@hill-valley.example"}
    second = client.create_booking(with_owner)
    show("   ... and next week's class, with booking and cancel rules", second)
    class_id = second["data"]["id"]

    show("   Query availability: GET /bookings/groups", client.list_groups())

    # 2. Sign up: Marty books one seat, then two (he brings a friend).
    customer = {"name": "Marty McFly", "email": "marty@mcfly.example"}
    one_seat = client.create_booking(
        {"graph": "group_customer", "related": {"owner_booking_id": class_id}, "customer": customer}
    )
    show("2. Marty McFly signs up (19 spots left)", one_seat)
    two_seats = client.create_booking(
        {
            "graph": "group_customer",
            "action": "create",
            "related": {"owner_booking_id": class_id, "seats": 2},
            "customer": customer,
        }
    )
    show("   Marty brings a friend: 2 seats (17 left)", two_seats)

    # 3. Cancellations: Marty cancels his single seat, then Doc cancels the class.
    show(
        "3. Marty double booked himself: cancel_by_customer",
        client.cancel_by_customer(one_seat["data"]["id"], "Double booked. Sorry, Doc!"),
    )

    # 4. Manage the group: how many mats does Doc need?
    show(
        "4. Doc counts yoga mats: include=attributes,related_bookings",
        client.get_booking(class_id, include=["attributes", "related_bookings"]),
    )

    show(
        "   Doc has to cancel: cancel (every seat booking is cancelled with his message)",
        client.cancel(class_id, "Getting the DeLorean fixed that day. Doc."),
    )
    show(
        "   The class afterwards, with its log",
        client.get_booking(class_id, include=["attributes", "related_bookings", "logs"]),
    )

    show(
        "   Marty heard of it: his booking's notifications (log channel; see demo-worker.log)",
        wait_for_notifications(client, two_seats["data"]["id"], count=3),
    )

    try:
        client.create_booking(
            {
                "graph": "group_customer",
                "related": {"owner_booking_id": class_id},
                "customer": customer,
            }
        )
    except BookingError as refused:
        show(
            "   Booking the cancelled class is refused",
            {"status": refused.status, **refused.to_result()},
        )

    waitlist_walkthrough(client, friday + timedelta(days=14))
    client.close()


def waitlist_walkthrough(client: BookingClient, start: datetime) -> None:
    """5. A class with a waitlist: Marty's friend waits and is promoted when Marty cancels."""
    small = class_body(start, {"max_seats": 3, "waitlist_size": 5})
    small["owner"] = {"name": "Emmett Brown", "email": "doc@hill-valley.example"}
    klass = client.create_booking(small)
    show("5. Doc's small class: 3 mats and a waitlist of 5 (waitlist_size)", klass)
    class_id = klass["data"]["id"]

    marty = {"name": "Marty McFly", "email": "marty@mcfly.example"}
    martys_seat = client.create_booking(
        {"graph": "group_customer", "related": {"owner_booking_id": class_id}, "customer": marty}
    )
    show("   Marty takes a mat", martys_seat)
    client.create_booking(
        {
            "graph": "group_customer",
            "related": {"owner_booking_id": class_id, "seats": 2},
            "customer": {"name": "Biff Tannen", "email": "biff@tannen.example"},
        }
    )
    friend = {"name": "Jennifer Parker", "email": "jennifer@parker.example"}
    try:
        client.create_booking(
            {
                "graph": "group_customer",
                "related": {"owner_booking_id": class_id},
                "customer": friend,
            }
        )
    except BookingError as full:
        show(
            "   Biff takes the other two; Marty's friend Jennifer finds the class full",
            {"status": full.status, **full.to_result()},
        )
    waiting = client.create_booking(
        {
            "graph": "group_customer",
            "related": {"owner_booking_id": class_id},
            "customer": friend,
            "waitlist": True,
        }
    )
    show('   ... so she books with "waitlist": true and waits (position 1)', waiting)
    show(
        "   Doc's view of the line: include=waitlist",
        client.get_booking(class_id, include=["attributes", "waitlist"]),
    )

    show(
        "   Marty cancels: his mat goes to Jennifer in the same transaction",
        client.cancel_by_customer(martys_seat["data"]["id"], "Jennifer can have my mat."),
    )
    show(
        "   Jennifer is now confirmed (promoted from the waitlist)",
        client.get_booking(waiting["data"]["id"], include=["attributes", "logs"]),
    )


if __name__ == "__main__":
    main()
