"""The optional metrics listener (``openvidu.metrics.port``): ``GET /metrics`` in plain HTTP, no authentication.

Like LiveKit's ``prometheus_port``: a port of its own that Prometheus scrapes without the server's credentials,
meant to stay private (``openvidu.metrics.address`` defaults to loopback). The HTTP side is the standard
library's ``HTTPServer`` in one thread (one request at a time, each bounded by a socket timeout); the page itself
is rendered on the event loop, where the live state it reads belongs.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from server.stats.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
REQUEST_TIMEOUT_SECONDS = 10.0
POLL_INTERVAL_SECONDS = 0.5


class _Server(HTTPServer):
    def __init__(self, address: str, port: int, render: Callable[[], bytes], loop: Any) -> None:
        self.address_family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.render = render
        self.loop = loop
        super().__init__((address, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = REQUEST_TIMEOUT_SECONDS
    server_version = "openvidu-metrics"
    sys_version = ""

    def do_GET(self) -> None:
        if self.path.partition("?")[0] != METRICS_PATH:
            self._answer(404, b"Not Found\n", "text/plain; charset=utf-8")
            return
        future = asyncio.run_coroutine_threadsafe(self._render(), self.server.loop)
        try:
            body = future.result(REQUEST_TIMEOUT_SECONDS)
        except Exception:
            future.cancel()
            log.exception("rendering the metrics failed")
            self._answer(503, b"metrics unavailable\n", "text/plain; charset=utf-8")
            return
        self._answer(200, body, CONTENT_TYPE)

    async def _render(self) -> bytes:
        return self.server.render()

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


class MetricsListener:
    """A runtime component: listening from start() to stop()."""

    def __init__(self, address: str, port: int, render: Callable[[], bytes]) -> None:
        self.address = address
        self.port = port
        self.render = render
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    async def start(self) -> None:
        try:
            server = _Server(self.address, self.port, self.render, asyncio.get_running_loop())
        except OSError as exc:
            raise RuntimeError(
                f"cannot listen on {self.address}:{self.port} "
                f"(openvidu.metrics.address/openvidu.metrics.port): {exc}"
            ) from exc
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(POLL_INTERVAL_SECONDS,), name="metrics-listener", daemon=True
        )
        self._thread.start()
        log.info("metrics on http://%s:%s%s (no authentication)", self.address, self.port, METRICS_PATH)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        await asyncio.to_thread(server.shutdown)
        server.server_close()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, REQUEST_TIMEOUT_SECONDS)
            self._thread = None
