"""Request bodies as Timekit spells them, validated before anything is enqueued."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainValidator,
    Strict,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from .durations import parse_duration_s
from .search import is_booking_key, is_group_key, parsed_search, read_cursor
from .text import ONE_LINE_FORBIDDEN, ONE_LINE_MESSAGE, multi_line, one_line

# Bounds that no studio reaches; past them a value is a mistake or an attack on memory.
MAX_SEATS_LIMIT = 100_000
MAX_MESSAGE_CHARS = 2_000
MAX_KEY_CHARS = 255
# A booking's `meta` and a customer's custom fields: small JSON objects of short values.
MAX_META_KEYS = 50
MAX_META_KEY_CHARS = 100
MAX_META_VALUE_CHARS = 1_000
MAX_CUSTOM_FIELDS = 20
MAX_CHOICES = 50
# Integers JavaScript reads exactly (booking.js and the SDK are JavaScript).
MAX_SAFE_INTEGER = 2**53 - 1


def _check_duration(text: str) -> str:
    parse_duration_s(text)
    return text


def _as_utc(moment: datetime) -> datetime:
    """In UTC, within the years a booking can be about (and its windows computed)."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(RANGE_MESSAGE) from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(RANGE_MESSAGE)
    return utc


def _without_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL; found by the bad-input drill as a worker failure.
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError("is not an IANA time zone, such as Europe/Oslo") from None
    return name


def _meta_value(value: Any) -> str | bool | int | float:
    """A value of `meta` or of a custom field: one JSON scalar, small, as sent."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError("must be an integer of at most 2^53 - 1 either way")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value
    if isinstance(value, str):
        if len(value) > MAX_META_VALUE_CHARS:
            raise ValueError(f"must be at most {MAX_META_VALUE_CHARS} characters")
        return _without_nul(value)
    raise ValueError(
        f"must be a string (at most {MAX_META_VALUE_CHARS} characters), a number or a boolean"
    )


def _custom_value(value: Any) -> str | bool | int | float | list[str]:
    """A custom customer field: a scalar, or booking.js's multiple choice (a list of strings).

    Strings keep their line breaks and no other control character: booking.js's own
    `comment` field is a textarea (its customerFields, format "textarea")."""
    if not isinstance(value, list):
        scalar = _meta_value(value)
        return multi_line(scalar) if isinstance(scalar, str) else scalar
    if len(value) > MAX_CHOICES or not all(isinstance(choice, str) for choice in value):
        raise ValueError(f"must be a list of at most {MAX_CHOICES} strings")
    return [one_line(str(_meta_value(choice))) for choice in value]


def _trimmed(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


# Bounds of every date and time: window arithmetic (up to ten years either side) stays within
# what Python's datetime can hold. Found by the bad-input drill: a class in year 1 crashed.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
RANGE_MESSAGE = "must be between 1970-01-01 and 9000-01-01"

# Trimmed strings of bounded length that a database column can hold. Those a header, an .ics
# property or a log line carries are one line (api_client/contract/text.py); descriptions and
# messages keep their line breaks and nothing else of the controls.
NoNul = AfterValidator(_without_nul)
OneLine = AfterValidator(one_line)
MultiLine = AfterValidator(multi_line)
Text = Annotated[str, _trimmed(500, min_length=1), NoNul, OneLine]
OptionalText = Annotated[str, _trimmed(500), NoNul, OneLine]
LongText = Annotated[str, _trimmed(5_000), NoNul, MultiLine]
Message = Annotated[str, _trimmed(MAX_MESSAGE_CHARS), NoNul, MultiLine]
ShortText = Annotated[str, _trimmed(200, min_length=1), NoNul, OneLine]
Duration = Annotated[str, StringConstraints(max_length=100), AfterValidator(_check_duration)]
SeatCount = Annotated[int, Strict(), Field(ge=1, le=MAX_SEATS_LIMIT)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_as_utc)]
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_KEY_CHARS, pattern=r"^[\x21-\x7e]+$")
]
ZoneName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_check_zone),
]
MetaKey = Annotated[str, StringConstraints(min_length=1, max_length=MAX_META_KEY_CHARS), NoNul]
# Returned as sent: neither keys nor strings are trimmed.
MetaValue = Annotated[
    Any, PlainValidator(_meta_value, json_schema_input_type=str | bool | int | float)
]
Meta = Annotated[dict[MetaKey, MetaValue], Field(max_length=MAX_META_KEYS)]
CustomValue = Annotated[
    Any,
    PlainValidator(_custom_value, json_schema_input_type=str | bool | int | float | list[str]),
]
# Ids of Timekit's resources and projects: opaque to us, kept as given.
ExternalId = ShortText
Include = Literal[
    "attributes",
    "related_bookings",
    "logs",
    "notifications",
    "waitlist",
    "customers",
    # Signed links a seat booking's customer may act from (cancel, accept or decline an offer).
    "customer_action_links",
    # A class's attendance (counts and list); whether a seat's cancel now would be late.
    "attendance",
    "cancel_policy",
    # Timekit's, which booking.js asks for; we have nothing more to show for them (the class's
    # event is in attributes.event_info), so they are accepted and ignored.
    "event",
    "calendar",
    "user",
]
CustomerAction = Literal["cancel_by_customer", "cancel_by_owner"]
# The actions that take at most a message; `move` and `set_max_seats` carry more (below).
Action = Literal[
    "cancel",
    "cancel_by_customer",
    "cancel_by_owner",
    "complete",
    "accept_offer",
    "decline_offer",
    "check_in",
]
PromotionMode = Literal["automatic", "offer"]
# A customer's cancel past min_cancel_time: refused (409), or let through as late_cancelled.
LateCancelPolicy = Literal["refuse", "allow"]
DEFAULT_OFFER_TIME = "2 hours"
# An offer shorter than this could not be read, let alone accepted; longer than this is a typo.
MIN_OFFER_S = 1
MAX_OFFER_S = 366 * 24 * 3600
# Reminders before a class: a handful is what studios send (Mindbody offers two); under a
# minute would arrive after the class began, more than a year ahead is a typo.
MAX_REMINDERS = 5
MIN_REMINDER_S = 60
MAX_REMINDER_S = 366 * 24 * 3600


class ContractModel(BaseModel):
    """Strict about unknown fields, so a typo is an error rather than a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Event(ContractModel):
    start: UtcDatetime
    end: UtcDatetime
    what: Text
    where: OptionalText | None = None
    calendar_id: ShortText
    description: LongText | None = None
    # The class's own zone (IANA): e-mails and .ics show its time there when the customer's
    # zone is unknown; a series' classes take their recurrence's zone when this is not given.
    timezone: ZoneName | None = None

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("must be later than start")
        return end


