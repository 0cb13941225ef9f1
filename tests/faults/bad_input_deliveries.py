"""What the bad-input drill checks after its requests: every notification an accepted request
staged was delivered (on the log, a webhook and e-mail), and every e-mail's headers name
exactly the recipients it was sent to (issue 15: odd text accepted must reach its reader)."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from harness.message_checks import recipients
from harness.receivers import Mailbox
from worker.storage.tables import outbox

# Each delivery is tried at once and retried within seconds (the drill's quick retries).
DELIVERY_WAIT_S = 60.0
MAX_SHOWN = 5


def _due_pending(engine: Engine, since: datetime) -> int:
    """Pending deliveries staged since `since` whose time has come (reminders due in weeks
    are not counted)."""
    query = select(func.count()).where(
        outbox.c.state == "pending",
        outbox.c.created_at >= since,
        outbox.c.next_attempt_at <= datetime.now(UTC),
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def undelivered(engine: Engine, since: datetime, wait_s: float = DELIVERY_WAIT_S) -> Counter[str]:
    """Deliveries staged since `since` not delivered once the due ones have had `wait_s` to
    go, by channel, type, state and reason."""
    deadline = time.monotonic() + wait_s
    while _due_pending(engine, since) and time.monotonic() < deadline:
        time.sleep(0.5)
    query = select(outbox.c.channel, outbox.c.type, outbox.c.state, outbox.c.last_error).where(
        outbox.c.state != "delivered",
        outbox.c.created_at >= since,
        outbox.c.next_attempt_at <= datetime.now(UTC),
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return Counter(
        f"{channel} {notice} {state}: {(error or '')[:120]}"
        for channel, notice, state, error in rows
    )


def misaddressed(mailbox: Mailbox) -> list[str]:
    """E-mails whose headers name other recipients than the envelope they came in."""
    return [
        f"{recipients(message)} sent to {envelope}"
        for message, envelope in zip(mailbox.messages, mailbox.envelope_recipients, strict=False)
        if sorted(recipients(message)) != sorted(envelope)
    ]


def delivery_problems(engine: Engine, since: datetime, mailbox: Mailbox | None) -> list[str]:
    """One line per kind of notification staged since `since` and not delivered, and one for
    misaddressed e-mail."""
    found = [
        f"notifications: {count} x {kind}"
        for kind, count in undelivered(engine, since).most_common(MAX_SHOWN)
    ]
    wrong = misaddressed(mailbox) if mailbox is not None else []
    if wrong:
        found.append(f"e-mail: {len(wrong)} headers named other recipients, e.g. {wrong[0]}")
    return found
