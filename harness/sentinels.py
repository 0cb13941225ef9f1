"""A Redis that fails over: a master, a replica and three sentinels, all on loopback ports.

The sentinels judge a master down after DOWN_AFTER_MS without an answer and, with two of the
three agreeing, promote the replica: a failover takes a few seconds, so that a drill can kill
the master under load and see every user of Redis follow it to the new one. A killed master
can come back as a replica of the new one, so that the next failover has somewhere to go.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import redis
from redis.sentinel import Sentinel

from .processes import HOST, free_port, stop_processes
from .redis_servers import RedisServer

MASTER_NAME = "mymaster"
QUORUM = 2
SENTINELS = 3
# Judged down after two seconds without an answer; a failover that stalls is tried again after
# FAILOVER_TIMEOUT_MS (Sentinel's defaults are 30 s and 3 minutes). One second was tried: on two
# busy cores a sentinel then judged the master it had just promoted down as well, and failed
# over again, to the old master still loading its data.
DOWN_AFTER_MS = 2000
FAILOVER_TIMEOUT_MS = 3000
# A replica (re)joining gets its full copy at once, not after Redis's default 5 s wait for
# more replicas to share it.
SERVER_ARGS = ("--repl-diskless-sync-delay", "0")
READY_TIMEOUT_S = 30.0
FAILOVER_WAIT_S = 30.0
STOP_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 1.0


@dataclass
class SentinelGroup:
    """The Redis servers (the master first, as started) and the sentinels watching them."""

    directory: Path
    master_name: str
    servers: list[RedisServer]
    sentinel_ports: list[int]
    sentinels: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)
    failovers: int = 0

    def url(self, db: int = 0) -> str:
        """BOOKINGS_REDIS_URL naming the three sentinels (api_client/redis_urls.py)."""
        return ";".join(
            f"sentinel://{HOST}:{port}" + (f"/{db}" if index == 0 else "")
            for index, port in enumerate(self.sentinel_ports)
        )

    def master(self) -> RedisServer:
        """The server the sentinels name as master now."""
        port = self.master_port()
        return next(server for server in self.servers if server.port == port)

    def master_port(self) -> int:
        """The master's port as the first sentinel that answers names it."""
        for port in self.sentinel_ports:
            probe = redis.Redis(host=HOST, port=port, socket_timeout=PROBE_TIMEOUT_S)
            try:
                address = cast(Any, probe.sentinel_get_master_addr_by_name(self.master_name))
            except redis.RedisError:
                continue
            finally:
                probe.close()
            if address:
                return int(address[1])
        raise RuntimeError("no sentinel answers")

    def kill_master(self) -> RedisServer:
        """SIGKILL the master (no goodbye to its replica or clients); the server killed."""
        master = self.master()
        master.kill()
        return master

    def wait_for_failover(self, old_port: int, timeout_s: float = FAILOVER_WAIT_S) -> float:
        """Seconds until the sentinels name another master to a client (as redis-py asks
        them: the master not judged down, by a sentinel that answers) and it takes writes."""
        started = time.monotonic()
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            [(HOST, port) for port in self.sentinel_ports],
            sentinel_kwargs={"socket_timeout": PROBE_TIMEOUT_S},
        )
        while time.monotonic() - started < timeout_s:
            try:
                port = int(sentinel.discover_master(self.master_name)[1])  # type: ignore[no-untyped-call]
            except redis.RedisError:
                port = old_port
            if port != old_port and _role(port) == "master":
                self.failovers += 1
                return time.monotonic() - started
            time.sleep(0.1)
        raise RuntimeError(f"no failover from port {old_port} within {timeout_s:g} s")

    def wait_until_agreed(self, timeout_s: float = FAILOVER_WAIT_S) -> None:
        """Until every sentinel names the same master: the failover is over everywhere."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            named = {_named_master(port, self.master_name) for port in self.sentinel_ports}
            if len(named) == 1 and None not in named:
                return
            time.sleep(0.1)
        raise RuntimeError(f"the sentinels did not agree on a master within {timeout_s:g} s")

    def rejoin(self, server: RedisServer) -> None:
        """Start a killed server again as a replica of the master now, and wait until it has
        caught up and the sentinels count it as a replica (a candidate for the next failover)."""
        self.wait_until_agreed()
        master_port = self.master_port()
        server.extra_args = (*SERVER_ARGS, "--replicaof", HOST, str(master_port))
        server.start()
        server.restarts += 1
        _wait_until_synced(server.port)
        self._wait_until_watched(replica_ports={server.port})

    def stop(self) -> None:
        stop_processes(self.sentinels, STOP_TIMEOUT_S)
        for server in self.servers:
            server.stop()

    def _start_sentinels(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        master_port = self.servers[0].port
        for index, port in enumerate(self.sentinel_ports):
            workdir = self.directory / f"sentinel-{index + 1}"
            workdir.mkdir(parents=True, exist_ok=True)
            config = workdir / "sentinel.conf"  # Sentinel rewrites it with what it learns
            config.write_text(
                "\n".join(
                    [
                        f"bind {HOST}",
                        f"port {port}",
                        f"dir {workdir}",
                        f"logfile {workdir / 'sentinel.log'}",
                        f"sentinel monitor {self.master_name} {HOST} {master_port} {QUORUM}",
                        f"sentinel down-after-milliseconds {self.master_name} {DOWN_AFTER_MS}",
                        f"sentinel failover-timeout {self.master_name} {FAILOVER_TIMEOUT_MS}",
                        f"sentinel parallel-syncs {self.master_name} 1",
                        "",
                    ]
                )
            )
            process = subprocess.Popen(
                [executable, str(config), "--sentinel"], stdout=subprocess.DEVNULL
            )
            self.sentinels.append(process)

    def _wait_until_watched(self, replica_ports: set[int]) -> None:
        """Until every sentinel knows the master, the replicas given and the other sentinels:
        before that, a dead master could not be failed over."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if all(self._sees_everything(port, replica_ports) for port in self.sentinel_ports):
                return
            time.sleep(0.2)
        raise RuntimeError(f"the sentinels did not find each other in {READY_TIMEOUT_S:g} s")

    def _sees_everything(self, sentinel_port: int, replica_ports: set[int]) -> bool:
        probe = redis.Redis(
            host=HOST, port=sentinel_port, socket_timeout=PROBE_TIMEOUT_S, decode_responses=True
        )
        try:
            replicas = probe.sentinel_slaves(self.master_name)
            others = cast(list[dict[str, Any]], probe.sentinel_sentinels(self.master_name))
        except redis.RedisError:
            return False
        finally:
            probe.close()
        healthy = {
            int(replica["port"])
            for replica in replicas
            if not replica.get("is_odown") and not replica.get("is_sdown")
        }
        return replica_ports <= healthy and len(others) >= SENTINELS - 1


