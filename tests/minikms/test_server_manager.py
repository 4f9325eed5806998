"""ServerManager and version-specific behaviour of a real minikms process (7.3.0 and 6.18.0)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator

import psutil
import pytest

from tests.minikms.kms_wire import RawKms
from tests.support.procs import MinikmsProcess

MANAGER = "manager_ServerManager"


@pytest.fixture(scope="module")
def kms7() -> Iterator[MinikmsProcess]:
    with MinikmsProcess(kms_version="7.3.0") as proc:
        yield proc


@pytest.fixture(scope="module")
def kms6() -> Iterator[MinikmsProcess]:
    with MinikmsProcess(kms_version="6.18.0") as proc:
        yield proc


@pytest.mark.parametrize("version", ["7.3.0", "6.18.0"])
async def test_get_info(version: str, kms7: MinikmsProcess, kms6: MinikmsProcess) -> None:
    proc = kms7 if version == "7.3.0" else kms6
    async with RawKms(proc.uri) as c:
        info = await c.invoke(MANAGER, "getInfo")
        assert info["__module__"] == "kurento" and info["__type__"] == "ServerInfo"
        assert info["version"] == version and info["type"] == "KMS"
        assert info["capabilities"] == ["transactions"]
        modules = {m["name"]: m for m in info["modules"]}
        assert set(modules) == {"core", "elements", "filters"}
        for module in modules.values():
            assert module["__type__"] == "ModuleInfo" and module["version"] == version
            assert module["factories"] == sorted(module["factories"])
            assert isinstance(module["generationTime"], str)
        assert modules["core"]["factories"] == ["HubPort", "MediaPipeline", "PassThrough"]
        assert {"WebRtcEndpoint", "RecorderEndpoint", "Composite"} <= set(modules["elements"]["factories"])
        assert "GStreamerFilter" in modules["filters"]["factories"]
        assert "FaceOverlayFilter" not in modules["filters"]["factories"]


async def test_pipelines_and_sessions(kms7: MinikmsProcess) -> None:
    async with RawKms(kms7.uri) as a, RawKms(kms7.uri) as b:
        pa = await a.create("MediaPipeline")
        pb = await b.create("MediaPipeline")
        session_a = (await a.result("ping"))["sessionId"]
        session_b = (await b.result("ping"))["sessionId"]
        pipelines = await a.invoke(MANAGER, "getPipelines")
        assert {pa, pb} <= set(pipelines)  # all pipelines of the server, not per session
        sessions = await a.invoke(MANAGER, "getSessions")
        # KMS quirk: N empty strings precede the N ids (and getPipelines refs under "").
        half = len(sessions) // 2
        assert len(sessions) % 2 == 0 and sessions[:half] == [""] * half
        assert {session_a, session_b, ""} <= set(sessions[half:])
        for c, p in ((a, pa), (b, pb)):
            await c.result("release", {"object": p})
        assert not {pa, pb} & set(await a.invoke(MANAGER, "getPipelines"))


async def test_get_kmd(kms7: MinikmsProcess, kms6: MinikmsProcess) -> None:
    async with RawKms(kms7.uri) as c:
        core = json.loads(await c.invoke(MANAGER, "getKmd", moduleName="core"))
        assert core["name"] == "core" and core["version"] == "7.3.0"
        classes = {rc["name"]: rc for rc in core["remoteClasses"]}
        assert {
            "MediaObject",
            "MediaPipeline",
            "MediaElement",
            "PassThrough",
            "HubPort",
            "ServerManager",
        } <= set(classes)
        assert classes["PassThrough"]["extends"] == "MediaElement"
        elements = json.loads(await c.invoke(MANAGER, "getKmd", moduleName="elements"))
        webrtc = next(rc for rc in elements["remoteClasses"] if rc["name"] == "WebRtcEndpoint")
        assert "IceCandidateFound" in webrtc["events"]
        assert {m["name"] for m in webrtc["methods"]} >= {"gatherCandidates", "addIceCandidate"}
        error = await c.error(
            "invoke", {"object": MANAGER, "operation": "getKmd", "operationParams": {"moduleName": "nope"}}
        )
        assert error == {
            "code": 40500,
            "data": {"type": "UNDEFINED"},
            "message": "Requested kmd module doesn't exist",
        }
    async with RawKms(kms6.uri) as c:
        elements = json.loads(await c.invoke(MANAGER, "getKmd", moduleName="elements"))
        webrtc = next(rc for rc in elements["remoteClasses"] if rc["name"] == "WebRtcEndpoint")
        assert "OnIceCandidate" in webrtc["events"] and "DtlsConnectionStateChange" not in webrtc["events"]


async def test_cpu_count_and_memory_are_the_real_process_figures(kms7: MinikmsProcess) -> None:
    assert kms7.proc is not None
    async with RawKms(kms7.uri) as c:
        assert await c.invoke(MANAGER, "getCpuCount") == len(os.sched_getaffinity(kms7.proc.pid))
        used_kib = await c.invoke(MANAGER, "getUsedMemory")
        rss_kib = psutil.Process(kms7.proc.pid).memory_info().rss // 1024
        assert isinstance(used_kib, int)
        # RSS moves a little between the two reads; same order of magnitude and close.
        assert abs(used_kib - rss_kib) < max(rss_kib // 4, 4096)


async def test_get_used_cpu_blocks_its_socket_only(kms7: MinikmsProcess) -> None:
    interval_ms = 3000
    async with RawKms(kms7.uri) as slow, RawKms(kms7.uri) as other:
        await slow.result("ping")
        await other.result("ping")
        started = time.monotonic()
        cpu_task = asyncio.create_task(slow.invoke(MANAGER, "getUsedCpu", interval=interval_ms))
        await asyncio.sleep(0.2)
        # The same socket's ping waits behind getUsedCpu (KMS processes one request at a time per socket) ...
        same_socket_ping = asyncio.create_task(slow.result("ping"))
        # ... while another socket is answered during the measurement.
        await other.result("ping")
        other_done = time.monotonic()
        assert not cpu_task.done()
        assert not same_socket_ping.done()
        cpu = await cpu_task
        await same_socket_ping
        finished = time.monotonic()
        assert other_done < finished
        assert finished - started >= interval_ms / 1000.0
        assert isinstance(cpu, float) and 0.0 <= cpu <= 100.0 * os.cpu_count()  # type: ignore[operator]


async def test_get_used_cpu_measures_real_load(kms7: MinikmsProcess) -> None:
    """Busy the server with requests on one socket while measuring on another: the figure rises."""
    async with RawKms(kms7.uri) as meter, RawKms(kms7.uri) as load:
        idle = await meter.invoke(MANAGER, "getUsedCpu", interval=500)
        stop = asyncio.Event()

        async def hammer() -> None:
            while not stop.is_set():
                await load.invoke(MANAGER, "getKmd", moduleName="elements")

        task = asyncio.create_task(hammer())
        busy = await meter.invoke(MANAGER, "getUsedCpu", interval=1500)
        stop.set()
        await task
        assert busy > idle
        assert busy > 5.0


# -- 6.x specifics ------------------------------------------------------------------------------------


async def test_6x_event_names_timestamps_and_accessors(kms6: MinikmsProcess) -> None:
    async with RawKms(kms6.uri) as c:
        pipeline = await c.create("MediaPipeline")
        webrtc = await c.create("WebRtcEndpoint", mediaPipeline=pipeline)
        source = await c.create("PassThrough", mediaPipeline=pipeline)
        # Both the old and the new names are accepted by 6.18; 7.1+ names are not.
        for name in ("OnIceCandidate", "IceCandidateFound", "IceComponentStateChange", "OnIceGatheringDone"):
            await c.value("subscribe", {"object": webrtc, "type": name})
        for name in ("MediaFlowInStateChange", "MediaFlowInStateChanged"):
            await c.value("subscribe", {"object": source, "type": name})
        error = await c.error("subscribe", {"object": webrtc, "type": "DtlsConnectionStateChange"})
        assert error == {
            "code": 40106,
            "data": {"type": "MEDIA_OBJECT_EVENT_NOT_SUPPORTED"},
            "message": "Event not found",
        }
        # 6.x accessors.
        assert await c.invoke(webrtc, "getChilds") == []
        await c.invoke(webrtc, "setExternalAddress", externalAddress="127.0.0.1")
        assert await c.invoke(webrtc, "getExternalAddress") == "127.0.0.1"
        await c.invoke(source, "setOutputBitrate", bitrate=500000)
        assert await c.invoke(source, "getMaxOutputBitrate") == 500000
        assert (await c.error("invoke", {"object": source, "operation": "getEncoderBitrate"}))[
            "code"
        ] == 40008
        # 6.x events carry `timestamp` (seconds) besides `timestampMillis`.
        sink = await c.create("PassThrough", mediaPipeline=pipeline)
        await c.value("subscribe", {"object": source, "type": "ElementConnected"})
        await c.invoke(source, "connect", sink=sink, mediaType="VIDEO")
        event = await c.event_of("ElementConnected")
        data = event["data"]
        assert data["timestamp"].isdigit() and data["timestampMillis"].isdigit()
        assert abs(int(data["timestampMillis"]) // 1000 - int(data["timestamp"])) <= 1
        # 6.x element stats shape.
        stats = await c.invoke(source, "getStats")
        entry = stats[source]
        assert entry["__type__"] == "ElementStats" and "inputAudioLatency" in entry and "timestamp" in entry
        await c.result("release", {"object": pipeline})


async def test_7x_stats_shape(kms7: MinikmsProcess) -> None:
    async with RawKms(kms7.uri) as c:
        pipeline = await c.create("MediaPipeline")
        source = await c.create("PassThrough", mediaPipeline=pipeline)
        webrtc = await c.create("WebRtcEndpoint", mediaPipeline=pipeline)
        entry = (await c.invoke(source, "getStats"))[source]
        assert entry["__type__"] == "ElementStats" and entry["type"] == "element"
        assert entry["inputLatency"] == [] and isinstance(entry["timestampMillis"], int)
        assert "timestamp" not in entry
        endpoint = (await c.invoke(webrtc, "getStats"))[webrtc]
        assert endpoint["__type__"] == "EndpointStats" and endpoint["type"] == "endpoint"
        assert endpoint["E2ELatency"] == []
        await c.result("release", {"object": pipeline})


async def test_recorder_composite_and_filters_are_created(kms7: MinikmsProcess, tmp_path: object) -> None:
    async with RawKms(kms7.uri) as c:
        pipeline = await c.create("MediaPipeline")
        uri = f"file://{tmp_path}/rec.webm"
        recorder = await c.create(
            "RecorderEndpoint", mediaPipeline=pipeline, uri=uri, mediaProfile="WEBM_AUDIO_ONLY"
        )
        assert await c.invoke(recorder, "getUri") == uri
        assert await c.invoke(recorder, "getState") == "STOP"
        described = await c.result("describe", {"object": recorder})
        assert described["hierarchy"][:2] == ["kurento.UriEndpoint", "kurento.Endpoint"]
        bad_profile = await c.error(
            "create",
            {
                "type": "RecorderEndpoint",
                "constructorParams": {"mediaPipeline": pipeline, "uri": uri, "mediaProfile": "AVI"},
            },
        )
        assert bad_profile["code"] == 40001
        gst = await c.create("GStreamerFilter", mediaPipeline=pipeline, command="videobalance saturation=0.0")
        assert await c.invoke(gst, "getCommand") == "videobalance saturation=0.0"
        await c.invoke(gst, "setElementProperty", propertyName="saturation", propertyValue="0.5")
        # No face detector here: FaceOverlayFilter is answered as KMS answers a missing module.
        face = await c.error(
            "create", {"type": "FaceOverlayFilter", "constructorParams": {"mediaPipeline": pipeline}}
        )
        assert face["code"] == 40108 and face["message"] == "Factory 'FaceOverlayFilter' not found"
        missing = await c.error(
            "create", {"type": "GStreamerFilter", "constructorParams": {"mediaPipeline": pipeline}}
        )
        assert missing["code"] == 40001 and missing["message"] == "'command' parameter is required"
        await c.result("release", {"object": pipeline})
