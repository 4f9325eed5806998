"""kms_client against real minikms processes over sockets: object types, events, concurrency,
media server killed and restarted, frozen, and a dropped socket resumed."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from kms_client import KmsPool, KurentoClient, errors, protocol
from kms_client.events import (
    ElementConnected,
    ElementDisconnected,
    ErrorEvent,
    KurentoEvent,
    ObjectCreated,
    ObjectDestroyed,
    Paused,
    Recording,
    Stopped,
    UriEndpointStateChanged,
)
from kms_client.lifecycle import Disconnected, LifecycleEvent, ReconnectedEmpty, ReconnectedSame, Unreachable
from kms_client.objects import (
    Composite,
    GStreamerFilter,
    HubPort,
    MediaPipeline,
    PassThrough,
    RecorderEndpoint,
    WebRtcEndpoint,
)
from kms_client.pool import MediaServer
from tests.support.procs import MinikmsProcess

from .tcp_proxy import TcpProxy

WAIT = 30.0  # generous: only bounds how long a failing test waits on a shared machine
SETTINGS = {
    "connect_timeout": 2.0,
    "request_timeout": 10.0,
    "ping_interval": 0.5,
    "ping_timeout": 4.0,  # generous: a spurious timeout on a busy machine would add notices
    "reconnect_window": 2.0,
    "reconnect_interval": 0.2,
    "retry_interval": 0.5,
    "close_timeout": 1.0,
}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module", params=["7.3.0", "6.18.0"])
def minikms(request: pytest.FixtureRequest) -> Iterator[MinikmsProcess]:
    with MinikmsProcess(kms_version=request.param) as proc:
        yield proc


@pytest.fixture
def own_minikms() -> Iterator[MinikmsProcess]:
    """A minikms this test may kill or freeze."""
    proc = MinikmsProcess()
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
async def client(minikms: MinikmsProcess) -> AsyncIterator[KurentoClient]:
    c = await KurentoClient.connect(minikms.uri, **SETTINGS)
    yield c
    await c.close()


async def _until(predicate: Callable[[], bool], timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


def _of(events: list[KurentoEvent], cls: type[KurentoEvent]) -> list[KurentoEvent]:
    return [e for e in events if isinstance(e, cls)]


async def test_server_info_and_manager(client: KurentoClient, minikms: MinikmsProcess) -> None:
    info = client.server_info
    assert info is not None and info.version == minikms.kms_version and info.type == "KMS"
    assert info.capabilities == ["transactions"]
    factories = {f for m in info.modules for f in m.factories}
    assert {
        "MediaPipeline",
        "WebRtcEndpoint",
        "PassThrough",
        "RecorderEndpoint",
        "Composite",
        "HubPort",
    } <= factories
    manager = client.server_manager
    assert (await manager.get_info()).version == minikms.kms_version
    assert await manager.get_used_memory() > 0
    assert await manager.get_cpu_count() >= 1
    pipe = await client.create_pipeline()
    try:
        assert pipe.id in await manager.get_pipelines()
        assert client.connection.session_id in await manager.get_sessions()
    finally:
        await pipe.release()


async def test_every_object_type(client: KurentoClient) -> None:
    pipe = await client.create_pipeline()
    assert re.fullmatch(UUID + r"_kurento\.MediaPipeline", pipe.id)
    webrtc = await pipe.create_webrtc_endpoint()
    passthrough = await pipe.create_pass_through()
    recorder = await pipe.create_recorder_endpoint(
        "file:///tmp/kms-client-never-recorded.webm", media_profile="WEBM"
    )
    composite = await pipe.create_composite()
    hub_port = await composite.create_hub_port()
    gst = await pipe.create_gstreamer_filter("videobalance saturation=0.0")
    with pytest.raises(errors.MediaObjectNotAvailableError) as missing:  # no face detector in minikms
        await pipe.create_face_overlay_filter()
    assert missing.value.code == 40108 and missing.value.message == "Factory 'FaceOverlayFilter' not found"
    generic = await pipe.create_element("GStreamerFilter", {"command": "videoflip method=1"})
    expected = [
        (webrtc, WebRtcEndpoint),
        (passthrough, PassThrough),
        (recorder, RecorderEndpoint),
        (composite, Composite),
        (hub_port, HubPort),
        (gst, GStreamerFilter),
        (generic, GStreamerFilter),
    ]
    for obj, cls in expected:
        assert isinstance(obj, cls)
        assert obj.id.startswith(pipe.id + "/")
        assert (await obj.describe())["type"] == cls.TYPE
    # a HubPort's parent is its hub: three id segments
    assert hub_port.id.startswith(composite.id + "/") and hub_port.id.count("/") == 2
    assert await hub_port.get_parent() == composite.id
    assert set(await pipe.get_children()) >= {webrtc.id, passthrough.id, recorder.id, composite.id, gst.id}

    await webrtc.set_name("stream-1")
    assert await webrtc.get_name() == "stream-1"
    assert await pipe.get_name() == pipe.id
    await webrtc.add_tag("k", "v")
    assert await webrtc.get_tag("k") == "v"
    assert [(t.key, t.value) for t in await webrtc.get_tags()] == [("k", "v")]
    await webrtc.set_max_video_recv_bandwidth(600)
    assert await webrtc.get_max_video_recv_bandwidth() == 600
    await webrtc.set_max_video_send_bandwidth(700)
    assert await webrtc.get_max_video_send_bandwidth() == 700
    await webrtc.set_min_video_send_bandwidth(100)
    await webrtc.set_min_video_recv_bandwidth(100)
    await webrtc.set_stun_server_address("127.0.0.1")
    assert await webrtc.get_stun_server_address() == "127.0.0.1"
    await webrtc.set_stun_server_port(3478)
    assert await webrtc.get_stun_server_port() == 3478
    await webrtc.set_max_encoder_bitrate(900000)
    await webrtc.set_min_encoder_bitrate(100000)
    assert await webrtc.get_max_encoder_bitrate() == 900000
    assert await webrtc.get_min_encoder_bitrate() == 100000
    await webrtc.set_external_ipv4("127.0.0.1")
    assert await webrtc.get_external_ipv4() == "127.0.0.1"
    assert await gst.get_command() == "videobalance saturation=0.0"
    assert await recorder.get_uri() == "file:///tmp/kms-client-never-recorded.webm"
    assert await recorder.get_state() == "STOP"
    assert await webrtc.get_media_state() == "DISCONNECTED"
    assert await webrtc.get_connection_state() == "DISCONNECTED"

    await webrtc.connect(passthrough)
    await passthrough.connect(hub_port)
    await hub_port.connect(recorder, "AUDIO")
    sinks = await webrtc.get_sink_connections()
    assert {(c.source, c.sink, c.type) for c in sinks} == {
        (webrtc.id, passthrough.id, t) for t in ("AUDIO", "VIDEO", "DATA")
    }
    await webrtc.disconnect(passthrough, "VIDEO")
    assert {c.type for c in await webrtc.get_sink_connections()} == {"AUDIO", "DATA"}
    assert isinstance(await webrtc.get_stats(), dict)

    with pytest.raises(errors.MalformedTransactionError) as unknown_op:
        await webrtc.invoke("noSuchOperation")
    assert unknown_op.value.code == 40008
    with pytest.raises(errors.MediaObjectNotAvailableError):
        await pipe.create_element("NoSuchFactory")

    await pipe.release()
    for obj, _ in expected:
        with pytest.raises(errors.MediaObjectNotFoundError) as gone:
            await obj.get_name()
        assert gone.value.code == 40101 and gone.value.error_type == "MEDIA_OBJECT_NOT_FOUND"
    await pipe.release()  # idempotent


async def test_element_and_manager_events(client: KurentoClient) -> None:
    events: list[KurentoEvent] = []
    manager_sub = await client.server_manager.on(ObjectCreated, events.append)
    await client.server_manager.on(ObjectDestroyed, events.append)
    pipe = await client.create_pipeline()
    a = await pipe.create_pass_through()
    b = await pipe.create_pass_through()
    await a.on(ElementConnected, events.append)
    await a.on(ElementDisconnected, events.append)
    await a.connect(b, "VIDEO")
    await a.disconnect(b, "VIDEO")
    await _until(lambda: bool(_of(events, ElementDisconnected)))
    connected = _of(events, ElementConnected)
    assert len(connected) == 1
    ev = connected[0]
    assert isinstance(ev, ElementConnected)
    assert (ev.source, ev.sink, ev.media_type) == (a.id, b.id, "VIDEO")
    assert ev.source_media_description == "default" and ev.sink_media_description == "default"
    assert isinstance(ev.timestamp_millis, int) and ev.timestamp_millis > 1_600_000_000_000
    created = {e.object_id for e in _of(events, ObjectCreated) if isinstance(e, ObjectCreated)}
    assert {pipe.id, a.id, b.id} <= created
    await client.server_manager.off(manager_sub)
    await b.release()
    await _until(lambda: any(isinstance(e, ObjectDestroyed) and e.object_id == b.id for e in events))
    count_created = len(_of(events, ObjectCreated))
    await pipe.create_pass_through()
    await pipe.release()
    await _until(lambda: any(isinstance(e, ObjectDestroyed) and e.object_id == pipe.id for e in events))
    assert len(_of(events, ObjectCreated)) == count_created  # unsubscribed


async def test_recorder_events(client: KurentoClient, tmp_path: Path) -> None:
    pipe = await client.create_pipeline()
    try:
        target = tmp_path / "rec.webm"
        recorder = await pipe.create_recorder_endpoint(target.as_uri(), media_profile="WEBM")
        events: list[KurentoEvent] = []
        for cls in (Recording, Paused, Stopped, UriEndpointStateChanged, ErrorEvent):
            await recorder.on(cls, events.append)
        await recorder.record()
        await _until(lambda: bool(_of(events, Recording)))
        await recorder.pause()
        await _until(lambda: bool(_of(events, Paused)))
        stopped = await recorder.expect(Stopped)
        await recorder.stop_and_wait(timeout=WAIT)
        assert (await stopped.wait(WAIT)).source == recorder.id
        await _until(lambda: bool(_of(events, Stopped)))
        states = [e.state for e in events if isinstance(e, UriEndpointStateChanged)]
        assert states[:3] == ["START", "PAUSE", "STOP"]
        assert not _of(events, ErrorEvent)

        bad = await pipe.create_recorder_endpoint("http://127.0.0.1:1/upload.webm")
        errors_seen: list[ErrorEvent] = []
        await bad.on(ErrorEvent, errors_seen.append)
        await bad.record()
        await _until(lambda: bool(errors_seen))
        assert errors_seen[0].error_type == "RESOURCE_ERROR_OPEN" and errors_seen[0].source == bad.id
    finally:
        await pipe.release()


async def test_generic_event_by_name(client: KurentoClient) -> None:
    pipe = await client.create_pipeline()
    try:
        a = await pipe.create_pass_through()
        b = await pipe.create_pass_through()
        got: list[KurentoEvent] = []
        await a.on_event("ElementConnected", got.append)
        await a.connect(b, "AUDIO")
        await _until(lambda: bool(got))
        assert isinstance(got[0], ElementConnected)
        with pytest.raises(errors.MediaObjectEventNotSupportedError) as unsupported:
            await a.on_event("NoSuchEvent", got.append)
        assert unsupported.value.code == 40106
    finally:
        await pipe.release()


async def test_transaction_with_newref(client: KurentoClient) -> None:
    results = await client.connection.transaction(
        [
            ("create", {"type": "MediaPipeline", "constructorParams": {}}),
            ("create", {"type": "PassThrough", "constructorParams": {"mediaPipeline": "newref:0"}}),
            ("invoke", {"object": "newref:1", "operation": "getName"}),
        ]
    )
    assert [type(r) for r in results] == [protocol.Response] * 3
    pipeline_id, passthrough_id, name = (r.value for r in results if isinstance(r, protocol.Response))
    assert passthrough_id.startswith(pipeline_id + "/") and name == passthrough_id
    assert await client.wrap(PassThrough, passthrough_id).get_name() == passthrough_id
    failing = await client.connection.transaction(
        [
            ("invoke", {"object": pipeline_id, "operation": "getName"}),
            ("invoke", {"object": pipeline_id, "operation": "noSuchOperation"}),
            ("invoke", {"object": pipeline_id, "operation": "getName"}),
        ]
    )
    assert len(failing) == 2  # stops at the first failing operation
    assert isinstance(failing[1], protocol.ErrorResponse) and failing[1].code == 40008
    await client.wrap(MediaPipeline, pipeline_id).release()


async def test_many_concurrent_requests(client: KurentoClient) -> None:
    pipe = await client.create_pipeline()
    try:
        endpoints = await asyncio.gather(*(pipe.create_webrtc_endpoint() for _ in range(40)))
        assert len({e.id for e in endpoints}) == 40
        await asyncio.gather(*(e.set_name(f"ep-{i}") for i, e in enumerate(endpoints)))
        names = await asyncio.gather(*(e.get_name() for e in endpoints for _ in range(10)))
        assert names == [f"ep-{i}" for i in range(40) for _ in range(10)]
        await asyncio.gather(*(e.release() for e in endpoints))
        assert await pipe.get_children() == []
    finally:
        await pipe.release()


async def test_sigkill_and_restart_reports_objects_lost(own_minikms: MinikmsProcess) -> None:
    notices: list[LifecycleEvent] = []
    async with KmsPool(**{**SETTINGS, "reconnect_window": WAIT}) as pool:  # type: ignore[arg-type]
        server = await pool.add(own_minikms.uri)
        pool.add_listener(lambda _s, n: notices.append(n))
        pipe = await server.client.create_pipeline()
        old_server_id = server.connection.server_id
        own_minikms.kill()
        await _until(lambda: any(isinstance(n, Disconnected) for n in notices))
        assert not server.connected and isinstance(server.disconnection_time, int)
        await asyncio.to_thread(own_minikms.start)
        await _until(lambda: any(isinstance(n, ReconnectedEmpty) for n in notices))
        assert [type(n) for n in notices] == [Disconnected, ReconnectedEmpty]
        empty = notices[-1]
        assert isinstance(empty, ReconnectedEmpty)
        assert empty.restarted and empty.previous_server_id == old_server_id != empty.server_id
        assert server.connected and server.disconnection_time is None
        with pytest.raises(errors.MediaObjectNotFoundError):
            await pipe.get_name()
        fresh = await server.client.create_pipeline()
        assert await fresh.get_name() == fresh.id


async def test_sigstop_detected_by_ping_and_requests_time_out(own_minikms: MinikmsProcess) -> None:
    notices: list[LifecycleEvent] = []
    async with KmsPool(**SETTINGS) as pool:  # type: ignore[arg-type]
        server = await pool.add(own_minikms.uri)
        pool.add_listener(lambda _s, n: notices.append(n))
        pipe = await server.client.create_pipeline()
        own_minikms.pause()
        try:
            with pytest.raises(errors.KmsTimeoutError):
                await server.client.connection.invoke(pipe.id, "getName", timeout=1.0)
            await _until(lambda: any(isinstance(n, Disconnected) for n in notices))
            first = notices[0]
            assert isinstance(first, Disconnected) and first.reason == "ping timeout"
            await _until(lambda: any(isinstance(n, Unreachable) for n in notices))
            with pytest.raises(errors.KmsUnreachableError):
                await pipe.get_name()
        finally:
            own_minikms.resume()
        await _until(lambda: any(isinstance(n, ReconnectedSame) for n in notices))
        assert [type(n) for n in notices] == [Disconnected, Unreachable, ReconnectedSame]
        assert await pipe.get_name() == pipe.id  # objects kept


async def test_dropped_socket_resumes_session_and_subscriptions(minikms: MinikmsProcess) -> None:
    proxy = await TcpProxy(minikms.port).start()
    notices: list[LifecycleEvent] = []
    try:
        async with KmsPool(**SETTINGS) as pool:  # type: ignore[arg-type]
            server: MediaServer = await pool.add(proxy.uri())
            pool.add_listener(lambda _s, n: notices.append(n))
            pipe = await server.client.create_pipeline()
            a = await pipe.create_pass_through()
            b = await pipe.create_pass_through()
            events: list[KurentoEvent] = []
            await a.on(ElementConnected, events.append)
            session = server.connection.session_id
            assert proxy.cut() >= 1
            await _until(lambda: any(isinstance(n, ReconnectedSame) for n in notices))
            assert [type(n) for n in notices] == [Disconnected, ReconnectedSame]
            assert server.connection.session_id == session
            await a.connect(b, "VIDEO")  # the old subscription delivers on the new socket
            await _until(lambda: bool(events))
            ev = events[0]
            assert isinstance(ev, ElementConnected) and ev.sink == b.id
            await pipe.release()
    finally:
        await proxy.stop()


async def test_pool_cpu_and_memory(minikms: MinikmsProcess) -> None:
    async with KmsPool(**SETTINGS) as pool:  # type: ignore[arg-type]
        server = await pool.add(minikms.uri)
        cpu, name = await asyncio.gather(server.used_cpu(300), server.client.server_manager.get_name())
        assert isinstance(cpu, float) and cpu >= 0.0
        assert name  # the main socket answered while getUsedCpu blocked the other one
        assert await server.used_memory() > 0
        assert server.info is not None and server.info.version == minikms.kms_version
        assert server.ip == "127.0.0.1" and server.uri == minikms.uri
