"""Engine-level WebRTC tests: Chromium publishes to a WebRtcNode, a PassThrough relays to subscribers.

Python drives the media nodes directly and hands SDP/candidates to the page (no signaling server).
Run inside a loopback-only network namespace:
  unshare -n sh -c 'ip link set lo up && python3 -m pytest tests/minikms/test_media_webrtc.py -q'
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from minikms.media import MediaEngine, MediaParams, PassThroughNode, WebRtcNode
from tests.minikms.media_helpers import EventLog, PeerPage, flow, open_peer_page, strip_candidates
from tests.support.browser import Browser, StaticServer

pytestmark = [pytest.mark.media, pytest.mark.e2e]

LOOPBACK = "127.0.0.1"


@pytest.fixture(scope="module")
def server() -> Iterator[StaticServer]:
    with StaticServer() as srv:
        yield srv


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    eng = MediaEngine(LOOPBACK)
    yield eng
    await eng.close()


async def publish(page: PeerPage, engine: MediaEngine, peer: str = "pub") -> tuple[WebRtcNode, EventLog]:
    """Non-trickle publisher: the browser's offer carries its candidates."""
    node = WebRtcNode(engine)
    log = EventLog().attach(node)
    offer = await page.publish(peer)
    answer = await node.process_offer(offer["sdp"])
    await page.answer(peer, answer)
    await node.gather_candidates()
    return node, log


async def subscribe_trickle(page: PeerPage, node: WebRtcNode, peer: str) -> None:
    """Trickle subscriber: browser candidates reach the node *before* the offer; the node's candidates only
    reach the browser as IceCandidateFound events (they are stripped from the answer)."""
    found: list[dict[str, object]] = []
    previous = node.emit

    def capture(name: str, data: dict[str, object]) -> None:
        if name == "IceCandidateFound":
            found.append(data["candidate"])  # type: ignore[arg-type]
        previous(name, data)

    node.emit = capture
    offer = await page.subscribe(peer, trickle=True)
    assert offer["candidates"], "chromium gathered no candidate (is --allow-loopback-in-peer-connection set?)"
    for cand in offer["candidates"]:
        await node.add_ice_candidate(cand["candidate"], cand["sdpMid"], cand["sdpMLineIndex"])
    answer = await node.process_offer(offer["sdp"])
    await page.answer(peer, strip_candidates(answer))
    await node.gather_candidates()
    assert found, "gather_candidates emitted no IceCandidateFound"
    for cand in found:
        await page.add_candidate(peer, {k: cand[k] for k in ("candidate", "sdpMid", "sdpMLineIndex")})


