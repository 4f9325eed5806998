"""kms_client.pool alone, against in-process FakeKms servers over loopback sockets."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable

import pytest

from kms_client import errors
from kms_client.lifecycle import (
    Connected,
    Disconnected,
    LifecycleEvent,
    ReconnectedEmpty,
    ReconnectedSame,
    Unreachable,
)
from kms_client.pool import KmsPool, MediaServer, new_media_server_id, resolve_ip

from .fake_kms import FakeKms

WAIT = 10.0
FAST = {
    "connect_timeout": 1.0,
    "request_timeout": 5.0,
    "ping_interval": 0.3,
    "ping_timeout": 2.0,  # generous: a spurious timeout on a busy machine would add notices
    "reconnect_window": 0.8,
    "reconnect_interval": 0.1,
    "retry_interval": 0.2,
    "close_timeout": 0.5,
}


@pytest.fixture
async def two() -> AsyncIterator[tuple[FakeKms, FakeKms]]:
    a = await FakeKms().start()
    b = await FakeKms(version="6.18.0").start()
    yield a, b
    await a.stop()
    await b.stop()


async def _until(predicate: Callable[[], bool], timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


def test_ids_have_the_openvidu_shape() -> None:
    ids = {new_media_server_id() for _ in range(200)}
    assert all(re.fullmatch(r"KMS-[A-Z0-9]{6}", i) for i in ids)
    assert len(ids) > 190


async def test_resolve_ip() -> None:
    assert await resolve_ip("ws://127.0.0.1:8888/kurento") == "127.0.0.1"
    assert await resolve_ip("ws://[::1]:8888/kurento") == "::1"
    assert await resolve_ip("ws://localhost:8888/kurento") in ("127.0.0.1", "::1")


async def test_add_exposes_fields_and_info(two: tuple[FakeKms, FakeKms]) -> None:
    a, b = two
    async with KmsPool(**FAST) as pool:  # type: ignore[arg-type]
        before = int(time.time() * 1000)
        sa = await pool.add(a.uri)
        sb = await pool.add(b.uri, server_id="KMS-ABC123")
        assert [s.id for s in pool.servers] == [sa.id, "KMS-ABC123"]
        assert re.fullmatch(r"KMS-[A-Z0-9]{6}", sa.id)
        assert pool.get(sa.id) is sa and pool.get("KMS-NOPE00") is None
        assert (sa.uri, sa.ip, sa.connected, sa.disconnection_time) == (a.uri, "127.0.0.1", True, None)
        assert sa.resolved_ip == "127.0.0.1"
        assert isinstance(sa.connection_time, int) and sa.connection_time >= before
        assert sa.info is not None and sa.info.version == "7.3.0" and sa.info.capabilities == ["transactions"]
        assert sb.version == "6.18.0" and sb.connection.server_major == 6
        assert await sa.used_memory() == 187392
        with pytest.raises(errors.DuplicateMediaServerError):
            await pool.add(a.uri)
        with pytest.raises(errors.DuplicateMediaServerError):
            await pool.add("ws://127.0.0.1:1/kurento", server_id=sa.id)


async def test_add_unreachable_is_refused(two: tuple[FakeKms, FakeKms]) -> None:
    a, _ = two
    uri = a.uri
    await a.stop()
    async with KmsPool(**FAST) as pool:  # type: ignore[arg-type]
        with pytest.raises(errors.KmsUnreachableError):
            await pool.add(uri)
        assert pool.servers == []


async def test_ip_is_the_uri_host_as_openvidu_reports_it(two: tuple[FakeKms, FakeKms]) -> None:
    a, _ = two
    async with KmsPool(**FAST) as pool:  # type: ignore[arg-type]
        server = await pool.add(f"ws://localhost:{a.port}/kurento")
        assert server.ip == "localhost"
        assert server.resolved_ip in ("127.0.0.1", "::1")


async def test_add_without_waiting_connects_later(two: tuple[FakeKms, FakeKms]) -> None:
    a, _ = two
    port = a.port
    await a.stop()
    seen: list[LifecycleEvent] = []
    async with KmsPool(**FAST) as pool:  # type: ignore[arg-type]
        pool.add_listener(lambda _s, n: seen.append(n))
        server = await pool.add(a.uri, wait=False)
        assert pool.get(server.id) is server
        assert not server.connected and server.connection_time is None
        assert isinstance(server.disconnection_time, int)
        assert [type(n) for n in seen] == [Unreachable]
        with pytest.raises(errors.KmsUnreachableError):
            await server.used_memory()
        await a.start(port)
        await _until(lambda: server.connected)
        assert [type(n) for n in seen] == [Unreachable, Connected]
        connected = seen[1]
        assert isinstance(connected, Connected) and connected.server_id == a.server_id
        assert server.disconnection_time is None and isinstance(server.connection_time, int)
        assert server.info is not None and server.info.version == "7.3.0"
        assert await server.used_memory() == 187392
        # and it is then watched like any other: a drop is resumed
        await a.drop()
        await _until(lambda: isinstance(seen[-1], ReconnectedSame))


async def test_used_cpu_runs_on_its_own_socket_and_session(two: tuple[FakeKms, FakeKms]) -> None:
    a, _ = two
    async with KmsPool(**FAST) as pool:  # type: ignore[arg-type]
        server = await pool.add(a.uri)
        pipe = await server.client.create_pipeline()
        cpu = asyncio.ensure_future(server.used_cpu(500))
        await _until(lambda: any(m.get("params", {}).get("operation") == "getUsedCpu" for m in a.received))
        # the main connection keeps answering while getUsedCpu is in progress
        assert await pipe.get_name() == pipe.id
        assert not cpu.done()
        assert await asyncio.wait_for(cpu, WAIT) == 12.5
        cpu_req = next(m for m in a.received if m.get("params", {}).get("operation") == "getUsedCpu")
        assert cpu_req["params"]["sessionId"] != server.connection.session_id
        assert cpu_req["params"]["operationParams"] == {"interval": 500}


async def test_listeners_told_of_drop_and_restart(two: tuple[FakeKms, FakeKms]) -> None:
    a, b = two
    seen: list[tuple[str, LifecycleEvent]] = []

    async def async_listener(server: MediaServer, notice: LifecycleEvent) -> None:
        seen.append(("async:" + server.id, notice))

    async with KmsPool(**FAST) as pool:  # type: ignore[arg-type]
        sa = await pool.add(a.uri)
        sb = await pool.add(b.uri)
        pool.add_listener(lambda server, notice: seen.append((server.id, notice)))
        pool.add_listener(async_listener)
        await a.drop()
        await _until(lambda: sum(isinstance(n, ReconnectedSame) for _, n in seen) == 2)
        assert [(sid, type(n)) for sid, n in seen if not sid.startswith("async:")] == [
            (sa.id, Disconnected),
            (sa.id, ReconnectedSame),
        ]
        seen.clear()
        b.restart()
        await b.drop()
        await _until(lambda: sum(isinstance(n, ReconnectedEmpty) for _, n in seen) == 2)
        sync_seen = [(sid, n) for sid, n in seen if not sid.startswith("async:")]
        assert [sid for sid, _ in sync_seen] == [sb.id, sb.id]
        empty = sync_seen[1][1]
        assert isinstance(empty, ReconnectedEmpty) and empty.restarted
        assert sb.connected and sb.disconnection_time is None


async def test_disconnection_time_set_while_down(two: tuple[FakeKms, FakeKms]) -> None:
    a, _ = two
    async with KmsPool(**FAST) as pool:  # type: ignore[arg-type]
        server = await pool.add(a.uri)
        a.freeze = True
        await _until(lambda: not server.connected)
        assert isinstance(server.disconnection_time, int)
        a.freeze = False
        await _until(lambda: server.connected)
        assert server.disconnection_time is None


async def test_remove_closes_the_connection(two: tuple[FakeKms, FakeKms]) -> None:
    a, b = two
    async with KmsPool(**FAST) as pool:  # type: ignore[arg-type]
        sa = await pool.add(a.uri)
        sb = await pool.add(b.uri)
        assert await pool.remove(sa.id) is sa
        assert await pool.remove(sa.id) is None
        assert [s.id for s in pool.servers] == [sb.id]
        assert sa.connection.closed
        await _until(lambda: len(a.sockets) == 0)
        # the URI can be added again, with a new id
        again = await pool.add(a.uri)
        assert again.id != sa.id and again.connected


async def test_close_is_bounded_even_with_a_frozen_server(two: tuple[FakeKms, FakeKms]) -> None:
    a, b = two
    pool = KmsPool(**{**FAST, "ping_interval": None})  # type: ignore[arg-type]
    sa = await pool.add(a.uri)
    sb = await pool.add(b.uri)
    a.freeze = True
    pending = asyncio.ensure_future(sa.client.server_manager.get_used_memory())
    await asyncio.sleep(0.05)
    async with asyncio.timeout(WAIT):  # generous: close() itself is bounded by close_timeout
        await pool.close()
    assert sa.connection.closed and sb.connection.closed and pool.servers == []
    with pytest.raises(errors.KmsClosedError):
        await pending
    with pytest.raises(errors.KmsError):
        await pool.add(b.uri)


async def test_listener_may_remove_an_unreachable_server(two: tuple[FakeKms, FakeKms]) -> None:
    a, b = two
    removed: list[MediaServer | None] = []

    async def on_notice(server: MediaServer, notice: LifecycleEvent) -> None:
        if isinstance(notice, Unreachable):
            removed.append(await pool.remove(server.id))

    async with KmsPool(**FAST) as pool:  # type: ignore[arg-type]
        sa = await pool.add(a.uri)
        sb = await pool.add(b.uri)
        pool.add_listener(on_notice)
        await a.drop()
        await a.stop()
        await _until(lambda: bool(removed))
        assert removed == [sa]
        assert sa.connection.closed
        assert [s.id for s in pool.servers] == [sb.id]
        assert sb.connected


async def test_concurrent_adds_of_one_uri_keep_one(two: tuple[FakeKms, FakeKms]) -> None:
    a, _ = two
    async with KmsPool(**FAST) as pool:  # type: ignore[arg-type]
        results = await asyncio.gather(pool.add(a.uri), pool.add(a.uri), return_exceptions=True)
        added = [r for r in results if isinstance(r, MediaServer)]
        refused = [r for r in results if isinstance(r, errors.DuplicateMediaServerError)]
        assert len(added) == 1 and len(refused) == 1
        assert pool.servers == added and added[0].connected
