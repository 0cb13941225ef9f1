"""Refusals the booking rules make; the worker maps each to an HTTP-style status.

DomainError
├── ActionNotAllowedError     the graph has no such action from the current state
├── ClassNotOpenError         seats asked in a class that is cancelled or completed
├── BookingWindowClosedError  too early or too late to book
├── CancelWindowClosedError   too late for the customer to cancel
├── NotEnoughSeatsError       fewer seats left than asked
├── SeatsExceedClassError     more seats asked than the class has at all
└── ClassNotOverError         a class completed by hand before it has ended
"""


class DomainError(Exception):
    """A booking rule refuses the command."""


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

    def __init__(self, requested: int, left: int) -> None:
        self.requested = requested
        self.left = left
        seats = "seat is" if left == 1 else "seats are"
        asked = "was" if requested == 1 else "were"
        super().__init__(f"only {left} {seats} left in this class; {requested} {asked} asked for")


class SeatsExceedClassError(DomainError):
    """More seats were asked for than the class holds in all."""


class ClassNotOverError(DomainError):
    """A class cannot be completed before its end."""
