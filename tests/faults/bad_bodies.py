"""Hypothesis strategies for request bodies: valid class and seat bodies, junk values, the
mutations that break a body and the edge values that keep it (nearly) valid."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from harness.bodies import class_body


@dataclass(frozen=True)
class KnownBooking:
    """A booking (or class) created earlier in the run, picked by position once it exists."""

    index: int
    of_class: bool = False


# Often a class of odd shape just accepted: what a seat booking in it does is worth seeing.
LATEST_CLASS = KnownBooking(-1, of_class=True)


# Values -------------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
bad_ints = st.integers() | st.sampled_from(
    [0, -1, -100_000, 100_001, 2**31, 2**63, -(2**63) - 1, 10**30, "5", "five", "", 5.0, 5.5,
     True, False, None, [5], {"seats": 5}, "1e3", float("inf"), float("nan")]
)  # fmt: skip
bad_datetimes = st.sampled_from(
    ["2030-09-30T08:00:00", "2030-09-30", "not a date", "", "2030-02-30T08:00:00Z",
     "2030-09-30T25:00:00Z", "0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+14:00",
     "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-14:00", "2030-09-30T08:00:00+24:00",
     "2030-09-30T08:00:00.123456789Z", "20300930T080000Z", "2030-W40-1T08:00Z", "now", 0, -1,
     2**40, 10**20, 1.5e9, None, {"date": "2030-09-30"}]
) | st.datetimes(timezones=st.none() | st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-1439, 1439)
)).map(datetime.isoformat)  # fmt: skip
bad_durations = st.sampled_from(
    ["", "1", "day", "-1 day", "0 seconds", "1 fortnight", "3650 days", "3651 days",
     "999999999 weeks", "1 day " * 30, "2 hours 2 hours", "1 day; DROP TABLE bookings", 7200,
     None, ["1 day"], "\uff11 day", "P1D"]
)  # fmt: skip
bad_ids = st.uuids().map(str) | st.sampled_from(
    ["not-a-uuid", "", "00000000-0000-0000-0000-000000000000", 123, None, "..", "a/b", " ",
     "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8", "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
     "6ba7b8109dad11d180b400c04fd430c8", "6ba7b810-9dad-11d1-80b4-00c04fd430c8x", "%00"]
)  # fmt: skip
junk_texts = st.text(max_size=40) | st.sampled_from(
    ["\x00", "a\x00b", " ", "\u202eevil", "🧘\u200d♀️" * 100, "x" * 201, "x" * 501, "x" * 5_001,
     "x" * 100_000, "'; DROP TABLE bookings; --", "%s%s%n", "{{7*7}}", "\ud800",
     "a\udfffb"]
)  # fmt: skip
junk = bad_ints | bad_datetimes | bad_ids | junk_texts | json_values
names = st.sampled_from(["Doc Brown's Friday Yoga Class", "Spin", "Zoë's Pilates 🧘"]) | st.text(
    st.characters(categories=("L", "N", "Zs")), min_size=1, max_size=60
)
emails = st.from_regex(r"\A[a-z][a-z0-9.]{0,15}@[a-z]{1,10}\.example\Z")
people = st.fixed_dictionaries({"name": names, "email": emails})
valid_durations = st.sampled_from(["30 minutes", "2 hours", "1 day", "1 day and 12 hours"])
promotion_modes = st.sampled_from(["automatic", "offer"])
offer_times = st.sampled_from(["1 second", "30 seconds", "2 hours", "3 days"])
bad_promotion_modes = st.sampled_from(
    ["", "Automatic", "OFFER", "manual", "offer ", "auto", "first come", None, 0, True, ["offer"]]
)  # fmt: skip
bad_offer_times = bad_durations | st.sampled_from(
    ["0 seconds", "367 days", "half an hour", "1 second ago", "-30 seconds", "30 secs", 30]
)  # fmt: skip

offsets = st.just(UTC) | st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-1439, 1439)
)
edge_texts = st.text(min_size=1, max_size=40) | st.sampled_from(
    ["a\x00b", "\x00", "x" * 200, "x" * 500, "\U0001f9d8" * 200, "\u202eevil", "\tpadded ",
     "Robert'); DROP TABLE bookings;--"]
)  # fmt: skip
edge_times = st.sampled_from(
    [("0001-01-01T00:00:00+00:00", "0001-01-01T01:00:00+00:00"),
     ("0001-01-01T00:00:00+14:00", "0001-01-01T01:00:00+14:00"),
     ("9999-12-31T22:00:00+00:00", "9999-12-31T23:00:00+00:00"),
     ("9999-12-31T12:00:00-14:00", "9999-12-31T13:00:00-14:00")]
)  # fmt: skip


# Bodies -------------------------------------------------------------------------------------


def class_bodies(anchor: datetime) -> st.SearchStrategy[dict[str, Any]]:
    """Valid group_owner bodies for classes from `anchor` on, within a year."""
    return st.builds(
        _class,
        start=st.builds(
            lambda days, quarter: anchor + timedelta(days=days, minutes=15 * quarter),
            st.integers(0, 365),
            st.integers(0, 95),
        ),
        length=st.integers(1, 16).map(lambda quarters: timedelta(minutes=15 * quarters)),
        max_seats=st.integers(1, 100_000),
        optional=st.fixed_dictionaries(
            {},
            optional={
                "min_cancel_time": valid_durations,
                "min_booking_time": valid_durations,
                "waitlist_size": st.integers(0, 20),
                "waitlist_promotion": promotion_modes,
                "offer_time": offer_times,
            },
        ),
        owner=st.none() | people,
    )


def _class(
    start: datetime, length: timedelta, max_seats: int, optional: dict[str, str], owner: Any
) -> dict[str, Any]:
    body = class_body(start, max_seats=max_seats, length=length, **optional)
    if owner is not None:
        body["owner"] = owner
    return body


def seat_bodies(class_ids: Sequence[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid group_customer bodies for the given classes or for bookings made during the run."""
    target = st.sampled_from([*class_ids, LATEST_CLASS, LATEST_CLASS]) | st.builds(
        KnownBooking, st.integers(0, 10_000)
    )
    related = st.fixed_dictionaries(
        {"owner_booking_id": target}, optional={"seats": st.integers(1, 5)}
    )
    return st.fixed_dictionaries(
        {"graph": st.just("group_customer"), "related": related, "customer": people},
        optional={"action": st.just("create"), "waitlist": st.booleans()},
    )


