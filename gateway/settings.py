"""The gateway's settings: the worker's BOOKINGS_ environment plus the accepted API keys."""

from __future__ import annotations

import hashlib

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class GatewaySettings(BaseSettings):
    """BOOKINGS_REDIS_URL (and _MASTER_NAME), BOOKINGS_API_KEYS and BOOKINGS_WAIT_S."""

    model_config = SettingsConfigDict(env_prefix="BOOKINGS_", extra="ignore")

    # A Redis URL, or sentinel://host:port;sentinel://... with the master's name
    # (api_client/redis_urls.py), as the workers are given.
    redis_url: str = "redis://localhost:6379/0"
    redis_master_name: str = Field(default=DEFAULT_MASTER_NAME, min_length=1)
    # Kept secret so that a printed settings object never shows a key.
    api_keys: SecretStr = SecretStr("")
    # How long a command's request waits for the worker before answering 202 with a job.
    wait_s: float = Field(default=10.0, ge=0)

    @field_validator("redis_url")
    @classmethod
    def _usable_redis(cls, url: str) -> str:
        return check_redis_url(url)

    def api_key_digests(self) -> tuple[bytes, ...]:
        return parse_api_keys(self.api_keys.get_secret_value())
