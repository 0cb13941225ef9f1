"""Waiting for something that happens in another process, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], *, timeout_s: float = 30.0, every_s: float = 0.1) -> T:
    """The first truthy value `check` returns; AssertionError once `timeout_s` has passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout_s} s: last value {value!r}")
        time.sleep(every_s)
