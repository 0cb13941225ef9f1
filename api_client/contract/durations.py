"""Durations as the wire spells them ("30 minutes", "2 hours", "1 day", "4 weeks") and back."""

from __future__ import annotations

import re

SECONDS_PER_UNIT = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400, "week": 604_800}
# Ten years: a window longer than that is a typo, not a studio's policy.
MAX_DURATION_S = 10 * 365 * 86_400

_PART = r"([0-9]{1,9})\s*(second|minute|hour|day|week)s?\b"
_WHOLE = re.compile(rf"^\s*{_PART}(?:\s*,?\s*(?:and\s+)?{_PART})*\s*$", re.IGNORECASE | re.ASCII)
_EACH = re.compile(_PART, re.IGNORECASE | re.ASCII)


class DurationFormatError(ValueError):
    """A duration string that cannot be read as "<number> <unit>" parts."""


def parse_duration_s(text: str) -> int:
    """Seconds in a duration such as "2 hours", "1 day 12 hours" or "1 week and 2 days"."""
    if not isinstance(text, str) or _WHOLE.match(text) is None:
        raise DurationFormatError(
            f"cannot read {text!r} as a duration; use '<number> <unit>' with a unit of "
            "seconds, minutes, hours, days or weeks, e.g. '30 minutes' or '14 days'"
        )
    total_s = sum(
        int(count) * SECONDS_PER_UNIT[unit.lower()] for count, unit in _EACH.findall(text)
    )
    if total_s > MAX_DURATION_S:
        raise DurationFormatError("must be at most 10 years")
    return total_s


def format_duration(seconds: int) -> str:
    """The largest whole unit that expresses `seconds` exactly: 86400 -> "1 day"."""
    for unit in ("week", "day", "hour", "minute"):
        size = SECONDS_PER_UNIT[unit]
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
