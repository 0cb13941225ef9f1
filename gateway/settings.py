"""The gateway's settings: the worker's BOOKINGS_ environment, the accepted keys, CORS origins."""

from __future__ import annotations

import hashlib

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api_client.action_links import MIN_SECRET_LENGTH
from api_client.redis_urls import DEFAULT_MASTER_NAME, check_redis_url

DIGEST_PREFIX = "sha256:"


def key_digest(key: str) -> bytes:
    """The SHA-256 digest an API key is held and compared as."""
    return hashlib.sha256(key.encode("utf-8")).digest()


def parse_api_keys(text: str) -> tuple[bytes, ...]:
    """Digests of comma-separated keys; an entry `sha256:<hex>` already is a key's digest."""
    digests: list[bytes] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        if entry.lower().startswith(DIGEST_PREFIX):
            hex_digest = entry[len(DIGEST_PREFIX) :]
            try:
                digest = bytes.fromhex(hex_digest)
            except ValueError:
                raise ValueError(f"{entry[:16]}... is not sha256:<64 hex digits>") from None
            if len(digest) != hashlib.sha256().digest_size:
                raise ValueError(f"{entry[:16]}... is not sha256:<64 hex digits>")
            digests.append(digest)
        else:
            digests.append(key_digest(entry))
    return tuple(digests)


def parse_origins(text: str) -> tuple[str, ...]:
    """Comma-separated origins as a browser sends them: `https://studio.example[:port]`."""
    origins: list[str] = []
    for entry in (part.strip().rstrip("/") for part in text.split(",")):
        if not entry:
            continue
        scheme, separator, host = entry.partition("://")
        if scheme not in ("http", "https") or not separator or not host or "/" in host:
            # An origin is not a secret: naming it helps whoever set it.
            raise ValueError(f"{entry!r} is not an origin like https://studio.example")
        origins.append(entry)
    return tuple(origins)


class GatewaySettings(BaseSettings):
    """BOOKINGS_REDIS_URL (and _MASTER_NAME), BOOKINGS_API_KEYS, BOOKINGS_WIDGET_KEYS,
    BOOKINGS_WAIT_S, BOOKINGS_WIDGET_WAIT_S, BOOKINGS_CORS_ORIGINS,
    BOOKINGS_ACTION_LINK_SECRET and BOOKINGS_METRICS_PORT."""

    model_config = SettingsConfigDict(env_prefix="BOOKINGS_", extra="ignore")

    # A Redis URL, or sentinel://host:port;sentinel://... with the master's name
    # (api_client/redis_urls.py), as the workers are given.
    redis_url: str = "redis://localhost:6379/0"
    redis_master_name: str = Field(default=DEFAULT_MASTER_NAME, min_length=1)
    # Kept secret so that a printed settings object never shows a key.
    api_keys: SecretStr = SecretStr("")
    # How long a command's request waits for the worker before answering 202 with a job.
    wait_s: float = Field(default=10.0, ge=0)
    # Public keys for booking.js on a website: list open classes and book seats, nothing else
    # (gateway/widget.py). Same format as api_keys, and as secret: shown in a page, not in logs.
    widget_keys: SecretStr = SecretStr("")
    # How long a widget's booking waits for the worker before answering 503 with Retry-After:
    # booking.js takes any 2xx as booked, so a widget is never answered 202.
    widget_wait_s: float = Field(default=20.0, ge=0)
    # Origins whose pages may call the gateway from a browser; none unless listed.
    cors_origins: str = ""
    # The secret the workers sign customers' action links with (gateway/action_links.py);
    # unset, every link is refused.
    action_link_secret: SecretStr | None = None
    # Request metrics for Prometheus at http://<host>:<port>/metrics (gateway/metrics.py);
    # unset, no middleware is installed and prometheus_client is never imported.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("redis_url")
    @classmethod
    def _usable_redis(cls, url: str) -> str:
        return check_redis_url(url)

    @field_validator("cors_origins")
    @classmethod
    def _usable_origins(cls, text: str) -> str:
        parse_origins(text)
        return text

    def api_key_digests(self) -> tuple[bytes, ...]:
        return parse_api_keys(self.api_keys.get_secret_value())

    def widget_key_digests(self) -> tuple[bytes, ...]:
        """The widget keys' digests; a key may not be both (it would act as the API key)."""
        widget = parse_api_keys(self.widget_keys.get_secret_value())
        if set(widget) & set(self.api_key_digests()):
            # Checked here rather than in a validator, whose error would print the inputs.
            raise ValueError("a key is listed in both BOOKINGS_API_KEYS and BOOKINGS_WIDGET_KEYS")
        return widget

    def link_secret(self) -> str | None:
        """The action-link secret, checked here rather than in a validator, whose error would
        print it."""
        if self.action_link_secret is None:
            return None
        secret = self.action_link_secret.get_secret_value()
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"BOOKINGS_ACTION_LINK_SECRET must be at least {MIN_SECRET_LENGTH} characters"
            )
        return secret

    def allowed_origins(self) -> tuple[str, ...]:
        return parse_origins(self.cors_origins)
