"""Widget keys without a server: which kind a key is, derived retry keys, what an answer shows."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr

from gateway.auth import AuthenticationError, KeyKind, key_kind
from gateway.settings import GatewaySettings, parse_api_keys, parse_origins
from gateway.widget import derived_key, for_the_booker

API_KEY = "live_api_key_owner"
WIDGET_KEY = "widget_key_public"


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f":{key}".encode()).decode()


def test_a_key_is_an_api_key_or_a_widget_key_or_refused() -> None:
    api, widget = parse_api_keys(API_KEY), parse_api_keys(WIDGET_KEY)
    assert key_kind(basic(API_KEY), api, widget) is KeyKind.API
    assert key_kind(basic(WIDGET_KEY), api, widget) is KeyKind.WIDGET
    with pytest.raises(AuthenticationError, match="not valid"):
        key_kind(basic("neither"), api, widget)


def test_a_key_listed_as_both_is_refused_without_being_named() -> None:
    settings = GatewaySettings(api_keys=SecretStr(API_KEY), widget_keys=SecretStr(API_KEY))
    with pytest.raises(ValueError, match="both") as refused:
        settings.widget_key_digests()
    assert API_KEY not in str(refused.value)


def test_settings_read_widget_keys_wait_and_origins_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOOKINGS_WIDGET_KEYS", f"{WIDGET_KEY},second")
    monkeypatch.setenv("BOOKINGS_CORS_ORIGINS", "https://studio.example, http://localhost:8080/")
    settings = GatewaySettings()
    assert len(settings.widget_key_digests()) == 2
    assert settings.widget_wait_s == 20
    assert settings.allowed_origins() == ("https://studio.example", "http://localhost:8080")
    assert WIDGET_KEY not in repr(settings)


def test_no_origin_is_allowed_by_default() -> None:
    assert GatewaySettings().allowed_origins() == ()


@pytest.mark.parametrize("entry", ["*", "studio.example", "https://studio.example/book", "ftp://x"])
def test_an_entry_that_is_not_an_origin_is_refused(entry: str) -> None:
    with pytest.raises(ValueError, match="is not an origin"):
        parse_origins(entry)


def test_a_derived_key_is_the_body_within_its_minute_whatever_the_key_order() -> None:
    body = {"graph": "group_customer", "customer": {"name": "Marty", "email": "m@x.example"}}
    reordered = {"customer": {"email": "m@x.example", "name": "Marty"}, "graph": "group_customer"}
    assert derived_key(body, 60.0) == derived_key(reordered, 119.9)
    assert derived_key(body, 60.0) != derived_key(body, 120.0)
    assert derived_key(body, 60.0) != derived_key({**body, "seats": 2}, 60.0)
    assert derived_key(body, 60.0).startswith("widget:")


def test_the_bookers_answer_shows_nobody_else() -> None:
    class_summary = {"id": "c", "graph": "group_owner", "state": "tentative", "seats": 3}
    result = {
        "data": {
            "id": "b",
            "graph": "group_customer",
            "state": "confirmed",
            "seats": 1,
            "attributes": {
                "customer": {"name": "Biff", "email": "biff@x.example"},
                "owner": {"name": "Doc", "email": "doc@x.example"},
                "event_info": {"what": "Yoga"},
                "group_booking": {"owner_booking_id": "c", "seats": 1},
            },
            "related_bookings": [
                {**class_summary, "customer": {"name": "?", "email": "?"}},
                {"id": "m", "graph": "group_customer", "customer": {"name": "Marty"}},
            ],
            "waitlist": [{"customer": {"name": "Lorraine"}}],
            "customers": [{"name": "Marty"}],
            "logs": [{"message": "Marty booked"}],
        }
    }

    shown = for_the_booker(result)["data"]

    assert set(shown) == {"id", "graph", "state", "seats", "attributes", "related_bookings"}
    assert set(shown["attributes"]) == {"customer", "event_info", "group_booking"}
    assert shown["related_bookings"] == [class_summary]
    for name in ("Marty", "Lorraine", "Doc"):
        assert name not in str(shown)


def test_a_term_bookings_answer_is_filtered_booking_by_booking() -> None:
    booking = {"id": "b", "attributes": {"owner": {"name": "Doc"}}, "logs": []}
    result = {"data": {"series_id": "s", "bookings": [booking, booking]}}

    shown = for_the_booker(result)

    assert shown == {"data": {"series_id": "s", "bookings": [{"id": "b", "attributes": {}}] * 2}}
