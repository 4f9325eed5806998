"""kms_client.connection alone, against the small in-process FakeKms over a loopback socket."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kms_client import errors, protocol
from kms_client.connection import KmsConnection
from kms_client.lifecycle import (
    ConnectionState,
    Disconnected,
    LifecycleEvent,
    ReconnectedEmpty,
    ReconnectedSame,
    Unreachable,
)
from kms_client.protocol import EventNotification

from .fake_kms import FakeKms

# generous limits: the machine is shared, these only bound how long a failing test waits
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
async def kms() -> AsyncIterator[FakeKms]:
    server = await FakeKms().start()
    yield server
    await server.stop()


async def _open(uri: str, **overrides: float | None) -> KmsConnection:
    conn = KmsConnection(uri, **{**FAST, **overrides})  # type: ignore[arg-type]
    await conn.open()
    return conn


async def _until(predicate: Callable[[], bool], timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


def _recorder(notices: list[LifecycleEvent]) -> Callable[[LifecycleEvent], None]:
    return notices.append


async def test_open_runs_connect_and_get_info(kms: FakeKms) -> None:
    conn = await _open(kms.uri)
    try:
        assert conn.state is ConnectionState.CONNECTED
        assert conn.server_id == kms.server_id
        assert conn.session_id in kms.known_sessions
        assert conn.server_info is not None and conn.server_info.version == "7.3.0"
        assert conn.server_major == 7
        assert isinstance(conn.connection_time, int) and conn.connection_time > 1_600_000_000_000
        assert kms.received[0] == {"jsonrpc": "2.0", "id": 1, "method": "connect"}
        assert kms.received[1]["params"]["operation"] == "getInfo"
        assert kms.received[1]["params"]["sessionId"] == conn.session_id
    finally:
        await conn.close()
    assert conn.state is ConnectionState.CLOSED


async def test_unreachable_on_open() -> None:
    server = await FakeKms().start()
    uri = server.uri
    await server.stop()
    conn = KmsConnection(uri, **FAST)  # type: ignore[arg-type]
    with pytest.raises(errors.KmsUnreachableError):
        await conn.open()


async def test_many_concurrent_requests_are_correlated(kms: FakeKms) -> None:
    conn = await _open(kms.uri)
    try:
        pipeline = await conn.create("MediaPipeline")
        results = await asyncio.gather(*(conn.invoke(pipeline, "echo", {"n": i}) for i in range(300)))
        assert results == [{"n": i} for i in range(300)]
    finally:
        await conn.close()


async def test_error_replies_raise_typed_errors(kms: FakeKms) -> None:
    conn = await _open(kms.uri)
    try:
        pipeline = await conn.create("MediaPipeline")
        with pytest.raises(errors.MalformedTransactionError) as bad_op:
            await conn.invoke(pipeline, "noSuchOperation")
        assert bad_op.value.code == 40008
        assert bad_op.value.message == "Method 'noSuchOperation' with 0 parameters not found"
        assert bad_op.value.error_type == "MALFORMED_TRANSACTION"
        await conn.release(pipeline)
        with pytest.raises(errors.MediaObjectNotFoundError) as gone:
            await conn.invoke(pipeline, "echo")
        assert gone.value.code == 40101
        assert pipeline in gone.value.message
    finally:
        await conn.close()


async def test_request_times_out_instead_of_hanging(kms: FakeKms) -> None:
    conn = await _open(kms.uri, ping_interval=None)
    try:
        pipeline = await conn.create("MediaPipeline")
        kms.freeze = True
        with pytest.raises(errors.KmsTimeoutError):
            await conn.invoke(pipeline, "echo", timeout=0.3)
        # the connection stays usable for later requests once the server answers again
        kms.freeze = False
        assert await conn.invoke(pipeline, "echo", {"a": 1}) == {"a": 1}
    finally:
        await conn.close()


async def test_events_routed_by_object_and_type(kms: FakeKms) -> None:
    conn = await _open(kms.uri)
    try:
        pipe = await conn.create("MediaPipeline")
        a = await conn.create("PassThrough", {"mediaPipeline": pipe})
        b = await conn.create("PassThrough", {"mediaPipeline": pipe})
        got: list[tuple[str, str, str]] = []

        def record(tag: str) -> Callable[[EventNotification], None]:
            return lambda ev: got.append((tag, ev.object_id, ev.type))

        cb_a = record("a")
        sub_a = await conn.subscribe(a, "ElementConnected", "ElementConnected", cb_a)
        await conn.subscribe(b, "ElementConnected", "ElementConnected", record("b"))
        await conn.subscribe(a, "Error", "Error", record("a-err"))
        assert await kms.emit(a, "ElementConnected", {"source": a}) == 1
        assert await kms.emit(b, "ElementConnected", {"source": b}) == 1
        await _until(lambda: len(got) == 2)
        assert got == [("a", a, "ElementConnected"), ("b", b, "ElementConnected")]
        await conn.unsubscribe(a, "ElementConnected", sub_a, cb_a)
        await conn.subscribe(b, "Error", "Error", record("b-err"))
        await kms.emit(b, "Error", {"source": b})
        await _until(lambda: len(got) == 3)
        assert got[2] == ("b-err", b, "Error")
    finally:
        await conn.close()


async def test_events_before_replies_are_delivered(kms: FakeKms) -> None:
    conn = await _open(kms.uri)
    try:
        pipe = await conn.create("MediaPipeline")
        got: list[str] = []
        # the fake sends the first "Early" event before the subscribe reply
        await conn.subscribe(pipe, "Early", "Early", lambda ev: got.append(ev.data["timestampMillis"]))
        assert got == ["2"]
        await conn.subscribe(pipe, "Late", "Late", lambda ev: got.append(ev.type))
        # and "emitFirst" sends the event before the invoke reply
        await conn.invoke(pipe, "emitFirst", {"type": "Late"})
        assert got == ["2", "Late"]
    finally:
        await conn.close()


async def test_6x_event_names_routed_to_canonical_name(kms: FakeKms) -> None:
    kms.version = "6.18.0"
    conn = await _open(kms.uri)
    try:
        assert conn.server_major == 6
        pipe = await conn.create("MediaPipeline")
        ep = await conn.create("WebRtcEndpoint", {"mediaPipeline": pipe})
        got: list[str] = []
        await conn.subscribe(
            ep, "IceComponentStateChanged", "IceComponentStateChange", lambda ev: got.append(ev.type)
        )
        assert ("IceComponentStateChange" in {k[2] for k in kms.subscriptions}) is True
        await kms.emit(ep, "IceComponentStateChange", {"source": ep, "state": "GATHERING"})
        await _until(lambda: got == ["IceComponentStateChange"])
    finally:
        await conn.close()


async def test_dropped_socket_resumes_same_session_with_subscriptions(kms: FakeKms) -> None:
    conn = await _open(kms.uri)
    notices: list[LifecycleEvent] = []
    conn.add_listener(_recorder(notices))
    try:
        pipe = await conn.create("MediaPipeline")
        got: list[str] = []
        await conn.subscribe(pipe, "Error", "Error", lambda ev: got.append(ev.data["description"]))
        session = conn.session_id
        await kms.drop()
        await _until(lambda: any(isinstance(n, ReconnectedSame) for n in notices))
        assert isinstance(notices[0], Disconnected)
        assert isinstance(notices[1], ReconnectedSame)
        assert notices[1].session_id == session and notices[1].server_id == kms.server_id
        assert conn.session_id == session
        assert conn.disconnection_time is None and conn.connected
        resumed = [m for m in kms.received if m["method"] == "connect" and m.get("params")]
        assert resumed and resumed[-1]["params"] == {"sessionId": session}
        # the object is still there and the subscription still delivers on the new socket
        assert await conn.invoke(pipe, "echo", {"x": 1}) == {"x": 1}
        await kms.emit(pipe, "Error", {"source": pipe, "description": "after"})
        await _until(lambda: got == ["after"])
        # request ids never restart (the server's duplicate cache is keyed by session and id)
        ids = [m["id"] for m in kms.received]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
    finally:
        await conn.close()


async def test_in_flight_request_is_resent_with_same_id_after_resume(kms: FakeKms) -> None:
    conn = await _open(kms.uri, request_timeout=5.0)
    try:
        pipe = await conn.create("MediaPipeline")
        kms.freeze = True
        call = asyncio.ensure_future(conn.invoke(pipe, "echo", {"resent": True}))
        await _until(
            lambda: any(m.get("params", {}).get("operationParams") == {"resent": True} for m in kms.received)
        )
        await kms.drop()
        kms.freeze = False
        assert await asyncio.wait_for(call, WAIT) == {"resent": True}
        sends = [m for m in kms.received if m.get("params", {}).get("operationParams") == {"resent": True}]
        assert len(sends) == 2 and sends[0]["id"] == sends[1]["id"]
    finally:
        await conn.close()


async def test_restarted_server_reported_empty(kms: FakeKms) -> None:
    conn = await _open(kms.uri)
    notices: list[LifecycleEvent] = []
    conn.add_listener(_recorder(notices))
    try:
        pipe = await conn.create("MediaPipeline")
        old_server, old_session = conn.server_id, conn.session_id
        kms.restart()
        await kms.drop()
        await _until(lambda: any(isinstance(n, ReconnectedEmpty) for n in notices))
        empty = notices[-1]
        assert isinstance(empty, ReconnectedEmpty)
        assert empty.restarted is True
        assert empty.previous_server_id == old_server and empty.server_id == kms.server_id != old_server
        assert conn.session_id != old_session and conn.session_id in kms.known_sessions
        with pytest.raises(errors.MediaObjectNotFoundError):
            await conn.invoke(pipe, "echo")
    finally:
        await conn.close()


async def test_forgotten_session_same_server_reported_empty_not_restarted(kms: FakeKms) -> None:
    conn = await _open(kms.uri)
    notices: list[LifecycleEvent] = []
    conn.add_listener(_recorder(notices))
    try:
        kms.known_sessions.clear()  # e.g. garbage-collected after a long outage
        await kms.drop()
        await _until(lambda: any(isinstance(n, ReconnectedEmpty) for n in notices))
        empty = notices[-1]
        assert isinstance(empty, ReconnectedEmpty) and empty.restarted is False
    finally:
        await conn.close()


async def test_frozen_server_detected_by_ping(kms: FakeKms) -> None:
    conn = await _open(kms.uri)
    notices: list[LifecycleEvent] = []
    conn.add_listener(_recorder(notices))
    try:
        pipe = await conn.create("MediaPipeline")
        kms.freeze = True
        await _until(lambda: any(isinstance(n, Disconnected) for n in notices))
        first = notices[0]
        assert isinstance(first, Disconnected) and first.reason == "ping timeout"
        assert conn.disconnection_time is not None
        kms.freeze = False
        await _until(lambda: any(isinstance(n, ReconnectedSame) for n in notices))
        assert await conn.invoke(pipe, "echo", {"ok": 1}) == {"ok": 1}
    finally:
        await conn.close()


async def test_unreachable_then_back(kms: FakeKms) -> None:
    conn = await _open(kms.uri)
    notices: list[LifecycleEvent] = []
    conn.add_listener(_recorder(notices))
    try:
        port = kms.port
        await kms.drop()
        await kms.stop()
        await _until(lambda: any(isinstance(n, Unreachable) for n in notices))
        assert conn.state is ConnectionState.UNREACHABLE
        unreachable = next(n for n in notices if isinstance(n, Unreachable))
        assert unreachable.at - unreachable.disconnected_at >= FAST["reconnect_window"] * 1000 * 0.9  # type: ignore[operator]
        with pytest.raises(errors.KmsUnreachableError):
            await conn.invoke("manager_ServerManager", "getInfo")
        kms.restart()
        await kms.start(port)
        await _until(lambda: isinstance(notices[-1], ReconnectedEmpty))
        assert conn.connected
        info = await conn.invoke(protocol.SERVER_MANAGER_ID, "getInfo")
        assert info.version == "7.3.0"
    finally:
        await conn.close()


async def test_requests_beyond_max_pending_fail_at_once_and_the_link_stays(kms: FakeKms) -> None:
    conn = await _open(kms.uri, ping_interval=None, max_pending=2)
    try:
        pipeline = await conn.create("MediaPipeline")
        slow = [asyncio.create_task(conn.invoke(pipeline, "sleep", {"seconds": 0.3})) for _ in range(2)]
        await _until(lambda: conn.session_state.pending_count == 2)
        with pytest.raises(errors.KmsTooManyRequestsError):
            await conn.invoke(pipeline, "echo")
        assert await asyncio.gather(*slow) == [None, None]
        assert await conn.invoke(pipeline, "echo", {"a": 1}) == {"a": 1}
        assert conn.connected and conn.session_state.pending_count == 0
    finally:
        await conn.close()


async def test_close_fails_pending_and_is_bounded(kms: FakeKms) -> None:
    conn = await _open(kms.uri, ping_interval=None, request_timeout=30.0)
    pipe = await conn.create("MediaPipeline")
    kms.freeze = True
    call = asyncio.ensure_future(conn.invoke(pipe, "echo"))
    await asyncio.sleep(0.1)
    async with asyncio.timeout(WAIT):
        await conn.close()
    with pytest.raises(errors.KmsClosedError):
        await call
    with pytest.raises(errors.KmsClosedError):
        await conn.invoke(pipe, "echo")


def _self_signed(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate for 127.0.0.1, and a client
    context that trusts exactly that certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "minikms-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


async def test_secure_websocket_with_trusted_self_signed_certificate(tmp_path: Path) -> None:
    server_ctx, client_ctx = _self_signed(tmp_path)
    kms = await FakeKms(ssl_context=server_ctx).start()
    try:
        assert kms.uri.startswith("wss://")
        untrusted = KmsConnection(kms.uri, **FAST)  # type: ignore[arg-type]
        with pytest.raises(errors.KmsUnreachableError):
            await untrusted.open()
        conn = KmsConnection(kms.uri, ssl_context=client_ctx, **FAST)  # type: ignore[arg-type]
        await conn.open()
        try:
            pipe = await conn.create("MediaPipeline")
            assert await conn.invoke(pipe, "echo", {"tls": True}) == {"tls": True}
        finally:
            await conn.close()
    finally:
        await kms.stop()
