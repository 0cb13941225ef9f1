"""When a class's reminders are due, and to whom: the rule the reminder sweep applies set-based.

A class carries up to five offsets before its start ("1 day", "1 hour"). Each opens a window
at start - offset that lasts until the next reminder's window opens (or the class starts): a
sweep that runs late sends the latest reminder due, never two at once, and never one after the
start. A seat booking gets a window's reminder only if it was confirmed in the class when the
window opened: a seat cancelled or moved away before then is not in the class any more, and
one booked (or promoted, or moved in) after it does not get that reminder late.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

REMINDER = "booking.reminder"  # the notification's type
# A window is settled this long after it opened: every command that could have seated someone
# before it opened (its `now` earlier) has committed long since (commands take milliseconds,
# and give up on a busy class within seconds). A sweep after that stages all the window will
# ever have, so later sweeps skip it instead of checking its seats again every minute.
SETTLED_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class ReminderWindow:
    """When one of a class's reminders may be sent: from `opens_at` until before `closes_at`."""

    offset_s: int
    opens_at: datetime
    closes_at: datetime

    def is_settled(self, now: datetime) -> bool:
        """Whether a sweep at `now` finds every reminder this window will ever have."""
        return now >= self.opens_at + SETTLED_AFTER

    def is_due(self, *, seated_at: datetime, now: datetime) -> bool:
        """Due at `now` for a seat confirmed in the class since `seated_at`."""
        return self.opens_at <= now < self.closes_at and seated_at <= self.opens_at


def ordered_offsets(offsets_s: Iterable[int]) -> list[int]:
    """The offsets as a class keeps them: each once, the earliest reminder (longest) first."""
    return sorted(set(offsets_s), reverse=True)


def reminder_windows(starts_at: datetime, offsets_s: Iterable[int]) -> list[ReminderWindow]:
    """The windows of a class starting at `starts_at`, earliest first."""
    opens = [(offset_s, starts_at - timedelta(seconds=offset_s)) for offset_s in offsets_s]
    opens = sorted(opens, key=lambda pair: pair[1])
    closes = [opened for _offset_s, opened in opens[1:]] + [starts_at] if opens else []
    return [
        ReminderWindow(offset_s, opened, closed)
        for (offset_s, opened), closed in zip(opens, closes, strict=True)
        if opened < closed
    ]


def due_reminder(
    windows: Sequence[ReminderWindow], *, seated_at: datetime, now: datetime
) -> int | None:
    """The offset of the reminder a seat confirmed since `seated_at` is due at `now`, if any."""
    for window in windows:
        if window.is_due(seated_at=seated_at, now=now):
            return window.offset_s
    return None
