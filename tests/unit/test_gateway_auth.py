"""The gateway's API keys and Basic headers, without a server."""

from __future__ import annotations

import base64
import hashlib

import pytest

from gateway.auth import AuthenticationError, authenticate, basic_api_key, key_accepted
from gateway.settings import GatewaySettings, parse_api_keys

KEY = "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7"


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def test_plain_keys_are_held_as_their_sha256_digests() -> None:
    assert parse_api_keys(f" {KEY} , other,,") == (
        hashlib.sha256(KEY.encode()).digest(),
        hashlib.sha256(b"other").digest(),
    )


def test_a_sha256_entry_is_taken_as_the_digest_of_a_key() -> None:
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    assert parse_api_keys(f"sha256:{digest}") == (bytes.fromhex(digest),)


@pytest.mark.parametrize("entry", ["sha256:nothex", "sha256:abcd", "SHA256:" + "0" * 63])
def test_a_malformed_digest_entry_is_refused(entry: str) -> None:
    with pytest.raises(ValueError, match="sha256:<64 hex digits>"):
        parse_api_keys(entry)


def test_settings_read_the_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOKINGS_API_KEYS", f"{KEY},second")
    monkeypatch.setenv("BOOKINGS_WAIT_S", "2.5")
    settings = GatewaySettings()
    assert len(settings.api_key_digests()) == 2
    assert settings.wait_s == 2.5
    assert KEY not in repr(settings)


def test_the_key_is_the_password_of_an_empty_user() -> None:
    assert basic_api_key(basic(f":{KEY}")) == KEY


def test_a_key_may_contain_a_colon() -> None:
    assert basic_api_key(basic(":a:b")) == "a:b"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic",
        f"Bearer {KEY}",
        "Basic not-base64!",
        "Basic " + base64.b64encode(b"\xff\xfe").decode(),
        basic(KEY),  # no colon: the key as a user name
        basic(f"doc:{KEY}"),  # a user is not part of the scheme
        basic(":"),  # an empty key
    ],
)
def test_headers_without_an_empty_user_and_a_key_are_refused(header: str | None) -> None:
    with pytest.raises(AuthenticationError):
        basic_api_key(header)


def test_only_accepted_keys_pass() -> None:
    digests = parse_api_keys(f"{KEY},second")
    assert key_accepted(KEY, digests)
    assert key_accepted("second", digests)
    assert not key_accepted("third", digests)
    assert not key_accepted(KEY, ())


def test_authenticate_refuses_a_wrong_key_and_accepts_a_right_one() -> None:
    digests = parse_api_keys(KEY)
    authenticate(basic(f":{KEY}"), digests)
    with pytest.raises(AuthenticationError, match="not valid"):
        authenticate(basic(":live_api_key_wrong"), digests)