class OwnerSettings(ContractModel):
    max_seats: SeatCount
    min_cancel_time: Duration | None = None
    min_booking_time: Duration | None = None
    max_booking_time: Duration | None = None
    auto_complete: Annotated[bool, Strict()] = True
    # Seats that may wait for a freed place (0: a full class turns customers away).
    waitlist_size: Annotated[int, Strict(), Field(ge=0, le=MAX_SEATS_LIMIT)] = 0
    # Freed seats go straight to the next who fit ("automatic"), or are offered to them for
    # `offer_time` ("offer").
    waitlist_promotion: PromotionMode = "automatic"
    offer_time: Duration = DEFAULT_OFFER_TIME
    # Running a class: check-in and no-shows; what a late customer cancel does.
    track_attendance: Annotated[bool, Strict()] = False
    late_cancel: LateCancelPolicy = "refuse"
    # Durations before the start at which each confirmed customer is reminded ("1 day").
    reminders: Annotated[tuple[Duration, ...], Field(max_length=MAX_REMINDERS)] = ()

    @field_validator("reminders")
    @classmethod
    def _reminders_apart_and_in_bounds(cls, reminders: tuple[str, ...]) -> tuple[str, ...]:
        offsets_s = [parse_duration_s(reminder) for reminder in reminders]
        if not all(MIN_REMINDER_S <= offset_s <= MAX_REMINDER_S for offset_s in offsets_s):
            raise ValueError("each must be between 1 minute and 366 days")
        if len(set(offsets_s)) != len(offsets_s):
            raise ValueError("must not name the same time twice")
        return reminders

    @field_validator("offer_time")
    @classmethod
    def _offer_time_in_bounds(cls, offer_time: str) -> str:
        if not MIN_OFFER_S <= parse_duration_s(offer_time) <= MAX_OFFER_S:
            raise ValueError("must be between 1 second and 366 days")
        return offer_time

    @field_validator("max_booking_time")
    @classmethod
    def _max_after_min(cls, max_time: str | None, info: ValidationInfo) -> str | None:
        min_time = info.data.get("min_booking_time")
        if (
            max_time is not None
            and min_time is not None
            and parse_duration_s(max_time) <= parse_duration_s(min_time)
        ):
            raise ValueError("must be longer than min_booking_time")
        return max_time


class Person(ContractModel):
    name: ShortText
    email: Annotated[EmailStr, StringConstraints(max_length=254)]


