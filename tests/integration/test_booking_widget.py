"""booking.js (npm timekit-booking, pinned) on a studio's page, in headless Chromium, books a seat.

A real worker and a real gateway; the page is served from another origin, as a studio's website
is; the visitor's browser is in New York while the gateway and worker keep UTC.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from harness.bodies import class_body
from harness.browsers import visiting
from harness.databases import fresh_database
from harness.gateways import GatewayServer, running_gateway
from harness.processes import REPO_ROOT
from harness.redis_databases import redis_url
from harness.static_site import BOOKING_JS_BUILD, StaticSite, serving_site
from harness.workers import Deployment, running_workers

pytestmark = pytest.mark.integration

API_KEY = "live_api_key_widget_page_owner"
WIDGET_KEY = "test_widget_key_cHiN4hGUtjs0ayycDT4XiIXcLQun65jE"
VISITOR_ZONE = "America/New_York"
STUDIO = "Doc Brown's Yoga Studio"
# Every wait below is for something the page shows; this bounds each one.
SHOWN_WITHIN_MS = 15_000
# The README's picture of the widget; remade when this variable is 1 (see keep_screenshot).
README_SCREENSHOT = REPO_ROOT / "docs" / "booking-widget.png"
UPDATE_SCREENSHOTS = "BOOKINGS_UPDATE_SCREENSHOTS"


def in_new_york(days_ahead: int, clock: time) -> datetime:
    """`clock` in New York on a day `days_ahead` from now, as an aware UTC datetime."""
    local_day = date.today() + timedelta(days=days_ahead)
    return datetime.combine(local_day, clock, tzinfo=ZoneInfo(VISITOR_ZONE)).astimezone(UTC)


def widget_page(gateway: GatewayServer, **more: Any) -> str:
    """The snippet a studio puts on its page: booking.js in group mode with a widget key."""
    config = {
        "app_key": WIDGET_KEY,
        # booking.js's SDK requests apiBaseUrl + "v2" + path.
        "api_base_url": gateway.base_url + "/",
        "booking": {"graph": "group_customer"},
        "ui": {"display_name": STUDIO, "time_date_format": "24h-dmy-mon"},
        **more,
    }
    return f"""<!DOCTYPE html>
<html>
<head>
  <meta charset="UTF-8">
  <title>{STUDIO}</title>
  <link rel="stylesheet" href="/build/booking.min.css">
</head>
<body>
  <div id="bookingjs"></div>
  <script src="/build/booking.min.js"></script>
  <script>new TimekitBooking().init({json.dumps(config)});</script>
</body>
</html>
"""


@pytest.fixture(scope="module")
def studio(workdir: Path) -> Iterator[Deployment]:
    """A worker of its own, so that the widget lists this module's classes and no others."""
    with (
        fresh_database("sqlite", workdir) as database_url,
        running_workers(redis_url("browser-widget"), database_url, workdir) as deployment,
    ):
        yield deployment


@pytest.fixture(scope="module")
def site() -> Iterator[StaticSite]:
    with serving_site({"/build/": BOOKING_JS_BUILD}) as served:
        yield served


@contextmanager
def gateway_allowing(studio: Deployment, origins: str, logdir: Path) -> Iterator[GatewayServer]:
    settings = {
        "BOOKINGS_WIDGET_KEYS": WIDGET_KEY,
        "BOOKINGS_CORS_ORIGINS": origins,
        "BOOKINGS_WAIT_S": "30",
    }
    # At info, uvicorn logs each request: the test reads which ones reached the gateway.
    with running_gateway(studio.redis_url, API_KEY, logdir, settings, "info") as server:
        yield server


def doc_publishes_a_class(
    studio: Deployment, start: datetime, what: str, **fields: str
) -> dict[str, Any]:
    """One hour of `what` from `start` (and `fields` such as project_id), created with the
    owner's client."""
    body = class_body(start) | fields
    body["event"]["what"] = what
    with studio.client() as client:
        return dict(client.create_booking(body)["data"])


def owners_view(studio: Deployment, booking_id: str) -> dict[str, Any]:
    """A booking as its owner reads it (the API key's view), with its seats and attributes."""
    with studio.client() as client:
        shown = client.get_booking(booking_id, include=["attributes", "related_bookings"])
    return dict(shown["data"])


def keep_screenshot(page: Page, tmp_path: Path) -> None:
    """The widget as the visitor sees it, in `tmp_path` and, with BOOKINGS_UPDATE_SCREENSHOTS=1,
    as the README's picture. Taken once the classes are shown; booking.js's fades (CSS
    transitions) are finished at once and its spinner stopped, and Playwright waits for the
    page's fonts, so the picture does not depend on when it is taken."""
    widget = page.locator("#bookingjs")
    shot = widget.screenshot(path=tmp_path / README_SCREENSHOT.name, animations="disabled")
    if os.environ.get(UPDATE_SCREENSHOTS) == "1":
        README_SCREENSHOT.write_bytes(shot)


