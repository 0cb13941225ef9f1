"""Every Redis key the worker writes, in one place."""

from uuid import UUID

PREFIX = "bookings"


def class_lock_key(class_id: UUID | str) -> str:
    return f"{PREFIX}:lock:class:{class_id}"