class Customer(Person):
    """Who books a seat: Timekit's customer fields, and custom ones kept as given.

    booking.js sends each field of its form on the customer (`comment`, `where`, `first_name`,
    a checkbox as a boolean, a multiple choice as a list of strings), so any other key is a
    custom field, bounded in number and size.
    """

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, CustomValue] = Field(init=False)

    phone: OptionalText | None = None
    voip: OptionalText | None = None
    timezone: ZoneName | None = None

    @model_validator(mode="after")
    def _custom_fields_bounded(self) -> Customer:
        custom = self.__pydantic_extra__ or {}
        if len(custom) > MAX_CUSTOM_FIELDS:
            raise ValueError(f"may carry at most {MAX_CUSTOM_FIELDS} custom fields")
        for key in custom:
            if len(key) > MAX_META_KEY_CHARS or "\x00" in key:
                raise ValueError(f"custom field names are at most {MAX_META_KEY_CHARS} characters")
            if ONE_LINE_FORBIDDEN.search(key):
                raise ValueError(f"custom field names {ONE_LINE_MESSAGE}")
        return self

    @property
    def custom_fields(self) -> dict[str, Any]:
        return dict(self.__pydantic_extra__ or {})


class TimekitFields(ContractModel):
    """What Timekit lets every booking carry beside its graph's fields, stored and shown."""

    resource_id: ExternalId | None = None
    project_id: ExternalId | None = None
    meta: Meta | None = None


# A class's event as Timekit's current reference sends it: at the top level, not under `event`.
FLAT_EVENT_FIELDS = ("start", "end", "what", "where", "calendar_id", "description", "timezone")


