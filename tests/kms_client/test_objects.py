"""kms_client.objects alone: the operations each typed method sends, and the 6.x / 7.x name
differences resolved from the server version (FakeKms records every request)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from kms_client import KurentoClient
from kms_client.events import (
    ElementConnected,
    IceComponentStateChanged,
    KurentoEvent,
    MediaFlowInStateChanged,
)
from kms_client.objects import WebRtcEndpoint
from kms_client.structs import IceCandidate

from .fake_kms import FakeKms

WAIT = 10.0  # generous bound for a failing test


@pytest.fixture
async def kms() -> AsyncIterator[FakeKms]:
    server = await FakeKms().start()
    yield server
    await server.stop()


def _invokes(kms: FakeKms) -> list[tuple[str, dict[str, Any]]]:
    return [
        (m["params"]["operation"], m["params"].get("operationParams", {}))
        for m in kms.received
        if m["method"] == "invoke" and m["params"]["object"] != "manager_ServerManager"
    ]


async def _endpoint(kms: FakeKms, version: str) -> tuple[KurentoClient, WebRtcEndpoint]:
    kms.version = version
    client = await KurentoClient.connect(kms.uri)
    pipe = await client.create_pipeline()
    return client, await pipe.create_webrtc_endpoint(recvonly=True)


async def test_create_sends_constructor_params(kms: FakeKms) -> None:
    client, ep = await _endpoint(kms, "7.3.0")
    try:
        creates = [m["params"] for m in kms.received if m["method"] == "create"]
        assert creates[0]["type"] == "MediaPipeline" and creates[0]["constructorParams"] == {}
        assert creates[1]["type"] == "WebRtcEndpoint"
        assert creates[1]["constructorParams"] == {"mediaPipeline": ep.id.split("/")[0], "recvonly": True}
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("version", "external", "bitrate", "ice_event", "flow_event"),
    [
        (
            "7.3.0",
            "setExternalIPv4",
            "setMaxEncoderBitrate",
            "IceComponentStateChanged",
            "MediaFlowInStateChanged",
        ),
        (
            "6.18.0",
            "setExternalIPv4",
            "setMaxOutputBitrate",
            "IceComponentStateChange",
            "MediaFlowInStateChange",
        ),
        (
            "6.14.0",
            "setExternalAddress",
            "setMaxOutputBitrate",
            "IceComponentStateChange",
            "MediaFlowInStateChange",
        ),
    ],
)
async def test_version_specific_names(
    kms: FakeKms, version: str, external: str, bitrate: str, ice_event: str, flow_event: str
) -> None:
    client, ep = await _endpoint(kms, version)
    try:
        await ep.set_external_ipv4("203.0.113.5")
        await ep.set_max_encoder_bitrate(500000)
        events: list[KurentoEvent] = []
        await ep.on(IceComponentStateChanged, events.append)
        await ep.on(MediaFlowInStateChanged, events.append)
        ops = [op for op, _ in _invokes(kms)]
        assert ops == [external, bitrate]
        subscribed = [m["params"]["type"] for m in kms.received if m["method"] == "subscribe"]
        assert subscribed == [ice_event, flow_event]
        # events arrive under the server's names and reach the canonical handlers
        await kms.emit(ep.id, ice_event, {"source": ep.id, "streamId": 1, "componentId": 1, "state": "READY"})
        await kms.emit(
            ep.id,
            flow_event,
            {"source": ep.id, "state": "FLOWING", "padName": "default", "mediaType": "VIDEO"},
        )
        await ep.get_name()  # a round trip later, both events have been routed
        assert [type(e) for e in events] == [IceComponentStateChanged, MediaFlowInStateChanged]
        assert isinstance(events[0], IceComponentStateChanged) and events[0].state == "READY"
        assert isinstance(events[1], MediaFlowInStateChanged) and events[1].media_type == "VIDEO"
    finally:
        await client.close()


async def test_endpoint_operations_and_params(kms: FakeKms) -> None:
    client, ep = await _endpoint(kms, "7.3.0")
    try:
        await ep.set_max_video_recv_bandwidth(1000)
        await ep.set_min_video_recv_bandwidth(300)
        await ep.set_max_video_send_bandwidth(1000)
        await ep.set_min_video_send_bandwidth(300)
        await ep.set_stun_server_address("203.0.113.9")
        await ep.set_stun_server_port(3478)
        await ep.set_name("str_CAM_abc")
        assert await ep.get_name() == "str_CAM_abc"
        assert await ep.get_max_video_recv_bandwidth() == 1000
        await ep.add_ice_candidate(IceCandidate("candidate:1 1 udp 1 127.0.0.1 5000 typ host", "0", 0))
        assert await ep.generate_offer(offer_to_receive_audio=False, offer_to_receive_video=True) == "v=0\r\n"
        assert _invokes(kms) == [
            ("setMaxVideoRecvBandwidth", {"maxVideoRecvBandwidth": 1000}),
            ("setMinVideoRecvBandwidth", {"minVideoRecvBandwidth": 300}),
            ("setMaxVideoSendBandwidth", {"maxVideoSendBandwidth": 1000}),
            ("setMinVideoSendBandwidth", {"minVideoSendBandwidth": 300}),
            ("setStunServerAddress", {"stunServerAddress": "203.0.113.9"}),
            ("setStunServerPort", {"stunServerPort": 3478}),
            ("setName", {"name": "str_CAM_abc"}),
            ("getName", {}),
            ("getMaxVideoRecvBandwidth", {}),
            (
                "addIceCandidate",
                {
                    "candidate": {
                        "__module__": "kurento",
                        "__type__": "IceCandidate",
                        "candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host",
                        "sdpMid": "0",
                        "sdpMLineIndex": 0,
                    }
                },
            ),
            (
                "generateOffer",
                {
                    "options": {
                        "__module__": "kurento",
                        "__type__": "OfferOptions",
                        "offerToReceiveAudio": False,
                        "offerToReceiveVideo": True,
                    }
                },
            ),
        ]
    finally:
        await client.close()


async def test_expect_waits_for_a_matching_event_then_unsubscribes(kms: FakeKms) -> None:
    client = await KurentoClient.connect(kms.uri)
    try:
        pipe = await client.create_pipeline()
        a = await pipe.create_pass_through()
        waiter = await a.expect(ElementConnected, lambda e: e.media_type == "VIDEO")
        base = {
            "source": a.id,
            "sink": "s",
            "sourceMediaDescription": "default",
            "sinkMediaDescription": "default",
        }
        await kms.emit(a.id, "ElementConnected", {**base, "mediaType": "AUDIO"})
        await kms.emit(a.id, "ElementConnected", {**base, "mediaType": "VIDEO"})
        event = await waiter.wait(WAIT)
        assert isinstance(event, ElementConnected) and event.media_type == "VIDEO"
        assert [m["method"] for m in kms.received[-1:]] == ["unsubscribe"]
        assert kms.subscriptions == {}

        silent = await a.expect(ElementConnected)
        with pytest.raises(TimeoutError):
            await silent.wait(0.2)
        assert kms.subscriptions == {}
    finally:
        await client.close()
