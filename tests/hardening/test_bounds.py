"""Issue 14 #7, bounds against real server processes: idle websockets closed after ``openvidu.rpc.join-timeout``,
slow-header connections closed after ``server.header-timeout`` while normal requests are answered, connections
over ``server.max-connections`` refused with a 503 (logged once with a counter), ICE candidates per participant
and their size bounded (memory growth under a flood bounded)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import psutil
import pytest

from tests.hardening.test_signaling_input import joined_client
from tests.support.participants import ws_url
from tests.support.procs import LOOPBACK, MinikmsProcess
from tests.support.rpc_client import RpcClient, RpcFailure
from tests.support.server import ServerProcess

JOIN_TIMEOUT = 1.0
HEADER_TIMEOUT = 1.0
MAX_CANDIDATES = 200


@pytest.fixture(scope="module")
def server(kms: MinikmsProcess) -> Iterator[ServerProcess]:
    overrides = {
        "kms.uris": [kms.uri],
        "server.ssl.enabled": False,
        "openvidu.rpc.join-timeout": JOIN_TIMEOUT,
        "server.header-timeout": HEADER_TIMEOUT,
        "openvidu.rpc.max-ice-candidates": MAX_CANDIDATES,
    }
    with ServerProcess(overrides) as srv:
        yield srv


def raw_connection(port: int, data: bytes = b"") -> socket.socket:
    sock = socket.create_connection((LOOPBACK, port), timeout=10)
    if data:
        sock.sendall(data)
    return sock


def closed_by_server(sock: socket.socket, timeout: float) -> bool:
    sock.settimeout(timeout)
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return True
    except TimeoutError:
        return False
    except ConnectionError:
        return True


async def test_websockets_that_never_join_are_closed(server: ServerProcess) -> None:
    idle = [await RpcClient(ws_url(server)).open() for _ in range(20)]
    for client in idle[:5]:
        await client.ping()  # pinging is not joining
    member = await joined_client(server)
    try:
        await asyncio.wait_for(asyncio.gather(*(c.closed.wait() for c in idle)), 10 * JOIN_TIMEOUT + 10)
        assert {c.close_code for c in idle} == {1008}
        await asyncio.sleep(JOIN_TIMEOUT)
        assert not member.closed.is_set()  # a participant that joined stays
        assert (await member.ping()) == {"value": "pong"}
    finally:
        await member.close()
    assert "Traceback" not in server.log_text()


def test_slow_headers_are_closed_while_normal_requests_are_answered(server: ServerProcess) -> None:
    slow = [raw_connection(server.port, b"GET /config HTTP/1.1\r\nHost: x\r\n") for _ in range(30)]
    idle = [raw_connection(server.port) for _ in range(10)]
    try:
        started = time.monotonic()
        with server.client(timeout=5) as client:
            assert client.get("/config").status_code == 200
        answered_in = time.monotonic() - started
        assert all(closed_by_server(sock, 10 * HEADER_TIMEOUT + 5) for sock in slow + idle)
    finally:
        for sock in slow + idle:
            sock.close()
    print(f"normal request answered in {answered_in * 1000:.0f} ms among 40 slow connections")
    log = server.log_text()
    assert "Traceback" not in log
    assert log.count("request headers not complete within server.header-timeout") <= 2  # a counter


def test_keep_alive_connection_with_a_stalled_second_request_is_closed(server: ServerProcess) -> None:
    sock = raw_connection(server.port, b"GET /config/openvidu-publicurl HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        sock.settimeout(5)
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /config/openvidu-publicurl HTTP/1.1\r\nHo")
        assert closed_by_server(sock, 10 * HEADER_TIMEOUT + 5)
    finally:
        sock.close()


async def test_ice_candidates_per_participant_and_their_size_are_bounded(server: ServerProcess) -> None:
    client = await joined_client(server)
    process = psutil.Process(server.proc.pid if server.proc else 0)
    try:
        big = await client.request(
            "onIceCandidate",
            {"endpointName": "e", "candidate": "c" * 100 * 1024, "sdpMid": "0", "sdpMLineIndex": 0},
        )
        assert "error" in big and "max-ice-candidate-size" in big["error"]["message"]
        rss_before = process.memory_info().rss
        answers = await asyncio.gather(
            *(
                client.request(
                    "onIceCandidate",
                    {
                        "endpointName": f"name-{i}",
                        "candidate": f"candidate:{i} 1 udp 2122260223 10.0.0.1 {i} typ host " + "x" * 800,
                        "sdpMid": "0",
                        "sdpMLineIndex": 0,
                    },
                    timeout=60,
                )
                for i in range(3000)
            )
        )
        growth = process.memory_info().rss - rss_before
        accepted = sum("result" in a for a in answers)
        refused = [a for a in answers if "error" in a]
        assert accepted == MAX_CANDIDATES
        assert refused and all("max-ice-candidates" in a["error"]["message"] for a in refused)
        assert growth < 16 * 1024 * 1024, growth
        print(f"RSS growth over 3000 candidates (cap {MAX_CANDIDATES}): {growth / 1024:.0f} KiB")
        with pytest.raises(RpcFailure):
            await client.call(
                "onIceCandidate", {"endpointName": "n", "candidate": "c", "sdpMid": "0", "sdpMLineIndex": 0}
            )
        assert (await client.ping()) == {"value": "pong"}
    finally:
        await client.close()


async def test_a_frame_over_the_size_limit_closes_only_its_socket(server: ServerProcess) -> None:
    client = await RpcClient(ws_url(server)).open()
    other = await RpcClient(ws_url(server)).open()
    try:
        assert client.ws is not None
        await client.ws.send(
            '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' + "a" * 2 * 1024 * 1024 + '"}}'
        )
        await asyncio.wait_for(client.closed.wait(), 10)
        assert client.close_code == 1009
        assert (await other.ping()) == {"value": "pong"}
    finally:
        await client.close()
        await other.close()


def test_an_oversized_frame_still_being_sent_gets_the_close_frame_not_a_reset(server: ServerProcess) -> None:
    """The server answers an oversized frame with close 1009 while the peer is still sending it: the peer's send
    completes and it reads the close frame then an EOF. Closing at once with the frame unread made the kernel
    reset the connection: the send failed, and the close frame could be lost."""
    upgrade = (
        b"GET /openvidu HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    size = 8 << 20  # more than the sockets' buffers hold
    for _ in range(3):
        with raw_connection(server.port, upgrade) as sock:
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(4096)
            assert head.startswith(b"HTTP/1.1 101 ")
            sock.sendall(bytes([0x81, 0x80 | 127]) + size.to_bytes(8, "big") + b"\0\0\0\0" + b"a" * size)
            sock.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
            assert answer[:2] == bytes([0x88, len(answer) - 2])  # one close frame, then the EOF
            assert int.from_bytes(answer[2:4], "big") == 1009


def test_connections_over_the_cap_are_refused_with_503(tmp_path: object) -> None:
    with ServerProcess({"server.ssl.enabled": False, "server.max-connections": 10}) as srv:
        held = [raw_connection(srv.port) for _ in range(10)]
        try:
            time.sleep(0.3)
            extra = [raw_connection(srv.port) for _ in range(20)]
            for sock in extra:
                sock.settimeout(5)
                assert sock.recv(4096).startswith(b"HTTP/1.1 503")
                sock.close()
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.3)
        with srv.client(timeout=5) as client:
            assert client.get("/config").status_code == 200
        log = srv.log_text()
    assert "Traceback" not in log
    assert 1 <= log.count("refused over server.max-connections") <= 2


def test_garbage_requests_are_400_and_logged_with_a_counter(server: ServerProcess) -> None:
    for _ in range(30):
        with raw_connection(server.port, b"\x00\x01 garbage \r\n\r\n") as sock:
            sock.settimeout(5)
            assert sock.recv(4096).startswith(b"HTTP/1.1 400")
    log = server.log_text()
    assert log.count("Invalid HTTP request received.") == 0
    assert 1 <= log.count("invalid HTTP requests received") <= 2