# Mutations ----------------------------------------------------------------------------------

Mutation = Callable[[st.DrawFn, Any], Any]


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if not isinstance(value, dict):
        return []
    found = []
    for key, item in value.items():
        found.append((*prefix, key))
        found += _paths(item, (*prefix, key))
    return found


def _parent(body: Any, path: tuple[str, ...]) -> dict[str, Any] | None:
    for key in path[:-1]:
        body = body.get(key) if isinstance(body, dict) else None
    return body if isinstance(body, dict) else None


def _set(body: Any, path: tuple[str, ...], value: Any) -> Any:
    parent = _parent(body, path)
    if parent is not None:
        parent[path[-1]] = value
    return body


def _drop(draw: st.DrawFn, body: Any) -> Any:
    paths = _paths(body)
    if paths:
        path = draw(st.sampled_from(paths))
        parent = _parent(body, path)
        if parent is not None:
            parent.pop(path[-1], None)
    return body


def _replace(draw: st.DrawFn, body: Any) -> Any:
    paths = _paths(body)
    return _set(body, draw(st.sampled_from(paths)), draw(junk)) if paths else body


def _add_unknown(draw: st.DrawFn, body: Any) -> Any:
    inner = [path for path in _paths(body) if isinstance(_parent(body, (*path, "")), dict)]
    where = draw(st.sampled_from([(), *inner]))
    key = draw(
        st.sampled_from(["id", "state", "current_seats", "Graph", "graph ", "x"]) | st.text()
    )
    return _set(body, (*where, key), draw(junk))


def _targeted(paths: list[tuple[str, ...]], values: st.SearchStrategy[Any]) -> Mutation:
    def mutate(draw: st.DrawFn, body: Any) -> Any:
        return _set(body, draw(st.sampled_from(paths)), draw(values))

    return mutate


def _end_not_after_start(draw: st.DrawFn, body: Any) -> Any:
    event = body.get("event") if isinstance(body, dict) else None
    if isinstance(event, dict) and "start" in event and "end" in event:
        if draw(st.booleans()):
            event["start"], event["end"] = event["end"], event["start"]
        else:
            event["end"] = event["start"]
    return body


