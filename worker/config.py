"""The one settings class: every knob of the worker, read from BOOKINGS_* environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, RedisDsn, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOOKINGS_", extra="ignore")

    # One Redis serves as broker, result backend and lock server.
    redis_url: RedisDsn = Field(default=RedisDsn("redis://localhost:6379/0"))
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
    retry_base_s: float = Field(default=0.1, gt=0)
    retry_cap_s: float = Field(default=5.0, gt=0)
    # Retries after a lost database connection, a deadlock or a serialization failure.
    db_retries: int = Field(default=5, ge=0)

    # Fault-drill switches: each guard against overselling can be turned off alone to show
    # that the other holds, and both together to show that overselling then happens.
    allocation_lock_enabled: bool = True
    seat_guard_enabled: bool = True
    # Fault drills: hold every command's transaction open just before or just after its commit,
    # so that a test can kill the worker at exactly that point.
    drill_pause_before_commit_s: float = Field(default=0.0, ge=0)
    drill_pause_after_commit_s: float = Field(default=0.0, ge=0)

    # A message a worker took but did not ack returns to the queue after this long if that
    # worker vanished with it (its parent died too). Longer than any task may run.
    visibility_timeout_s: int = Field(default=3600, gt=0)
    # How often each worker sweeps for such messages. kombu's default sweep runs only every
    # tenth tick of 10 s; ours scans on every tick.
    unacked_restore_interval_s: int = Field(default=10, gt=0)
    result_expires_s: int = Field(default=86_400, gt=0)
    db_pool_size: int = Field(default=5, ge=1)
    sqlite_busy_timeout_s: float = Field(default=30.0, gt=0)

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

    @property
    def redis_url_str(self) -> str:
        return str(self.redis_url)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
