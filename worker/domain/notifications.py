"""Who hears of what: the notices each command gives rise to, as data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

OWNER = "owner"
CUSTOMER = "customer"

# What happened to a seat booking -> who is told, and the type each receiver sees.
# Completion tells nobody; a class cancelled by its owner tells each customer who held a seat,
# as a cancel_by_owner of their own booking.
AUDIENCE: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "create": MappingProxyType({OWNER: "booking.created", CUSTOMER: "booking.confirmed"}),
        "cancel_by_customer": MappingProxyType({OWNER: "booking.cancelled_by_customer"}),
        "cancel_by_owner": MappingProxyType({CUSTOMER: "booking.cancelled_by_owner"}),
        "complete": MappingProxyType({}),
        # the waitlist: a booking created waiting, promoted, offered seats, and so on
        "waitlist": MappingProxyType({CUSTOMER: "booking.waitlisted"}),
        "promote": MappingProxyType({OWNER: "booking.created", CUSTOMER: "booking.promoted"}),
        "offer": MappingProxyType({CUSTOMER: "booking.offered"}),
        "accept_offer": MappingProxyType({OWNER: "booking.created", CUSTOMER: "booking.confirmed"}),
        "decline_offer": MappingProxyType({}),
        "expire_offer": MappingProxyType({CUSTOMER: "booking.offer_expired"}),
        "expire_waitlist": MappingProxyType({CUSTOMER: "booking.waitlist_expired"}),
        # running a class: a check-in tells nobody; a no-show its customer, a late cancel the owner
        "check_in": MappingProxyType({}),
        "mark_no_show": MappingProxyType({CUSTOMER: "booking.no_show"}),
        "late_cancel": MappingProxyType({OWNER: "booking.late_cancelled"}),
        # the owner of each class hears of a move (see moved_notices)
        "move": MappingProxyType({CUSTOMER: "booking.moved", OWNER: "booking.moved"}),
    }
)

# Notification types that change a customer's calendar, and so carry an .ics invitation.
CALENDAR_METHOD: Mapping[str, str] = MappingProxyType(
    {
        "booking.confirmed": "REQUEST",
        "booking.promoted": "REQUEST",
        "booking.moved": "REQUEST",
        "booking.cancelled_by_owner": "CANCEL",
        # the class's invitation again, so a calendar that lost it has it before class
        "booking.reminder": "REQUEST",
    }
)


@dataclass(frozen=True)
class Recipient:
    role: str
    name: str | None
    email: str | None


@dataclass(frozen=True)
class Notice:
    """One person to tell about one seat booking."""

    type: str
    recipient: Recipient
    message: str | None


def notices_for(
    seat_action: str, *, owner: Recipient, customer: Recipient, message: str | None
) -> list[Notice]:
    """The notices a seat booking's `seat_action` gives rise to."""
    recipients = {OWNER: owner, CUSTOMER: customer}
    return [
        Notice(notice_type, recipients[role], message)
        for role, notice_type in AUDIENCE[seat_action].items()
    ]


def moved_notices(
    *, customer: Recipient, owners: Sequence[Recipient], message: str | None
) -> list[Notice]:
    """A move tells its customer and the owner of each class (once, if one owns both)."""
    told = list(dict.fromkeys(owners))
    return [Notice(AUDIENCE["move"][CUSTOMER], customer, message)] + [
        Notice(AUDIENCE["move"][OWNER], owner, message) for owner in told
    ]
