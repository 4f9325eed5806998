"""Recorder, Composite/HubPort wiring, media-state queries and closeSession on a real minikms process."""

from __future__ import annotations

from pathlib import Path

from tests.minikms.kms_wire import RawKms
from tests.support.procs import MinikmsProcess

MANAGER = "manager_ServerManager"


def kinds(events: list[dict[str, object]]) -> list[tuple[object, object]]:
    out = []
    for message in events:
        value = message["params"]["value"]  # type: ignore[index]
        out.append((value["type"], value["data"].get("state")))  # type: ignore[index]
    return out


async def test_recorder_lifecycle_through_a_composite(kms: MinikmsProcess, tmp_path: Path) -> None:
    async with RawKms(kms.uri) as c:
        pipeline = await c.create("MediaPipeline")
        composite = await c.create("Composite", mediaPipeline=pipeline)
        port_in = await c.create("HubPort", hub=composite)
        port_out = await c.create("HubPort", hub=composite)
        source = await c.create("PassThrough", mediaPipeline=pipeline)
        uri = f"file://{tmp_path}/audio.webm"
        recorder = await c.create(
            "RecorderEndpoint", mediaPipeline=pipeline, uri=uri, mediaProfile="WEBM_AUDIO_ONLY"
        )
        for event in ("Recording", "Paused", "Stopped", "UriEndpointStateChanged"):
            await c.value("subscribe", {"object": recorder, "type": event})
        await c.invoke(source, "connect", sink=port_in, mediaType="AUDIO")
        await c.invoke(port_out, "connect", sink=recorder, mediaType="AUDIO")
        assert [conn["source"] for conn in await c.invoke(recorder, "getSourceConnections")] == [port_out]

        assert await c.invoke(recorder, "record") is None
        assert kinds(await c.drain_events()) == [("Recording", None), ("UriEndpointStateChanged", "START")]
        assert await c.invoke(recorder, "getState") == "START"
        await c.invoke(recorder, "pause")
        assert kinds(await c.drain_events()) == [("Paused", None), ("UriEndpointStateChanged", "PAUSE")]
        assert await c.invoke(recorder, "getState") == "PAUSE"
        await c.invoke(recorder, "record")
        await c.drain_events()
        assert await c.invoke(recorder, "stopAndWait") is None
        assert kinds(await c.drain_events()) == [("Stopped", None), ("UriEndpointStateChanged", "STOP")]
        assert await c.invoke(recorder, "getState") == "STOP"
        assert (tmp_path / "audio.webm").exists()
        await c.result("release", {"object": pipeline})


async def test_media_state_queries(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        pipeline = await c.create("MediaPipeline")
        webrtc = await c.create("WebRtcEndpoint", mediaPipeline=pipeline, recvonly=True)
        assert await c.invoke(webrtc, "isMediaFlowingIn", mediaType="VIDEO") is False
        assert (
            await c.invoke(webrtc, "isMediaFlowingOut", mediaType="AUDIO", sourceMediaDescription="default")
            is False
        )
        assert await c.invoke(webrtc, "isMediaTranscoding", mediaType="VIDEO") is False
        error = await c.error(
            "invoke",
            {"object": webrtc, "operation": "isMediaFlowingIn", "operationParams": {"mediaType": "DATA"}},
        )
        assert error["code"] == 40107 and error["data"] == {"type": "MEDIA_OBJECT_ILLEGAL_PARAM_ERROR"}
        missing = await c.error("invoke", {"object": webrtc, "operation": "isMediaFlowingIn"})
        assert missing == {
            "code": 40001,
            "data": {"type": "MARSHALL_ERROR"},
            "message": "'operationParams' is required",
        }
        audio_stats = await c.invoke(webrtc, "getStats", mediaType="AUDIO")
        assert audio_stats[webrtc]["type"] == "endpoint"
        dot = await c.invoke(pipeline, "getGstreamerDot")
        assert dot.startswith("digraph") and webrtc in dot
        data_channel = await c.error("invoke", {"object": webrtc, "operation": "createDataChannel"})
        assert data_channel["code"] == 40111
        await c.result("release", {"object": pipeline})


async def test_close_session_unrefs_or_releases(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as owner, RawKms(kms.uri) as other:
        session = (await owner.result("connect"))["sessionId"]
        shared = await owner.create("MediaPipeline")
        own = await owner.create("MediaPipeline")
        await other.invoke(shared, "getName")  # the other session co-owns `shared`
        reply = await owner.request("closeSession", {"sessionId": session})
        assert reply["result"] is None and "error" not in reply
        assert await other.invoke(shared, "getName") == shared  # still owned by the other session
        assert (await other.error("invoke", {"object": own, "operation": "getName"}))["code"] == 40101
        again = await owner.create("MediaPipeline")
        await other.invoke(again, "getName")
        await owner.request("closeSession", {"sessionId": session, "release": True})
        assert (await other.error("invoke", {"object": again, "operation": "getName"}))["code"] == 40101
        await other.result("release", {"object": shared})
