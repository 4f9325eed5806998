"""The send path's levers of issue 15 alone: fan-outs serialized once, one shared TLS read buffer (over a real
loopback TLS connection), the event-loop choice."""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import json
import ssl
from pathlib import Path
from typing import Any

import pytest

from server.assembly.signaling import share_tls_read_buffer
from server.eventloop import loop_factory
from server.http.tls import make_self_signed
from server.http.tls_transport import TLSSocketEventLoop
from server.rpc import protocol
from server.rpc.connections import RpcRegistry, RpcTimings, broadcast
from tests.server.rpc.test_connections import RecordingTransport


async def test_broadcast_serializes_once_and_skips_dead_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = RpcRegistry(RpcTimings())
    conns = [registry.new() for _ in range(4)]
    transports = [RecordingTransport() for _ in range(3)]
    for conn, transport in zip(conns, transports, strict=False):
        conn.transport = transport
    conns[1].shutdown()  # closed: skipped; conns[3] has no socket: skipped
    calls: list[dict[str, Any]] = []
    real_dumps = protocol.dumps

    def counting(obj: dict[str, Any]) -> str:
        calls.append(obj)
        return real_dumps(obj)

    monkeypatch.setattr(protocol, "dumps", counting)
    message = {"jsonrpc": "2.0", "method": "participantJoined", "params": {"id": "é"}}
    await broadcast(conns, message)
    assert len(calls) == 1
    assert transports[0].sent == transports[2].sent == [real_dumps(message)]
    assert transports[1].sent == []
    assert json.loads(transports[0].sent[0]) == message


async def test_tls_connections_share_one_read_buffer(tmp_path: Path) -> None:
    share_tls_read_buffer()
    share_tls_read_buffer()  # idempotent
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed(cert, key, ["127.0.0.1"])
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    protocols: list[Any] = []

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        protocols.append(writer.transport.get_extra_info("ssl_object"))
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    payloads = [bytes([i]) * 200_000 for i in (1, 2, 3)]  # many records each, several connections at once

    async def one(payload: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_ctx)
        writer.write(payload)
        await writer.drain()
        got = await reader.readexactly(len(payload))
        writer.close()
        return got

    try:
        assert await asyncio.gather(*(one(p) for p in payloads)) == payloads
    finally:
        server.close()
        await server.wait_closed()
    assert len(protocols) == 3
    first = asyncio.sslproto.SSLProtocol(asyncio.get_running_loop(), asyncio.Protocol(), server_ctx, None, server_side=True)
    second = asyncio.sslproto.SSLProtocol(asyncio.get_running_loop(), asyncio.Protocol(), server_ctx, None, server_side=True)
    assert first.get_buffer(-1).obj is second.get_buffer(-1).obj


def test_event_loop_choice() -> None:
    assert loop_factory("asyncio", tls=False) == ("asyncio", None)
    assert loop_factory("auto", tls=True, tls_transport="asyncio") == ("asyncio", None)
    assert loop_factory("auto", tls=True) == ("asyncio", TLSSocketEventLoop)
    assert loop_factory("asyncio", tls=True, tls_transport="socket") == ("asyncio", TLSSocketEventLoop)
    name, factory = loop_factory("auto", tls=False)
    assert name == "uvloop" and factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
    assert loop_factory("uvloop", tls=True)[0] == "uvloop"


def test_event_loop_falls_back_when_uvloop_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "uvloop", None)  # import fails
    assert loop_factory("uvloop", tls=False) == ("asyncio", None)
