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

    def available_actions(self, state: str) -> list[str]:
        return list(self.transitions.get(state, {}))

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


def _graph(name: GraphName, initial_state: State, edges: dict[State, dict[str, State]]) -> Graph:
    frozen: dict[str, Mapping[str, State]] = {
        state: MappingProxyType(actions) for state, actions in edges.items()
    }
    return Graph(name, initial_state, MappingProxyType(frozen))


OWNER_GRAPH = _graph(
    GROUP_OWNER,
    State.TENTATIVE,
    {State.TENTATIVE: {"cancel": State.CANCELLED, "complete": State.COMPLETED}},
)

CUSTOMER_GRAPH = _graph(
    GROUP_CUSTOMER,
    State.CONFIRMED,
    {
        State.CONFIRMED: {
            "cancel_by_customer": State.CANCELLED_BY_CUSTOMER,
            "cancel_by_owner": State.CANCELLED_BY_OWNER,
            "complete": State.COMPLETED,
        }
    },
)

GRAPHS: Mapping[str, Graph] = MappingProxyType({g.name: g for g in (OWNER_GRAPH, CUSTOMER_GRAPH)})

# Seat bookings in these states hold seats in their class.
SEAT_HOLDING_STATES = (State.CONFIRMED, State.COMPLETED)

# A class's action, carried to each confirmed seat booking in it: (seat action, state after).
CASCADE_TO_SEATS: Mapping[str, tuple[str, State]] = MappingProxyType(
    {
        "cancel": ("cancel_by_owner", State.CANCELLED_BY_OWNER),
        "complete": ("complete", State.COMPLETED),
    }
)
# The state of the seat bookings a class's action is carried to.
CASCADE_FROM_STATE = State.CONFIRMED
