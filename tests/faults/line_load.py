"""The load's waitlist side: classes with a line, answering offers, moves and capacity changes.

A caller knows what it was told when it booked (seats, or a place in the line); what became of
a waiting booking since (promoted, offered, expired) it reads with get_booking before it acts,
and where the read fails (Redis away), it acts anyway: a refusal is a legitimate answer too.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from api_client import BookingClient, PendingResult

if TYPE_CHECKING:
    from .load import Told

WAITLISTED, OFFERED, CONFIRMED = "waitlisted", "offered", "confirmed"
# Most classes keep a line; some offer freed seats for a few seconds, so that offers lapse
# during a drill and the sweep expires them. At least 3 s: longer than any commit the drills
# slow down, so that an offer is never made already past its deadline.
WAITLIST_SHARE_OF_CLASSES = 0.8
OFFER_SHARE_OF_LINES = 0.5
OFFER_TIME_S = (3, 20)
# A waiting booking not (yet) offered seats: how often its caller accepts anyway (409).
ACCEPT_UNOFFERED_SHARE = 0.3
RAISE_SHARE = 0.75


def waitlist_settings(rng: random.Random) -> dict[str, Any]:
    """A class's waitlist settings: none, a line promoted automatically, or timed offers."""
    if rng.random() >= WAITLIST_SHARE_OF_CLASSES:
        return {}
    settings: dict[str, Any] = {"waitlist_size": rng.randint(5, 20)}
    if rng.random() < OFFER_SHARE_OF_LINES:
        settings["waitlist_promotion"] = "offer"
        settings["offer_time"] = f"{rng.randint(*OFFER_TIME_S)} seconds"
    return settings


class LineCommands:
    """The caller's seat bookings by what it last knew of them, and the commands on them."""

    rng: random.Random
    classes: list[str]

    def __init__(self) -> None:
        self.held: list[str] = []  # confirmed, as far as the caller knows
        self.waiting: list[str] = []  # waitlisted or offered, as far as it knows
        self.class_of: dict[str, str] = {}

    def _send(self, op: str, target: str | None, submit: Callable[[str], PendingResult]) -> Told:
        raise NotImplementedError

    def booked(self, seat_id: str, class_id: str, state: str | None) -> None:
        (self.waiting if state == WAITLISTED else self.held).append(seat_id)
        self.class_of[seat_id] = class_id

    def any_seat_booking(self) -> str | None:
        """One of its seat bookings, held or waiting, taken out of its lists (to cancel)."""
        pools = [pool for pool in (self.held, self.waiting) if pool]
        if not pools:
            return None
        pool = self.rng.choices(pools, weights=[len(p) for p in pools])[0]
        return pool.pop(self.rng.randrange(len(pool)))

    def accept_offer(self, client: BookingClient) -> Told | None:
        return self._answer_offer(client, "accept_offer")

    def decline_offer(self, client: BookingClient) -> Told | None:
        return self._answer_offer(client, "decline_offer")

    def move(self, client: BookingClient) -> Told | None:
        """A confirmed booking to another class (refused if that one is full or closed)."""
        if not self.held or len(self.classes) < 2:
            return None
        seat_id = self.rng.choice(self.held)
        to_class = self.rng.choice([c for c in self.classes if c != self.class_of.get(seat_id)])
        told = self._send(
            "move",
            seat_id,
            lambda key: client.submit_move(seat_id, to_class, "A later class suits me", key),
        )
        told.to_class = to_class
        if told.status == 200:
            self.class_of[seat_id] = to_class
        return told

    def set_max_seats(self, client: BookingClient) -> Told | None:
        """Mostly a few seats more (the line moves up); sometimes down to about the seats
        taken and offered, which is refused below them (409)."""
        class_id = self.rng.choice(self.classes)
        counts = _class_seats(client, class_id)
        if counts is None:
            return None
        if self.rng.random() < RAISE_SHARE:
            max_seats = counts["max_seats"] + self.rng.randint(1, 3)
        else:
            taken = counts["current_seats"] + counts["offered_seats"]
            max_seats = max(1, taken + self.rng.randint(-2, 1))
        told = self._send(
            "set_max_seats",
            class_id,
            lambda key: client.submit_set_max_seats(class_id, max_seats, "Room changed", key),
        )
        told.max_seats = max_seats
        return told

    def _answer_offer(self, client: BookingClient, action: str) -> Told | None:
        if not self.waiting:
            return None
        seat_id = self.rng.choice(self.waiting)
        state = _state_of(client, seat_id)
        if state not in (None, WAITLISTED, OFFERED):  # promoted, cancelled or expired
            self.waiting.remove(seat_id)
            if state == CONFIRMED:
                self.held.append(seat_id)
            return None
        if state == WAITLISTED and self.rng.random() >= ACCEPT_UNOFFERED_SHARE:
            return None
        told = self._send(
            action, seat_id, lambda key: client.submit_action(seat_id, action, None, key)
        )
        if told.status == 200:
            self.waiting.remove(seat_id)
            if action == "accept_offer":
                self.held.append(seat_id)
        return told


def _state_of(client: BookingClient, booking_id: str) -> str | None:
    """The booking's state now, or None if it could not be read (the command is sent anyway)."""
    try:
        return str(client.get_booking(booking_id)["data"]["state"])
    except Exception:
        return None


def _class_seats(client: BookingClient, class_id: str) -> dict[str, int] | None:
    try:
        data = client.get_booking(class_id, "attributes")["data"]
    except Exception:
        return None
    if data.get("state") != "tentative":
        return None
    seats: dict[str, int] = data["attributes"]["group_booking"]
    return seats
