"""The worker's one error tree: every refusal a handler or the domain makes.

Only `worker/refusals.py` turns these into the wire's shapes (`api_client.errors`).

DomainError                   a command refused; `.transient`: may pass if sent again later
├── InvalidCommandError       the request breaks the contract; `.errors`: field -> [messages]
│   └── KeyReusedError        the idempotency key was used for a different request
├── SeatsExceedClassError     more seats asked than the class has at all
├── RecurrenceError           a series' rule cannot be expanded (domain/recurrence.py)
├── NotFoundError             no booking (or series) with that id
├── ActionNotAllowedError     the graph has no such action from the current state
├── ClassNotOpenError         seats asked in a class that is cancelled or completed
├── BookingWindowClosedError  too early or too late to book
├── CancelWindowClosedError   too late for the customer to cancel
├── NotEnoughSeatsError       fewer seats left than asked (and no room to wait, or not asked)
├── OfferExpiredError         a waitlist offer accepted after its deadline
├── CapacityBelowTakenError   max_seats lowered below the seats taken and offered
├── NoBookableClassError      a term booking found no class of its series open now
├── ClassNotOverError         a class completed by hand before it has ended
├── AttendanceNotTrackedError check-in on a class that does not track attendance
├── CheckInClosedError        check-in before its window opens or after the class ended
├── NotFinalError             a booking deleted before it (or a seat in its class) is final
├── ChangedConcurrentlyError  the row changed between the decision and the write
├── ItemRefusedError          one item of an all-or-nothing bulk refused; `.index`, `.cause`
└── ClassBusyError            the class stayed locked by other workers (transient)
"""

from __future__ import annotations


class DomainError(Exception):
    """A booking rule refuses the command."""

    # A transient refusal may pass if the same command is sent again later, so it is not
    # recorded under the command's idempotency key; every other refusal is, and a replay
    # answers it again.
    transient = False


class InvalidCommandError(DomainError):
    """The request breaks the contract: each field named with its messages."""

    def __init__(
        self, errors: dict[str, list[str]] | None = None, *, message: str | None = None
    ) -> None:
        self.errors = errors
        self.message = message
        fields = "; ".join(f"{f}: {' '.join(m)}" for f, m in (errors or {}).items())
        super().__init__(message or fields or "invalid request")


class KeyReusedError(InvalidCommandError):
    """The idempotency key was recorded with another command or body."""

    def __init__(self) -> None:
        message = "this key was already used for a different request; use a new key"
        super().__init__({"idempotency_key": [message]})


class SeatsExceedClassError(DomainError):
    """More seats were asked for than the class holds in all."""


class NotFoundError(DomainError):
    """No booking, class or series has that id."""


class ActionNotAllowedError(DomainError):
    """The graph allows no such action from the booking's current state."""


class ClassNotOpenError(DomainError):
    """The class is no longer open for bookings."""


class BookingWindowClosedError(DomainError):
    """Now lies outside the class's booking window."""


class CancelWindowClosedError(DomainError):
    """Now is later than the last moment a customer may cancel."""


class NotEnoughSeatsError(DomainError):
    """Fewer seats are left than were asked for."""

    def __init__(
        self, requested: int, left: int, *, where: str | None = None, waitlist: str | None = None
    ) -> None:
        self.requested = requested
        self.left = left
        seats = "seat is" if left == 1 else "seats are"
        asked = "was" if requested == 1 else "were"
        message = f"only {left} {seats} left in this class; {requested} {asked} asked for"
        if waitlist is not None:  # whether the class's waitlist has room
            message = f"{message}; {waitlist}"
        # `where` names the class among several (a term booking's): "the class on ...: only".
        super().__init__(message if where is None else f"{where}: {message}")


class OfferExpiredError(DomainError):
    """A waitlist offer was accepted after its deadline."""


class CapacityBelowTakenError(DomainError):
    """A class's max_seats may not go below the seats taken and offered in it."""


class NoBookableClassError(DomainError):
    """A term booking found no class of its series that can be booked now."""


class ClassNotOverError(DomainError):
    """A class cannot be completed before its end."""


class AttendanceNotTrackedError(DomainError):
    """Check-in on a class whose settings do not track attendance."""


class CheckInClosedError(DomainError):
    """Check-in before BOOKINGS_CHECK_IN_OPENS ahead of the start, or once the class is over."""


class NotFinalError(DomainError):
    """A booking may be deleted only in a final state, a class only with all its seats final."""


class ChangedConcurrentlyError(DomainError):
    """The row changed under the command between its decision and its guarded write."""


class ItemRefusedError(DomainError):
    """One item of an all-or-nothing bulk was refused, so nothing was applied."""

    def __init__(self, index: int, cause: DomainError) -> None:
        self.index = index
        self.cause = cause
        super().__init__(f"item {index} was refused, so nothing was applied: {cause}")


class ClassBusyError(DomainError):
    """Another worker held a class lock longer than this one would wait."""

    transient = True
