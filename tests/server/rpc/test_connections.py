"""JSON-RPC session bookkeeping alone (server/rpc/connections.py), with a recording transport."""

from __future__ import annotations

import asyncio
import json

import pytest

from server.rpc.connections import RpcRegistry, RpcTimings, new_private_id
from tests.support.clock import FakeClock

SHORT = RpcTimings(
    ping_timeout_factor=3.0, default_ping_interval=0.05, reconnect_window=0.1, send_timeout=0.05
)


class RecordingTransport:
    def __init__(self, stall: bool = False) -> None:
        self.sent: list[str] = []
        self.stall = stall
        self.closed: tuple[int, str | None] | None = None

    def try_send_text(self, data: str) -> bool:
        return False  # every send awaits send_text (the lock and the send timeout)

    async def send_text(self, data: str) -> None:
        if self.stall:
            await asyncio.sleep(10)
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = (code, reason)


def test_private_ids_are_unique_lowercase() -> None:
    ids = {new_private_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(i.isalnum() and i == i.lower() and len(i) == 26 for i in ids)


async def test_send_frames_json_and_drops_without_socket() -> None:
    registry = RpcRegistry(SHORT)
    conn = registry.new()
    assert await conn.send({"jsonrpc": "2.0", "method": "x", "params": {}}) is False
    transport = RecordingTransport()
    conn.transport = transport
    assert await conn.send({"jsonrpc": "2.0", "id": 0, "result": {"value": "pong"}}) is True
    assert json.loads(transport.sent[0]) == {"jsonrpc": "2.0", "id": 0, "result": {"value": "pong"}}
    conn.transport = RecordingTransport(stall=True)
    assert await conn.send({"jsonrpc": "2.0", "method": "x", "params": {}}) is False  # send timeout


async def test_ping_watchdog_fires_after_three_intervals() -> None:
    clock = FakeClock()
    conn = RpcRegistry(SHORT, clock).new()
    fired: list[float] = []
    start = clock.monotonic()
    conn.pinged(40, lambda: fired.append(clock.monotonic() - start))  # announces 40 ms
    await clock.advance(0.06)
    conn.pinged(None, lambda: fired.append(clock.monotonic() - start))  # re-armed, keeps the 40 ms interval
    await clock.advance(0.11)
    assert fired == []  # 0.17 s: the first deadline (0.12) was pushed to 0.06 + 0.12
    await clock.advance(0.3)
    assert fired == [pytest.approx(0.18)]


async def test_grace_window_and_shutdown() -> None:
    clock = FakeClock()
    registry = RpcRegistry(SHORT, clock)
    conn = registry.new()
    expired: list[bool] = []
    conn.start_grace(lambda: expired.append(True))
    conn.cancel_grace()
    await clock.advance(0.15)
    assert expired == []
    conn.start_grace(lambda: expired.append(True))
    await clock.advance(0.09)
    assert expired == []
    await clock.advance(0.02)
    assert expired == [True]
    assert registry.get(conn.private_id) is conn
    registry.remove(conn)
    assert registry.get(conn.private_id) is None and conn.closed and len(registry) == 0
