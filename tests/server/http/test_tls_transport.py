"""The lean TLS transport (:mod:`server.http.tls_transport`) on a real loop and real sockets: a TLS server made by
``loop.create_server(ssl=...)`` on :class:`TLSSocketEventLoop`, blocking TLS clients in threads."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.http.tls import PLAIN_HTTP_ON_TLS_RESPONSE, make_self_signed
from server.http.tls_transport import TLSSocketEventLoop, TLSSocketTransport
from tests.support.rpc_client import insecure_ssl
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    folder: Path = tmp_path_factory.mktemp("tls")
    make_self_signed(folder / "cert.pem", folder / "key.pem", [])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    ctx.num_tickets = 0
    return ctx


def client_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Recorder(asyncio.Protocol):
    """Records what the transport tells it; echoes if asked."""

    def __init__(self, echo: bool = False) -> None:
        self.echo = echo
        self.transport: Any = None
        self.received = bytearray()
        self.events: list[str] = []
        self.lost = asyncio.get_event_loop().create_future()
        self.made = asyncio.get_event_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.events.append("made")
        self.made.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.received += data
        self.events.append("data")
        if self.echo:
            self.transport.write(data)

    def eof_received(self) -> bool | None:
        self.events.append("eof")
        return None

    def pause_writing(self) -> None:
        self.events.append("pause")

    def resume_writing(self) -> None:
        self.events.append("resume")

    def connection_lost(self, exc: Exception | None) -> None:
        self.events.append("lost")
        if not self.lost.done():
            self.lost.set_result(exc)


class Harness:
    """A loop in its own thread serving TLS with :class:`Recorder` protocols."""

    def __init__(
        self,
        context: ssl.SSLContext,
        echo: bool = False,
        kind: type[Recorder] = Recorder,
        **server_kwargs: Any,
    ) -> None:
        self.loop = TLSSocketEventLoop()
        self.protocols: list[Recorder] = []
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        def factory() -> Recorder:
            protocol = kind(echo)
            self.protocols.append(protocol)
            return protocol

        self.server = self.run(self.loop.create_server(factory, "127.0.0.1", 0, ssl=context, **server_kwargs))
        self.port = self.server.sockets[0].getsockname()[1]

    def run(self, coro: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], Any]) -> Any:
        async def inside() -> Any:
            return fn()

        return self.run(inside())

    def wait_for(self, what: Callable[[], bool], timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not self.call(what):
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.01)

    def connect(self) -> ssl.SSLSocket:
        raw = socket.create_connection(("127.0.0.1", self.port), 10)
        return client_context().wrap_socket(raw, suppress_ragged_eofs=False)

    def close(self) -> None:
        self.call(self.server.close)
        self.run(self.server.wait_closed())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def harness(context: ssl.SSLContext) -> Iterator[Harness]:
    h = Harness(context, echo=True)
    yield h
    h.close()


def test_messages_go_both_ways_after_the_handshake(harness: Harness) -> None:
    with harness.connect() as tls:
        for size in (1, 100, 16384, 70000):
            payload = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
            tls.sendall(payload)
            got = bytearray()
            while len(got) < size:
                got += tls.recv(65536)
            assert bytes(got) == payload
        protocol = harness.protocols[0]
        transport = protocol.transport
        assert isinstance(transport, TLSSocketTransport)
        assert protocol.events[0] == "made"
        assert harness.call(lambda: transport.get_extra_info("ssl_object").version()) == "TLSv1.3"
        assert harness.call(lambda: transport.get_extra_info("sslcontext")) is not None
        sockname = harness.call(lambda: transport.get_extra_info("socket").getsockname())
        assert sockname == ("127.0.0.1", harness.port)
        assert harness.call(lambda: transport.get_extra_info("sockname")) == sockname
        assert harness.call(lambda: transport.get_extra_info("peername")) == tls.getsockname()
        assert harness.call(lambda: transport.get_extra_info("nothing-such", 7)) == 7


def test_a_peer_close_gives_eof_then_connection_lost(harness: Harness) -> None:
    with harness.connect() as tls:
        tls.sendall(b"hello")
        assert tls.recv(100) == b"hello"
        tls.unwrap()  # close_notify
    harness.wait_for(lambda: harness.protocols[0].lost.done())
    assert harness.protocols[0].events[-2:] == ["eof", "lost"]
    assert harness.call(lambda: harness.protocols[0].lost.result()) is None


def test_a_close_sends_what_is_pending_then_a_clean_tls_close(context: ssl.SSLContext) -> None:
    h = Harness(context)
    try:
        body = hashlib.sha256(b"seed").digest() * 200_000  # 6.4 MB: more than the socket takes at once
        with h.connect() as tls:
            h.wait_for(lambda: bool(h.protocols) and h.protocols[0].transport is not None)
            transport = h.protocols[0].transport

            def write_and_close() -> int:
                transport.write(body)
                size = int(transport.get_write_buffer_size())
                transport.close()
                assert transport.is_closing()
                return size

            assert h.call(write_and_close) > 0  # it had to wait for the socket
            got = bytearray()
            while True:
                chunk = tls.recv(1 << 20)  # suppress_ragged_eofs=False: a missing close_notify would raise
                if not chunk:
                    break
                got += chunk
            assert bytes(got) == body
            tls.unwrap()
        h.wait_for(lambda: h.protocols[0].lost.done())
        events = h.protocols[0].events
        assert events.index("pause") < events.index("resume") < events.index("lost")
    finally:
        h.close()


class SaysByeAndCloses(Recorder):
    """Answers the first data with a last word and closes, as a websocket refusing an oversized frame does."""

    def data_received(self, data: bytes) -> None:
        if not self.received:
            self.transport.write(b"bye")
            self.transport.close()
        super().data_received(data)


def test_a_close_while_the_peer_still_sends_loses_nothing_it_was_sent(context: ssl.SSLContext) -> None:
    """The peer's data after the close is read and dropped until the peer's own close: closing the socket with
    unread bytes would reset the connection, and the peer could lose the last word and fail its send."""
    h = Harness(context, kind=SaysByeAndCloses)
    try:
        for _ in range(3):
            with h.connect() as tls:
                tls.sendall(b"first")
                tls.sendall(
                    b"x" * (8 << 20)
                )  # 8 MB after the server closed: more than the socket buffers hold
                got = b""
                while chunk := tls.recv(
                    4096
                ):  # a missing close_notify would raise (suppress_ragged_eofs off)
                    got += chunk
                assert got == b"bye"
                tls.unwrap()
    finally:
        h.close()


def test_a_close_to_a_peer_that_reads_nothing_ends_at_the_shutdown_timeout(context: ssl.SSLContext) -> None:
    h = Harness(context, ssl_shutdown_timeout=0.5)
    try:
        with h.connect() as tls:
            tls.sendall(b"x")
            h.wait_for(lambda: bool(h.protocols) and bool(h.protocols[0].received))
            protocol = h.protocols[0]

            def flood_and_close() -> None:
                protocol.transport.write(b"z" * (16 << 20))  # more than the sockets hold: the flush waits
                protocol.transport.close()

            h.call(flood_and_close)
            started = time.monotonic()
            h.wait_for(lambda: protocol.lost.done(), timeout=5)
            assert time.monotonic() - started < 3
    finally:
        h.close()


def test_reading_paused_holds_data_until_resumed(harness: Harness) -> None:
    harness.protocols.clear()
    with harness.connect() as tls:
        tls.sendall(b"first")
        assert tls.recv(100) == b"first"
        protocol = harness.protocols[0]
        harness.call(protocol.transport.pause_reading)
        assert harness.call(protocol.transport.is_reading) is False
        tls.sendall(b"second")
        time.sleep(0.2)
        assert harness.call(lambda: bytes(protocol.received)) == b"first"
        harness.call(protocol.transport.resume_reading)
        assert tls.recv(100) == b"second"


def test_a_plain_http_request_is_answered_that_tls_is_required(harness: Harness) -> None:
    with socket.create_connection(("127.0.0.1", harness.port), 10) as raw:
        raw.sendall(b"GET /config HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := raw.recv(4096):
            answer += chunk
    assert answer == PLAIN_HTTP_ON_TLS_RESPONSE
    assert harness.protocols == [] or harness.protocols[0].events == []


def test_a_silent_handshake_is_cut_at_the_timeout(context: ssl.SSLContext) -> None:
    h = Harness(context, ssl_handshake_timeout=0.3)
    try:
        with socket.create_connection(("127.0.0.1", h.port), 10) as raw:
            started = time.monotonic()
            raw.settimeout(5)
            assert raw.recv(100) == b""  # closed by the server
            assert time.monotonic() - started < 3
        assert all(p.events == [] for p in h.protocols)  # never connection_made
        # the accepted connection is forgotten: the server closes without waiting for it
        h.call(h.server.close)
        h.run(h.server.wait_closed(), timeout=3)
    finally:
        h.close()


def test_a_failed_handshake_closes_without_reaching_the_protocol(harness: Harness) -> None:
    with socket.create_connection(("127.0.0.1", harness.port), 10) as raw:
        raw.sendall(b"\x16\x03\x01\x00\x05garbage-not-a-client-hello")
        raw.settimeout(5)
        with _closed():
            while raw.recv(4096):
                pass
    assert all(p.events == [] for p in harness.protocols)


class _closed:
    """Reading until the server closes: an EOF, a reset after an alert, or a TLS stream cut without its
    close_notify (an abort)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        return kind is None or issubclass(kind, (ConnectionResetError, ssl.SSLEOFError))


