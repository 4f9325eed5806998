"""server/media against a real minikms process over the Kurento protocol (no browser; SDP offers from aiortc).

The only stand-in is the listener, a recorder of what the media layer reports.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from kms_client.connection import KmsConnection
from kms_client.errors import KmsError
from server.media.bandwidth import Bandwidth
from server.media.endpoint import Candidate
from server.media.picker import FirstConnectedPicker, MediaServerChoice, NoMediaServerError
from server.media.session import MediaError, MediaSession
from tests.support.procs import MinikmsProcess

EVENT_TIMEOUT = 10.0


@dataclass
class RecordingListener:
    candidates: list[tuple[str, str, str, Candidate]] = field(default_factory=list)
    errors: list[tuple[list[str] | None, str]] = field(default_factory=list)
    filter_events: list[tuple[list[str], str, str]] = field(default_factory=list)

    def ice_candidate(
        self, recipient_id: str, sender_id: str, endpoint_name: str, candidate: Candidate
    ) -> None:
        self.candidates.append((recipient_id, sender_id, endpoint_name, candidate))

    def media_error(
        self, recipient_ids: list[str] | None, error_type: str, description: str, code: int
    ) -> None:
        self.errors.append((recipient_ids, error_type))

    def filter_event(
        self,
        recipient_ids: list[str],
        publisher_id: str,
        stream_id: str,
        filter_type: str,
        event_type: str,
        data: str,
    ) -> None:
        self.filter_events.append((recipient_ids, stream_id, event_type))


@pytest.fixture
async def connection(kms: MinikmsProcess) -> AsyncIterator[KmsConnection]:
    conn = KmsConnection(kms.uri)
    await conn.open()
    yield conn
    await conn.close()


async def offer(video: bool = True, audio: bool = True) -> str:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        if audio:
            pc.addTransceiver("audio", direction="sendrecv")
        if video:
            pc.addTransceiver("video", direction="sendrecv")
        description = await pc.createOffer()
        return str(description.sdp)
    finally:
        await pc.close()


def media_session(connection: KmsConnection, listener: RecordingListener) -> MediaSession:
    picker = FirstConnectedPicker(lambda: [MediaServerChoice("KMS-TEST01", connection)])
    return MediaSession("ses", picker, listener)


async def exists(connection: KmsConnection, object_id: str) -> bool:
    try:
        await connection.invoke(object_id, "getName")
    except KmsError:
        return False
    return True


async def test_no_media_server_gives_204() -> None:
    def none() -> list[MediaServerChoice]:
        return []

    session = MediaSession("ses", FirstConnectedPicker(none), RecordingListener())
    with pytest.raises(MediaError) as err:
        await session.start()
    assert err.value.code == 204
    with pytest.raises(NoMediaServerError):
        FirstConnectedPicker(none).pick("x")


async def test_publish_subscribe_bandwidth_candidates_and_release(connection: KmsConnection) -> None:
    listener = RecordingListener()
    session = media_session(connection, listener)
    await session.start()
    assert session.server_id == "KMS-TEST01" and session.pipeline_id is not None
    # a browser candidate that arrives before publishVideo is kept until the offer is processed
    early = Candidate("candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host", "0", 0)
    await session.add_ice_candidate("pub", "pub", early)
    bandwidth = Bandwidth(max_recv=600, min_recv=100, max_send=700, min_send=200)
    answer = await session.publish("pub", "pub_CAMERA_ABCDE", await offer(), bandwidth=bandwidth)
    assert answer.startswith("v=0")
    media = session.publishers["pub"]
    endpoint_id = media.endpoint.element_id
    assert endpoint_id is not None
    assert media.endpoint.received_candidates == [early]
    assert await connection.invoke(endpoint_id, "getMaxVideoRecvBandwidth") == 600
    assert await connection.invoke(endpoint_id, "getMinVideoSendBandwidth") == 200
    # KMS candidates are relayed to the owner, named after the stream
    deadline = asyncio.get_running_loop().time() + EVENT_TIMEOUT
    while not listener.candidates and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    recipient, sender, name, candidate = listener.candidates[0]
    assert (recipient, sender, name) == ("pub", "pub", "pub_CAMERA_ABCDE")
    assert candidate.candidate.startswith("candidate:")

    sub_answer = await session.subscribe("sub", "pub", await offer(), bandwidth=Bandwidth())
    assert sub_answer.startswith("v=0")
    sub_endpoint = session.endpoint_of("sub", "pub")
    assert sub_endpoint is not None and sub_endpoint.name == "sub_pub_CAMERA_ABCDE"
    sub_id = sub_endpoint.element_id
    assert sub_id is not None and await exists(connection, sub_id)

    with pytest.raises(MediaError) as err:
        await session.subscribe("sub", "nobody", await offer(), bandwidth=Bandwidth())
    assert err.value.code == 105

    released = await session.unpublish("pub")
    assert released == ["sub"]
    assert not await exists(connection, endpoint_id)
    assert not await exists(connection, media.passthrough_id)
    assert not await exists(connection, sub_id)
    pipeline = session.pipeline_id
    assert pipeline is not None
    await session.close()
    assert not await exists(connection, pipeline)


async def test_filters(connection: KmsConnection) -> None:
    session = media_session(connection, RecordingListener())
    await session.start()
    await session.publish("pub", "pub_CAMERA_QWERT", await offer(), bandwidth=Bandwidth())
    with pytest.raises(MediaError) as err:
        await session.remove_filter("pub")
    assert err.value.code == 406
    element = await session.apply_filter("pub", "GStreamerFilter", {"command": "videobalance saturation=0.0"})
    assert element.to_json() == {
        "type": "GStreamerFilter",
        "options": {"command": "videobalance saturation=0.0"},
        "lastExecMethod": {},
    }
    with pytest.raises(MediaError) as err:
        await session.apply_filter("pub", "GStreamerFilter", {"command": "x"})
    assert err.value.code == 405
    await session.remove_filter("pub")
    assert not await exists(connection, element.element_id)
    with pytest.raises(MediaError) as err:  # a filter the media server does not have: a clear error
        await session.apply_filter("pub", "NoSuchFilter", {})
    assert err.value.code == 406
    assert "NoSuchFilter" in err.value.message
    await session.close()


async def test_participant_removal_releases_its_subscriptions(connection: KmsConnection) -> None:
    session = media_session(connection, RecordingListener())
    await session.start()
    await session.publish("a", "a_CAMERA_AAAAA", await offer(), bandwidth=Bandwidth())
    await session.publish("b", "b_CAMERA_BBBBB", await offer(), bandwidth=Bandwidth())
    await session.subscribe("b", "a", await offer(), bandwidth=Bandwidth())
    await session.subscribe("a", "b", await offer(), bandwidth=Bandwidth())
    a_to_b = session.endpoint_of("a", "b")
    b_to_a = session.endpoint_of("b", "a")
    assert a_to_b is not None and b_to_a is not None
    ids: list[Any] = [a_to_b.element_id, b_to_a.element_id, session.publishers["a"].passthrough_id]
    await session.remove_participant("a")
    for object_id in ids:
        assert not await exists(connection, object_id)
    assert "a" not in session.publishers and "b" in session.publishers
    await session.close()
