"""A watchdog beside a drill's load: when no caller has been answered for a while, what every
part of the deployment is doing goes to a file in the workdir, kept with a failed run.

Why: `all-together` once stalled (issue 16) and its logs were not kept; a stall shows in the
end only as commands that were never answered. This catches the moment itself: Redis's
clients (who is blocked in BRPOP, who is subscribed), its queue and unacked messages, the
database's sessions, each process's state, and each worker's threads (Celery's SIGUSR1 dump).
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

from api_client.contract.tasks import QUEUE

from .cluster import Cluster
from .load import CALLER_JOURNAL_GLOB

STALL_AFTER_S = 30.0  # a caller's attempt takes 20 s at most before it resends
CHECK_EVERY_S = 2.0
# kombu's Redis transport: unacked messages, and the mutex its restore sweep takes.
UNACKED_KEY = "unacked"
RESTORE_MUTEX_KEY = "unacked_mutex"
SESSIONS = text(
    "SELECT pid, state, wait_event_type, wait_event, now() - xact_start AS in_transaction,"
    " left(query, 80) AS query FROM pg_stat_activity WHERE datname = current_database()"
)


def watch_for_stalls(
    cluster: Cluster, workdir: Path, sending_until: float, stop: threading.Event
) -> list[str]:
    """Until `stop` (or until callers stop sending, monotonic time): whenever the callers'
    journals have not grown for STALL_AFTER_S, snapshot the deployment once; notes on each."""
    notes: list[str] = []
    size, changed_at, snapped = -1, time.monotonic(), False
    while not stop.wait(CHECK_EVERY_S) and time.monotonic() < sending_until:
        now_size = sum(path.stat().st_size for path in workdir.glob(CALLER_JOURNAL_GLOB))
        if now_size != size:
            size, changed_at, snapped = now_size, time.monotonic(), False
            continue
        if not snapped and time.monotonic() - changed_at >= STALL_AFTER_S:
            path = workdir / f"stall-{len(notes) + 1}.txt"
            path.write_text(snapshot(cluster))
            notes.append(f"no caller answered for {STALL_AFTER_S:g} s: see {path.name}")
            snapped = True
    return notes


def snapshot(cluster: Cluster) -> str:
    """Redis, the database and every process, as text; each part on its own if another fails."""
    parts = [f"stall at {time.strftime('%H:%M:%S')}"]
    for name, part in (("redis", _redis), ("postgres", _postgres), ("processes", _processes)):
        try:
            parts.append(f"== {name}\n{part(cluster)}")
        except Exception as error:  # a part that cannot be read is itself a finding
            parts.append(f"== {name}: could not read: {error!r}")
    return "\n\n".join(parts) + "\n"


def _redis(cluster: Cluster) -> str:
    client = redis.Redis.from_url(cluster.redis_url, socket_timeout=5)
    try:
        lines = [
            f"queue {QUEUE}: {client.llen(QUEUE)} messages",
            f"unacked: {client.hlen(UNACKED_KEY)} messages",
            f"restore mutex ttl: {client.ttl(RESTORE_MUTEX_KEY)} s",
            "clients:",
        ]
        lines += [
            f"  {c.get('addr')} age={c.get('age')} idle={c.get('idle')} cmd={c.get('cmd')} "
            f"sub={c.get('sub')} flags={c.get('flags')}"
            for c in client.client_list()
        ]
        return "\n".join(lines)
    finally:
        client.close()


def _postgres(cluster: Cluster) -> str:
    engine = create_engine(cluster.database_url)
    try:
        with engine.connect() as conn:
            return "\n".join(str(tuple(row)) for row in conn.execute(SESSIONS))
    finally:
        engine.dispose()


def _processes(cluster: Cluster) -> str:
    """Each process's state; each worker's main process logs its threads' stacks (SIGUSR1:
    Celery's dump; its pool processes would die of it)."""
    lines = []
    for instance in list(cluster.instances.values()):
        pids = [instance.process.pid, *instance.pool_pids()]
        lines.append(f"{instance.name}: " + ", ".join(f"{pid} {_state(pid)}" for pid in pids))
        if not instance.name.startswith("beat") and instance.alive():
            instance.process.send_signal(signal.SIGUSR1)
    return "\n".join(lines) + "\n(worker stacks: in each worker's log, after 'Thread')"


def _state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        wchan = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return "gone"
    state = next((line.split(":", 1)[1].strip() for line in status if line.startswith("State")), "")
    return f"{state} in {wchan or '-'}"
