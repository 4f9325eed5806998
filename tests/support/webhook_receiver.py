"""A real HTTP webhook receiver on 127.0.0.1 for tests: records every POST; can fail the first N requests,
either with an HTTP status (``fail_with``) or, with ``fail_with=None``, by closing the connection unanswered
(a connection-level failure)."""

from __future__ import annotations

import http.server
import json
import threading
import time
from types import TracebackType
from typing import Any


class _Handler(http.server.BaseHTTPRequestHandler):
    server: WebhookReceiver._Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        owner = self.server.owner
        if owner.gate is not None:
            owner.gate.wait(owner.gate_timeout)
        with owner.lock:
            owner.attempts += 1
            fail = owner.attempts <= owner.fail_first
            if not fail:
                owner.received.append({"headers": dict(self.headers.items()), "body": json.loads(body)})
        if fail and owner.fail_with is None:
            self.close_connection = True  # no response at all: the client sees the connection drop
            return
        self.send_response(owner.fail_with if fail and owner.fail_with is not None else owner.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class WebhookReceiver:
    class _Server(http.server.ThreadingHTTPServer):
        owner: WebhookReceiver

    def __init__(
        self,
        fail_first: int = 0,
        status: int = 200,
        fail_with: int | None = 500,
        gate: threading.Event | None = None,
        gate_timeout: float = 60.0,
    ) -> None:
        self.fail_first = fail_first
        self.status = status
        self.fail_with = fail_with
        self.gate = gate  # while set is pending, every request waits (a stalled receiver)
        self.gate_timeout = gate_timeout
        self.attempts = 0
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.httpd = WebhookReceiver._Server(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/webhook"

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r["body"] for r in self.received]

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.events()
            if predicate(events):
                return events
            time.sleep(0.1)
        raise AssertionError(
            f"webhook condition not met in {timeout} s: {[e.get('event') for e in self.events()]}"
        )

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
