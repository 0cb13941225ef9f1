"""Random sequences of bookings and cancellations keep every class's seat account right."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.bodies import class_body, seat_body
from tests.support.handlers import act, create
from tests.support.invariants import seat_accounts
from worker.handlers import HandlerDeps

pytestmark = pytest.mark.integration

book = st.tuples(st.just("book"), st.integers(0, 2), st.integers(1, 4))
cancel_seat = st.tuples(
    st.sampled_from(["cancel_by_customer", "cancel_by_owner"]), st.integers(0, 50), st.just(0)
)
cancel_class = st.tuples(st.just("cancel"), st.integers(0, 2), st.just(0))
commands = st.lists(st.one_of(book, book, book, cancel_seat, cancel_class), max_size=25)


@dataclass
class Model:
    """What the test expects: seats held per class, from successful commands only."""

    class_ids: list[str]
    max_seats: list[int]
    held: dict[str, int] = field(default_factory=dict)  # seat booking id -> seats
    owner_of: dict[str, int] = field(default_factory=dict)
    open_: list[bool] = field(default_factory=list)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sequence=commands, sizes=st.lists(st.integers(1, 6), min_size=3, max_size=3))
def test_random_command_sequences_keep_the_seat_invariant(
    handler_deps: HandlerDeps,
    handler_database: str,
    sequence: list[tuple[str, int, int]],
    sizes: list[int],
) -> None:
    ids = [create(handler_deps, class_body(max_seats=size))["data"]["id"] for size in sizes]
    model = Model(ids, sizes, open_=[True, True, True])
    seat_ids: list[str] = []

    for name, target, seats in sequence:
        if name == "book":
            result = create(handler_deps, seat_body(ids[target], seats))
            taken = sum(s for b, s in model.held.items() if model.owner_of[b] == target)
            fits = model.open_[target] and taken + seats <= sizes[target]
            assert ("data" in result) == fits, (result, taken, seats)
            if fits:
                model.held[result["data"]["id"]] = seats
                model.owner_of[result["data"]["id"]] = target
                seat_ids.append(result["data"]["id"])
        elif name == "cancel":
            result = act(handler_deps, ids[target], "cancel")
            assert ("data" in result) == model.open_[target]
            model.open_[target] = False
            for booking in [b for b, owner in model.owner_of.items() if owner == target]:
                model.held.pop(booking, None)
        elif seat_ids:
            booking = seat_ids[target % len(seat_ids)]
            result = act(handler_deps, booking, name)
            assert ("data" in result) == (booking in model.held)
            model.held.pop(booking, None)

        accounts = {str(a.class_id): a for a in seat_accounts(handler_database, ids)}
        for index, class_id in enumerate(ids):
            expected = sum(s for b, s in model.held.items() if model.owner_of[b] == index)
            assert accounts[class_id].holds, accounts[class_id]
            assert accounts[class_id].seats_held == expected