class GroupOwnerBooking(TimekitFields):
    """A class: the owner's time slot that customers book seats in.

    Its event comes under `event` (the guide) or flat at the top level (the reference); both
    read as the same class, and the event is `event` either way.
    """

    graph: Literal["group_owner"]
    action: Literal["create"] = "create"
    settings: OwnerSettings
    event: Event
    owner: Person | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _flat_event(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if not isinstance(data, dict):
            return handler(data)
        flat = [name for name in FLAT_EVENT_FIELDS if name in data]
        if not flat:
            return handler(data)
        if "event" in data:
            message = f"is given twice: under event and at the top level ({', '.join(flat)})"
            raise _field_error(cls.__name__, "event", data, message)
        rest = {name: value for name, value in data.items() if name not in flat}
        try:
            return handler({**rest, "event": {name: data[name] for name in flat}})
        except ValidationError as error:
            raise _at_top_level(error) from None


def _field_error(title: str, field: str, data: Any, message: str) -> ValidationError:
    detail = InitErrorDetails(
        type="value_error", loc=(field,), input=data, ctx={"error": ValueError(message)}
    )
    return ValidationError.from_exception_data(title, [detail])


def _at_top_level(error: ValidationError) -> ValidationError:
    """A flat event's errors named where the body put its fields (`start`, not `event.start`)."""
    details = []
    for found in error.errors():
        location = found["loc"]
        detail = InitErrorDetails(
            type=found["type"],
            loc=location[1:] if location[:1] == ("event",) else location,
            input=found["input"],
        )
        if "ctx" in found:
            detail["ctx"] = found["ctx"]
        details.append(detail)
    return ValidationError.from_exception_data(error.title, details)


class CustomerRelated(ContractModel):
    """The class booked (owner_booking_id), or a whole series at once (series_id: a term)."""

    owner_booking_id: UUID | None = None
    series_id: UUID | None = None
    seats: SeatCount | None = None

    @model_validator(mode="after")
    def _one_target(self) -> CustomerRelated:
        if (self.owner_booking_id is None) == (self.series_id is None):
            raise ValueError("needs owner_booking_id (one class) or series_id (a term), not both")
        return self


class GroupCustomerBooking(TimekitFields):
    """Seats for one customer in one class."""

    graph: Literal["group_customer"]
    action: Literal["create"] = "create"
    related: CustomerRelated
    seats: SeatCount | None = None
    customer: Customer
    # Wait for a freed seat when the class is full and its waitlist has room.
    waitlist: Annotated[bool, Strict()] = False
    # The class's event as booking.js repeats it (timekit-io/booking-js, src/pages/booking.js,
    # timekitCreateBooking: start and end in the visitor's zone, `what` and `where` made up,
    # `description` the form's fields as text). `start` and `end`, if given, must be the
    # class's (the worker checks them against it); the rest is accepted and not stored.
    start: UtcDatetime | None = None
    end: UtcDatetime | None = None
    what: OptionalText | None = None
    where: OptionalText | None = None
    description: LongText | None = None

    @field_validator("seats")
    @classmethod
    def _seats_given_once(cls, top: int | None, info: ValidationInfo) -> int | None:
        related = info.data.get("related")
        nested = related.seats if related is not None else None
        if nested is not None and top is not None and nested != top:
            raise ValueError("is given twice with different values (related.seats and seats)")
        return top

    @field_validator("waitlist")
    @classmethod
    def _waits_for_one_class(cls, waitlist: bool, info: ValidationInfo) -> bool:
        related = info.data.get("related")
        if waitlist and related is not None and related.series_id is not None:
            raise ValueError("applies to one class (owner_booking_id), not to a term")
        return waitlist

    @field_validator("start", "end")
    @classmethod
    def _times_of_one_class(cls, moment: datetime | None, info: ValidationInfo) -> datetime | None:
        related = info.data.get("related")
        if moment is not None and related is not None and related.series_id is not None:
            raise ValueError("applies to one class (owner_booking_id), not to a term")
        return moment

    @property
    def requested_seats(self) -> int:
        return self.related.seats or self.seats or 1


BookingBody = Annotated[GroupOwnerBooking | GroupCustomerBooking, Field(discriminator="graph")]


class ActionRequest(ContractModel):
    booking_id: UUID
    action: Action
    message: Message | None = None


class MoveRequest(ContractModel):
    """Move a confirmed seat booking, same id and seats, to another class."""

    booking_id: UUID
    owner_booking_id: UUID  # the class moved to
    message: Message | None = None

    @field_validator("owner_booking_id")
    @classmethod
    def _to_another_booking(cls, target: UUID, info: ValidationInfo) -> UUID:
        if target == info.data.get("booking_id"):
            raise ValueError("must be a class, not the booking moved")
        return target


class SetMaxSeatsRequest(ContractModel):
    """Raise or lower a class's seats; never below the seats taken and offered."""

    booking_id: UUID
    max_seats: SeatCount
    message: Message | None = None


class BookingQuery(ContractModel):
    booking_id: UUID
    include: tuple[Include, ...] = ()


class NotificationsRetry(ContractModel):
    """Failed deliveries of one booking (or of all, with no id) get a fresh attempt budget."""

    booking_id: UUID | None = None


class GroupsQuery(ContractModel):
    """Open classes: overlapping [start, end), of a series, matching Timekit's `search`
    (project.id, resource.id, calendar_id); full ones too unless `available`."""

    start: UtcDatetime | None = None
    end: UtcDatetime | None = None
    series_id: UUID | None = None
    search: dict[str, str] = {}
    available: bool = False

    @field_validator("search", mode="before")
    @classmethod
    def _search_terms(cls, value: Any) -> dict[str, str]:
        return parsed_search(value, is_group_key)

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("start")
        if start is not None and end is not None and end <= start:
            raise ValueError("must be later than start")
        return end


class CommandEnvelope(ContractModel):
    """What travels with every command: its idempotency key beside the request."""

    idempotency_key: IdempotencyKey


class SeriesCancel(ContractModel):
    """Cancel every still-open class of a series starting at or after `from_` (all if None)."""

    series_id: UUID
    message: Message | None = None
    from_: UtcDatetime | None = None


MAX_BULK_ITEMS = 1_000


class BulkItem(ContractModel):
    """One body of a bulk command and its place in the caller's list."""

    index: Annotated[int, Strict(), Field(ge=0, lt=MAX_BULK_ITEMS)]
    body: BookingBody


class BulkCreate(ContractModel):
    items: Annotated[list[BulkItem], Field(min_length=1, max_length=MAX_BULK_ITEMS)]
    all_or_nothing: Annotated[bool, Strict()] = True


class GroupQuery(ContractModel):
    """One open class, as the public list shows it."""

    booking_id: UUID


class RosterQuery(ContractModel):
    """A class's roster: its seat bookings, for the owner."""

    booking_id: UUID


MAX_PAGE_SIZE = 100


class BookingSearch(ContractModel):
    """The owner's list (GET /bookings): Timekit's `search` terms, a page of `limit` bookings
    by (created_at, id). `after` and `before` are the cursors next_page_url and prev_page_url
    carry (the boundary row of the page beside), so following them seeks rather than skips."""

    search: dict[str, str] = {}
    limit: int = Field(default=25, ge=1, le=MAX_PAGE_SIZE)
    page: int = Field(default=1, ge=1, le=10_000_000)
    after: str | None = Field(default=None, max_length=200)
    before: str | None = Field(default=None, max_length=200)

    @field_validator("search", mode="before")
    @classmethod
    def _search_terms(cls, value: Any) -> dict[str, str]:
        return parsed_search(value, is_booking_key)

    @field_validator("after", "before")
    @classmethod
    def _a_cursor(cls, value: str | None) -> str | None:
        if value is not None:
            read_cursor(value)
        return value


class DeleteRequest(ContractModel):
    """Remove a booking in a final state (a class with its seat bookings, all final)."""

    booking_id: UUID