async def test_publish_relay_through_passthrough_to_subscriber(
    engine: MediaEngine, browser: Browser, server: StaticServer
) -> None:
    pub_page = open_peer_page(browser, server)
    sub_page = open_peer_page(browser, server)
    passthrough = PassThroughNode(engine)
    pt_log = EventLog().attach(passthrough)
    sub = WebRtcNode(engine)
    sub_log = EventLog().attach(sub)
    # The subscriber is wired before the publisher has any media.
    passthrough.connect(sub)

    await subscribe_trickle(sub_page, sub, "sub")
    pub, pub_log = await publish(pub_page, engine)
    pub.connect(passthrough)

    first, later = await sub_page.wait_playing("sub")
    assert first["width"] > 0 and first["height"] > 0
    assert later["time"] > first["time"]
    # VP8 subscribers are fed by one shared encoder per relayed source.
    assert sub.video_send.mode == "packets"
    (shared,) = engine.video_encoders.values()
    assert shared.hub is passthrough.outputs["video"] and shared.frames_encoded > 0

    # Media flow events really happened on every hop.
    await pub_log.wait("MediaFlowInStateChanged", flow("FLOWING", "VIDEO"))
    await pub_log.wait("MediaFlowInStateChanged", flow("FLOWING", "AUDIO"))
    await pt_log.wait("MediaFlowOutStateChanged", flow("FLOWING", "VIDEO"))
    await sub_log.wait("MediaFlowOutStateChanged", flow("FLOWING", "VIDEO"))
    await sub_log.wait("MediaFlowOutStateChanged", flow("FLOWING", "AUDIO"))
    assert pub.is_flowing_in("VIDEO") and sub.is_flowing_out("AUDIO")

    # ICE / connection events, all on loopback.
    for log in (pub_log, sub_log):
        cands = [d["candidate"]["candidate"] for d in log.named("IceCandidateFound")]
        assert cands and all(f" {LOOPBACK} " in c for c in cands), cands
        assert "IceGatheringDone" in log.names()
        pair = (await log.wait("NewCandidatePairSelected"))["candidatePair"]
        assert f" {LOOPBACK} " in pair["localCandidate"] and f" {LOOPBACK} " in pair["remoteCandidate"]
        assert pair["__type__"] == "IceCandidatePair" and pair["streamId"] == "1"
        await log.wait("IceComponentStateChanged", lambda d: d["state"] == "CONNECTED")
        await log.wait("ConnectionStateChanged", lambda d: d["newState"] == "CONNECTED")
        await log.wait("MediaStateChanged", lambda d: d["newState"] == "CONNECTED")
    names = sub_log.names()
    assert names.index("IceGatheringDone") > names.index("IceCandidateFound")
    assert names.index("NewCandidatePairSelected") < names.index("MediaStateChanged")
    assert sub.ice_connection_state == "READY" and sub.connection_state == "CONNECTED"
    rtp = await sub_page.rtp("sub")
    assert rtp["videoIn"] > 0 and rtp["audioIn"] > 0
    assert rtp["pair"] == [LOOPBACK, LOOPBACK]

    # Kurento-shaped stats from aiortc's real counters.
    pub.element_id = "pub-endpoint"
    pub_stats = await pub.get_stats("VIDEO")
    assert pub_stats["pub-endpoint"]["type"] == "endpoint"
    inbound = [s for s in pub_stats.values() if s["type"] == "inboundrtp"]
    assert len(inbound) == 1 and inbound[0]["__type__"] == "RTCInboundRTPStreamStats"
    assert inbound[0]["packetsReceived"] > 0 and inbound[0]["bytesReceived"] > 0
    assert isinstance(inbound[0]["ssrc"], str) and isinstance(inbound[0]["timestampMillis"], int)
    sub_stats = await sub.get_stats()
    outbound = {s["ssrc"]: s for s in sub_stats.values() if s["type"] == "outboundrtp"}
    assert len(outbound) == 2
    assert all(s["packetsSent"] > 0 and s["bytesSent"] > 0 for s in outbound.values())
    assert any(s["targetBitrate"] > 0 for s in outbound.values())

    # Disconnecting stops the subscriber's media; the flow-out state says so.
    passthrough.disconnect(sub)
    await sub_log.wait("MediaFlowOutStateChanged", flow("NOT_FLOWING", "VIDEO"))
    assert not sub.is_flowing_out("VIDEO")

    await pub.release()
    await pub.release()  # idempotent
    assert pub.pc.connectionState == "closed"
    await pub_page.close("pub")
    await sub_page.close("sub")
    await sub.release()
    await passthrough.release()
    assert engine.nodes == set()


async def test_source_replacement_and_late_subscriber(
    engine: MediaEngine, browser: Browser, server: StaticServer
) -> None:
    """A subscriber whose source is replaced by another publisher keeps playing; a second subscriber
    joining later gets the same relay."""
    page = open_peer_page(browser, server)
    pub_a, _ = await publish(page, engine, "a")
    pub_b, _ = await publish(page, engine, "b")
    passthrough = PassThroughNode(engine)
    pub_a.connect(passthrough)
    sub = WebRtcNode(engine)
    passthrough.connect(sub)
    await subscribe_trickle(page, sub, "s1")
    await page.wait_playing("s1")

    # Replace the source: B feeds the PassThrough now (connect replaces, as on KMS).
    pub_b.connect(passthrough)
    assert passthrough.sources["video"] is pub_b and passthrough not in pub_a.sinks["video"]
    before, rtp_before = await page.state("s1"), await page.rtp("s1")
    after = await page.wait_state("s1", lambda s: s["frames"] > before["frames"] + 20)
    assert after["time"] > before["time"]
    rtp_after = await page.rtp("s1")
    assert rtp_after["audioIn"] > rtp_before["audioIn"] + 25  # audio keeps coming from the new source
    # The old publisher no longer feeds anything: releasing it does not disturb the subscriber.
    await pub_a.release()
    later = await page.wait_state("s1", lambda s: s["frames"] > after["frames"] + 20)
    assert later["time"] > after["time"]

    late = WebRtcNode(engine)
    passthrough.connect(late)
    await subscribe_trickle(page, late, "s2")
    await page.wait_playing("s2")
    # Both subscribers share one encoder; it closes when the last one leaves.
    assert len(engine.video_encoders) == 1
    (shared,) = engine.video_encoders.values()
    assert shared.subscribers == [sub.video_send, late.video_send]
    await sub.release()
    await late.release()
    assert engine.video_encoders == {}
    for peer in ("a", "b", "s1", "s2"):
        await page.close(peer)