def test_abort_closes_at_once_and_the_protocol_hears_it(harness: Harness) -> None:
    with harness.connect() as tls:
        tls.sendall(b"x")
        assert tls.recv(10) == b"x"
        protocol = harness.protocols[0]
        harness.call(protocol.transport.abort)
        harness.wait_for(lambda: protocol.lost.done())
        assert protocol.events[-1] == "lost"
        tls.settimeout(5)
        with _closed():
            assert tls.recv(10) == b""


def test_writes_after_close_are_dropped(harness: Harness) -> None:
    with harness.connect() as tls:
        tls.sendall(b"x")
        assert tls.recv(10) == b"x"
        transport = harness.protocols[0].transport

        def close_then_write() -> None:
            transport.close()
            transport.write(b"late")

        harness.call(close_then_write)
        assert tls.recv(10) == b""  # the TLS close, nothing after it


def test_write_buffer_limits(harness: Harness) -> None:
    with harness.connect() as tls:
        tls.sendall(b"x")
        assert tls.recv(10) == b"x"
        transport = harness.protocols[0].transport
        harness.call(lambda: transport.set_write_buffer_limits(high=1000))
        assert harness.call(transport.get_write_buffer_limits) == (250, 1000)
        with pytest.raises(ValueError):
            harness.call(lambda: transport.set_write_buffer_limits(high=10, low=20))