def test_a_visitor_in_new_york_books_a_seat_from_the_studios_page(
    studio: Deployment, site: StaticSite, browser: Browser, tmp_path: Path
) -> None:
    # Given Doc's two classes on one day, at 09:00 and 18:30 in New York (14:00 and 23:30 UTC
    # in winter, 13:00 and 22:30 in summer)
    klass = doc_publishes_a_class(studio, in_new_york(9, time(9)), "Morning Yoga")
    doc_publishes_a_class(studio, in_new_york(9, time(18, 30)), "Evening Yoga")
    with gateway_allowing(studio, site.origin, tmp_path) as gateway:
        url = site.publish("/book.html", widget_page(gateway))

        # When a visitor in New York opens the studio's page
        with visiting(browser, url, VISITOR_ZONE) as visit:
            page = visit.page
            # Then the widget shows each class at its New York time
            morning = page.locator(".fc-event").filter(has_text="Morning Yoga")
            evening = page.locator(".fc-event").filter(has_text="Evening Yoga")
            expect(morning, visit.report()).to_be_visible(timeout=SHOWN_WITHIN_MS)
            expect(morning.locator(".fc-event-time")).to_have_text("09:00 - 10:00")
            expect(evening.locator(".fc-event-time")).to_have_text("18:30 - 19:30")
            keep_screenshot(page, tmp_path)

            # When the visitor picks the morning class, gives name and e-mail and books
            morning.click()
            booking_page = page.locator(".bookingjs-bookpage.show")
            expect(booking_page.locator(".bookingjs-bookpage-time")).to_have_text("09:00 - 10:00")
            booking_page.locator("input[name=name]").fill("Marty McFly")
            booking_page.locator("input[name=email]").fill("marty@mcfly.example")
            booking_page.locator(".bookingjs-form-button").click()

            # Then the widget's success screen names the visitor's e-mail
            form = booking_page.locator("form.bookingjs-form")
            expect(form, visit.report()).to_have_class(
                "bookingjs-form success", timeout=SHOWN_WITHIN_MS
            )
            expect(form.locator(".booked-email")).to_have_text("marty@mcfly.example")
        requests = gateway.log_path.read_text()

    # The browser asked the gateway itself before each cross-origin call, and was allowed.
    assert '"OPTIONS /v2/bookings/groups HTTP/1.1" 200' in requests
    assert '"OPTIONS /v2/bookings?include=attributes,event,user HTTP/1.1" 200' in requests

    # And Doc sees the seat in the class
    doc_sees = owners_view(studio, klass["id"])
    assert doc_sees["attributes"]["group_booking"]["current_seats"] == 1
    [seat] = doc_sees["related_bookings"]
    assert (seat["state"], seat["seats"]) == ("confirmed", 1)
    assert seat["customer"] == {"name": "Marty McFly", "email": "marty@mcfly.example"}
    # What booking.js sent beside the seat: the visitor's zone and the class's resource.
    booked = owners_view(studio, seat["id"])
    assert booked["attributes"]["customer"]["timezone"] == VISITOR_ZONE
    assert booked["resource_id"] == klass["attributes"]["event_info"]["calendar_id"]


def test_a_page_whose_origin_is_not_allowed_books_nothing(
    studio: Deployment, site: StaticSite, browser: Browser, tmp_path: Path
) -> None:
    klass = doc_publishes_a_class(studio, in_new_york(10, time(9)), "Doc Brown's Friday Yoga")
    # The gateway allows another website, not this page's.
    with gateway_allowing(studio, "https://other-studio.example", tmp_path) as gateway:
        url = site.publish("/not-allowed.html", widget_page(gateway))

        with visiting(browser, url, VISITOR_ZONE) as visit:
            page = visit.page
            error = page.locator(".bookingjs-error")
            expect(error, visit.report()).to_be_visible(timeout=SHOWN_WITHIN_MS)
            expect(error).to_contain_text("An error with Timekit Get Booking Slots occured")
            # The browser refused the gateway's answer: no class to pick, so nothing to book.
            expect(page.locator(".fc-event")).to_have_count(0)
        requests = gateway.log_path.read_text()

    # The gateway refused the preflight, so the browser never sent the request itself.
    assert '"OPTIONS /v2/bookings/groups HTTP/1.1" 403' in requests
    assert '"GET /v2/bookings/groups' not in requests

    doc_sees = owners_view(studio, klass["id"])
    assert doc_sees["attributes"]["group_booking"]["current_seats"] == 0
    assert doc_sees["related_bookings"] == []


def test_a_page_scoped_to_a_project_lists_and_books_that_projects_classes_only(
    studio: Deployment, site: StaticSite, browser: Browser, tmp_path: Path
) -> None:
    # Given two classes at the same hour, in two projects (two studios of one owner)
    ours = doc_publishes_a_class(studio, in_new_york(11, time(7)), "Pilates", project_id="hill")
    doc_publishes_a_class(studio, in_new_york(11, time(7)), "Boxing", project_id="valley")
    with gateway_allowing(studio, site.origin, tmp_path) as gateway:
        # booking.js asks for search=project.id:hill; without disable_remote_load it would first
        # load the project's settings from /v2/projects/embed/hill, which the gateway lacks.
        page_html = widget_page(gateway, project_id="hill", disable_remote_load=True)
        url = site.publish("/hill.html", page_html)

        with visiting(browser, url, VISITOR_ZONE) as visit:
            page = visit.page
            pilates = page.locator(".fc-event").filter(has_text="Pilates")
            expect(pilates, visit.report()).to_be_visible(timeout=SHOWN_WITHIN_MS)
            expect(pilates.locator(".fc-event-time")).to_have_text("07:00 - 08:00")
            expect(page.locator(".fc-event")).to_have_count(1)

            pilates.click()
            booking_page = page.locator(".bookingjs-bookpage.show")
            booking_page.locator("input[name=name]").fill("Jennifer Parker")
            booking_page.locator("input[name=email]").fill("jennifer@parker.example")
            booking_page.locator(".bookingjs-form-button").click()
            expect(booking_page.locator("form.bookingjs-form"), visit.report()).to_have_class(
                "bookingjs-form success", timeout=SHOWN_WITHIN_MS
            )

    [seat] = owners_view(studio, ours["id"])["related_bookings"]
    assert owners_view(studio, seat["id"])["project_id"] == "hill"
