"""Which notification channels the settings turn on, and which combinations they refuse."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pydantic import ValidationError

from worker.config import COUNTDOWN_CAPS, COUNTDOWN_SHARE, Settings, get_settings, settings_or_exit

WEBHOOK = {"webhook_url": "https://hooks.studio.example/bookings", "webhook_secret": "s3cret"}
SMTP = {"smtp_url": "smtp://user:secret@mail.studio.example:587?starttls=true"}


@pytest.fixture(autouse=True)
def no_bookings_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the keyword arguments of each test count, not the shell the suite runs in."""
    for name in list(os.environ):
        if name.upper().startswith("BOOKINGS_"):
            monkeypatch.delenv(name)


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_without_any_notification_setting_only_the_log_channel_runs() -> None:
    assert settings().channels == ("log",)


def test_a_webhook_url_and_secret_add_the_webhook_channel() -> None:
    assert settings(**WEBHOOK).channels == ("log", "webhook")


def test_an_smtp_url_adds_the_email_channel() -> None:
    assert settings(**WEBHOOK, **SMTP).channels == ("log", "webhook", "email")


def test_an_smtp_url_alone_adds_only_the_email_channel() -> None:
    assert settings(**SMTP).channels == ("log", "email")


def test_channels_named_explicitly_are_the_ones_that_run() -> None:
    chosen = settings(notification_channels=" webhook , email ", **WEBHOOK, **SMTP)

    assert chosen.channels == ("webhook", "email")


def test_naming_no_channel_explicitly_turns_notifications_off() -> None:
    assert settings(notification_channels="", **WEBHOOK).channels == ()


def test_the_webhook_channel_without_its_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="BOOKINGS_WEBHOOK_URL"):
        settings(notification_channels="webhook")


def test_a_webhook_url_without_its_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="_SECRET"):
        settings(webhook_url=WEBHOOK["webhook_url"])


def test_a_webhook_with_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="_SECRET"):
        settings(webhook_url=WEBHOOK["webhook_url"], webhook_secret="")


def test_the_email_channel_without_its_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="BOOKINGS_SMTP_URL"):
        settings(notification_channels="log,email")


def test_an_unknown_channel_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="unknown notification channels: sms"):
        settings(notification_channels="log,sms")


@pytest.mark.parametrize("url", ["not a url", "hooks.studio.example/bookings", "ftp://x.example"])
def test_a_malformed_webhook_url_is_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        settings(webhook_url=url, webhook_secret="s3cret")


@pytest.mark.parametrize("url", ["http://mail.studio.example:587", "https://mail.studio.example"])
def test_an_smtp_url_of_another_scheme_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="smtp://"):
        settings(smtp_url=url)


def test_an_smtp_url_with_a_starttls_that_is_not_a_boolean_is_refused() -> None:
    with pytest.raises(ValidationError, match="starttls"):
        settings(smtp_url="smtp://mail.studio.example:587?starttls=maybe")


def test_an_smtps_url_is_accepted() -> None:
    assert settings(smtp_url="smtps://mail.studio.example").channels == ("log", "email")


def test_the_webhook_secret_is_kept_out_of_the_settings_repr() -> None:
    assert "s3cret" not in repr(settings(**WEBHOOK))


def test_the_settings_read_their_bookings_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOOKINGS_NOTIFICATION_CHANNELS", "log")

    assert settings(**WEBHOOK).channels == ("log",)


# Countdowns and the visibility timeout (issue 16) ------------------------------------------


def test_the_default_visibility_timeout_is_minutes_not_an_hour() -> None:
    assert 60 <= settings().visibility_timeout_s <= 300


@pytest.mark.parametrize("cap", COUNTDOWN_CAPS)
def test_every_default_countdown_cap_is_well_under_the_visibility_timeout(cap: str) -> None:
    defaults = settings()
    assert getattr(defaults, cap) <= defaults.visibility_timeout_s * COUNTDOWN_SHARE


def test_the_drills_short_visibility_timeout_is_accepted_with_their_countdowns() -> None:
    """tests/faults/runner.py's base settings: a 10 s timeout, notification retries of 2 s."""
    drills = settings(visibility_timeout_s=10, delivery_retry_cap_s=2)
    assert drills.retry_cap_s <= 10 * COUNTDOWN_SHARE


@pytest.mark.parametrize("cap", COUNTDOWN_CAPS)
def test_a_countdown_cap_not_well_under_the_visibility_timeout_is_refused(cap: str) -> None:
    with pytest.raises(ValidationError, match=f"BOOKINGS_{cap.upper()}.*VISIBILITY_TIMEOUT_S"):
        settings(visibility_timeout_s=120, **{cap: 61})


def test_a_process_starting_with_such_settings_exits_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOOKINGS_VISIBILITY_TIMEOUT_S", "3600")
    monkeypatch.setenv("BOOKINGS_DELIVERY_RETRY_CAP_S", "3600")
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit, match="BOOKINGS_DELIVERY_RETRY_CAP_S"):
            settings_or_exit()
    finally:
        get_settings.cache_clear()
