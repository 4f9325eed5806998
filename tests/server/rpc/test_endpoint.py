"""The receive side of the ``/openvidu`` endpoint on the direct path: the real websocket protocol
(:mod:`server.http.direct_ws`) over a transport that records, the real endpoint, a signaling service that only
records the methods it is given."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.server import ServerState
from websockets.frames import Frame, Opcode

from server.http.direct_ws import DirectWebSocketProtocol, direct_protocol
from server.rpc import protocol as p
from server.rpc.connections import RpcRegistry, RpcTimings
from server.rpc.endpoint import RpcEndpoint
from tests.support.fake_transport import FakeTransport

UPGRADE = (
    b"GET /openvidu HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


class RecordingService:
    """What the endpoint uses of the signaling service."""

    def __init__(self) -> None:
        self.registry = RpcRegistry(RpcTimings())
        self.handled: list[str] = []
        self.spawned: list[asyncio.Task[Any]] = []

    async def handle(self, conn: Any, req: p.Request) -> None:
        self.handled.append(req.method)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.spawned.append(asyncio.ensure_future(coro))


def client_frame(message: dict[str, Any]) -> bytes:
    """A text frame as a browser sends it (masked)."""
    frame = Frame(Opcode.TEXT, json.dumps(message).encode())
    return frame.serialize(mask=True, extensions=[])


def server_texts(data: bytes) -> list[dict[str, Any]]:
    """The JSON messages of the unmasked text frames the server wrote (short ones)."""
    out = []
    while data:
        assert data[0] == 0x81 and data[1] < 126
        out.append(json.loads(data[2 : 2 + data[1]]))
        data = data[2 + data[1] :]
    return out


async def opened() -> tuple[DirectWebSocketProtocol, FakeTransport, RecordingService]:
    config = uvicorn.Config(Starlette(), log_level="critical")
    config.load()
    service = RecordingService()
    endpoint = RpcEndpoint(service)  # type: ignore[arg-type]
    ws = direct_protocol(frozenset({"/openvidu"}), lambda: endpoint.serve_direct)(
        config=config, server_state=ServerState(), app_state={}
    )
    transport = FakeTransport()
    ws.connection_made(transport)
    ws.data_received(UPGRADE)
    assert transport.written.startswith(b"HTTP/1.1 101")
    for _ in range(3):  # the receive loop starts and waits for the first message
        await asyncio.sleep(0)
    transport.written = b""
    return ws, transport, service


async def test_a_ping_is_answered_inside_the_read_callback() -> None:
    ws, transport, _ = await opened()
    ws.data_received(
        client_frame({"jsonrpc": "2.0", "id": 0, "method": "ping", "params": {"interval": 5000}})
    )
    # no turn of the event loop yet: the answer is already written
    assert server_texts(transport.written) == [{"id": 0, "jsonrpc": "2.0", "result": {"value": "pong"}}]
    assert ws.queue.empty()


async def test_a_method_is_started_from_the_read_callback_and_the_rest_goes_to_the_loop() -> None:
    ws, transport, service = await opened()
    ws.data_received(client_frame({"jsonrpc": "2.0", "id": 1, "method": "joinRoom", "params": {}}))
    assert ws.queue.empty()  # not queued for the loop: its task is started
    await asyncio.sleep(0)
    assert service.handled == ["joinRoom"]
    ws.data_received(client_frame({"jsonrpc": "2.0", "id": 2, "method": "closeSession"}))
    assert transport.written == b""  # left to the receive loop
    for _ in range(3):
        await asyncio.sleep(0)
    answer = server_texts(transport.written)
    assert [a["id"] for a in answer] == [2] and answer[0]["result"]["value"] == "bye"


async def test_a_ping_whose_answer_would_wait_is_left_to_the_loop_in_order() -> None:
    ws, transport, _ = await opened()
    ws.writable.clear()  # the transport is paused: no answer can be written now
    ws.data_received(
        client_frame({"jsonrpc": "2.0", "id": 3, "method": "ping", "params": {"interval": 5000}})
        + client_frame({"jsonrpc": "2.0", "id": 4, "method": "ping"})
    )
    assert transport.written == b""
    for _ in range(3):
        await asyncio.sleep(0)
    assert transport.written == b""
    ws.writable.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert [a["id"] for a in server_texts(transport.written)] == [3, 4]


async def test_a_socket_whose_loop_ended_offers_nothing_more() -> None:
    ws, _, _ = await opened()
    assert ws.handle_now is not None
    ws.queue.put_nowait({"type": "websocket.disconnect", "code": 1006})
    for _ in range(3):
        await asyncio.sleep(0)
    assert ws.handle_now is None
