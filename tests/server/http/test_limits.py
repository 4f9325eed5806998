"""The bounded HTTP protocol's shortcut for websocket upgrades: a first read that is one whole upgrade request goes
to the websocket protocol without h11 (which only parsed it to hand it on); anything else still goes through h11."""

from __future__ import annotations

import json
import socket
import ssl
import time

import pytest
import uvicorn
from starlette.applications import Starlette
from uvicorn.server import ServerState

from server.http.limits import BoundedH11Protocol, bounded_protocol, is_whole_websocket_upgrade
from tests.support.fake_transport import FakeTransport
from tests.support.rpc_client import insecure_ssl
from tests.support.server import ServerProcess

UPGRADE = (
    b"GET /openvidu HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@pytest.mark.parametrize(
    "data",
    [
        UPGRADE,
        UPGRADE.replace(b"Connection: Upgrade", b"connection: keep-alive, Upgrade"),
        UPGRADE.replace(b"Upgrade: websocket", b"UPGRADE:  WebSocket "),
    ],
)
def test_one_whole_upgrade_request_is_recognised(data: bytes) -> None:
    assert is_whole_websocket_upgrade(data)


@pytest.mark.parametrize(
    "data",
    [
        UPGRADE[:-2],  # headers not complete
        UPGRADE + b"GET / HTTP/1.1\r\n\r\n",  # something after it
        UPGRADE.replace(b"GET ", b"POST "),
        UPGRADE.replace(b"Connection: Upgrade", b"Connection: keep-alive"),
        UPGRADE.replace(b"Connection: Upgrade", b"Connection: upgrades"),
        UPGRADE.replace(b"Upgrade: websocket", b"Upgrade: h2c"),
        UPGRADE.replace(b"Host: 127.0.0.1", b"Host 127.0.0.1"),  # a line without a colon: h11 answers it
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
)
def test_anything_else_is_left_to_h11(data: bytes) -> None:
    assert not is_whole_websocket_upgrade(data)


async def fresh_protocol() -> tuple[BoundedH11Protocol, FakeTransport]:
    config = uvicorn.Config(Starlette(), ws="websockets-sansio", log_level="critical")
    config.load()
    protocol = bounded_protocol(100, 10.0)(config=config, server_state=ServerState(), app_state={})
    transport = FakeTransport()
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    return protocol, transport


async def test_a_whole_upgrade_request_skips_h11() -> None:
    protocol, transport = await fresh_protocol()
    protocol.data_received(UPGRADE)
    assert transport.protocol is not protocol  # handed to the websocket protocol
    assert protocol.conn.their_state.__name__ == "IDLE"  # h11 never read the request
    assert protocol not in protocol.connections and transport.protocol in protocol.connections
    assert protocol._header_timer is None


async def test_a_request_in_two_reads_goes_through_h11() -> None:
    protocol, transport = await fresh_protocol()
    protocol.data_received(UPGRADE[:40])
    assert transport.protocol is protocol and protocol._header_timer is not None
    protocol.data_received(UPGRADE[40:])
    assert transport.protocol is not protocol  # upgraded by uvicorn's own h11 path


def test_upgrades_split_or_whole_both_open_the_socket() -> None:
    """On the real server: the upgrade in one write (the shortcut) and in two writes (h11), then a ping."""
    with ServerProcess({}) as server:
        host, port = server.url.removeprefix("https://").split(":")
        for parts in ([UPGRADE], [UPGRADE[:50], UPGRADE[50:]]):
            with socket.create_connection((host, int(port)), timeout=5) as raw:
                tls = insecure_ssl().wrap_socket(raw, server_hostname=host)
                for part in parts:
                    tls.sendall(part)
                    if len(parts) > 1:
                        time.sleep(0.05)
                answer = tls.recv(4096)
                assert answer.startswith(b"HTTP/1.1 101 "), answer
                ping = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "ping", "params": {}}).encode()
                mask = b"\0\0\0\0"
                tls.sendall(bytes([0x81, 0x80 | len(ping)]) + mask + ping)
                frame = tls.recv(4096)
                assert json.loads(frame[2:]) == {"jsonrpc": "2.0", "id": 0, "result": {"value": "pong"}}


def test_a_bad_upgrade_request_gets_the_same_400_whole_or_split() -> None:
    bad = UPGRADE.replace(b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 12")
    answers = []
    with ServerProcess({}) as server:
        host, port = server.url.removeprefix("https://").split(":")
        for parts in ([bad], [bad[:50], bad[50:]]):
            with socket.create_connection((host, int(port)), timeout=5) as raw:
                tls: ssl.SSLSocket = insecure_ssl().wrap_socket(raw, server_hostname=host)
                for part in parts:
                    tls.sendall(part)
                    time.sleep(0.05)
                head, _, body = tls.recv(4096).partition(b"\r\n\r\n")
                lines = [line for line in head.split(b"\r\n") if not line.startswith(b"Date:")]
                answers.append((lines, body))
    assert answers[0] == answers[1]
    assert answers[0][0][0] == b"HTTP/1.1 400 Bad Request"
    assert (
        answers[0][1] == b"Failed to open a WebSocket connection: invalid Sec-WebSocket-Version header: 12.\n"
    )
