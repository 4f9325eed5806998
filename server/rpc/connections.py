"""JSON-RPC sessions of the browser websocket (what Kurento's jsonrpc server keeps per client).

An ``RpcConnection`` outlives its websocket: after an abnormal close it waits ``reconnect_window`` seconds for
the client's ``connect {sessionId}``; its private id (the Kurento session id) is the participant's private id.
The ping watchdog closes a socket that stops pinging for ``ping_timeout_factor`` x the announced interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from server.core.clock import SYSTEM_CLOCK, Clock, Timer
from server.core.ids import random_string
from server.rpc import protocol

log = logging.getLogger(__name__)

PRIVATE_ID_ALPHABET = string.ascii_lowercase + string.digits
PRIVATE_ID_LENGTH = 26
PING_TIMEOUT_CLOSE_REASON = "Close for not receive ping from client"
MAX_PING_INTERVAL_MS = 60_000
"""Largest ping interval a client may announce (openvidu-browser announces 5,000)."""


class Transport(Protocol):
    """The websocket underneath (the direct channel, Starlette's, or a test double in unit tests)."""

    def try_send_text(self, data: str) -> bool:
        """Send now, without waiting, when the socket takes it (not paused by back-pressure); False when nothing
        was sent (then ``send_text`` is awaited). A transport that cannot tell always answers False."""
        ...

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class RpcTimings:
    """Seconds. The client pings every 5 s and announces it; the watchdog allows 3 intervals."""

    ping_timeout_factor: float = 3.0
    default_ping_interval: float = protocol.DEFAULT_PING_INTERVAL_MS / 1000
    reconnect_window: float = 10.0
    send_timeout: float = 10.0


def new_private_id() -> str:
    """26 characters of ``[a-z0-9]`` from one ``os.urandom`` read (was 26 ``secrets.choice`` calls)."""
    return random_string(PRIVATE_ID_ALPHABET, PRIVATE_ID_LENGTH)


class RpcConnection:
    """One JSON-RPC session; bound to at most one live transport at a time."""

    def __init__(self, private_id: str, timings: RpcTimings, clock: Clock = SYSTEM_CLOCK) -> None:
        self.private_id = private_id
        self.timings = timings
        self.clock = clock
        self.transport: Transport | None = None
        self.session_id: str | None = None
        self.connection_id: str | None = None
        self.closed = False
        self._send_lock: asyncio.Lock | None = None  # made on the first send that has to wait
        self._watchdog: Timer | None = None
        self._ping_interval: float | None = None
        self._last_ping = 0.0
        self._on_ping_timeout: Callable[[], None] | None = None
        self._grace: Timer | None = None

    @property
    def joined(self) -> bool:
        return self.connection_id is not None

    async def send(self, message: dict[str, Any]) -> bool:
        """Send one JSON-RPC message; False when there is no live socket (dropped, as Kurento would)."""
        if self.transport is None or self.closed:
            return False
        return await self.send_text(protocol.dumps(message))

    def try_send(self, message: dict[str, Any]) -> bool:
        """Write one JSON-RPC message now, without awaiting, if the socket takes it at once and no send waits
        before it; False when nothing was written (then ``send`` is the way)."""
        transport = self.transport
        lock = self._send_lock
        if transport is None or self.closed or (lock is not None and lock.locked()):
            return False
        return transport.try_send_text(protocol.dumps(message))

    async def send_text(self, text: str) -> bool:
        """Send one JSON-RPC message already serialized (a fan-out serializes once for all its recipients)."""
        transport = self.transport
        if transport is None or self.closed:
            return False
        lock = self._send_lock
        try:
            # Most sends: the socket is writable and nobody waits before us, so write at once (no lock, no timer).
            if (lock is None or not lock.locked()) and transport.try_send_text(text):
                return True
        except Exception as exc:
            log.debug("send to %s failed: %s", self.private_id, exc)
            return False
        if lock is None:
            lock = self._send_lock = asyncio.Lock()
        try:
            async with lock, asyncio.timeout(self.timings.send_timeout):
                await transport.send_text(text)
        except Exception as exc:  # a dead socket: the receive loop will notice the close
            log.debug("send to %s failed: %s", self.private_id, exc)
            return False
        return True

    # --- ping watchdog -----------------------------------------------------------------------

    def pinged(self, interval_ms: int | None, on_timeout: Callable[[], None]) -> None:
        """Record a ping. One timer per connection: when it fires early it re-arms for the time left, so a
        ping costs a clock read instead of a cancelled and a new timer."""
        if interval_ms is not None and interval_ms > 0:
            # bounded: an announced interval of years would switch the watchdog off
            self._ping_interval = min(interval_ms, MAX_PING_INTERVAL_MS) / 1000
        elif self._ping_interval is None:
            self._ping_interval = self.timings.default_ping_interval
        self._last_ping = self.clock.monotonic()
        self._on_ping_timeout = on_timeout
        if self._watchdog is None:
            self._watchdog = self.clock.call_later(self._ping_timeout(), self._check_ping)

    def _ping_timeout(self) -> float:
        interval = self._ping_interval or self.timings.default_ping_interval
        return interval * self.timings.ping_timeout_factor

    def _check_ping(self) -> None:
        left = self._last_ping + self._ping_timeout() - self.clock.monotonic()
        if left > 0:
            self._watchdog = self.clock.call_later(left, self._check_ping)
            return
        self._watchdog = None
        callback = self._on_ping_timeout
        self._on_ping_timeout = None
        if callback is not None:
            callback()

    def cancel_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._on_ping_timeout = None

    # --- reconnection window -----------------------------------------------------------------

    def start_grace(self, on_expiry: Callable[[], None]) -> None:
        self.cancel_grace()
        self._grace = self.clock.call_later(self.timings.reconnect_window, on_expiry)

    def cancel_grace(self) -> None:
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None

    def shutdown(self) -> None:
        self.closed = True
        self.cancel_watchdog()
        self.cancel_grace()


class RpcRegistry:
    """All JSON-RPC sessions by private id."""

    def __init__(self, timings: RpcTimings, clock: Clock = SYSTEM_CLOCK) -> None:
        self.timings = timings
        self.clock = clock
        self._by_private_id: dict[str, RpcConnection] = {}

    def new(self) -> RpcConnection:
        private_id = new_private_id()
        while private_id in self._by_private_id:
            private_id = new_private_id()
        conn = RpcConnection(private_id, self.timings, self.clock)
        self._by_private_id[private_id] = conn
        return conn

    def get(self, private_id: str) -> RpcConnection | None:
        return self._by_private_id.get(private_id)

    def remove(self, conn: RpcConnection) -> None:
        conn.shutdown()
        if self._by_private_id.get(conn.private_id) is conn:
            del self._by_private_id[conn.private_id]

    def all(self) -> list[RpcConnection]:
        return list(self._by_private_id.values())

    def __len__(self) -> int:
        return len(self._by_private_id)


async def broadcast(conns: list[RpcConnection], message: dict[str, Any]) -> None:
    """Send one notification to each of ``conns`` in turn, serialized once (every recipient gets the same bytes)."""
    text: str | None = None
    for conn in conns:
        if conn.transport is None or conn.closed:
            continue
        if text is None:
            text = protocol.dumps(message)
        await conn.send_text(text)


async def close_transport(transport: Transport | None, code: int, reason: str) -> None:
    if transport is None:
        return
    with contextlib.suppress(Exception):
        await transport.close(code, reason)
