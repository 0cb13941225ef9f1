"""The load's side of issue 12: bookings as booking.js sends them, cancels from an e-mail's
action link, and deletions of bookings in a final state.

- A widget booking is booking.js's body (flat event fields, `resource_id`, sometimes
  `project_id`, `meta`, the customer's phone, zone and custom fields) under the key the gateway
  derives for a widget that sends none (gateway/widget.py's `derived_key`), sent twice: the
  widget's retry after a slow answer.
- A link cancel is what the action link's button POSTs: cancel_by_customer under a key made from
  the link's signature, as gateway/action_links.py makes it, pressed twice (the second press
  before the first is answered).
- A deletion takes a seat booking the caller was told is cancelled, one of its seats in a class
  that has ended (completed by now, or refused 409), a class it cancelled, or one of half the
  classes ending during the run (the other half stay, completed, for the drills that count
  them); half the deletions are sent again under their key.

The second send of a pair is skipped once the load's time is up, and the classes' times come
from their creation (LoadPlan.event_times), not from a read: the short forms take no longer.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from api_client import BookingClient, PendingResult
from api_client.action_links import sign, verify
from gateway.action_links import KEY_PREFIX as LINK_KEY_PREFIX
from gateway.widget import derived_key

if TYPE_CHECKING:
    from .load import LoadPlan, Told

# The load's own secret: the workers never see a link, only the command its button sends.
LINK_SECRET = "drills-action-link-secret-0123456789abcdef"
LINK_ACTION = "cancel_by_customer"
VISITOR_ZONE = ZoneInfo("America/New_York")
RESOURCE_ID = "d187d6e0-d6cb-409a-ae60-45a8fd0ec879"
PROJECT_ID = "b2c1e3a4-0000-4000-8000-000000000001"
PROJECT_SHARE = 0.5
DELETE_REPLAY_SHARE = 0.5
WIDGET_OPS = ("widget_booking", "widget_retry")
DELETABLE_KINDS = ("cancelled", "ended", "cancelled_class", "ended_class")


def booking_js_body(
    class_id: str, name: str, times: tuple[str, str] | None, rng: random.Random
) -> dict[str, Any]:
    """What booking.js posts for a seat (tests/integration/test_timekit_bodies.py): the
    class's times in the visitor's zone when known, the form's fields on the customer."""
    email = name.lower().replace(" ", ".") + "@mcfly.example"
    body: dict[str, Any] = {
        "description": f"Name: {name}\nEmail: {email}\nPhone: 555-0185\n",
        "customer": {
            "name": name,
            "email": email,
            "timezone": "America/New_York",
            "phone": "555-0185",
            "voip": "marty.mcfly",
            "comment": "Bringing my own mat",
            "newsletter": rng.random() < 0.5,
        },
        "where": "TBD",
        "what": f"Meeting with {name}",
        "resource_id": RESOURCE_ID,
        "meta": {"source": "booking.js", "visit": rng.randint(1, 9), "price": 12.5},
        "related": {"owner_booking_id": class_id},
        "graph": "group_customer",
        "action": "create",
    }
    if times is not None:
        body["start"], body["end"] = (
            datetime.fromisoformat(at).astimezone(VISITOR_ZONE).isoformat() for at in times
        )
    if rng.random() < PROJECT_SHARE:
        body["project_id"] = PROJECT_ID
    return body


def link_key(signature: str) -> str:
    """The key the action link's POST sends its command under (gateway/action_links.py)."""
    return LINK_KEY_PREFIX + hashlib.sha256(signature.encode()).hexdigest()


