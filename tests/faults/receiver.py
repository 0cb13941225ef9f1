"""A webhook receiver that can go down (its port closed) and come back on the same port.

It checks each signature and counts every notification id it receives: a receiver acts on an
id once and drops repeats, so the drill reports repeats but never counts them as acted on twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness.processes import free_port

SECRET = "drill-secret"


class DrillReceiver:
    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/bookings"
        self.received: Counter[str] = Counter()
        self.bad_signatures = 0
        self.downtimes = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver._record(body, self.headers.get("X-Bookings-Signature", ""))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def stop(self) -> None:
        """Down: the port refuses connections until `start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def start_if_down(self) -> None:
        if self._server is None:
            self.start()

    def go_down(self) -> None:
        self.stop()
        self.downtimes += 1

    def ids(self) -> set[str]:
        with self._lock:
            return set(self.received)

    def repeats(self) -> int:
        """Deliveries of an id already received (dropped by the receiver as duplicates)."""
        with self._lock:
            return sum(count - 1 for count in self.received.values())

    def _record(self, body: bytes, signature: str) -> None:
        expected = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        with self._lock:
            if not hmac.compare_digest(expected, signature):
                self.bad_signatures += 1
                return
            self.received[str(json.loads(body)["id"])] += 1