def _wrap(draw: st.DrawFn, body: Any) -> Any:
    return draw(st.sampled_from([[body], {"booking": body}, {"data": body}, {}, None, [], "{}"]))


MUTATIONS: list[Mutation] = [
    _drop, _drop, _replace, _replace, _replace, _add_unknown, _end_not_after_start, _wrap,
    _targeted([("event", "start"), ("event", "end")], bad_datetimes),
    _targeted([("settings", "max_seats"), ("related", "seats"), ("seats",)], bad_ints),
    _targeted([("graph",), ("action",)], st.sampled_from(
        ["group_party", "", "GROUP_OWNER", "group_owner ", "group_customer", "group_owner",
         "cancel", None, 1]
    ) | junk_texts),
    _targeted([("related", "owner_booking_id"), ("related", "series_id")], bad_ids),
    _targeted([("settings", "min_cancel_time"), ("settings", "min_booking_time"),
               ("settings", "max_booking_time"), ("settings", "auto_complete")],
              bad_durations | valid_durations | json_scalars),
    _targeted([("event", "what"), ("event", "where"), ("event", "calendar_id"),
               ("event", "description"), ("customer", "name"), ("customer", "email"),
               ("owner", "name"), ("owner", "email")], junk_texts),
    # The waitlist: a size below 0 or not an integer, an unknown mode, an unreadable offer
    # time; a seat body's "waitlist" that is not a boolean.
    _targeted([("settings", "waitlist_size")], bad_ints),
    _targeted([("settings", "waitlist_promotion")], bad_promotion_modes | junk_texts),
    _targeted([("settings", "offer_time")], bad_offer_times),
    _targeted([("waitlist",)], st.sampled_from(["true", 1, 0, "yes", None, [True], {}])),
]  # fmt: skip


# Edges --------------------------------------------------------------------------------------


def _times_around(start: datetime, minutes: int) -> tuple[str, str]:
    """A start and an end `minutes` apart, from `start` or up to it at the end of time."""
    length = timedelta(minutes=minutes)
    try:
        return start.isoformat(), (start + length).isoformat()
    except OverflowError:
        return (start - length).isoformat(), start.isoformat()


def _edge_times(draw: st.DrawFn, body: Any) -> Any:
    """Start and end anywhere in years 1 to 9999, in any offset, the end after the start."""
    start, end = draw(
        edge_times | st.builds(_times_around, st.datetimes(timezones=offsets), st.integers(1, 600))
    )
    return _set(_set(body, ("event", "start"), start), ("event", "end"), end)


# Each keeps a valid body valid (or nearly): values at the edges of what the contract allows.
EDGES: list[Mutation] = [
    _targeted([("event", "what"), ("event", "where"), ("event", "calendar_id"),
               ("event", "description"), ("customer", "name"), ("owner", "name")], edge_texts),
    _edge_times,
    _edge_times,
    _targeted([("settings", "max_seats"), ("related", "seats")], st.sampled_from([1, 100_000])),
    _targeted([("settings", "min_cancel_time"), ("settings", "min_booking_time")],
              st.sampled_from(["0 seconds", "59 seconds", "1 week and 2 days", "3650 days"])),
    _targeted([("settings", "auto_complete")], st.booleans()),
    _targeted([("settings", "waitlist_size")], st.sampled_from([0, 1, 100_000])),
    _targeted([("settings", "offer_time")], st.sampled_from(["1 second", "366 days"])),
    _targeted([("waitlist",)], st.booleans()),
]  # fmt: skip


@st.composite
def at_the_edge(draw: st.DrawFn, bodies: st.SearchStrategy[dict[str, Any]]) -> Any:
    """A valid body with one value moved to the edge of what is allowed."""
    return draw(st.sampled_from(EDGES))(draw, copy.deepcopy(draw(bodies)))


@st.composite
def mutated(draw: st.DrawFn, bodies: st.SearchStrategy[dict[str, Any]]) -> Any:
    """A valid body with one to three mutations applied."""
    body: Any = copy.deepcopy(draw(bodies))
    for _ in range(draw(st.integers(1, 3))):
        body = draw(st.sampled_from(MUTATIONS))(draw, body)
    return body
