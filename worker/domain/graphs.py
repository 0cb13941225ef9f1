"""The booking graphs as data: states, actions and the transitions between them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from .errors import ActionNotAllowedError


class GraphName(StrEnum):
    """Timekit's graph of a booking: a class, or seats in one."""

    GROUP_OWNER = "group_owner"
    GROUP_CUSTOMER = "group_customer"


class State(StrEnum):
    """Every state a booking of either graph can be in; storage's SQL names them from here."""

    # a class (group_owner)
    TENTATIVE = "tentative"
    CANCELLED = "cancelled"
    # seats in a class (group_customer)
    CONFIRMED = "confirmed"
    CANCELLED_BY_CUSTOMER = "cancelled_by_customer"
    CANCELLED_BY_OWNER = "cancelled_by_owner"
    # waiting for seats in a full class, or offered freed seats
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    OFFER_DECLINED = "offer_declined"
    OFFER_EXPIRED = "offer_expired"
    WAITLIST_EXPIRED = "waitlist_expired"
    # attendance and late cancels (a class that tracks attendance, or allows late cancels)
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"
    LATE_CANCELLED = "late_cancelled"
    # both
    COMPLETED = "completed"


GROUP_OWNER = GraphName.GROUP_OWNER
GROUP_CUSTOMER = GraphName.GROUP_CUSTOMER


@dataclass(frozen=True)
class Graph:
    """A state machine: where a booking starts and which action leads where."""

    name: GraphName
    initial_state: State
    transitions: Mapping[str, Mapping[str, State]]  # state -> action -> next state
    # Actions only the system takes (promotion, offers, expiry): never shown to a caller.
    system_actions: frozenset[str] = frozenset()

    def available_actions(self, state: str) -> list[str]:
        """What a caller may do from `state`."""
        return [a for a in self.transitions.get(state, {}) if a not in self.system_actions]

    def is_final(self, state: str) -> bool:
        return not self.transitions.get(state)

    def next_state(self, state: str, action: str) -> State:
        """The state `action` leads to from `state`, or ActionNotAllowedError."""
        following = self.transitions.get(state, {}).get(action)
        if following is None:
            allowed = ", ".join(self.available_actions(state)) or "none"
            raise ActionNotAllowedError(
                f"action {action!r} is not allowed on a {self.name} booking in state "
                f"{state!r} (allowed: {allowed})"
            )
        return following

    def states_allowing(self, action: str) -> list[str]:
        """Every state from which `action` may be taken (for guarded UPDATE statements)."""
        return [state for state, actions in self.transitions.items() if action in actions]


def _graph(
    name: GraphName,
    initial_state: State,
    edges: dict[State, dict[str, State]],
    system_actions: frozenset[str] = frozenset(),
) -> Graph:
    frozen: dict[str, Mapping[str, State]] = {
        state: MappingProxyType(actions) for state, actions in edges.items()
    }
    return Graph(name, initial_state, MappingProxyType(frozen), system_actions)


OWNER_GRAPH = _graph(
    GROUP_OWNER,
    State.TENTATIVE,
    {
        State.TENTATIVE: {
            "cancel": State.CANCELLED,
            "complete": State.COMPLETED,
            "set_max_seats": State.TENTATIVE,
        }
    },
)

_CUSTOMER_CANCELS = {
    "cancel_by_customer": State.CANCELLED_BY_CUSTOMER,
    "cancel_by_owner": State.CANCELLED_BY_OWNER,
}
# The class can no longer be booked (its window closed, it started or completed).
_LINE_CLOSES = {"expire_waitlist": State.WAITLIST_EXPIRED}

CUSTOMER_GRAPH = _graph(
    GROUP_CUSTOMER,
    State.CONFIRMED,
    {
        State.CONFIRMED: {
            **_CUSTOMER_CANCELS,
            "complete": State.COMPLETED,
            "move": State.CONFIRMED,
            "check_in": State.CHECKED_IN,
            # A customer's cancel past min_cancel_time, where the seat's policy allows it.
            "late_cancel": State.LATE_CANCELLED,
            # A class that tracks attendance completes without this seat checked in.
            "mark_no_show": State.NO_SHOW,
        },
        State.CHECKED_IN: {
            "cancel_by_owner": State.CANCELLED_BY_OWNER,
            "complete": State.COMPLETED,  # attended
        },
        State.WAITLISTED: {
            **_CUSTOMER_CANCELS,
            "promote": State.CONFIRMED,
            "offer": State.OFFERED,
            **_LINE_CLOSES,
        },
        State.OFFERED: {
            "accept_offer": State.CONFIRMED,
            "decline_offer": State.OFFER_DECLINED,
            **_CUSTOMER_CANCELS,
            "expire_offer": State.OFFER_EXPIRED,
            **_LINE_CLOSES,
        },
    },
    system_actions=frozenset(
        {"promote", "offer", "expire_offer", "expire_waitlist", "late_cancel", "mark_no_show"}
    ),
)

GRAPHS: Mapping[str, Graph] = MappingProxyType({g.name: g for g in (OWNER_GRAPH, CUSTOMER_GRAPH)})

# Where a seat booking's seats are counted on its class, by its state:
# held (current_seats), offered (offered_seats) or waiting (waitlist_seats); others count nowhere.
SEAT_HOLDING_STATES = (State.CONFIRMED, State.CHECKED_IN, State.COMPLETED, State.NO_SHOW)
OFFERED_STATES = (State.OFFERED,)
WAITING_STATES = (State.WAITLISTED,)
# In the line: waiting, or offered and not yet answered.
IN_LINE_STATES = (State.WAITLISTED, State.OFFERED)


@dataclass(frozen=True)
class Cascade:
    """A class's action carried to its seat bookings in `from_state`: their action and state."""

    from_state: State
    seat_action: str
    to_state: State


_LINE_EXPIRES = tuple(
    Cascade(state, "expire_waitlist", State.WAITLIST_EXPIRED) for state in IN_LINE_STATES
)

# A class's action -> what happens to each of its seat bookings.
CASCADES: Mapping[str, tuple[Cascade, ...]] = MappingProxyType(
    {
        "cancel": tuple(
            Cascade(state, "cancel_by_owner", State.CANCELLED_BY_OWNER)
            for state in (State.CONFIRMED, State.CHECKED_IN, *IN_LINE_STATES)
        ),
        "complete": (
            Cascade(State.CONFIRMED, "complete", State.COMPLETED),
            # checked in only where attendance is tracked; completes as attended either way
            Cascade(State.CHECKED_IN, "complete", State.COMPLETED),
            *_LINE_EXPIRES,
        ),
        "set_max_seats": (),
    }
)

# Completing a class that tracks attendance: who never checked in is a no-show.
ATTENDANCE_COMPLETION: tuple[Cascade, ...] = (
    Cascade(State.CONFIRMED, "mark_no_show", State.NO_SHOW),
    Cascade(State.CHECKED_IN, "complete", State.COMPLETED),
    *_LINE_EXPIRES,
)


def cascades_of(action: str, *, tracks_attendance: bool) -> tuple[Cascade, ...]:
    """What a class's `action` does to its seat bookings, given whether it tracks attendance."""
    if action == "complete" and tracks_attendance:
        return ATTENDANCE_COMPLETION
    return CASCADES[action]
