"""Which Redis database each test and benchmark deployment uses, on one base URL."""

from __future__ import annotations

import os

BASE_URL_VARIABLE = "BOOKINGS_TEST_REDIS_BASE_URL"
DEFAULT_BASE_URL = "redis://127.0.0.1:6379"

# Workers with different settings must never share a Redis database at the same time: they
# would take each other's tasks. A deployment also empties its database when it starts, so
# none may take the demo's. A Redis server has sixteen (0 to 15); each user has its own but
# for the pairs in SHARED. The fault drills run a Redis server of their own (redis_servers.py).
DATABASES: dict[str, int] = {
    "demo": 0,  # scripts/demo.sh and the README's examples: never emptied here
    "benchmark-gateway": 1,
    "benchmark-series": 2,
    "benchmark-lifecycle": 3,
    "notifications-bad-setting": 4,
    "notifications-retries": 5,
    "notifications-timekit": 5,
    "customer-mail": 5,
    "odd-text": 5,
    "notifications": 6,
    "benchmark-run": 7,
    "lock-waits": 8,
    "handlers": 9,
    "migrations": 9,
    "deployment-postgresql": 10,
    "deployment-sqlite": 11,
    "benchmark-waitlist": 2,
    "benchmark-scaling": 7,
    "contention": 12,
    "contention-lock-off": 13,
    "contention-both-off": 14,
    "waitlist-contention": 12,
    "waitlist-contention-lock-off": 13,
    "waitlist-contention-both-off": 14,
    "completion": 15,
    "worker-loss": 15,
    "browser-widget": 15,
    "reminders": 15,
    "metrics": 15,
    "log-delivery": 15,
    "batches": 15,
}
# A user that shares the database of another, and why the two can never meet there.
SHARED = {
    # `python -m worker migrate` reads its Redis URL but never connects.
    "migrations": "handlers",
    # Both start their workers inside a test, one test at a time, and empty the database first.
    "worker-loss": "completion",
    # The booking.js tests' worker lives as long as their module, and pytest runs one module at
    # a time; the other two start theirs inside a test. Each empties the database first.
    "browser-widget": "completion",
    # The reminder delivery test starts its workers inside the test, emptying the database first.
    "reminders": "completion",
    # The metrics tests' worker lives as long as their module, like booking.js's above.
    "metrics": "completion",
    # The log delivery tests start their workers inside each test, emptying the database first.
    "log-delivery": "completion",
    # The batched bookings tests start their workers inside each test, emptying it first.
    "batches": "completion",
    # Both start their workers (emptying the database first) in their own test module, and
    # pytest runs one module at a time: test_notifications.py's retry test, and the module
    # fixture of test_timekit_webhooks.py.
    "notifications-timekit": "notifications-retries",
    # Likewise the module fixture of test_customer_mail.py, in its own module.
    "customer-mail": "notifications-retries",
    # Likewise the module fixture of test_odd_text_delivery.py.
    "odd-text": "notifications-retries",
    # Benchmark commands run one at a time: two at once would skew each other's figures.
    "benchmark-waitlist": "benchmark-series",
    "benchmark-scaling": "benchmark-run",
    # The contention tests of seats and of the waitlist, likewise: one test at a time.
    "waitlist-contention": "contention",
    "waitlist-contention-lock-off": "contention-lock-off",
    "waitlist-contention-both-off": "contention-both-off",
}


def base_url() -> str:
    """The Redis server every test and benchmark uses, without a database number."""
    return os.environ.get(BASE_URL_VARIABLE, DEFAULT_BASE_URL).rstrip("/")


def redis_url(user: str) -> str:
    """The URL of `user`'s own database (a key of DATABASES) on the base URL's server."""
    return f"{base_url()}/{DATABASES[user]}"


def _check_no_unplanned_sharing() -> None:
    owners: dict[int, str] = {}
    for user, number in DATABASES.items():
        owner = owners.setdefault(number, user)
        if owner != user and SHARED.get(user) != owner:
            raise RuntimeError(f"Redis database {number} is both {owner}'s and {user}'s")


_check_no_unplanned_sharing()
