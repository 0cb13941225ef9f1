"""The one settings class: every knob of the worker, read from BOOKINGS_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import (
    AnyUrl,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from api_client.action_links import MIN_SECRET_LENGTH
from api_client.contract.durations import parse_duration_s
from api_client.redis_urls import DEFAULT_MASTER_NAME, check_redis_url, is_sentinel_url

# The settings that cap a countdown the worker schedules (Celery retries, notification retries),
# and how much of the visibility timeout such a countdown may take.
COUNTDOWN_CAPS = ("retry_cap_s", "delivery_retry_cap_s")
COUNTDOWN_SHARE = 0.5

# What a webhook POST carries (worker/channels/webhook_formats.py): our notification document
# signed in X-Bookings-Signature, or the booking itself signed as Timekit signs its webhooks.
WebhookFormatName = Literal["default", "timekit"]


class Settings(BaseSettings):
    # Inputs stay out of error messages: several settings hold secrets (URLs with passwords,
    # the webhook and action-link secrets).
    model_config = SettingsConfigDict(
        env_prefix="BOOKINGS_", extra="ignore", hide_input_in_errors=True
    )

    # One Redis serves as broker, result backend and lock server: redis://host:port/db, or the
    # sentinels of a Redis that fails over, sentinel://host:port;sentinel://host:port;... with
    # the master they are asked for in redis_master_name (api_client/redis_urls.py).
    redis_url: str = "redis://localhost:6379/0"
    redis_master_name: str = Field(default=DEFAULT_MASTER_NAME, min_length=1)
    database_url: str = "sqlite:///group_bookings.sqlite3"

    # The class lock must outlive one allocation transaction (milliseconds) by far, yet expire
    # soon enough that a crashed holder stalls its class only briefly.
    lock_ttl_s: float = Field(default=10.0, gt=0)
    # How long one attempt waits for the lock before the task retries with backoff instead.
    lock_wait_s: float = Field(default=2.0, ge=0)
    # How often a waiting worker asks again. An allocation holds the lock for a few ms, so
    # redis-py's default of 100 ms would leave a hot class idle most of the time.
    lock_poll_s: float = Field(default=0.002, gt=0)
    lock_retries: int = Field(default=10, ge=0)
    # How long an allocation waits for an unreachable Redis (a restart) before retrying later.
    redis_outage_wait_s: float = Field(default=30.0, ge=0)
    retry_base_s: float = Field(default=0.1, gt=0)
    # The longest countdown of a command's retry (lock busy, database or Redis away).
    retry_cap_s: float = Field(default=5.0, gt=0)
    # Retries after a lost database connection, a deadlock or a serialization failure.
    db_retries: int = Field(default=5, ge=0)
    # Seat bookings (create_booking messages) that queued while every pool process was busy
    # are handed to the next free one together, at most this many, and applied under one lock
    # set and one transaction (worker/batching.py); 1 sends each to the pool on its own.
    booking_batch_max: int = Field(default=32, ge=1)
    # How a batch writes (worker/handlers/together.py). "deferred": its new rows go in one
    # insert per table at its end, and a booking is undone without a savepoint when it changed
    # no row; any conflict runs the batch again "per-booking": a savepoint and its own
    # inserts for each booking.
    booking_batch_writes: Literal["deferred", "per-booking"] = "deferred"

    # Fault-drill switches (worker/drills.py): each guard against overselling can be turned
    # off alone to show that the other holds, and both together to show that overselling then
    # happens.
    drill_lock_off: bool = False
    drill_seat_guard_off: bool = False
    # Fault drills: hold every command's transaction open just before or just after its commit,
    # so that a test can kill the worker at exactly that point.
    drill_pause_before_commit_s: float = Field(default=0.0, ge=0)
    drill_pause_after_commit_s: float = Field(default=0.0, ge=0)
    # Fault drill: the first allocation after the drill arms it pauses this long holding its
    # class lock, so that the drill can SIGSTOP it until the lock expires (see worker/locks.py).
    drill_pause_holding_lock_s: float = Field(default=0.0, ge=0)

    # A message a worker took but did not ack returns to the queue after this long if that
    # worker vanished with it (its main process died too, or lost it in a Redis restart). Sized
    # to the commands: they take milliseconds, and at most about a minute when one waits out a
    # Redis restart (BOOKINGS_REDIS_OUTAGE_WAIT_S) or a busy class lock. So a vanished worker's
    # commands wait about two minutes, not an hour. The trade-off: a task still running when
    # its timeout passes (a notification chunk against a slow webhook) is delivered again and
    # runs twice; that is harmless, because the idempotency key applies a command once and the
    # delivery lease keeps a notification from being sent twice.
    # Every countdown the worker schedules must stay well under it (_countdowns_fit below):
    # Redis holds a message with a countdown as unacked until it is due, and restores it to
    # the queue (a duplicate) if it is not acked within the timeout.
    visibility_timeout_s: int = Field(default=120, gt=0)
    # How often each worker sweeps for such messages. kombu's default sweep runs only every
    # tenth tick of 10 s; ours scans on every tick.
    unacked_restore_interval_s: int = Field(default=10, gt=0)
    result_expires_s: int = Field(default=86_400, gt=0)
    # Retries to store a result while Redis is away, backing off up to 10 s apart: about five
    # minutes in all.
    result_store_retries: int = Field(default=40, ge=0)
    # How long a command's idempotency key is remembered: a replay older than this is applied
    # as a new command. Longer than any caller would retry.
    command_key_retention_s: int = Field(default=30 * 86_400, gt=0)
    db_pool_size: int = Field(default=5, ge=1)
    sqlite_busy_timeout_s: float = Field(default=30.0, gt=0)

    # Scheduled completion: like Timekit, a class completes an hour after its end.
    complete_grace_s: int = Field(default=3600, ge=0)
    complete_every_s: float = Field(default=60, gt=0)
    # Classes per transaction: large enough to be set-based, small enough to hold row locks
    # only briefly against customers cancelling at the same moment.
    complete_batch: int = Field(default=500, ge=1)

    # Attendance: a seat may check in from this long before its class starts (a duration,
    # "1 hour", "15 minutes") until the class completes.
    check_in_opens: str = "1 hour"

    # Waitlists: lapsed offers expire, and lines of classes that can no longer be booked close,
    # this often (commands touching a class also do it at once).
    offer_sweep_every_s: float = Field(default=10, gt=0)
    offer_sweep_batch: int = Field(default=200, ge=1)

    # Reminders before classes (the class setting `reminders`): due ones are staged this often,
    # so one arrives at most this late. Classes per transaction: set-based (a hundred classes
    # of a hundred seats stage 10,000 reminders in one statement), yet short enough that a
    # sweep killed mid-way loses little work (the next one redoes it).
    reminder_sweep_every_s: float = Field(default=60, gt=0)
    reminder_sweep_batch: int = Field(default=100, ge=1)

    # Notifications. Channels: any of log, webhook, email, separated by commas. Unset: log, plus
    # webhook and email where their URL is set.
    notification_channels: str | None = None
    webhook_url: HttpUrl | None = None
    webhook_secret: SecretStr | None = None
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_format: WebhookFormatName = "default"
    # smtp://user:password@host:587?starttls=true, or smtps://... for TLS from the start.
    smtp_url: AnyUrl | None = None
    smtp_from: str = "bookings@localhost"
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    delivery_attempts: int = Field(default=8, ge=1)
    delivery_retry_base_s: float = Field(default=2.0, gt=0)
    # The longest countdown of a notification's retry; each retry is a task sent with this
    # countdown, so it stays well under the visibility timeout. A row whose retry task is lost
    # is sent by the outbox sweep (every BOOKINGS_OUTBOX_SWEEP_EVERY_S) once it is due.
    delivery_retry_cap_s: float = Field(default=60.0, gt=0)
    # A worker that claimed deliveries and died gives them up after this long; longer than one
    # chunk can take (chunk size x webhook timeout).
    delivery_lease_s: float = Field(default=300.0, gt=0)
    fanout_chunk: int = Field(default=50, ge=1)
    outbox_sweep_every_s: float = Field(default=30, gt=0)
    # The log channel (worker/local_delivery.py). "batched": a command's log rows are staged
    # held by its process, their lines written right after its commit, and the process marks
    # them delivered in one UPDATE every log_mark_every_s, so a command costs no second
    # transaction. "per-command": a second transaction per command claims, writes and marks
    # them (kept to measure the difference: benchmarks.run --log-delivery).
    log_delivery: Literal["batched", "per-command"] = "batched"
    log_mark_every_s: float = Field(default=0.5, gt=0)
    # How long the outbox sweep leaves such a row to its process. Far longer than a mark
    # interval, so a row merely awaiting its mark is not sent again; a process killed after
    # the commit leaves its rows to the sweep once this has run out (at least once).
    log_hold_s: float = Field(default=10.0, gt=0)

    # Signed action links (worker/customer_links.py): the secret they are signed with (the
    # gateway's BOOKINGS_ACTION_LINK_SECRET, to check them) and the gateway's public URL they
    # point at. Without both, bookings carry no links and e-mails none.
    action_link_secret: SecretStr | None = None
    public_url: HttpUrl | None = None

    # Prometheus metrics (worker/metrics.py), served by each worker instance's main process at
    # http://<host>:<port>/metrics; unset, nothing is recorded and prometheus_client is never
    # imported. The pool's processes write their figures as files in a directory of their own
    # instance: <metrics_dir>/worker-<port>, emptied at start (unset: a fresh temporary one).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_dir: str | None = None

    @field_validator("check_in_opens")
    @classmethod
    def _readable_duration(cls, duration: str) -> str:
        parse_duration_s(duration)  # ValueError names what it could not read
        return duration

    @property
    def check_in_opens_s(self) -> int:
        return parse_duration_s(self.check_in_opens)

    @field_validator("redis_url")
    @classmethod
    def _usable_redis(cls, url: str) -> str:
        return check_redis_url(url)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        parsed = make_url(url)
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
            # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
            return url.replace("postgresql://", "postgresql+psycopg://", 1)
        return url

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, url: AnyUrl | None) -> AnyUrl | None:
        if url is None:
            return None
        if url.scheme not in ("smtp", "smtps") or not url.host:
            raise ValueError("must look like smtp://user:password@host:587?starttls=true")
        starttls = dict(url.query_params()).get("starttls", "false").lower()
        if starttls not in ("true", "false", "1", "0"):
            raise ValueError("starttls must be true or false")
        return url

    @model_validator(mode="after")
    def _countdowns_fit(self) -> Settings:
        """Every countdown cap well under the visibility timeout: at most half of it."""
        for name in COUNTDOWN_CAPS:
            cap_s = getattr(self, name)
            if cap_s > self.visibility_timeout_s * COUNTDOWN_SHARE:
                raise ValueError(
                    f"BOOKINGS_{name.upper()} ({cap_s:g} s) must be at most half of "
                    f"BOOKINGS_VISIBILITY_TIMEOUT_S ({self.visibility_timeout_s} s): a task "
                    "scheduled further out is handed out again before it is due"
                )
        return self

    @model_validator(mode="after")
    def _action_link_secret_long_enough(self) -> Settings:
        secret = self.action_link_secret
        if secret is not None and len(secret.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"BOOKINGS_ACTION_LINK_SECRET must be at least {MIN_SECRET_LENGTH} characters"
            )
        return self

    @model_validator(mode="after")
    def _channels_have_their_settings(self) -> Settings:
        unknown = set(self.channels) - {"log", "webhook", "email"}
        if unknown:
            raise ValueError(f"unknown notification channels: {', '.join(sorted(unknown))}")
        if "webhook" in self.channels and (self.webhook_url is None or not self.webhook_secret):
            raise ValueError("the webhook channel needs BOOKINGS_WEBHOOK_URL and _SECRET")
        if "email" in self.channels and self.smtp_url is None:
            raise ValueError("the email channel needs BOOKINGS_SMTP_URL")
        return self

    @property
    def channels(self) -> tuple[str, ...]:
        if self.notification_channels is not None:
            names = [part.strip() for part in self.notification_channels.split(",")]
            return tuple(name for name in names if name)
        configured = ["log"]
        if self.webhook_url is not None:
            configured.append("webhook")
        if self.smtp_url is not None:
            configured.append("email")
        return tuple(configured)

    @property
    def redis_url_str(self) -> str:
        return self.redis_url

    @property
    def redis_is_sentinel(self) -> bool:
        return is_sentinel_url(self.redis_url)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_or_exit() -> Settings:
    """The settings, or an exit naming each bad BOOKINGS_ variable: for processes starting up."""
    try:
        return get_settings()
    except ValidationError as error:
        lines = ["group-bookings cannot start: invalid settings"]
        for detail in error.errors(include_url=False):
            variable = "BOOKINGS_" + "_".join(str(part) for part in detail["loc"]).upper()
            lines.append(f"  {variable if detail['loc'] else 'settings'}: {detail['msg']}")
        raise SystemExit("\n".join(lines)) from None
