"""The load's side of issue 14: running a class.

- Half the classes that end during the run track attendance and allow late cancels (with a
  min_cancel_time longer than they are away, so that every customer cancel on them is late);
  the beat's completion marks who never checked in a no-show.
- Two classes set up last remind their customers a minute before they start, and start a
  minute and a few seconds after they are made, so that their reminder's window opens while
  the load runs: the seats booked at setup are due, those booked later are not, and those
  cancelled or checked in before it opens are not.
- Each attendance class that ends gets two seat bookings at setup: one any caller may check
  in, one never checked in (a no-show when the class completes).
- A check-in takes a seat booking the caller holds in an attendance class (or one of those
  booked at setup) and checks it in, then checks it in again under a new key (the owner
  pressing twice at the door; two callers may also check the same seat in); a late cancel is
  a customer's cancel of a seat it holds in such a class.

The second check-in is skipped once the load's time is up, as the other pairs are.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from api_client import BookingClient, PendingResult

if TYPE_CHECKING:
    from .load import LoadPlan, Told

# Every customer cancel on these classes is late (they start within the hour) and allowed.
RUNNING_SETTINGS: dict[str, Any] = {
    "track_attendance": True,
    "late_cancel": "allow",
    "min_cancel_time": "1 hour",
}
REMINDER = "1 minute"  # the shortest a class may ask for
REMINDER_S = 60
REMINDER_CLASSES = 2
SEATS_BOOKED_AT_SETUP = 3
CHECK_IN_OPS = ("check_in", "check_in_again")


def reminder_class_start(made_at: datetime, index: int, run_s: float) -> datetime:
    """When a reminder class starts: its window opens a few seconds after it is made (its seats
    booked at setup before), the second one further into the run."""
    opens_after_s = 5.0 if index == 0 else max(6.0, 0.75 * run_s)
    return made_at + timedelta(seconds=REMINDER_S + opens_after_s)


def reminder_settings() -> dict[str, Any]:
    return {**RUNNING_SETTINGS, "reminders": [REMINDER]}


class ClassCommands:
    """The caller's check-ins and late cancels, on the seats it holds in attendance classes."""

    rng: random.Random
    plan: LoadPlan
    held: list[str]
    class_of: dict[str, str]
    cancelled: list[str]

    def _send(self, op: str, target: str | None, submit: Callable[[str], PendingResult]) -> Told:
        raise NotImplementedError

    def _in_time(self) -> bool:
        raise NotImplementedError

    def check_in(self, client: BookingClient) -> list[Told] | None:
        seats = self._held_in_attendance_classes() + list(self.plan.check_ins)
        if not seats:
            return None
        seat_id = self.rng.choice(seats)

        def submit(key: str) -> PendingResult:
            return client.submit_action(seat_id, "check_in", None, key)

        first = self._send("check_in", seat_id, submit)
        if not self._in_time():
            return [first]
        return [first, self._send("check_in_again", seat_id, submit)]

    def late_cancel(self, client: BookingClient) -> Told | None:
        seats = self._held_in_attendance_classes()
        if not seats:
            return None
        seat_id = self.rng.choice(seats)
        self.held.remove(seat_id)

        def submit(key: str) -> PendingResult:
            return client.submit_action(seat_id, "cancel_by_customer", "Stuck in traffic", key)

        told = self._send("late_cancel", seat_id, submit)
        if told.status == 200:
            self.cancelled.append(seat_id)
        return told

    def _held_in_attendance_classes(self) -> list[str]:
        attendance = set(self.plan.attendance)
        return [seat for seat in self.held if self.class_of.get(seat) in attendance]
