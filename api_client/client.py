"""BookingClient: validate a Timekit-shaped body, enqueue it by task name, read the result."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from celery import Celery, states
from celery.exceptions import TimeoutError as CeleryTimeoutError
from celery.result import AsyncResult
from pydantic import TypeAdapter

from .contract import tasks
from .contract.requests import CommandEnvelope
from .contract.tasks import BOOKING_BODY, KEY_FIELD, TASKS
from .contract.validation import validate
from .errors import BookingError, InvalidRequestError, ResultTimeoutError, WorkerFailureError
from .feed_tokens import feed_path, new_token, token_digest
from .redis_urls import celery_url, master_name, transport_options
from .result_backend import key_read_backend_url

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
# How often a caller waiting for a result reads it from Redis besides listening for it.
RESULT_REREAD_S = 1.0
_ENVELOPE: TypeAdapter[CommandEnvelope] = TypeAdapter(CommandEnvelope)


class PendingResult:
    """A submitted command whose answer can be collected later, from this or another process."""

    def __init__(self, async_result: AsyncResult, idempotency_key: str | None, timeout_s: float):
        self._async_result = async_result
        self.idempotency_key = idempotency_key
        self._timeout_s = timeout_s

    @property
    def id(self) -> str:
        """The task id: give it to `BookingClient.pending` to collect the result elsewhere."""
        return str(self._async_result.id)

    def ready(self) -> bool:
        return bool(self._async_result.ready())

    @property
    def result_key(self) -> str:
        """The Redis key (and pub/sub channel) the worker writes this command's result to."""
        key = self._async_result.backend.get_key_for_task(self.id)
        return key.decode() if isinstance(key, bytes) else str(key)

    def result_from_stored(self, stored: bytes) -> dict[str, Any]:
        """The response dict from the value found at `result_key` (or published on it).

        Raises BookingError for a refusal or a failure, as `result` does.
        """
        meta = self._async_result.backend.decode_result(stored)
        status, outcome = meta.get("status"), meta.get("result")
        if status != "SUCCESS":
            raise WorkerFailureError(f"the worker failed: {status} {outcome!r}")
        return _settled(outcome)

    def result(self, timeout_s: float | None = None) -> dict[str, Any]:
        """The response dict; raises BookingError for a refusal, a failure or a timeout."""
        wait_s = self._timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + wait_s
        while True:
            # Each wait reads the stored result first, then listens for it to be published: a
            # result published while the subscription was reconnecting (a Redis restart) is
            # found by the next read, at most RESULT_REREAD_S late, not at the timeout.
            left_s = max(deadline - time.monotonic(), 0.0)
            try:
                outcome = self._async_result.get(
                    timeout=min(left_s, RESULT_REREAD_S), propagate=False
                )
                break
            except CeleryTimeoutError:
                if time.monotonic() >= deadline:
                    raise ResultTimeoutError(
                        f"no result within {wait_s:g} s; resubmit with idempotency key "
                        f"{self.idempotency_key!r} to learn the outcome without applying it "
                        "twice"
                    ) from None
        if self._async_result.failed():
            raise WorkerFailureError(f"the worker failed: {outcome!r}")
        return _settled(outcome)


def _settled(outcome: Any) -> dict[str, Any]:
    """A successful task's return value: the response dict, or its refusal raised."""
    if not isinstance(outcome, dict):
        raise WorkerFailureError(f"the worker failed: {outcome!r}")
    if "data" in outcome:
        return outcome
    raise BookingError.from_result(outcome)


