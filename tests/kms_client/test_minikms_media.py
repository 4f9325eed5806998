"""WebRTC events through kms_client: an aiortc peer publishes to a minikms WebRtcEndpoint.

Moves media over loopback: run inside a loopback-only network namespace, e.g.
``unshare -n sh -c 'ip link set lo up && python3 -m pytest tests/kms_client/test_minikms_media.py'``.
Runs against a 7.x and a 6.x minikms: the callers' code and the canonical event names are the
same, the client subscribes with each server's own names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp

from kms_client import KurentoClient
from kms_client.events import (
    ConnectionStateChanged,
    IceCandidateFound,
    IceComponentStateChanged,
    IceGatheringDone,
    KurentoEvent,
    MediaFlowInStateChanged,
    MediaFlowOutStateChanged,  # subscribed (name mapping on 6.x); nothing is sent back to the peer
    MediaStateChanged,
    NewCandidatePairSelected,
)
from minikms.media.ice import patch_host_addresses
from tests.support.procs import LOOPBACK, MinikmsProcess

pytestmark = [pytest.mark.media]

WAIT = 60.0  # generous: media setup on a shared 2-core machine
EVENTS: tuple[type[KurentoEvent], ...] = (
    IceCandidateFound,
    IceGatheringDone,
    IceComponentStateChanged,
    NewCandidatePairSelected,
    ConnectionStateChanged,
    MediaStateChanged,
    MediaFlowInStateChanged,
    MediaFlowOutStateChanged,
)


@pytest.fixture(params=["7.3.0", "6.18.0"])
def minikms(request: pytest.FixtureRequest) -> Iterator[MinikmsProcess]:
    with MinikmsProcess(kms_version=request.param) as proc:
        yield proc


async def _until(predicate: Callable[[], bool], what: Callable[[], object], timeout: float = WAIT) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"condition not met in {timeout} s; seen: {what()}") from None


async def test_webrtc_events_from_a_real_peer(minikms: MinikmsProcess) -> None:
    patch_host_addresses(LOOPBACK)  # aioice skips loopback addresses unless told (media-e2e-feasibility.md)
    client = await KurentoClient.connect(minikms.uri)
    pc = RTCPeerConnection()
    try:
        pipe = await client.create_pipeline()
        endpoint = await pipe.create_webrtc_endpoint()
        passthrough = await pipe.create_pass_through()
        events: list[KurentoEvent] = []
        for cls in EVENTS:
            await endpoint.on(cls, events.append)

        async def trickle(event: IceCandidateFound) -> None:
            cand = candidate_from_sdp(event.candidate.candidate.split(":", 1)[1])
            cand.sdpMid = event.candidate.sdp_mid
            cand.sdpMLineIndex = event.candidate.sdp_m_line_index
            await pc.addIceCandidate(cand)

        await endpoint.on(IceCandidateFound, trickle)
        passthrough_in: list[MediaFlowInStateChanged] = []
        await passthrough.on(MediaFlowInStateChanged, passthrough_in.append)
        await endpoint.connect(passthrough)

        pc.addTrack(VideoStreamTrack())
        pc.addTrack(AudioStreamTrack())
        await pc.setLocalDescription(await pc.createOffer())
        answer = await endpoint.process_offer(pc.localDescription.sdp)
        assert answer.startswith("v=0")
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await endpoint.gather_candidates()

        def seen(cls: type[KurentoEvent], **fields: str) -> bool:
            return any(
                isinstance(e, cls) and all(getattr(e, k) == v for k, v in fields.items()) for e in events
            )

        def names() -> list[tuple[str, str]]:
            return [(e.name, str(getattr(e, "state", getattr(e, "new_state", "")))) for e in events]

        await _until(lambda: seen(MediaFlowInStateChanged, state="FLOWING", media_type="VIDEO"), names)
        await _until(lambda: seen(MediaStateChanged, new_state="CONNECTED"), names)
        await _until(lambda: any(e.state == "FLOWING" for e in passthrough_in), lambda: passthrough_in)
        assert seen(IceGatheringDone)
        assert seen(ConnectionStateChanged, new_state="CONNECTED")
        assert seen(IceComponentStateChanged, state="CONNECTED")
        found = [e for e in events if isinstance(e, IceCandidateFound)]
        assert found and all(e.candidate.candidate.startswith("candidate:") for e in found)
        assert all(e.source == endpoint.id for e in events)
        assert all(e.source == passthrough.id for e in passthrough_in)
        pairs = [e for e in events if isinstance(e, NewCandidatePairSelected)]
        assert pairs and pairs[0].candidate_pair.local_candidate.startswith("candidate:")
        assert await endpoint.is_media_flowing_in("VIDEO")
        assert await endpoint.get_media_state() == "CONNECTED"
        assert await endpoint.get_remote_session_descriptor() == pc.localDescription.sdp
        await pipe.release()
    finally:
        await pc.close()
        await client.close()
