"""The log channel without a second transaction per command: sent at once, marked in batches.

A command stages its log rows held by its own process (a lease, worker/outbox.py), so no
claim is needed: right after the commit the process writes their lines from the rows it
staged, and marks them delivered later, with everything else it sent, in one UPDATE every
`mark_every_s` (or at its exit). What that keeps:

- no line for a change that did not commit: the lines are written only after the commit;
- none lost: a process killed between its commit and its mark leaves its rows pending, held
  until their lease runs out; the outbox sweep then sends them again (at least once, as any
  delivery whose worker died before recording it);
- none sent twice by the sweep while it waits for its mark: the hold (BOOKINGS_LOG_HOLD_S) is
  far longer than a mark interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from uuid import UUID

from . import metrics
from .channels import Channel, Delivery
from .delivery import send_by_channel
from .storage import outbox_queries
from .storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class LocalDelivery:
    """One process's sender of the deliveries it staged held; thread-safe."""

    def __init__(
        self,
        channels: Mapping[str, Channel],
        unit_of_work: Callable[[], UnitOfWork],
        *,
        mark_every_s: float,
        now: Callable[[], datetime],
    ) -> None:
        self._channels = channels
        self._unit_of_work = unit_of_work
        self._mark_every_s = mark_every_s
        self._now = now
        self._sent: list[UUID] = []
        self._sent_lock = threading.Lock()
        self._marking = threading.Lock()
        self._marker: threading.Thread | None = None

    def send(self, held: Sequence[Delivery]) -> None:
        """Send rows this process staged held and just committed; mark them with the next
        batch. One that failed stays held until its lease runs out, then the sweep retries it."""
        errors = send_by_channel(held, self._channels)
        sent = [row for row in held if row["id"] not in errors]
        if errors:
            log.warning("%d local deliveries failed; the sweep retries them", len(errors))
        metrics.deliveries_ended(Counter((row["channel"], "delivered") for row in sent))
        with self._sent_lock:
            self._sent += [row["id"] for row in sent]
            if self._marker is None:
                self._marker = threading.Thread(
                    target=self._keep_marking, name="local-delivery-marks", daemon=True
                )
                self._marker.start()

    def mark_sent(self) -> int:
        """Mark every row sent so far delivered, in one statement; how many. Those of a mark
        that failed are kept for the next one."""
        with self._marking:
            with self._sent_lock:
                sent, self._sent = self._sent, []
            if not sent:
                return 0
            try:
                with self._unit_of_work() as uow:
                    outbox_queries.mark_delivered(uow.connection, sent, self._now())
                    uow.commit()
            except BaseException:
                with self._sent_lock:
                    self._sent[:0] = sent
                raise
            return len(sent)

    def _keep_marking(self) -> None:
        # A daemon thread of the pool process: it dies with it, and whatever it had not
        # marked is the sweep's once the hold runs out.
        while True:
            time.sleep(self._mark_every_s)
            try:
                self.mark_sent()
            except Exception:
                log.warning("could not mark local deliveries; trying again", exc_info=True)
