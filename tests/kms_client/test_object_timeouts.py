"""kms_client.objects alone: every call takes its own timeout (shorter or longer than the connection's),
error replies surface as the typed Kurento errors, replies of the wrong type are refused, and typed events
carry their declared field types whatever the media server sent (FakeKms, a real loopback socket)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection

from kms_client import KurentoClient
from kms_client.errors import (
    KmsProtocolError,
    KmsTimeoutError,
    KurentoRpcError,
    MediaObjectNotFoundError,
)
from kms_client.events import ErrorEvent, IceCandidateFound, NewCandidatePairSelected
from kms_client.objects import MediaPipeline, PassThrough, Subscription, WebRtcEndpoint
from kms_client.structs import IceCandidate, IceCandidatePair

from .fake_kms import FakeKms

REQUEST_TIMEOUT = 30.0  # the connection's default: a call that honours its own timeout ends far sooner
SHORT = 0.3


class OddKms(FakeKms):
    """Answers ``processOffer`` with an object instead of an SDP string, and ``sleep`` as FakeKms does."""

    async def _invoke(
        self, ws: ServerConnection, rid: Any, sid: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        if params.get("operation") == "processOffer":
            return {"id": rid, "jsonrpc": "2.0", "result": {"sessionId": sid, "value": {"sdp": "v=0"}}}
        return await super()._invoke(ws, rid, sid, params)


@pytest.fixture
async def kms() -> AsyncIterator[OddKms]:
    server = await OddKms().start()
    yield server
    await server.stop()


@pytest.fixture
async def client(kms: OddKms) -> AsyncIterator[KurentoClient]:
    c = await KurentoClient.connect(kms.uri, request_timeout=REQUEST_TIMEOUT)
    yield c
    await c.close()


async def _objects(client: KurentoClient) -> tuple[MediaPipeline, WebRtcEndpoint, PassThrough]:
    pipeline = await MediaPipeline.create(client.connection, timeout=5.0)
    return pipeline, await pipeline.create_webrtc_endpoint(), await pipeline.create_pass_through()


def _calls(
    pipeline: MediaPipeline, endpoint: WebRtcEndpoint, passthrough: PassThrough, sub: Subscription
) -> dict[str, Callable[[], Awaitable[object]]]:
    return {
        "create": lambda: MediaPipeline.create(pipeline.connection, timeout=SHORT),
        "create_element": lambda: pipeline.create_pass_through(timeout=SHORT),
        "player": lambda: pipeline.create_player_endpoint("rtsp://x", network_cache=0, timeout=SHORT),
        "invoke": lambda: endpoint.invoke("getName", timeout=SHORT),
        "getter": lambda: endpoint.get_name(timeout=SHORT),
        "setter": lambda: endpoint.set_max_video_recv_bandwidth(600, timeout=SHORT),
        "connect": lambda: endpoint.connect(passthrough, timeout=SHORT),
        "process_offer": lambda: endpoint.process_offer("v=0", timeout=SHORT),
        "stats": lambda: endpoint.get_stats(timeout=SHORT),
        "on": lambda: endpoint.on(ErrorEvent, lambda e: None, timeout=SHORT),
        "on_event": lambda: passthrough.on_event("CustomEvent", lambda e: None, timeout=SHORT),
        "off": lambda: endpoint.off(sub, timeout=SHORT),
        "release": lambda: passthrough.release(timeout=SHORT),
    }


CALLS = [
    "create",
    "create_element",
    "player",
    "invoke",
    "getter",
    "setter",
    "connect",
    "process_offer",
    "stats",
    "on",
    "on_event",
    "off",
    "release",
]


@pytest.mark.parametrize("call", CALLS)
async def test_a_call_ends_at_its_own_timeout(kms: OddKms, client: KurentoClient, call: str) -> None:
    pipeline, endpoint, passthrough = await _objects(client)
    sub = await endpoint.on(IceCandidateFound, lambda e: None)
    kms.freeze = True  # the media server stops answering
    started = time.monotonic()
    with pytest.raises(KmsTimeoutError):
        await _calls(pipeline, endpoint, passthrough, sub)[call]()
    # far below the connection's 30 s: the call's own timeout was used
    assert time.monotonic() - started < REQUEST_TIMEOUT / 3
    assert client.connected


async def test_a_longer_timeout_than_the_connection_default_is_honoured(kms: OddKms) -> None:
    client = await KurentoClient.connect(kms.uri, request_timeout=0.2)
    try:
        pipeline = await MediaPipeline.create(client.connection, timeout=5.0)
        with pytest.raises(KmsTimeoutError):
            await pipeline.invoke("sleep", {"seconds": 0.6})
        await pipeline.invoke("sleep", {"seconds": 0.6}, timeout=5.0)  # answered: no error
    finally:
        await client.close()


async def test_error_replies_are_typed(client: KurentoClient) -> None:
    pipeline, endpoint, passthrough = await _objects(client)
    with pytest.raises(KurentoRpcError) as err:
        await endpoint.invoke("noSuchOperation", {"a": 1}, timeout=5.0)
    assert err.value.code == 40008
    await passthrough.release(timeout=5.0)
    with pytest.raises(MediaObjectNotFoundError):
        await passthrough.get_name(timeout=5.0)
    await pipeline.release(timeout=5.0)


async def test_an_sdp_reply_that_is_not_a_string_is_refused(client: KurentoClient) -> None:
    _pipeline, endpoint, _passthrough = await _objects(client)
    with pytest.raises(KmsProtocolError, match="processOffer"):
        await endpoint.process_offer("v=0", timeout=5.0)
    assert client.connected


def test_event_fields_have_their_declared_types() -> None:
    error = ErrorEvent.from_data({"source": "x", "type": "MEDIA_ERR", "errorCode": "7"})
    assert (error.error_type, error.description, error.error_code) == ("MEDIA_ERR", "", 7)
    odd = ErrorEvent.from_data({"errorCode": {"no": 1}, "description": 5})
    assert (odd.error_type, odd.description, odd.error_code) == ("", "5", 0)
    assert ErrorEvent.from_data({"errorCode": float("nan")}).error_code == 0

    # a struct without __type__ still becomes the struct
    found = IceCandidateFound.from_data(
        {"candidate": {"candidate": "candidate:1", "sdpMid": "0", "sdpMLineIndex": 0}}
    )
    assert found.candidate == IceCandidate("candidate:1", "0", 0)
    pair = NewCandidatePairSelected.from_data(
        {"candidatePair": {"localCandidate": "l", "remoteCandidate": "r", "streamID": "1", "componentID": 1}}
    )
    assert pair.candidate_pair == IceCandidatePair("1", 1, "l", "r")
    assert IceCandidateFound.from_data({"candidate": "junk"}).candidate == "junk"  # left for the caller