@pytest.mark.parametrize("shared", [True, False], ids=["shared-encoder", "own-encoder"])
async def test_bandwidth_caps(browser: Browser, server: StaticServer, shared: bool) -> None:
    """maxVideoRecvBandwidth goes into the answer as b=AS; the send caps bound the encoder's bitrate,
    whether the subscriber uses the source's shared VP8 encoder or (sharing off) an encoder of its own."""
    engine = MediaEngine(LOOPBACK, MediaParams(share_video_encoders=shared))
    page = open_peer_page(browser, server)
    pub = WebRtcNode(engine)
    pub.set_bandwidth(max_recv=300)
    offer = await page.publish("pub")
    answer = await pub.process_offer(offer["sdp"])
    video_part = answer.split("m=video", 1)[1]
    assert "b=AS:300" in video_part and "b=AS" not in answer.split("m=video", 1)[0]
    await page.answer("pub", answer)

    sub = WebRtcNode(engine)
    sub.set_bandwidth(max_send=300, min_send=260)
    pub.connect(sub)
    await subscribe_trickle(page, sub, "sub")
    await page.wait_playing("sub")
    target = sub.encoder_target_bitrate("video")
    assert target is not None and 260_000 <= target <= 300_000
    stats = await sub.get_stats("VIDEO")
    outbound = [s for s in stats.values() if s["type"] == "outboundrtp"]
    assert outbound and 260_000 <= outbound[0]["targetBitrate"] <= 300_000
    assert sub.video_send.mode == ("packets" if shared else "frames")
    assert len(engine.video_encoders) == (1 if shared else 0)
    await page.close("pub")
    await page.close("sub")
    await engine.close()


async def test_candidates_trickled_after_the_offer(
    engine: MediaEngine, browser: Browser, server: StaticServer
) -> None:
    """The OpenVidu browser flow: the offer carries no candidates, they arrive after processOffer, and
    the endpoint's own candidates reach the browser only through IceCandidateFound."""
    page = open_peer_page(browser, server)
    pub = WebRtcNode(engine)
    log = EventLog().attach(pub)
    offer = await page.publish("late", trickle=True)
    assert "a=candidate:" not in offer["sdp"] and offer["candidates"]
    answer = await pub.process_offer(offer["sdp"])
    await page.answer("late", strip_candidates(answer))
    await pub.gather_candidates()
    for cand in log.named("IceCandidateFound"):
        c = cand["candidate"]
        await page.add_candidate("late", {k: c[k] for k in ("candidate", "sdpMid", "sdpMLineIndex")})
    for cand in offer["candidates"]:
        await pub.add_ice_candidate(cand["candidate"], cand["sdpMid"], cand["sdpMLineIndex"])
    await log.wait("MediaFlowInStateChanged", flow("FLOWING", "VIDEO"))
    await log.wait("ConnectionStateChanged", lambda d: d["newState"] == "CONNECTED")

    # The browser goes away: media stops and the endpoint says it is disconnected.
    await page.close("late")
    await log.wait("MediaFlowInStateChanged", flow("NOT_FLOWING", "VIDEO"))
    await log.wait("ConnectionStateChanged", lambda d: d["newState"] == "DISCONNECTED")
    await log.wait("MediaStateChanged", lambda d: d["newState"] == "DISCONNECTED")
    assert pub.connection_state == "DISCONNECTED" and pub.media_state == "DISCONNECTED"
