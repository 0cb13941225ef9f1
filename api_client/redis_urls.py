"""Where Redis is: one server (redis://, rediss://, unix://), or a master that Sentinel names.

`BOOKINGS_REDIS_URL` is either a plain Redis URL or, for a Redis that fails over, the
addresses of its sentinels in the form kombu's broker and Celery's result backend read:

    sentinel://10.0.0.1:26379;sentinel://10.0.0.2:26379;sentinel://10.0.0.3:26379

A database number (`/0`) and the master's credentials (`sentinel://:password@host:port`) may
be given on any one of them; the port defaults to 26379. Which master the sentinels are asked
for comes apart from the URL, as kombu's and Celery's `master_name` option does:
`BOOKINGS_REDIS_MASTER_NAME` (default "mymaster", Sentinel's own example name). Everything
that talks to Redis (the worker's broker, results and locks, the client, the gateway's result
subscription) reads both through this module, so they always find the same master.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

import redis
from redis.sentinel import Sentinel

if TYPE_CHECKING:
    import redis.asyncio as aioredis

SENTINEL_SCHEME = "sentinel"
SEPARATOR = ";"
DEFAULT_SENTINEL_PORT = 26379
MASTER_NAME_VARIABLE = "BOOKINGS_REDIS_MASTER_NAME"
DEFAULT_MASTER_NAME = "mymaster"
# How long a question to one sentinel may take before the next is asked: a sentinel that is
# down must not hold up finding the master (redis-py would wait forever by default).
SENTINEL_TIMEOUT_S = 1.0
SENTINEL_KWARGS: dict[str, Any] = {
    "socket_timeout": SENTINEL_TIMEOUT_S,
    "socket_connect_timeout": SENTINEL_TIMEOUT_S,
}


@dataclass(frozen=True)
class SentinelTarget:
    """The sentinels to ask, the master to ask them for, and how to talk to that master."""

    sentinels: tuple[tuple[str, int], ...]
    master_name: str
    db: int = 0
    username: str | None = None
    password: str | None = None

    def master_kwargs(self) -> dict[str, Any]:
        """The master's database and credentials, as redis-py's `master_for` takes them."""
        kwargs: dict[str, Any] = {"db": self.db}
        if self.username is not None:
            kwargs["username"] = self.username
        if self.password is not None:
            kwargs["password"] = self.password
        return kwargs


def is_sentinel_url(url: str) -> bool:
    return url.strip().lower().startswith(f"{SENTINEL_SCHEME}://")


def master_name(given: str | None = None) -> str:
    """`given`, else BOOKINGS_REDIS_MASTER_NAME, else "mymaster"."""
    return given or os.environ.get(MASTER_NAME_VARIABLE) or DEFAULT_MASTER_NAME


def parse_sentinel_url(url: str, name: str = DEFAULT_MASTER_NAME) -> SentinelTarget:
    """The sentinels of `sentinel://host:port;sentinel://...`; ValueError saying what is wrong."""
    if not name:
        raise ValueError("the Sentinel master name is empty")
    chunks = [chunk.strip() for chunk in url.split(SEPARATOR) if chunk.strip()]
    if not chunks:
        raise ValueError("no sentinel address")
    sentinels: list[tuple[str, int]] = []
    dbs: set[int] = set()
    credentials: set[tuple[str | None, str | None]] = set()
    for chunk in chunks:
        parts = urlsplit(chunk)
        if parts.scheme.lower() != SENTINEL_SCHEME:
            raise ValueError(f"{_shown(chunk)} is not a sentinel:// address")
        if parts.query or parts.fragment:
            raise ValueError(f"{_shown(chunk)}: no ?query or #fragment in a sentinel address")
        try:
            port = parts.port or DEFAULT_SENTINEL_PORT
        except ValueError:
            raise ValueError(f"{_shown(chunk)}: the port is not a number") from None
        if not parts.hostname:
            raise ValueError(f"{_shown(chunk)}: no host")
        sentinels.append((parts.hostname, port))
        path = parts.path.strip("/")
        if path:
            if not path.isdigit():
                raise ValueError(f"{_shown(chunk)}: the database must be a number, not {path!r}")
            dbs.add(int(path))
        if parts.username or parts.password:
            credentials.add((_unquoted(parts.username), _unquoted(parts.password)))
    if len(dbs) > 1:
        raise ValueError(f"the sentinel addresses name different databases: {sorted(dbs)}")
    if len(credentials) > 1:
        raise ValueError("the sentinel addresses carry different credentials")
    username, password = next(iter(credentials), (None, None))
    return SentinelTarget(tuple(sentinels), name, next(iter(dbs), 0), username, password)


def check_redis_url(url: str, name: str = DEFAULT_MASTER_NAME) -> str:
    """`url` if it is a Redis URL the system can use, else ValueError (for the settings)."""
    if is_sentinel_url(url):
        parse_sentinel_url(url, name)
        return url.strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("redis", "rediss", "unix"):
        raise ValueError("must be redis://, rediss://, unix:// or sentinel://host:port;...")
    return url


def celery_url(url: str) -> str:
    """`url` as kombu's broker and Celery's result backend are given it.

    For Sentinel every address carries the database and the credentials: kombu reads them from
    the address it tries now, and moves on to the next one when a connection fails, so a
    database named on the first address alone would be forgotten after the first failure.
    """
    if not is_sentinel_url(url):
        return url
    target = parse_sentinel_url(url)
    credentials = ""
    if target.username is not None or target.password is not None:
        credentials = f"{quote(target.username or '', safe='')}:"
        credentials += f"{quote(target.password or '', safe='')}@"
    return SEPARATOR.join(
        f"{SENTINEL_SCHEME}://{credentials}{_host(host)}:{port}/{target.db}"
        for host, port in target.sentinels
    )


def transport_options(url: str, name: str) -> dict[str, Any]:
    """What kombu's broker and Celery's result backend need besides the URL to find the
    master: nothing for a plain Redis, the master name and sentinel timeouts for Sentinel."""
    if not is_sentinel_url(url):
        return {}
    return {"master_name": name, "sentinel_kwargs": dict(SENTINEL_KWARGS)}


def redis_client(url: str, name: str, **kwargs: Any) -> redis.Redis:
    """A redis-py client of the server `url` names, or of the master its sentinels name.

    Through Sentinel every new connection asks the sentinels where the master is now, so
    after a failover the client reconnects to the promoted replica by itself.
    """
    if not is_sentinel_url(url):
        return redis.Redis.from_url(url, **kwargs)
    target = parse_sentinel_url(url, name)
    sentinel = Sentinel(list(target.sentinels), sentinel_kwargs=dict(SENTINEL_KWARGS))  # type: ignore[no-untyped-call]
    client: redis.Redis = sentinel.master_for(  # type: ignore[no-untyped-call]
        target.master_name, **target.master_kwargs(), **kwargs
    )
    return client


def async_redis_client(url: str, name: str, **kwargs: Any) -> aioredis.Redis:
    """`redis_client` for asyncio (the gateway)."""
    import redis.asyncio as aioredis
    from redis.asyncio.sentinel import Sentinel as AsyncSentinel

    if not is_sentinel_url(url):
        return aioredis.Redis.from_url(url, **kwargs)
    target = parse_sentinel_url(url, name)
    sentinel = AsyncSentinel(list(target.sentinels), sentinel_kwargs=dict(SENTINEL_KWARGS))  # type: ignore[no-untyped-call]
    client: aioredis.Redis = sentinel.master_for(
        target.master_name, **target.master_kwargs(), **kwargs
    )
    return client


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _unquoted(part: str | None) -> str | None:
    return unquote(part) if part else None


def _shown(chunk: str) -> str:
    """The address without its password, for an error message."""
    parts = urlsplit(chunk)
    if parts.password:
        return chunk.replace(f":{parts.password}@", ":***@", 1)
    return chunk