@contextmanager
def own_sentinel_group(directory: Path, master_name: str = MASTER_NAME) -> Iterator[SentinelGroup]:
    """A master and one replica (AOF on, as harness/redis_servers.py starts them) watched by
    three sentinels, ready for a failover; everything stopped afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    master = RedisServer(free_port(), directory / "redis-a")
    replica = RedisServer(free_port(), directory / "redis-b")
    group = SentinelGroup(
        directory, master_name, [master, replica], [free_port() for _ in range(SENTINELS)]
    )
    try:
        for server in group.servers:
            server.directory.mkdir(parents=True, exist_ok=True)
        master.extra_args = SERVER_ARGS
        master.start()
        replica.extra_args = (*SERVER_ARGS, "--replicaof", HOST, str(master.port))
        replica.start()
        _wait_until_synced(replica.port)
        # Started after the replica is in sync, so that their first look at the master
        # already lists it (they look again only every ten seconds).
        group._start_sentinels()
        group._wait_until_watched(replica_ports={replica.port})
        yield group
    finally:
        group.stop()


def _named_master(sentinel_port: int, master_name: str) -> int | None:
    probe = redis.Redis(host=HOST, port=sentinel_port, socket_timeout=PROBE_TIMEOUT_S)
    try:
        address = cast(Any, probe.sentinel_get_master_addr_by_name(master_name))
    except redis.RedisError:
        return None
    finally:
        probe.close()
    return int(address[1]) if address else None


def _role(port: int) -> str | None:
    probe = redis.Redis(host=HOST, port=port, socket_timeout=PROBE_TIMEOUT_S)
    try:
        role = probe.execute_command("ROLE")  # type: ignore[no-untyped-call]
    except redis.RedisError:
        return None
    finally:
        probe.close()
    first = role[0]
    return first.decode() if isinstance(first, bytes) else str(first)


def _wait_until_synced(replica_port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    probe = redis.Redis(host=HOST, port=replica_port, socket_timeout=PROBE_TIMEOUT_S)
    try:
        while time.monotonic() < deadline:
            try:
                info = probe.info("replication")
            except redis.RedisError:
                info = {}
            if info.get("master_link_status") == "up":
                return
            time.sleep(0.1)
    finally:
        probe.close()
    raise RuntimeError(f"the replica on port {replica_port} did not catch up")
