"""Every Redis key the worker writes, in one place."""

from uuid import UUID

PREFIX = "bookings"


def class_lock_key(class_id: UUID | str) -> str:
    return f"{PREFIX}:lock:class:{class_id}"


# Fault drill: set (NX) by the first allocation that pauses holding its class lock, with
# "<pid> <class id>", so that the drill knows whom to SIGSTOP. Deleting it arms the next.
STALE_LOCK_DRILL_KEY = f"{PREFIX}:drill:stale-lock"
# Fault drill: the one class whose lock a pausing worker pauses holding (a class of the
# drill's own, which no other command touches, so that what its stale command is told
# depends on the drill alone).
STALE_LOCK_CLASS_KEY = f"{PREFIX}:drill:stale-lock-class"
