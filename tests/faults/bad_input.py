"""Bad input at volume: generated requests through the client and the gateway, each answered with
a success or a 4xx, and no refusal writing anything.

    python -m tests.faults.bad_input --count 5000 [--seed N] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from sqlalchemy import Engine, Select, create_engine, func, select
from sqlalchemy.exc import OperationalError

from api_client import BookingClient, BookingError
from benchmarks.gateway_server import GatewayServer, running_gateway
from tests.faults.redis_server import own_redis
from tests.support.bodies import class_body
from tests.support.databases import fresh_database
from tests.support.workers import running_workers
from worker.storage.tables import booking_logs, bookings, command_keys, outbox, series

ACTIONS = ("cancel", "cancel_by_customer", "cancel_by_owner", "complete")
API_KEY = "bad-input-drill-key"
# Enough to show each distinct crash without burying the table.
MAX_FINDINGS = 20
EXAMPLES_PER_KIND = 2
# Past the client's default: a slow answer is reported as the timeout it is, not hidden.
ANSWER_TIMEOUT_S = 60.0
# The local PostgreSQL is shared with other drills, some of which terminate connections.
FINGERPRINT_ATTEMPTS = 3


# Requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownBooking:
    """A booking (or class) created earlier in the run, picked by position once it exists."""

    index: int
    of_class: bool = False


# Often a class of odd shape just accepted: what a seat booking in it does is worth seeing.
LATEST_CLASS = KnownBooking(-1, of_class=True)


@dataclass
class KnownIds:
    """Ids of the bookings the run created, and of the classes among them."""

    bookings: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CreateRequest:
    """POST /v2/bookings; `raw` bodies are sent as text as they are, not as JSON."""

    body: Any
    raw: bool = False


@dataclass(frozen=True)
class ActionRequest:
    """PUT /v2/bookings/{booking_id}/{action}; `http_body` None sends no body."""

    booking_id: Any
    action: Any
    message: Any
    http_body: Any


BadRequest = CreateRequest | ActionRequest


def resolved(request: BadRequest, known_ids: KnownIds) -> BadRequest:
    """The request with each KnownBooking replaced by a real id (a fresh one if none yet)."""
    if isinstance(request, CreateRequest):
        return CreateRequest(_resolve(request.body, known_ids), request.raw)
    return ActionRequest(
        _resolve(request.booking_id, known_ids),
        request.action,
        request.message,
        _resolve(request.http_body, known_ids),
    )


def _resolve(value: Any, known_ids: KnownIds) -> Any:
    if isinstance(value, KnownBooking):
        pool = known_ids.classes if value.of_class else known_ids.bookings
        return pool[value.index % len(pool)] if pool else str(uuid.uuid4())
    if isinstance(value, dict):
        return {key: _resolve(item, known_ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, known_ids) for item in value]
    return value


def describe(request: BadRequest, limit: int = 600) -> str:
    """The request as one line of JSON-ish text, cut at `limit` characters."""
    if isinstance(request, CreateRequest):
        text = f"POST /v2/bookings {_as_text(request.body, request.raw)}"
    else:
        text = (
            f"PUT /v2/bookings/{request.booking_id!r}/{request.action!r} "
            f"message={request.message!r} body={_as_text(request.http_body, False)}"
        )
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def _as_text(body: Any, raw: bool) -> str:
    return repr(body) if raw else json.dumps(body, default=repr)


# Strategies ---------------------------------------------------------------------------------

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
            optional={"min_cancel_time": valid_durations, "min_booking_time": valid_durations},
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
        optional={"action": st.just("create")},
    )


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
]  # fmt: skip


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


@st.composite
def action_requests(draw: st.DrawFn) -> ActionRequest:
    """An action on a booking of the run or on an id that names nothing, with junk mixed in."""
    booking_id = draw(
        st.builds(KnownBooking, st.integers(0, 10_000)) | st.just(LATEST_CLASS) | bad_ids
    )
    action = draw(st.sampled_from(ACTIONS) | st.sampled_from(["explode", "", "CANCEL"]))
    message = draw(st.none() | names | junk_texts | json_scalars)
    matching = {action: {} if message is None else {"message": message}}
    http_body = draw(st.sampled_from([matching, None, {}]) | json_values)
    return ActionRequest(booking_id, action, message, http_body)


def bad_requests(class_ids: Sequence[str], anchor: datetime) -> st.SearchStrategy[BadRequest]:
    """Mostly mutated class and seat bodies; some valid ones, random JSON, raw text, actions."""
    classes, seats = class_bodies(anchor), seat_bodies(class_ids)
    raw_texts = st.sampled_from(["", "{", "not json", "[1,", "\ufeff{}", "{" * 5_000]) | st.text()
    weighted: list[tuple[int, st.SearchStrategy[BadRequest]]] = [
        (3, raw_texts.map(lambda text: CreateRequest(text, raw=True))),
        (6, json_values.map(CreateRequest)),
        (12, action_requests()),
        (6, classes.map(CreateRequest)),
        (8, seats.map(CreateRequest)),
        (8, at_the_edge(classes).map(CreateRequest)),
        (7, at_the_edge(seats).map(CreateRequest)),
        (25, mutated(classes).map(CreateRequest)),
        (25, mutated(seats).map(CreateRequest)),
    ]
    return weighted_choice(weighted)


@st.composite
def weighted_choice(draw: st.DrawFn, weighted: list[tuple[int, st.SearchStrategy[Any]]]) -> Any:
    point = draw(st.integers(0, sum(weight for weight, _ in weighted) - 1))
    for weight, strategy in weighted:
        if point < weight:
            return draw(strategy)
        point -= weight
    raise AssertionError("the weights cover every point")


# Sending and classifying --------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """How one path answered: "success", "refusal" (a 4xx in Timekit's shape) or "crash"."""

    kind: str
    status: int | None
    detail: str
    created_id: str | None = None
    created_graph: str | None = None


Sender = Callable[[BadRequest], Outcome]


def client_sender(client: BookingClient) -> Sender:
    """Requests through BookingClient's blocking methods."""

    def send(request: BadRequest) -> Outcome:
        try:
            if isinstance(request, CreateRequest):
                return _success(client.create_booking(request.body), 200)
            if request.action in ACTIONS:
                method = getattr(client, request.action)
                return _success(method(request.booking_id, request.message), 200)
            pending = client.submit_action(request.booking_id, request.action, request.message)
            return _success(pending.result(), 200)
        except BookingError as error:
            ok = 400 <= error.status < 500
            return Outcome("refusal" if ok else "crash", error.status, _exception_text(error))
        except Exception as error:
            where = traceback.format_exc(limit=-4)
            return Outcome("crash", None, f"{_exception_text(error)}\n{where}")

    return send


def gateway_sender(http: httpx.Client) -> Sender:
    """Requests through the HTTP gateway, with the API key."""

    def send(request: BadRequest) -> Outcome:
        try:
            response = _http_request(http, request)
        except httpx.HTTPError as error:
            return Outcome("crash", None, _exception_text(error))
        return _classified(response)

    return send


def _http_request(http: httpx.Client, request: BadRequest) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if isinstance(request, CreateRequest):
        content = request.body if request.raw else json.dumps(request.body)
        return http.post("/v2/bookings", content=content, headers=headers)
    path = f"/v2/bookings/{quote(str(request.booking_id), safe='')}/{quote(request.action)}"
    content = None if request.http_body is None else json.dumps(request.http_body)
    return http.put(path, content=content, headers=headers)


def _classified(response: httpx.Response) -> Outcome:
    try:
        body = response.json()
    except ValueError:
        body = None
    status = response.status_code
    if status in (200, 201):
        return _success(body, status)
    if 400 <= status < 500 and _timekit_error(body):
        return Outcome("refusal", status, json.dumps(body)[:300])
    return Outcome("crash", status, f"HTTP {status}: {response.text[:300]}")


def _timekit_error(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    return isinstance(body.get("errors"), dict) or isinstance(body.get("error"), str)


def _success(result: Any, status: int) -> Outcome:
    data = result.get("data") if isinstance(result, dict) else None
    if not isinstance(data, dict):
        return Outcome("crash", status, f"a success without data: {result!r:.300}")
    return Outcome("success", status, "", data.get("id"), data.get("graph"))


def _exception_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:300]}"


