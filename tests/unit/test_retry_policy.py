"""When a failed delivery is tried again: exponential backoff with full jitter, under a cap."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from worker.delivery import RetryPolicy

NOW = datetime(2016, 9, 30, 8, 0, tzinfo=UTC)
# The settings' defaults: 2 s doubling up to 10 minutes.
POLICY = RetryPolicy(attempts=8, base_s=2.0, cap_s=600.0, lease_s=300.0)


def delay_s(attempts_made: int, policy: RetryPolicy = POLICY) -> float:
    return (policy.next_attempt(attempts_made, NOW) - NOW).total_seconds()


@pytest.fixture
def draws_upper_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """The jitter always takes the longest delay it may, so the bound itself is observed."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)


@pytest.fixture
def draws_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", lambda low, high: low)


@pytest.fixture
def bounds_asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float]]:
    asked: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        asked.append((low, high))
        return high

    monkeypatch.setattr(random, "uniform", uniform)
    return asked


@pytest.mark.parametrize("attempts_made", range(12))
def test_a_retry_is_always_later_than_now(attempts_made: int) -> None:
    for _ in range(100):
        assert POLICY.next_attempt(attempts_made, NOW) > NOW


@pytest.mark.parametrize("attempts_made", range(12))
def test_a_retry_never_waits_beyond_the_cap(attempts_made: int) -> None:
    for _ in range(100):
        assert delay_s(attempts_made) <= POLICY.cap_s


@pytest.mark.usefixtures("draws_zero")
def test_even_a_zero_draw_waits_half_the_base_delay() -> None:
    assert delay_s(5) == POLICY.base_s / 2


def test_the_jitter_is_drawn_between_zero_and_the_bound(
    bounds_asked: list[tuple[float, float]],
) -> None:
    delay_s(3)

    assert bounds_asked == [(0, 8.0)]


@pytest.mark.usefixtures("draws_upper_bound")
def test_the_longest_wait_doubles_with_each_attempt() -> None:
    assert [delay_s(attempts) for attempts in range(1, 7)] == [2, 4, 8, 16, 32, 64]


@pytest.mark.usefixtures("draws_upper_bound")
def test_the_longest_wait_stops_growing_at_the_cap() -> None:
    assert [delay_s(attempts) for attempts in (9, 10, 11, 30)] == [512, 600, 600, 600]


@pytest.mark.usefixtures("draws_upper_bound")
def test_the_longest_wait_grows_with_the_base_delay() -> None:
    slower = RetryPolicy(attempts=8, base_s=5.0, cap_s=600.0, lease_s=300.0)

    assert delay_s(3, slower) == 20


def test_the_retry_keeps_the_time_zone_of_now() -> None:
    assert POLICY.next_attempt(1, NOW).tzinfo is UTC


@pytest.mark.usefixtures("draws_zero")
def test_a_cap_below_half_the_base_is_still_never_exceeded() -> None:
    tight = RetryPolicy(attempts=8, base_s=2.0, cap_s=0.5, lease_s=300.0)

    assert delay_s(3, tight) <= tight.cap_s