@pytest.mark.parametrize("transport", ["socket", "asyncio"])
def test_the_server_serves_https_and_websockets_on_either_transport(transport: str) -> None:
    """The real server with ``server.tls-transport``: the same answers over either TLS transport."""
    with ServerProcess({"server.tls-transport": transport, "logging.level.root": "info"}) as server:
        assert f"{transport} TLS transport" in server.log_text()
        with server.client() as http:
            answer = http.get("/config")
            assert answer.status_code == 200
            assert answer.json()["version"]
            body = http.get("/config").content  # keep-alive: a second request on the same connection
            assert body == answer.content
        host, port = server.url.removeprefix("https://").split(":")
        with insecure_ssl().wrap_socket(socket.create_connection((host, int(port)), 10)) as tls:
            tls.sendall(
                b"GET /openvidu HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            assert tls.recv(4096).startswith(b"HTTP/1.1 101 ")
            ping = b'{"jsonrpc":"2.0","method":"ping","params":{"interval":5000},"id":1}'
            tls.sendall(bytes([0x81, 0x80 | 126]) + len(ping).to_bytes(2, "big") + b"\0\0\0\0" + ping)
            frame = tls.recv(4096)
            assert frame[0] == 0x81 and b'"value":"pong"' in frame
        with socket.create_connection((host, int(port)), 10) as raw:
            raw.sendall(b"GET /config HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer_bytes = b""
            while chunk := raw.recv(4096):
                answer_bytes += chunk
            assert answer_bytes == PLAIN_HTTP_ON_TLS_RESPONSE
        assert "Traceback" not in server.log_text()
