"""BOOKINGS_REDIS_URL names one Redis or the sentinels of one, and every user reads it alike."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError
from redis.sentinel import SentinelConnectionPool

from api_client import BookingClient
from api_client.redis_urls import (
    DEFAULT_MASTER_NAME,
    MASTER_NAME_VARIABLE,
    SentinelTarget,
    celery_url,
    check_redis_url,
    is_sentinel_url,
    master_name,
    parse_sentinel_url,
    redis_client,
    transport_options,
)
from api_client.result_backend import KeyReadRedisBackend, KeyReadSentinelBackend
from gateway.settings import GatewaySettings
from worker.config import Settings

THREE = "sentinel://10.0.0.1:26379;sentinel://10.0.0.2:26380;sentinel://sentinel-3"


@pytest.fixture(autouse=True)
def no_bookings_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("BOOKINGS_"):
            monkeypatch.delenv(name)


def test_three_sentinels_are_read_in_order_with_the_default_port() -> None:
    target = parse_sentinel_url(THREE, "bookings")

    assert target == SentinelTarget(
        sentinels=(("10.0.0.1", 26379), ("10.0.0.2", 26380), ("sentinel-3", 26379)),
        master_name="bookings",
    )


def test_the_database_and_the_masters_password_may_be_given_on_one_address() -> None:
    target = parse_sentinel_url("sentinel://:s%40cret@a:1/3;sentinel://b:2", "m")

    assert (target.db, target.password, target.username) == (3, "s@cret", None)
    assert target.master_kwargs() == {"db": 3, "password": "s@cret"}


def test_kombu_and_celery_get_the_database_and_password_on_every_address() -> None:
    # kombu moves on to the next address after a failed connection and reads the database
    # from the address it tries.
    given = "sentinel://:s%40cret@a:1/3;sentinel://b;sentinel://[::1]:2"

    assert celery_url(given) == (
        "sentinel://:s%40cret@a:1/3;sentinel://:s%40cret@b:26379/3;sentinel://:s%40cret@[::1]:2/3"
    )
    assert parse_sentinel_url(celery_url(given), "m") == parse_sentinel_url(given, "m")
    assert celery_url("redis://h:6379/1") == "redis://h:6379/1"


def test_a_trailing_separator_and_spaces_are_forgiven() -> None:
    assert parse_sentinel_url(" sentinel://a:1 ; sentinel://b:2; ", "m").sentinels == (
        ("a", 1),
        ("b", 2),
    )


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("sentinel://a:1;redis://b:2", "not a sentinel://"),
        ("sentinel://a:1/0;sentinel://b:2/1", "different databases"),
        ("sentinel://a:1/zero", "must be a number"),
        ("sentinel://a:port", "port is not a number"),
        ("sentinel://:26379", "no host"),
        ("sentinel://a:1?master_name=m", "no ?query"),
        ("sentinel://:x@a:1;sentinel://:y@b:2", "different credentials"),
    ],
)
def test_a_malformed_sentinel_url_is_refused_saying_why(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint.replace("?", r"\?")):
        parse_sentinel_url(url, "m")


def test_a_refusal_never_shows_the_password() -> None:
    with pytest.raises(ValueError) as refused:
        parse_sentinel_url("sentinel://:hunter2@a:1/x", "m")

    assert "hunter2" not in str(refused.value)


def test_the_master_name_comes_from_the_caller_then_the_environment_then_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert master_name() == DEFAULT_MASTER_NAME == "mymaster"
    monkeypatch.setenv(MASTER_NAME_VARIABLE, "bookings")
    assert master_name() == "bookings"
    assert master_name("given") == "given"


def test_only_a_sentinel_url_needs_transport_options() -> None:
    assert transport_options("redis://localhost:6379/0", "m") == {}
    options = transport_options(THREE, "bookings")
    assert options["master_name"] == "bookings"
    assert options["sentinel_kwargs"]["socket_timeout"] > 0


@pytest.mark.parametrize(
    "url", ["redis://h:6379/0", "rediss://h:6380/1", "unix:///run/redis.sock", THREE]
)
def test_plain_tls_socket_and_sentinel_urls_are_usable(url: str) -> None:
    assert check_redis_url(url) == url
    assert is_sentinel_url(url) == url.startswith("sentinel")


@pytest.mark.parametrize("url", ["http://h:6379", "localhost:6379", "sentinel://a:1;http://b"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        check_redis_url(url)


def test_the_locks_client_through_sentinel_asks_for_the_named_master() -> None:
    client = redis_client(THREE + "/2", "bookings")

    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool)
    assert pool.service_name == "bookings"
    assert pool.connection_kwargs["db"] == 2
    sentinels = pool.sentinel_manager.sentinels
    assert [s.connection_pool.connection_kwargs["port"] for s in sentinels] == [26379, 26380, 26379]


def test_the_worker_settings_take_a_sentinel_url_and_a_master_name() -> None:
    settings = Settings(_env_file=None, redis_url=THREE, redis_master_name="bookings")  # type: ignore[call-arg]

    assert settings.redis_is_sentinel and settings.redis_master_name == "bookings"
    with pytest.raises(ValidationError, match="not a sentinel"):
        Settings(_env_file=None, redis_url="sentinel://a:1;redis://b")  # type: ignore[call-arg]


def test_the_gateway_settings_take_the_same_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOKINGS_REDIS_URL", THREE)
    monkeypatch.setenv(MASTER_NAME_VARIABLE, "bookings")

    settings = GatewaySettings()

    assert (settings.redis_url, settings.redis_master_name) == (THREE, "bookings")


@pytest.mark.parametrize("subscribe_on_submit", [True, False])
def test_the_client_sends_and_reads_through_sentinel_with_the_master_name(
    subscribe_on_submit: bool,
) -> None:
    with BookingClient(
        THREE, subscribe_on_submit=subscribe_on_submit, redis_master_name="bookings"
    ) as client:
        conf = client._app.conf
        assert conf.broker_transport_options["master_name"] == "bookings"
        assert conf.result_backend_transport_options["master_name"] == "bookings"
        backend = client._app.backend
        assert type(backend).__name__ == "SentinelBackend" or isinstance(
            backend, KeyReadSentinelBackend
        )
        assert isinstance(backend, KeyReadSentinelBackend) == (not subscribe_on_submit)
        assert client.result_key_prefix == "celery-task-meta-"


def test_a_plain_client_keeps_the_plain_backend() -> None:
    with BookingClient("redis://h:6379/0", subscribe_on_submit=False) as client:
        assert isinstance(client._app.backend, KeyReadRedisBackend)
        assert client._app.conf.broker_transport_options == {}
