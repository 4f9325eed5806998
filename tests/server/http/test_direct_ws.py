"""The ``/openvidu`` websocket served directly by the websocket protocol (``openvidu.rpc.direct-websocket``) and
through the ASGI app: the same answers on the wire either way, other websocket paths still refused by the app;
and no TLS 1.3 session tickets on the listener."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from uvicorn.server import ServerState
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from server.http.direct_ws import (
    INBOX_PAUSE_BYTES,
    DirectWebSocketProtocol,
    Inbox,
    WritableFlag,
    direct_protocol,
)
from tests.support.fake_transport import FakeTransport
from tests.support.rpc_client import insecure_ssl
from tests.support.server import ServerProcess


@pytest.fixture(scope="module", params=[True, False], ids=["direct", "asgi"])
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    with ServerProcess({"openvidu.rpc.direct-websocket": request.param}) as srv:
        yield srv


def wss(server: ServerProcess, path: str) -> str:
    return server.url.replace("https://", "wss://") + path


@pytest.mark.parametrize("path", ["/openvidu", "/openvidu/", "/openvidu?sessionId=x&v=2"])
async def test_ping_answered_and_bad_frames_refused(server: ServerProcess, path: str) -> None:
    async with connect(wss(server, path), ssl=insecure_ssl()) as ws:
        await ws.send('{"jsonrpc": "2.0", "id": 0, "method": "ping", "params": {"interval": 5000}}')
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {
            "jsonrpc": "2.0",
            "id": 0,
            "result": {"value": "pong"},
        }
        await ws.send("{not json")
        await ws.send('{"jsonrpc": "2.0", "id": 7, "method": "ping", "params": {"interval": NaN}}')
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert answer["id"] == 7 and answer["error"]["code"] == -32600
        await ws.send(b'{"jsonrpc": "2.0", "id": 8, "method": "ping", "params": {}}')
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["id"] == 8


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "asgi"])
async def test_join_timeout_closes_the_socket_with_its_code(direct: bool) -> None:
    with ServerProcess({"openvidu.rpc.join-timeout": 0.5, "openvidu.rpc.direct-websocket": direct}) as srv:
        async with connect(wss(srv, "/openvidu"), ssl=insecure_ssl()) as ws:
            await asyncio.wait_for(ws.wait_closed(), 10)
            assert ws.close_code == 1008
            assert ws.close_reason == "No joinRoom within openvidu.rpc.join-timeout"


async def test_other_websocket_paths_are_refused(server: ServerProcess) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(wss(server, "/elsewhere"), ssl=insecure_ssl()):
            pass
    assert refused.value.response.status_code == 403


async def test_frame_over_the_size_limit_closes_1009() -> None:
    with ServerProcess({"openvidu.rpc.max-frame-size": 2048}) as srv:
        async with connect(wss(srv, "/openvidu"), ssl=insecure_ssl(), max_size=None) as ws:
            await ws.send("x" * 4096)
            await asyncio.wait_for(ws.wait_closed(), 10)
            assert ws.close_code == 1009


def test_no_tls_session_tickets(server: ServerProcess) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    host, port = "127.0.0.1", server.port
    with socket.create_connection((host, port), 5) as raw, context.wrap_socket(raw) as tls:
        tls.sendall(
            b"GET /openvidu/api/config/openvidu-publicurl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        while tls.recv(65536):
            pass  # tickets, when sent, arrive after the handshake, before or with the answer
        session = tls.session
        assert session is not None and not session.has_ticket


async def test_inbox_keeps_order_and_wakes_its_reader() -> None:
    inbox = Inbox()
    assert inbox.empty()
    reader = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    assert not reader.done()
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert await asyncio.wait_for(reader, 1) == 1
    assert not inbox.empty()
    assert await inbox.get() == 2
    assert inbox.empty()


async def test_the_inbox_counts_the_bytes_that_wait_and_hands_over_to_a_waiting_reader() -> None:
    inbox = Inbox()
    waiting = inbox.get()
    inbox.put_nowait("first", 10)
    assert waiting.result() == "first" and inbox.queued_bytes == 0  # handed over, never queued
    inbox.put_nowait("second", 10)
    inbox.put_nowait("third", 20)
    assert inbox.queued_bytes == 30
    assert (await asyncio.wait_for(inbox.get(), 1)) == "second" and inbox.queued_bytes == 20
    assert (await asyncio.wait_for(inbox.get(), 1)) == "third" and inbox.queued_bytes == 0
    cancelled = inbox.get()
    cancelled.cancel()
    inbox.put_nowait("fourth", 5)  # the reader went away: kept for the next one
    assert inbox.queued_bytes == 5
    assert (await asyncio.wait_for(inbox.get(), 1)) == "fourth"


def connected_protocol() -> tuple[DirectWebSocketProtocol, FakeTransport]:
    config = uvicorn.Config(Starlette(), log_level="critical")
    config.load()
    protocol = direct_protocol(frozenset({"/openvidu"}), lambda: None)(
        config=config, server_state=ServerState(), app_state={}
    )
    transport = FakeTransport()
    protocol.connection_made(transport)
    return protocol, transport


def message_arrives(protocol: DirectWebSocketProtocol, data: bytes, kind: str = "text") -> None:
    """What the protocol does once a whole message is read."""
    protocol.curr_msg_data_type = kind
    protocol.frames = [data]
    protocol.send_receive_event_to_app()


async def test_reading_pauses_only_when_the_waiting_messages_pass_the_bound() -> None:
    protocol, transport = connected_protocol()

    def arrive(size: int) -> None:
        message_arrives(protocol, b"x" * size)

    for _ in range(100):  # small messages one after another: never paused (uvicorn paused after each)
        arrive(100)
        assert (await protocol.receive())["text"] == "x" * 100
    assert transport.pauses == 0 and transport.resumes == 0
    arrive(40_000)
    arrive(30_000)
    assert transport.pauses == 1  # 70,000 bytes wait, over INBOX_PAUSE_BYTES
    assert len((await protocol.receive())["text"]) == 40_000
    assert transport.resumes == 0  # 70,000 still counted when that receive was asked for
    assert len((await protocol.receive())["text"]) == 30_000
    assert transport.resumes == 1 and not protocol.read_paused
    assert INBOX_PAUSE_BYTES < 70_000


async def test_a_text_message_is_offered_only_while_its_reader_waits_with_nothing_queued() -> None:
    protocol, _ = connected_protocol()
    offered: list[str] = []

    def handle_now(text: str) -> bool:
        offered.append(text)
        if text == "boom":
            raise RuntimeError("a failure in the handler's callback path")
        return text == "now"

    protocol.handle_now = handle_now
    message_arrives(protocol, b"first")  # nobody waits: queued as before
    assert offered == []
    assert (await protocol.receive())["text"] == "first"
    waiting = protocol.receive()
    assert protocol.queue.idle()
    message_arrives(protocol, b"now")  # handled in the callback: never queued, the reader still waits
    assert offered == ["now"] and not waiting.done() and protocol.queue.empty()
    message_arrives(protocol, b"later")  # declined: handed to the reader
    assert offered == ["now", "later"] and waiting.done() and waiting.result()["text"] == "later"
    message_arrives(protocol, b"queued")  # the reader has not come back yet: not offered
    assert offered == ["now", "later"]
    assert (await protocol.receive())["text"] == "queued"
    waiting = protocol.receive()
    message_arrives(protocol, b"boom")  # the callback path failed: the reader gets the message
    assert waiting.done() and waiting.result()["text"] == "boom"
    waiting = protocol.receive()
    message_arrives(protocol, b"now", kind="bytes")  # only text is offered
    assert waiting.done() and waiting.result()["bytes"] == b"now"
    assert offered == ["now", "later", "boom"]


async def test_the_writable_flag_wakes_every_waiting_send_when_set() -> None:
    flag = WritableFlag()
    assert flag.is_set()
    await asyncio.wait_for(flag.wait(), 1)  # set: no wait
    flag.clear()
    waiters = [asyncio.ensure_future(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    await asyncio.wait_for(asyncio.gather(*waiters), 1)
    flag.clear()
    again = asyncio.ensure_future(flag.wait())
    await asyncio.sleep(0)
    assert not again.done()
    again.cancel()
    flag.set()  # a cancelled waiter is skipped
    assert flag.is_set()