class TimekitCommands:
    """The caller's widget bookings, link cancels and deletions, on its bookings' records."""

    rng: random.Random
    plan: LoadPlan
    classes: list[str]
    held: list[str]
    waiting: list[str]
    class_of: dict[str, str]

    def __init__(self) -> None:
        self.cancelled: list[str] = []  # seat bookings the caller was told are cancelled
        self.cancelled_classes: list[str] = []
        self.times: dict[str, tuple[str, str]] = {}  # classes' start and end, as created
        self.deadline: float | None = None  # monotonic: no resend of a pair starts after it

    def _send(self, op: str, target: str | None, submit: Callable[[str], PendingResult]) -> Told:
        raise NotImplementedError

    def _send_keyed(
        self, op: str, target: str | None, submit: Callable[[str], PendingResult], key: str
    ) -> Told:
        raise NotImplementedError

    def booked(self, seat_id: str, class_id: str, state: str | None) -> None:
        raise NotImplementedError

    def pick_class(self) -> str:
        raise NotImplementedError

    def widget_booking(self, client: BookingClient) -> list[Told]:
        class_id = self.pick_class()
        body = booking_js_body(
            class_id, f"Visitor {self.rng.random()}", self.times.get(class_id), self.rng
        )
        key = derived_key(body, time.time())

        def submit(key: str) -> PendingResult:
            return client.submit_booking(body, key)

        first = self._send_keyed("widget_booking", class_id, submit, key)
        first.body = body
        if first.status == 201 and first.result_id:
            self.booked(first.result_id, class_id, first.state)
        if not self._in_time():
            return [first]
        retry = self._send_keyed("widget_retry", class_id, submit, key)
        retry.body = body
        return [first, retry]

    def link_cancel(self, client: BookingClient) -> Told | None:
        pools = [pool for pool in (self.held, self.waiting) if pool]
        if not pools:
            return None
        pool = self.rng.choice(pools)
        seat_id = pool.pop(self.rng.randrange(len(pool)))
        signature = sign(LINK_SECRET, seat_id, LINK_ACTION, datetime.now(UTC) + timedelta(days=1))
        verify(LINK_SECRET, signature, seat_id, LINK_ACTION)  # what the gateway checks first

        def submit(key: str) -> PendingResult:
            return client.submit_action(seat_id, LINK_ACTION, None, key)

        key = link_key(signature)
        # The first press, not waited for: the second comes before its answer. With Redis
        # away it is lost, and the second is resent until answered.
        with contextlib.suppress(Exception):
            submit(key)
        told = self._send_keyed("link_cancel", seat_id, submit, key)
        if told.status == 200:
            self.cancelled.append(seat_id)
        return told

    def delete_booking(self, client: BookingClient) -> list[Told] | None:
        now = time.time()
        ended = [class_id for class_id, end in self.plan.ending if end < now]
        deletable_ended = [
            class_id for class_id in deletable_classes(self.plan) if class_id in ended
        ]
        in_ended = [seat for seat in self.held if self.class_of.get(seat) in ended]
        kinds = {
            "cancelled": self.cancelled,
            "ended": in_ended,
            "cancelled_class": self.cancelled_classes,
            "ended_class": deletable_ended,
        }
        offered = [kind for kind in DELETABLE_KINDS if kinds[kind]]
        if not offered:
            return None
        kind = self.rng.choice(offered)
        target = self.rng.choice(kinds[kind])
        for pool in (self.cancelled, self.held, self.cancelled_classes):
            if target in pool:
                pool.remove(target)

        def submit(key: str) -> PendingResult:
            return client.submit_delete(target, key)

        told = self._send("delete_booking", target, submit)
        told.of_class = self.class_of.get(target)
        if told.status == 409 and kind == "ended":  # not completed yet
            self.held.append(target)
        if told.status != 200 or self.rng.random() >= DELETE_REPLAY_SHARE or not self._in_time():
            return [told]
        replay = self._send_keyed("delete_replay", target, submit, told.key)
        replay.of_class = told.of_class
        return [told, replay]

    def _in_time(self) -> bool:
        """Whether the load still runs: the second send of a pair is skipped past its end, so
        that pairs take the load no longer than single commands."""
        return self.deadline is None or time.monotonic() < self.deadline


def deletable_classes(plan: LoadPlan) -> list[str]:
    """Half the classes ending during the run (every other one) may be deleted once over."""
    return [class_id for class_id, _end in plan.ending[::2]]
