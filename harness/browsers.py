"""Debian's Chromium, headless, driven by Playwright: a visitor's browser for the widget tests.

Playwright's own browser download cannot run here (nothing is fetched but packages), so it
drives the `chromium` package's binary; scripts/setup.sh installs it where it is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    ViewportSize,
    sync_playwright,
)

CHROMIUM_VARIABLE = "BOOKINGS_TEST_CHROMIUM"
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
# Wide enough for booking.js's week view (below 480 px it switches to a one-day view).
VIEWPORT: ViewportSize = {"width": 1100, "height": 900}
# A page reaches this machine only: booking.js's stylesheet imports a web font from the
# internet, whose name Chromium then fails to resolve without asking any DNS server (the page
# falls back to a local font). Not Playwright's request routing: with routing on, Playwright
# answers CORS preflights itself, and the gateway's own answers would go untested.
ONLY_LOOPBACK = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"


def chromium_path() -> Path:
    """The Chromium binary: BOOKINGS_TEST_CHROMIUM, else Debian's."""
    path = Path(os.environ.get(CHROMIUM_VARIABLE, str(DEFAULT_CHROMIUM)))
    if not path.is_file():
        raise RuntimeError(f"no Chromium at {path}: `apt-get install chromium` (scripts/setup.sh)")
    return path


@contextmanager
def headless_chromium() -> Iterator[Browser]:
    """One headless Chromium for as long as needed."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=[ONLY_LOOPBACK]
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """A page open in a fresh browser context, and what its console said (for failures)."""

    page: Page
    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def note(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")

    def note_failure(self, request: Request) -> None:
        self.failed.append(f"{request.method} {request.url}: {request.failure}")

    def report(self) -> str:
        """What the page said and which requests failed: the context of a failed wait."""
        return "\n".join(["console:", *self.console, "failed requests:", *self.failed])


@contextmanager
def visiting(browser: Browser, url: str, timezone_id: str) -> Iterator[Visit]:
    """`url` opened by a visitor whose clock is in `timezone_id` (an IANA zone), with cookies
    and storage of its own."""
    context: BrowserContext = browser.new_context(
        timezone_id=timezone_id, locale="en-US", viewport=VIEWPORT
    )
    try:
        page = context.new_page()
        visit = Visit(page)
        page.on("requestfailed", visit.note_failure)
        page.on("console", visit.note)
        page.on("pageerror", lambda error: visit.console.append(f"pageerror: {error}"))
        page.goto(url)
        yield visit
    finally:
        context.close()
