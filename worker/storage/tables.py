"""The schema: bookings (classes and seat bookings in one id space), their logs, command keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, UTC out, on PostgreSQL (timestamptz) and SQLite (naive text) alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("graph", String(20), nullable=False),
    Column("state", String(30), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # A class (group_owner)
    Column("starts_at", UtcDateTime),
    Column("ends_at", UtcDateTime),
    Column("what", String(500)),
    Column("where", String(500)),
    Column("calendar_id", String(200)),
    Column("description", Text),
    Column("max_seats", Integer),
    Column("current_seats", Integer),
    Column("min_cancel_s", Integer),
    Column("min_booking_s", Integer),
    Column("max_booking_s", Integer),
    Column("auto_complete", Boolean),
    Column("owner_name", String(200)),
    Column("owner_email", String(254)),
    Column("series_id", Uuid),
    Column("booking_closes_at", UtcDateTime),  # start less min_booking_time
    # The class's waitlist: its settings, and seats waiting and held by open offers
    Column("waitlist_size", Integer),
    Column("waitlist_promotion", String(10)),
    Column("offer_s", Integer),
    Column("waitlist_seats", Integer),
    Column("offered_seats", Integer),
    Column("line_arrivals", Integer),  # how many have joined its line: the next entry's number
    # Running a class (migration 0007): its settings; a seat keeps the late_cancel of its class
    # as it was when booked, and when it checked in.
    Column("track_attendance", Boolean),
    Column("late_cancel", String(10)),
    Column("checked_in_at", UtcDateTime),
    # The class's reminders: seconds before its start, the earliest first (class_reminders
    # holds when each may be sent)
    Column("reminder_offsets_s", JSON),
    # The class's zone (IANA, migration 0010): its event.timezone, else its series' zone
    Column("event_timezone", String(100)),
    # A seat booking (group_customer)
    Column("owner_booking_id", Uuid, ForeignKey("bookings.id")),
    Column("seats", Integer),
    Column("customer_name", String(200)),
    Column("customer_email", String(254)),
    Column("line_number", Integer),  # order of arrival in the class's waitlist
    Column("offer_expires_at", UtcDateTime),
    Column("customer_phone", String(500)),
    Column("customer_voip", String(500)),
    Column("customer_timezone", String(100)),
    Column("customer_fields", JSON),  # custom fields of the customer, as given
    # Any booking: Timekit's resource and project ids and the caller's meta, kept as sent
    Column("resource_id", String(200)),
    Column("project_id", String(200)),
    Column("meta", JSON),
    # The last line of defence against overselling: no write can push a class past its seats.
    CheckConstraint("current_seats >= 0 AND current_seats <= max_seats", name="seats_within_class"),
    CheckConstraint(
        "offered_seats >= 0 AND current_seats + offered_seats <= max_seats",
        name="offers_within_class",
    ),
    CheckConstraint(
        "waitlist_seats >= 0 AND waitlist_seats <= waitlist_size", name="waitlist_within_size"
    ),
    CheckConstraint("seats IS NULL OR seats >= 1", name="seats_positive"),
    CheckConstraint("graph IN ('group_owner', 'group_customer')", name="known_graph"),
    Index("ix_bookings_owner_booking_id_state", "owner_booking_id", "state"),
    Index("ix_bookings_graph_state_starts_at", "graph", "state", "starts_at"),
    Index("ix_bookings_graph_state_ends_at", "graph", "state", "ends_at"),
    Index("ix_bookings_series_id_starts_at", "series_id", "starts_at"),
    # The owner's list, by (created_at, id) within each search column (migration 0006; on
    # PostgreSQL also a GIN index on meta::jsonb, which only the migration creates).
    Index("ix_bookings_created_at_id", "created_at", "id"),
    Index("ix_bookings_graph_state_created_at_id", "graph", "state", "created_at", "id"),
    Index("ix_bookings_calendar_id_created_at_id", "calendar_id", "created_at", "id"),
    Index("ix_bookings_customer_email_created_at_id", "customer_email", "created_at", "id"),
    Index("ix_bookings_resource_id_created_at_id", "resource_id", "created_at", "id"),
    Index("ix_bookings_project_id_created_at_id", "project_id", "created_at", "id"),
)

booking_logs = Table(
    "booking_logs",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("booking_id", Uuid, ForeignKey("bookings.id"), nullable=False, index=True),
    Column("action", String(40), nullable=False),
    Column("from_state", String(30)),
    Column("to_state", String(30), nullable=False),
    Column("message", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("details", JSON),  # a move's classes, a capacity change's seats
)

command_keys = Table(
    "command_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("command", String(40), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("result", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
)

# One row per notification and channel. `notification_id` is what receivers see and stays the
# same across retries, so they can drop duplicates; `id` names this channel's delivery.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("notification_id", Uuid, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("booking_id", Uuid, ForeignKey("bookings.id"), nullable=False, index=True),
    Column("type", String(60), nullable=False),
    Column("recipient_role", String(20), nullable=False),
    Column("recipient_name", String(200)),
    Column("recipient_email", String(254)),
    Column("message", Text),
    Column("payload", JSON, nullable=False),
    Column("state", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    UniqueConstraint("notification_id", "channel", name="uq_outbox_notification_id_channel"),
    Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
)

# A season of classes created in one command; each class carries its series_id.
series = Table(
    "series",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("rrule", String(500)),
    Column("timezone", String(100), nullable=False),
    Column("exdates", JSON, nullable=False),
    Column("starts", JSON),
    Column("created_at", UtcDateTime, nullable=False),
)

# Calendar feed tokens (migration 0008): a random token is shown once, when issued; only its
# sha256 is kept, so a read of this table gives no feed away. A token opens one calendar's
# feed (calendar_id) or one customer's (customer_email), until revoked.
feed_tokens = Table(
    "feed_tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("token_digest", String(64), nullable=False),
    Column("calendar_id", String(200)),
    Column("customer_email", String(254)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    CheckConstraint("(calendar_id IS NULL) <> (customer_email IS NULL)", name="one_feed_per_token"),
    UniqueConstraint("token_digest", name="uq_feed_tokens_token_digest"),
)

# When each of a class's reminders may be sent (worker/domain/reminders.py), written with the
# class: the sweep compares times only, the same SQL on both databases.
class_reminders = Table(
    "class_reminders",
    metadata,
    Column("class_id", Uuid, ForeignKey("bookings.id"), primary_key=True),
    Column("offset_s", Integer, primary_key=True),
    Column("opens_at", UtcDateTime, nullable=False),
    Column("closes_at", UtcDateTime, nullable=False),
    # Swept once it was settled (worker/domain/reminders.py): later sweeps skip it.
    Column("settled", Boolean, nullable=False, default=False),
    # The sweep reads the windows still open: those closing after now.
    Index("ix_class_reminders_closes_at", "closes_at"),
)

# One row per reminder staged, written in the transaction that stages its outbox rows: the
# primary key is what makes each (seat booking, class, offset) reminded once, whatever runs
# the sweep twice (two beats, a redelivered task, a worker killed before its commit). No
# foreign keys: checking them took half the staging time, and the outbox rows written with
# these (whose booking_id is checked) already refuse a booking deleted meanwhile.
reminders_sent = Table(
    "reminders_sent",
    metadata,
    Column("booking_id", Uuid, primary_key=True),
    Column("class_id", Uuid, primary_key=True),
    Column("offset_s", Integer, primary_key=True),
    Column("notification_id", Uuid, nullable=False),
    # Which sweep's transaction staged it: that sweep writes outbox rows for its own rows only.
    Column("sweep_id", Uuid, nullable=False),
    Column("staged_at", UtcDateTime, nullable=False),
    Index("ix_reminders_sent_sweep_id", "sweep_id"),
)
