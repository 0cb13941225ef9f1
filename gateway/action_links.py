"""Customers act from their e-mail: Timekit's external_action links, as a page and its button.

`GET /v2/bookings/{id}/external_action/{action}?signature=...` only shows what the link does
and a button, so a mail scanner that opens every link cancels nobody; the button POSTs the
signature back to the same path, and that POST acts and shows the outcome. Both check the
signature (api_client/action_links.py) before anything else: a tampered, misdirected or expired
one is 403 and nothing is sent. No API key is asked for (the signature is the credential, for
one booking and one action), so these routes sit outside the keyed router and outside the
OpenAPI document, which describes the JSON API. The POST's command is keyed by its signature:
pressing twice, or sending it again after a slow answer, acts once and shows the first outcome.
"""

from __future__ import annotations

import hashlib
from html import escape
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api_client import BookingClient, BookingError
from api_client.action_links import ActionLinkError, verify

from .answers import call
from .results import ResultWatcher

PATH = "/bookings/{booking_id}/external_action/{action}"
# A form holding one signature is a few hundred bytes; anything much larger is not ours.
MAX_FORM_BYTES = 8192
# Apart from API clients' own keys, which never start so.
KEY_PREFIX = "action-link:"

QUESTIONS = {
    "cancel_by_customer": ("Cancel your booking?", "Cancel my booking"),
    "accept_offer": ("Accept the seats offered to you?", "Accept the offer"),
    "decline_offer": ("Decline the seats offered to you?", "Decline the offer"),
}
DONE = {
    "cancel_by_customer": "Your booking is cancelled.",
    "accept_offer": "The seats are yours: your booking is confirmed.",
    "decline_offer": "You declined the offer; the seats go to the next in line.",
}
INVALID = "This link is not valid, or it has expired. Nothing was changed."
# The page is a form and text: it loads nothing, may not be framed (a hidden button under
# another site's page) and is neither cached nor indexed; the signature in its address is not
# sent on as a Referer.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


def action_links_router(
    client: BookingClient, watcher: ResultWatcher, wait_s: float, secret: str | None
) -> APIRouter:
    """The page and its button over `client`; with no `secret` every link is refused."""
    router = APIRouter(prefix="/v2")

    @router.get(PATH, include_in_schema=False)
    async def external_action_page(
        booking_id: str, action: str, signature: str = ""
    ) -> HTMLResponse:
        """What the link will do, and the button that does it. Changes nothing."""
        if not _valid(secret, signature, booking_id, action):
            return page(403, "Link not valid", INVALID)
        question, label = QUESTIONS[action]
        form = _form(action, signature, label)
        return page(200, question, "Nothing happens until you press the button.", form)

    @router.post(PATH, include_in_schema=False)
    async def external_action(booking_id: str, action: str, request: Request) -> HTMLResponse:
        """The action the signature allows, applied once, and its outcome."""
        signature = await _signature_in_form(request)
        if not _valid(secret, signature, booking_id, action):
            return page(403, "Link not valid", INVALID)
        key = KEY_PREFIX + hashlib.sha256(signature.encode()).hexdigest()
        handle = await call(client.submit_action, booking_id, action, None, key)
        stored = await watcher.wait(handle.result_key, wait_s)
        if stored is None:
            form = _form(action, signature, "Show the outcome")
            text = "Your request is on its way. Press the button to see its outcome."
            return page(202, "Not answered yet", text, form)
        try:
            handle.result_from_stored(stored)
        except BookingError as refusal:
            status = refusal.status if 400 <= refusal.status < 600 else 409
            return page(status, "Not done", refusal.message or "The request was refused.")
        return page(200, "Done", DONE[action])

    return router


def _valid(secret: str | None, signature: str, booking_id: str, action: str) -> bool:
    if secret is None or not signature or action not in QUESTIONS:
        return False
    try:
        verify(secret, signature, booking_id, action)
    except ActionLinkError:
        return False
    return True


async def _signature_in_form(request: Request) -> str:
    """The `signature` field of the posted form (urlencoded, as the page's form sends it)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return ""
    fields = parse_qs(body.decode("utf-8", errors="replace"))
    return (fields.get("signature") or [""])[-1]


def _form(action: str, signature: str, label: str) -> str:
    # Relative to the page's own path (…/external_action/{action}): the same path without the
    # query, under whatever prefix a proxy puts the gateway.
    return (
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="signature" value="{escape(signature)}">'
        f'<button type="submit">{escape(label)}</button></form>'
    )


def page(status: int, title: str, text: str, form: str = "") -> HTMLResponse:
    """A small page; every text in it escaped (`form` is built escaped by _form)."""
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}"
        "button{font-size:1.1rem;padding:.6rem 1.2rem}</style></head>"
        f"<body><main><h1>{escape(title)}</h1><p>{escape(text)}</p>{form}</main></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers=HEADERS)
