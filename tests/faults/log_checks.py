"""After a drill: every log-channel notification marked delivered, its line in a worker's log.

The log channel writes its lines after the command's commit and marks them delivered in
batches (worker/local_delivery.py); a worker killed in between leaves its rows to the sweep.
So each row must end delivered, with its line written at least once (twice is allowed:
at least once, as on every channel).
"""

from __future__ import annotations

import re

from sqlalchemy import create_engine, select

from worker.storage.tables import outbox

from .checks import Findings

LINE_ID = re.compile(r'"id":"([0-9a-f-]{36})"')


def check_log_lines(database_url: str, worker_logs: str, findings: Findings) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            query = select(outbox.c.notification_id, outbox.c.state)
            rows = conn.execute(query.where(outbox.c.channel == "log")).all()
    finally:
        engine.dispose()
    written = set(LINE_ID.findall(worker_logs))
    findings.log_notifications = len(rows)
    undelivered = sum(row.state != "delivered" for row in rows)
    if undelivered:
        findings.problem(f"{undelivered} log notifications not marked delivered")
    missing = sum(str(row.notification_id) not in written for row in rows)
    if missing:
        findings.problem(f"{missing} log notifications never written to a worker's log")
