"""A tiny static web site on a port of its own: a studio's page, on another origin than the gateway.

Tests publish a page (booking.js's snippet) and serve the npm packages' files beside it, as a
studio's web server would. It runs in a thread of the test process: it only hands out files.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from .node_scripts import NODE_MODULES
from .processes import HOST

# booking.js as its npm package ships it, built: the script, its stylesheet, fonts and icons.
BOOKING_JS_BUILD = NODE_MODULES / "timekit-booking" / "public" / "build"


@dataclass
class StaticSite:
    """Where the site answers (`origin`, as a browser sends it) and what it serves."""

    origin: str
    directories: Mapping[str, Path]
    pages: dict[str, bytes] = field(default_factory=dict)

    def publish(self, path: str, html: str) -> str:
        """Serve `html` at `path` from now on; the page's full URL."""
        self.pages[path] = html.encode()
        return self.origin + path

    def file_for(self, path: str) -> Path | None:
        """The file under one of `directories` that `path` names, never one outside them."""
        for prefix, directory in self.directories.items():
            if not path.startswith(prefix):
                continue
            candidate = (directory / path[len(prefix) :]).resolve()
            if candidate.is_relative_to(directory.resolve()) and candidate.is_file():
                return candidate
        return None


def _handler_for(site: StaticSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path in site.pages:
                self._send(site.pages[path], "text/html; charset=utf-8")
                return
            found = site.file_for(path)
            if found is None:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            content_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
            self._send(found.read_bytes(), content_type)

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: a page's requests are not the test's output."""

    return Handler


@contextmanager
def serving_site(directories: Mapping[str, Path]) -> Iterator[StaticSite]:
    """A site on a free port of 127.0.0.1 serving each directory under its URL prefix
    (`{"/build/": BOOKING_JS_BUILD}`) and whatever pages are published on it."""
    missing = [str(path) for path in directories.values() if not path.is_dir()]
    if missing:
        raise RuntimeError(f"not installed: {', '.join(missing)} (run `npm ci` at the repo root)")
    site = StaticSite("", dict(directories))
    # Port 0: the system picks a free port, with no window for another process to take it.
    server = ThreadingHTTPServer((HOST, 0), _handler_for(site))
    server.daemon_threads = True
    site.origin = f"http://{HOST}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
