"""The booking graphs as data: states, actions and the transitions between them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .errors import ActionNotAllowedError

GROUP_OWNER = "group_owner"
GROUP_CUSTOMER = "group_customer"


@dataclass(frozen=True)
class Graph:
    """A state machine: where a booking starts and which action leads where."""

    name: str
    initial_state: str
    transitions: Mapping[str, Mapping[str, str]]  # state -> action -> next state

    def available_actions(self, state: str) -> list[str]:
        return list(self.transitions.get(state, {}))

    def is_final(self, state: str) -> bool:
        return not self.transitions.get(state)

    def next_state(self, state: str, action: str) -> str:
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


def _graph(name: str, initial_state: str, edges: dict[str, dict[str, str]]) -> Graph:
    frozen = {state: MappingProxyType(actions) for state, actions in edges.items()}
    return Graph(name, initial_state, MappingProxyType(frozen))


OWNER_GRAPH = _graph(
    GROUP_OWNER,
    "tentative",
    {"tentative": {"cancel": "cancelled", "complete": "completed"}},
)

CUSTOMER_GRAPH = _graph(
    GROUP_CUSTOMER,
    "confirmed",
    {
        "confirmed": {
            "cancel_by_customer": "cancelled_by_customer",
            "cancel_by_owner": "cancelled_by_owner",
            "complete": "completed",
        }
    },
)

GRAPHS: Mapping[str, Graph] = MappingProxyType({g.name: g for g in (OWNER_GRAPH, CUSTOMER_GRAPH)})

# Seat bookings in these states hold seats in their class.
SEAT_HOLDING_STATES = ("confirmed", "completed")

# A class's action, carried to each confirmed seat booking in it: (seat action, state after).
CASCADE_TO_SEATS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "cancel": ("cancel_by_owner", "cancelled_by_owner"),
        "complete": ("complete", "completed"),
    }
)
