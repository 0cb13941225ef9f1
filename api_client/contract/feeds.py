"""Calendar feeds on the wire: issuing and revoking a feed token, and reading a feed.

The token itself never travels: the client draws it (api_client/feed_tokens.py), sends its
sha256, and hands the token to the caller once. The worker, its command keys and its results
hold only digests.
"""

from __future__ import annotations

from typing import Annotated, Self
from uuid import UUID

from pydantic import EmailStr, StringConstraints, model_validator

from .requests import ContractModel, ShortText

TokenDigest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]


class FeedTokenIssue(ContractModel):
    """A new token for one calendar's feed (`calendar_id`) or one customer's (`customer_email`)."""

    token_digest: TokenDigest
    calendar_id: ShortText | None = None
    customer_email: Email | None = None

    @model_validator(mode="after")
    def _one_feed(self) -> Self:
        if (self.calendar_id is None) == (self.customer_email is None):
            raise ValueError("give either calendar_id or customer_email")
        return self


class FeedTokenRevoke(ContractModel):
    """The token stops opening its feed at once; revoking it again answers the same."""

    token_id: UUID


class FeedQuery(ContractModel):
    """A feed as iCalendar: the calendar's classes (`calendar_id`), or with no calendar the
    confirmed seats of the customer the token was issued for."""

    token_digest: TokenDigest
    calendar_id: ShortText | None = None