# Checking the database ----------------------------------------------------------------------


class Fingerprint(NamedTuple):
    """What a command may write: rows of each table, seats held and the latest update."""

    bookings: int
    booking_logs: int
    outbox: int
    series: int
    seats_held: int
    last_update: Any
    # A refusal records its key with the refusal (a replay answers it); nothing else.
    command_keys: int
    last_key_result: Any

    def bookings_changed(self, before: Fingerprint) -> bool:
        return self[:6] != before[:6]


def refusal_wrote(before: Fingerprint, after: Fingerprint) -> bool:
    """Whether a refusal changed more than its own command key, recorded with the refusal."""
    if after.bookings_changed(before):
        return True
    keyed = after.command_keys - before.command_keys
    refusal_kept = isinstance(after.last_key_result, dict) and "data" not in after.last_key_result
    return keyed not in (0, 1) or (keyed == 1 and not refusal_kept)


def database_fingerprint(engine: Engine) -> Fingerprint:
    counts = [
        select(func.count()).select_from(table).scalar_subquery()
        for table in (bookings, booking_logs, outbox, series)
    ]
    seats = select(func.coalesce(func.sum(bookings.c.current_seats), 0)).scalar_subquery()
    latest = select(func.max(bookings.c.updated_at)).scalar_subquery()
    keys = select(func.count()).select_from(command_keys).scalar_subquery()
    last_key = (
        select(command_keys.c.result)
        .order_by(command_keys.c.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = select(*counts, seats, latest, keys, last_key)
    for _ in range(FINGERPRINT_ATTEMPTS - 1):
        try:
            return _read_fingerprint(engine, query)
        except OperationalError:
            continue  # the connection was terminated under us; a fresh one answers
    return _read_fingerprint(engine, query)


def _read_fingerprint(engine: Engine, query: Select[Any]) -> Fingerprint:
    with engine.connect() as conn:
        return Fingerprint._make(conn.execute(query).one())


# The report ---------------------------------------------------------------------------------


@dataclass
class PathTally:
    sent: int = 0
    succeeded: int = 0
    refused: Counter[int] = field(default_factory=Counter)
    crashed: int = 0
    refusals_that_wrote: int = 0
    refusals_keyed: int = 0  # recorded under their idempotency key, as designed


@dataclass(frozen=True)
class Finding:
    path: str
    problem: str
    request: str
    outcome: str


@dataclass
class BadInputReport:
    """What each path answered to the same requests, and what went wrong."""

    requested: int
    seed: int
    tallies: dict[str, PathTally] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)  # of crashes and writing refusals
    elapsed_s: float = 0.0

    def record(
        self,
        path: str,
        request: BadRequest,
        outcome: Outcome,
        before: Fingerprint,
        after: Fingerprint,
    ) -> None:
        """Tallies the outcome; `before` and `after` are the database around it."""
        tally = self.tallies.setdefault(path, PathTally())
        tally.sent += 1
        if outcome.kind == "success":
            tally.succeeded += 1
        elif outcome.kind == "refusal":
            tally.refused[outcome.status or 0] += 1
            tally.refusals_keyed += after.command_keys != before.command_keys
            if refusal_wrote(before, after):
                tally.refusals_that_wrote += 1
                self._found(path, "a refusal wrote to the database", request, outcome)
        else:
            tally.crashed += 1
            self._found(path, "crash", request, outcome)

    def _found(self, path: str, problem: str, request: BadRequest, outcome: Outcome) -> None:
        kind = f"{path} {problem}: {outcome.status} {outcome.detail.splitlines()[0][:100]}"
        self.kinds[kind] += 1
        if self.kinds[kind] <= EXAMPLES_PER_KIND and len(self.findings) < MAX_FINDINGS:
            detail = f"{outcome.status} {outcome.detail}"
            self.findings.append(Finding(path, problem, describe(request), detail))

    def problems(self) -> list[str]:
        """One line per path that crashed, wrote on a refusal or sent less than asked."""
        found = []
        for path, tally in self.tallies.items():
            if tally.sent < self.requested:
                found.append(f"{path}: sent {tally.sent} of {self.requested} requests")
            if tally.crashed:
                found.append(f"{path}: {tally.crashed} answers were neither a success nor a 4xx")
            if tally.refusals_that_wrote:
                found.append(f"{path}: {tally.refusals_that_wrote} refusals wrote to the database")
        return found

    def render(self) -> str:
        lines = [
            f"bad input: {self.requested} requests per path, seed {self.seed}, "
            f"{self.elapsed_s:.1f} s",
            f"{'path':<8} {'sent':>6} {'success':>7} {'crash':>6} "
            f"{'wrote':>6} {'keyed':>6}  refused",
        ]
        for path, t in self.tallies.items():
            refused = " ".join(f"{status}:{n}" for status, n in sorted(t.refused.items()))
            lines.append(
                f"{path:<8} {t.sent:>6} {t.succeeded:>7} {t.crashed:>6} "
                f"{t.refusals_that_wrote:>6} {t.refusals_keyed:>6}  {refused}"
            )
        lines += [f"  {n} x {kind}" for kind, n in self.kinds.most_common()]
        for finding in self.findings:
            lines += [
                f"- {finding.path} {finding.problem}: {finding.outcome}",
                f"  {finding.request}",
            ]
        return "\n".join(lines)


# Running ------------------------------------------------------------------------------------


class Probe:
    """Sends each request down every path in turn, reading the database after each answer."""

    def __init__(self, senders: dict[str, Sender], engine: Engine, report: BadInputReport):
        self.senders, self.engine, self.report = senders, engine, report
        self.known_ids = KnownIds()
        self.last = database_fingerprint(engine)

    def send(self, request: BadRequest) -> None:
        request = resolved(request, self.known_ids)
        for path, sender in self.senders.items():
            outcome = sender(request)
            # Sent one at a time with nothing else writing, so any change is this request's.
            after = database_fingerprint(self.engine)
            self.report.record(path, request, outcome, self.last, after)
            self.last = after
            if isinstance(request, CreateRequest) and outcome.created_id is not None:
                self.known_ids.bookings.append(outcome.created_id)
                if outcome.created_graph == "group_owner":
                    self.known_ids.classes.append(outcome.created_id)


def probe(
    senders: dict[str, Sender],
    database_url: str,
    requests: st.SearchStrategy[BadRequest],
    count: int,
    seed: int,
) -> BadInputReport:
    """`count` requests drawn from `requests` (reproducibly for `seed`) down every sender."""
    report = BadInputReport(count, seed)
    engine = create_engine(database_url, pool_pre_ping=True)
    started = time.monotonic()
    try:
        drive(requests, count, seed, Probe(senders, engine, report).send)
    finally:
        engine.dispose()
    report.elapsed_s = time.monotonic() - started
    return report


def drive(
    requests: st.SearchStrategy[BadRequest],
    count: int,
    seed: int,
    each: Callable[[BadRequest], None],
) -> None:
    """Calls `each` with `count` generated requests; generation only, nothing to shrink."""

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(requests)
    def run(request: BadRequest) -> None:
        each(request)

    run()


def target_classes(client: BookingClient, anchor: datetime) -> list[str]:
    """A roomy class, a class of two seats and a cancelled class for seat bodies to name."""
    roomy = client.create_booking(class_body(anchor, max_seats=100_000))["data"]["id"]
    tiny = client.create_booking(class_body(anchor, max_seats=2))["data"]["id"]
    cancelled = client.create_booking(class_body(anchor))["data"]["id"]
    client.cancel(cancelled, "Closed for the drill.")
    return [roomy, tiny, cancelled]


@contextmanager
def connected_senders(
    redis_url: str, gateway_base_url: str, api_key: str
) -> Iterator[tuple[BookingClient, dict[str, Sender]]]:
    with (
        BookingClient(redis_url, timeout_s=ANSWER_TIMEOUT_S) as client,
        httpx.Client(
            base_url=gateway_base_url, auth=("", api_key), timeout=ANSWER_TIMEOUT_S
        ) as http,
    ):
        yield client, {"client": client_sender(client), "gateway": gateway_sender(http)}


def run_bad_input(
    redis_url: str,
    database_url: str,
    gateway_base_url: str,
    api_key: str,
    count: int = 5_000,
    seed: int = 0,
) -> BadInputReport:
    """`count` generated requests through the client and the same through the gateway."""
    anchor = (datetime.now(UTC) + timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    with connected_senders(redis_url, gateway_base_url, api_key) as (client, senders):
        requests = bad_requests(target_classes(client, anchor), anchor)
        return probe(senders, database_url, requests, count, seed)


class BadInputTarget(NamedTuple):
    redis_url: str
    database_url: str
    gateway: GatewayServer


@contextmanager
def bad_input_deployment(workdir: Path, api_key: str = API_KEY) -> Iterator[BadInputTarget]:
    """A Redis of its own, a fresh PostgreSQL database, one worker and the gateway."""
    with (
        own_redis(workdir / "redis") as redis_server,
        fresh_database("postgresql", workdir) as database_url,
    ):
        redis_url = redis_server.url(0)
        quiet = {"BOOKINGS_NOTIFICATION_CHANNELS": ""}
        with (
            running_workers(redis_url, database_url, workdir, settings=quiet),
            running_gateway(redis_url, api_key, workdir) as gateway,
        ):
            yield BadInputTarget(redis_url, database_url, gateway)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.bad_input", description=__doc__)
    parser.add_argument("--count", type=int, default=5_000, help="requests per path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="where logs go (kept); a temporary one else")
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")  # bodies hold any character
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bad-input-"))
    workdir.mkdir(parents=True, exist_ok=True)
    with bad_input_deployment(workdir) as target:
        gateway = target.gateway
        report = run_bad_input(
            target.redis_url, target.database_url, gateway.base_url, gateway.api_key,
            args.count, args.seed,
        )  # fmt: skip
        # Printed before the teardown, which may fail on its own without hiding the figures.
        print(report.render())
        problems = report.problems()
        for problem in problems:
            print(f"PROBLEM {problem}")
        print(f"worker and gateway logs: {workdir}" if problems else "no problems", flush=True)
    if not problems and args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