class BookingClient:
    """Submits booking commands and queries to the workers through Redis."""

    def __init__(
        self,
        redis_url: str | None = None,
        *,
        timeout_s: float = 30.0,
        subscribe_on_submit: bool = True,
        redis_master_name: str | None = None,
        queue: str = tasks.QUEUE,
    ) -> None:
        """A client of the workers behind `redis_url` (BOOKINGS_REDIS_URL by default).

        `redis_url` may name Redis Sentinel (`sentinel://host:port;sentinel://...`); the master
        asked for is `redis_master_name`, else BOOKINGS_REDIS_MASTER_NAME, else "mymaster"
        (api_client/redis_urls.py).

        `subscribe_on_submit=False` is for callers that wait for results on their own (reading
        `PendingResult.result_key`, as the gateway does): submitting then sends the task only.

        Commands go to the queue every worker takes from unless `queue` names another, for
        workers started to take only that one (`celery worker -Q <queue>`).
        """
        url = celery_url(redis_url or os.environ.get("BOOKINGS_REDIS_URL") or DEFAULT_REDIS_URL)
        self.timeout_s = timeout_s
        self._queue = queue
        backend = url if subscribe_on_submit else key_read_backend_url(url)
        self._app = Celery(
            "group-bookings-client", broker=url, backend=backend, set_as_current=False
        )
        options = transport_options(url, master_name(redis_master_name))
        self._app.conf.update(
            task_serializer="json",
            result_serializer="json",
            accept_content=["json"],
            task_default_queue=tasks.QUEUE,
            broker_connection_retry_on_startup=True,
            broker_transport_options=options,
            result_backend_transport_options=options,
        )

    def is_answer(self, stored: bytes) -> bool:
        """Whether a value stored (or published) at a result key is the command's answer.

        A task that retries (a busy class) marks its key RETRY first: that is no answer yet,
        and whoever waits on the key keeps waiting for the one that follows.
        """
        meta = self._app.backend.decode_result(stored)
        return meta.get("status") in states.READY_STATES

    @property
    def result_key_prefix(self) -> str:
        """What every result key (and pub/sub channel) starts with; see `result_key`."""
        prefix = self._app.backend.task_keyprefix
        return prefix.decode() if isinstance(prefix, bytes) else str(prefix)

    # Commands -------------------------------------------------------------------------------

    def create_booking(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Create a class (graph group_owner) or book seats in one (graph group_customer)."""
        return self.submit_booking(body, idempotency_key).result()

    def cancel(
        self, booking_id: str, message: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """The owner cancels a class; every confirmed seat booking in it is cancelled too."""
        return self.submit_action(booking_id, "cancel", message, idempotency_key).result()

    def cancel_by_customer(
        self, booking_id: str, message: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """The customer cancels a seat booking, at the latest min_cancel_time before start."""
        return self.submit_action(
            booking_id, "cancel_by_customer", message, idempotency_key
        ).result()

    def cancel_by_owner(
        self, booking_id: str, message: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """The owner cancels one customer's seat booking."""
        return self.submit_action(booking_id, "cancel_by_owner", message, idempotency_key).result()

    def complete(
        self, booking_id: str, message: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """The owner completes a class that has ended, with its seat bookings."""
        return self.submit_action(booking_id, "complete", message, idempotency_key).result()

    def accept_offer(
        self, booking_id: str, message: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """The customer takes the seats offered to a waiting booking, before its
        `attributes.waitlist.offer_expires_at`; the booking is then confirmed."""
        return self.submit_action(booking_id, "accept_offer", message, idempotency_key).result()

    def decline_offer(
        self, booking_id: str, message: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """The customer turns an offer down; its seats go to the next in line."""
        return self.submit_action(booking_id, "decline_offer", message, idempotency_key).result()

    def check_in(
        self, booking_id: str, message: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """The owner checks a confirmed seat booking in (a class with track_attendance, from
        BOOKINGS_CHECK_IN_OPENS before its start until it completes); checking in again
        answers the first check-in."""
        return self.submit_action(booking_id, "check_in", message, idempotency_key).result()

    def set_max_seats(
        self,
        class_id: str,
        max_seats: int,
        message: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """The owner changes a class's seats: raising promotes (or offers to) the waitlist at
        once; lowering below the seats taken plus offered is refused (409)."""
        return self.submit_set_max_seats(class_id, max_seats, message, idempotency_key).result()

    def submit_set_max_seats(
        self,
        class_id: str,
        max_seats: int,
        message: str | None = None,
        idempotency_key: str | None = None,
    ) -> PendingResult:
        """Enqueue set_max_seats and return a handle at once."""
        request = {"booking_id": class_id, "max_seats": max_seats, "message": message}
        return self._submit(tasks.SET_MAX_SEATS, request, idempotency_key)

    def move(
        self,
        booking_id: str,
        to_class_id: str,
        message: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Move a confirmed seat booking, same id and seats, to another open class with room;
        it never jumps that class's waitlist, and its old seats promote the old class's."""
        return self.submit_move(booking_id, to_class_id, message, idempotency_key).result()

    def submit_move(
        self,
        booking_id: str,
        to_class_id: str,
        message: str | None = None,
        idempotency_key: str | None = None,
    ) -> PendingResult:
        """Enqueue move and return a handle at once."""
        request = {"booking_id": booking_id, "owner_booking_id": to_class_id, "message": message}
        return self._submit(tasks.MOVE_BOOKING, request, idempotency_key)

    def delete_booking(self, booking_id: str, idempotency_key: str | None = None) -> dict[str, Any]:
        """Delete a booking in a final state, with its logs and notifications: a seat booking
        alone (its class's seats are unchanged), a class with all its seat bookings, which must
        all be final too (409 otherwise). The answer names every booking deleted."""
        return self.submit_delete(booking_id, idempotency_key).result()

    def submit_delete(self, booking_id: str, idempotency_key: str | None = None) -> PendingResult:
        """Enqueue delete_booking and return a handle at once."""
        return self._submit(tasks.DELETE_BOOKING, {"booking_id": booking_id}, idempotency_key)

    def retry_notifications(self, booking_id: str | None = None) -> dict[str, Any]:
        """Send failed notifications (of one booking, or all) again, with a fresh budget."""
        return self._unkeyed(tasks.RETRY_NOTIFICATIONS, {"booking_id": booking_id}).result()

    def create_recurring(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """A season of classes in one command, all or nothing: a group_owner body whose
        `recurrence` holds an RFC 5545 `rrule` and `timezone`, or explicit `starts`."""
        return self.submit_recurring(body, idempotency_key).result()

    def submit_recurring(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> PendingResult:
        """Enqueue create_recurring and return a handle at once."""
        return self._submit(tasks.CREATE_RECURRING, body, idempotency_key)

    def cancel_series(
        self,
        series_id: str,
        message: str | None = None,
        from_: datetime | str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Cancel every still-open class of a series from `from_` on (inclusive; all if None),
        each with its seat bookings, as `cancel` does for one class."""
        return self.submit_series_cancel(series_id, message, from_, idempotency_key).result()

    def submit_series_cancel(
        self,
        series_id: str,
        message: str | None = None,
        from_: datetime | str | None = None,
        idempotency_key: str | None = None,
    ) -> PendingResult:
        """Enqueue cancel_series and return a handle at once."""
        request = {"series_id": series_id, "message": message, "from_": from_}
        return self._submit(tasks.CANCEL_SERIES, request, idempotency_key)

    def bulk_create(
        self,
        bodies: Sequence[dict[str, Any]],
        all_or_nothing: bool = True,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Many class and seat bookings in one command (Timekit's POST /bookings/bulk).

        All or nothing: one refusal (or one invalid body) undoes everything, and the error
        names the item (`items.<index>.<field>`). Otherwise `{"data": [outcome, ...]}` in the
        order given, each `{"data": ...}` or an error with its status; invalid bodies are
        reported in that list without being sent.
        """
        checked = [_checked(body) for body in bodies]
        invalid = {i: outcome for i, outcome in enumerate(checked) if isinstance(outcome, dict)}
        if all_or_nothing or not invalid:
            return self.submit_bulk(bodies, all_or_nothing, idempotency_key).result()
        items = [(i, body) for i, body in enumerate(checked) if not isinstance(body, dict)]
        if not items:
            return {"data": [invalid[i] for i in range(len(bodies))]}
        sent = self._submit_bulk(items, all_or_nothing, idempotency_key)
        answered = iter(sent.result()["data"])
        return {
            "data": [invalid[i] if i in invalid else next(answered) for i in range(len(bodies))]
        }

    def submit_bulk(
        self,
        bodies: Sequence[dict[str, Any]],
        all_or_nothing: bool = True,
        idempotency_key: str | None = None,
    ) -> PendingResult:
        """Enqueue a bulk command whose bodies are all valid (InvalidRequestError naming
        `items.<index>.<field>` otherwise) and return a handle at once."""
        checked = [_checked(body) for body in bodies]
        invalid = {i: outcome for i, outcome in enumerate(checked) if isinstance(outcome, dict)}
        if invalid:
            raise InvalidRequestError(errors=_item_errors(invalid))
        return self._submit_bulk(list(enumerate(checked)), all_or_nothing, idempotency_key)

    def _submit_bulk(
        self, items: Sequence[tuple[int, Any]], all_or_nothing: bool, idempotency_key: str | None
    ) -> PendingResult:
        indexed = [{"index": i, "body": BOOKING_BODY.dump_python(b, mode="json")} for i, b in items]
        request = {"items": indexed, "all_or_nothing": all_or_nothing}
        return self._submit(tasks.BULK_CREATE, request, idempotency_key)

    def submit_booking(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> PendingResult:
        """Enqueue create_booking and return at once with a handle to its result."""
        return self._submit(tasks.CREATE_BOOKING, body, idempotency_key)

    def submit_action(
        self,
        booking_id: str,
        action: str,
        message: str | None = None,
        idempotency_key: str | None = None,
    ) -> PendingResult:
        """Enqueue cancel, cancel_by_customer, cancel_by_owner, complete, accept_offer,
        decline_offer or check_in (the actions that take at most a message); return at once."""
        request = {"booking_id": booking_id, "action": action, "message": message}
        return self._submit(tasks.APPLY_ACTION, request, idempotency_key)

    def issue_feed_token(
        self,
        calendar_id: str | None = None,
        customer_email: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """A new token for one calendar's feed or one customer's confirmed seats (give one of
        the two). The answer's `token` and `feed_path` are shown here only: the worker keeps
        the token's sha256 alone, so a lost token is revoked and another issued."""
        token, handle = self.submit_feed_token(calendar_id, customer_email, idempotency_key)
        return with_token(handle.result(), token)

    def submit_feed_token(
        self,
        calendar_id: str | None = None,
        customer_email: str | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[str, PendingResult]:
        """Draw a token, enqueue its digest, and return the token with a handle at once."""
        token = new_token()
        request = {
            "token_digest": token_digest(token),
            "calendar_id": calendar_id,
            "customer_email": customer_email,
        }
        return token, self._submit(tasks.ISSUE_FEED_TOKEN, request, idempotency_key)

    def revoke_feed_token(
        self, token_id: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """The token stops opening its feed at once (revoking twice answers the same)."""
        return self.submit_revoke_feed_token(token_id, idempotency_key).result()

    def submit_revoke_feed_token(
        self, token_id: str, idempotency_key: str | None = None
    ) -> PendingResult:
        """Enqueue revoke_feed_token and return a handle at once."""
        return self._submit(tasks.REVOKE_FEED_TOKEN, {"token_id": token_id}, idempotency_key)

    def pending(self, task_id: str) -> PendingResult:
        """A handle to a result submitted earlier, perhaps by another process."""
        return PendingResult(self._app.AsyncResult(task_id), None, self.timeout_s)

    # Queries --------------------------------------------------------------------------------

    def get_booking(self, booking_id: str, include: Iterable[str] | str = ()) -> dict[str, Any]:
        """One booking; include any of "attributes", "related_bookings", "logs", "notifications",
        "waitlist" (a class's waiting and offered bookings, in order of arrival), "attendance"
        (a class's seats booked, checked in and no-show, and its seat bookings),
        "cancel_policy" (whether a seat's cancel now would be on time, late or refused).

        `include` may also be written as in Timekit's query string: "attributes,logs".
        """
        if isinstance(include, str):
            include = [part.strip() for part in include.split(",") if part.strip()]
        query = {"booking_id": booking_id, "include": tuple(include)}
        return self._unkeyed(tasks.GET_BOOKING, query).result()

    def list_groups(
        self,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        series_id: str | None = None,
        search: str | dict[str, str] | None = None,
        available: bool = False,
    ) -> dict[str, Any]:
        """Open classes overlapping [start, end) (of one series, if given), sorted by start;
        never any customer data. `search` is Timekit's "project.id:x;resource.id:y;
        calendar_id:z"; full classes are listed (with their seats) unless `available`; classes
        whose booking window has closed are not."""
        query = {
            "start": start,
            "end": end,
            "series_id": series_id,
            "search": search,
            "available": available,
        }
        return self._unkeyed(tasks.LIST_GROUPS, query).result()

    def roster(self, class_id: str) -> dict[str, Any]:
        """A class's roster, for its owner: {"data": [{name, email, seats, state, booked_at,
        checked_in_at}, ...]} by name (api_client.roster.roster_csv writes it as CSV)."""
        return self._unkeyed(tasks.GET_ROSTER, {"booking_id": class_id}).result()

    def get_group(self, booking_id: str) -> dict[str, Any]:
        """One open class as the public list shows it (NotFoundError if it is not open)."""
        return self._unkeyed(tasks.GET_GROUP, {"booking_id": booking_id}).result()

    def search_bookings(
        self,
        search: str | dict[str, str] | None = None,
        *,
        limit: int = 25,
        page: int = 1,
        after: str | None = None,
        before: str | None = None,
    ) -> dict[str, Any]:
        """The owner's list: bookings matching Timekit's `search` ("graph:group_owner;
        state:tentative;calendar_id:..;customer.email:..;meta.<key>:<value>"), a page of
        `limit` by creation, in Timekit's envelope (data, total, per_page, current_page,
        last_page) plus the cursors `after`/`before` of the pages beside it."""
        query = {"search": search, "limit": limit, "page": page, "after": after, "before": before}
        return self._unkeyed(tasks.SEARCH_BOOKINGS, query).result()

    def read_feed(self, token: str, calendar_id: str | None = None) -> dict[str, Any]:
        """A calendar's feed (its classes from 30 days back on), or with no calendar the
        confirmed seats of the token's customer: `{"data": {"ics": text, "etag": tag}}`.
        NotFoundError, alike, for a token that is wrong, revoked or for another feed."""
        query = {"token_digest": token_digest(token), "calendar_id": calendar_id}
        return self._unkeyed(tasks.READ_FEED, query).result()

    def ping(self) -> dict[str, Any]:
        """A no-op round trip through a worker."""
        return self.submit_ping().result()

    def submit_ping(self) -> PendingResult:
        """Enqueue a no-op and return a handle at once (a health check, a benchmark ceiling)."""
        return self._send(tasks.PING, {})

    def close(self) -> None:
        self._app.close()

    def __enter__(self) -> BookingClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Plumbing -------------------------------------------------------------------------------

    def _submit(self, task_name: str, request: Any, idempotency_key: str | None) -> PendingResult:
        """Validate a command's request with the task's contract and send it under its key."""
        contract = TASKS[task_name]
        kwargs = contract.kwargs(validate(contract.adapter, request))
        key = idempotency_key if idempotency_key is not None else str(uuid.uuid4())
        validate(_ENVELOPE, {KEY_FIELD: key})
        return self._send(task_name, {**kwargs, KEY_FIELD: key}, key)

    def _unkeyed(self, task_name: str, request: Any) -> PendingResult:
        contract = TASKS[task_name]
        return self._send(task_name, contract.kwargs(validate(contract.adapter, request)))

    def _send(
        self, task_name: str, kwargs: dict[str, Any], idempotency_key: str | None = None
    ) -> PendingResult:
        # The task id is always fresh: reusing the idempotency key as the task id would let the
        # result backend answer a replay with a different body as if it were the first.
        async_result = self._app.send_task(task_name, kwargs=kwargs, queue=self._queue)
        return PendingResult(async_result, idempotency_key, self.timeout_s)


def with_token(result: dict[str, Any], token: str) -> dict[str, Any]:
    """An issued token's answer with the token and its feed's path (for the caller only)."""
    data = result["data"]
    path = feed_path(token, data.get("calendar_id"))
    return {**result, "data": {**data, "token": token, "feed_path": path}}


def _checked(body: dict[str, Any]) -> Any:
    """The validated body, or its refusal as an outcome dict."""
    try:
        return validate(BOOKING_BODY, body)
    except InvalidRequestError as refusal:
        return refusal.to_result()


def _item_errors(invalid: dict[int, dict[str, Any]]) -> dict[str, list[str]]:
    return {
        f"items.{index}.{field}": messages
        for index, outcome in invalid.items()
        for field, messages in outcome["errors"].items()
    }
