"""Bounds on what peers can hold open: the HTTP protocol of uvicorn with a cap on concurrent connections and a
header read timeout (slowloris), the descriptor soft limit, and accept failures logged with a counter.

A connection over ``server.max-connections`` (HTTP and websocket alike: a websocket starts as an HTTP
connection) is answered ``503`` and closed at once; a connection whose request headers are not complete within
``server.header-timeout`` seconds (from its opening, or from the first byte of a later keep-alive request) is
closed. Each kind of refusal is logged once and then counted (:class:`server.ratelog.FailureLog`).
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from server.ratelog import FailureLog

log = logging.getLogger(__name__)

OVER_CAPACITY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 32\r\n"
    b"connection: close\r\n\r\nToo many connections; try again\n"
)
_refused = FailureLog(log, "connections refused over server.max-connections")
_slow = FailureLog(log, "connections closed: request headers not complete within server.header-timeout")
_accept_failures = FailureLog(log, "accepting connections failed")


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap and a header read timeout (see the module docstring)."""

    max_connections: int = 10000
    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self.served = False  # a response was completed on this connection (it is a keep-alive one)

    def on_response_complete(self) -> None:
        self.served = True
        super().on_response_complete()

    @property
    def awaiting_first_request(self) -> bool:
        """Accepted, not closing, and its first request not yet read: a client that is about to ask."""
        return (
            not self.served
            and self.cycle is None
            and not self.transport.is_closing()
            and self.transport.get_protocol() is self
        )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        over = len(self.connections) >= self.max_connections
        super().connection_made(transport)  # type: ignore[arg-type]
        if over:
            _refused.hit(f"{len(self.connections) - 1} open")
            self.transport.write(OVER_CAPACITY_RESPONSE)
            self.transport.close()
            return
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        if self.cycle is None and not self.served and self._upgrade_at_once(data):
            return
        super().data_received(data)
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            self._cancel_header_timer()  # closed, or upgraded to a websocket
        elif self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            self._arm_header_timer()  # part of a request's headers: they must complete in time
        else:
            self._cancel_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _upgrade_at_once(self, data: bytes) -> bool:
        """A connection whose first read is one whole websocket upgrade request goes to the websocket protocol
        as is: it parses and checks the request itself, so h11 parsing it first (and uvicorn re-encoding it)
        was done twice. Anything else (a partial request, a pipelined one, plain HTTP) goes through h11."""
        if (
            self.ws_protocol_class is None
            or self.conn.their_state is not h11.IDLE
            or self.conn.trailing_data[0]
        ):
            return False
        if not is_whole_websocket_upgrade(data):
            return False
        self._cancel_header_timer()
        self.connections.discard(self)
        protocol = self.ws_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.app_state
        )
        protocol.connection_made(self.transport)
        self.transport.set_protocol(protocol)
        protocol.data_received(data)
        return True

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._header_timed_out)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return
        if self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete):
            _slow.hit()
            self.transport.close()


def is_whole_websocket_upgrade(data: bytes) -> bool:
    """``data`` is one complete ``GET`` request, nothing after its headers, asking to upgrade to a websocket
    (``Upgrade: websocket`` and ``upgrade`` among the ``Connection`` tokens, as uvicorn checks). Only a routing
    decision: the websocket protocol validates the request."""
    end = data.find(b"\r\n\r\n")
    if end < 0 or end + 4 != len(data) or not data.startswith(b"GET "):
        return False
    upgrade = connection = False
    for line in data[:end].split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            return False
        name = name.lower()
        if name == b"upgrade":
            upgrade = value.strip().lower() == b"websocket"
        elif name == b"connection":
            connection = any(token.strip() == b"upgrade" for token in value.lower().split(b","))
    return upgrade and connection


def bounded_protocol(max_connections: int, header_timeout: float) -> type[BoundedH11Protocol]:
    """A :class:`BoundedH11Protocol` class with these bounds (uvicorn's ``http`` option takes a class)."""
    return type(
        "BoundedH11Protocol",
        (BoundedH11Protocol,),
        {"max_connections": max_connections, "header_timeout": header_timeout},
    )


def raise_descriptor_limit() -> tuple[int, int]:
    """Raise the soft limit of open descriptors to the hard limit; returns (before, after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return soft, soft
        return soft, target
    return soft, soft


def count_accept_failures(loop: asyncio.AbstractEventLoop) -> None:
    """Log accept failures (descriptors exhausted) with a counter, not one traceback each; anything else goes
    to the default handler."""

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        if message.startswith("socket.accept() out of system resource"):
            _accept_failures.hit(repr(context.get("exception")))
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


_PER_CONNECTION_MESSAGES = {
    "Invalid HTTP request received.": FailureLog(log, "invalid HTTP requests received (answered 400)"),
    "Unsupported upgrade request.": FailureLog(log, "unsupported upgrade requests"),
}


class PerConnectionNoise(logging.Filter):
    """uvicorn logs one warning per malformed request; a flood of them becomes one line and a counter."""

    def filter(self, record: logging.LogRecord) -> bool:
        counter = _PER_CONNECTION_MESSAGES.get(str(record.msg))
        if counter is None:
            return True
        counter.hit()
        return False


def count_per_connection_warnings() -> None:
    """Install :class:`PerConnectionNoise` on uvicorn's error logger (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(existing, PerConnectionNoise) for existing in logger.filters):
        logger.addFilter(PerConnectionNoise())
