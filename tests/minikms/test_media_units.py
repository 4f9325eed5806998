"""Media engine pieces alone: SDP/ICE text rules, KMS errors, aiortc-to-aiortc negotiation, release."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiortc.rtp
import numpy as np
import pytest
from av.audio.frame import AudioFrame

from minikms.media import MediaEngine, PassThroughNode, RecorderNode, WebRtcNode, media_kinds
from minikms.media.ice import candidate_allowed, parse_candidate
from minikms.media.levels import AIORTC_AUDIO_LEVEL, audio_level_dbov
from minikms.media.sdp import filter_remote_candidates, media_sections, set_bandwidth
from minikms.protocol import KurentoError
from tests.minikms.media_helpers import (
    ConstantAudioTrack,
    ConstantVideoTrack,
    EventLog,
    FrameTap,
    TrackSource,
)

LOOPBACK = "127.0.0.1"
OFFER = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n"
    "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0\r\n"
    "a=candidate:2 1 udp 2122194687 192.0.2.2 50001 typ host generation 0\r\n"
    "a=candidate:3 1 udp 2122129151 6f1c0a3e-1b2c-4d5e-8f90-a1b2c3d4e5f6.local 50002 typ host\r\n"
    "a=candidate:4 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n"
)


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    eng = MediaEngine(LOOPBACK)
    yield eng
    await eng.close()


def test_remote_candidates_other_than_loopback_udp_are_dropped() -> None:
    filtered = filter_remote_candidates(OFFER, LOOPBACK)
    candidates = [line for line in filtered.split("\r\n") if line.startswith("a=candidate:")]
    assert candidates == ["a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0"]
    assert "a=rtpmap:111 opus/48000/2" in filtered and filtered.endswith("\r\n")
    assert not candidate_allowed("candidate:2 1 udp 1 192.0.2.2 5 typ host", LOOPBACK)
    assert candidate_allowed("candidate:2 1 UDP 1 127.0.0.1 5 typ host", LOOPBACK)
    with pytest.raises(ValueError):
        parse_candidate("candidate:1 1 udp")


def test_media_sections_and_bandwidth_lines() -> None:
    sections = media_sections(OFFER)
    assert [(s.kind, s.mid, s.direction) for s in sections] == [
        ("audio", "0", "sendonly"),
        ("video", "1", "recvonly"),
    ]
    assert len(sections[0].candidates) == 4
    capped = set_bandwidth(OFFER, "video", 500)
    audio, video = capped.split("m=video", 1)
    assert "b=AS" not in audio and "c=IN IP4 0.0.0.0\r\nb=AS:500\r\n" in video
    assert "b=AS" not in set_bandwidth(capped, "video", 0)


def test_media_types() -> None:
    assert media_kinds(None) == ("audio", "video")
    assert media_kinds("AUDIO") == ("audio",) and media_kinds("VIDEO") == ("video",)
    assert media_kinds("DATA") == ()
    with pytest.raises(KurentoError) as info:
        media_kinds("SMELL")
    assert (info.value.code, info.value.data_type) == (40005, "UNSUPPORTED_MEDIA_TYPE")


async def test_sdp_errors_are_kms_errors(engine: MediaEngine) -> None:
    node = WebRtcNode(engine)
    for bad in ("", "   ", "hello"):
        with pytest.raises(KurentoError) as info:
            await node.process_offer(bad)
        assert info.value.code == 40201 and info.value.data_type == "SDP_PARSE_ERROR"
    with pytest.raises(KurentoError) as info:
        await node.process_answer(OFFER)
    assert info.value.code == 40209
    events = EventLog().attach(node)
    await node.gather_candidates()  # before negotiation: a silent no-op, as on KMS
    assert events.events == []

    offerer = WebRtcNode(engine)
    await offerer.generate_offer()
    with pytest.raises(KurentoError) as info:
        await offerer.generate_offer()
    assert info.value.code == 40208 and info.value.data_type == "SDP_END_POINT_ALREADY_NEGOTIATED"
    with pytest.raises(KurentoError) as info:
        await offerer.process_offer(OFFER)
    assert info.value.code == 40208


async def test_add_ice_candidate_rules(engine: MediaEngine) -> None:
    node = WebRtcNode(engine)
    await node.add_ice_candidate("", None, None)  # end-of-candidates
    await node.add_ice_candidate("candidate:2 1 udp 2122194687 192.0.2.2 50001 typ host", "0", 0)
    await node.add_ice_candidate("candidate:3 1 udp 2122129151 abc.local 50002 typ host", "0", 0)
    assert node._pending == []
    await node.add_ice_candidate("candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", "0", 0)
    assert len(node._pending) == 1  # kept until the offer arrives
    with pytest.raises(KurentoError) as info:
        await node.add_ice_candidate("candidate:nonsense", "0", 0)
    assert info.value.code == 40401 and info.value.data_type == "ICE_ADD_CANDIDATE_ERROR"


@pytest.mark.media
async def test_generate_offer_process_answer_between_two_nodes(engine: MediaEngine) -> None:
    """aiortc to aiortc over loopback: A offers (generateOffer), B answers, media flows A -> B."""
    a, b = WebRtcNode(engine), WebRtcNode(engine)
    a_log, b_log = EventLog().attach(a), EventLog().attach(b)
    source = TrackSource(engine)
    source.feed("audio", ConstantAudioTrack(1000))
    source.feed("video", ConstantVideoTrack(100))
    source.connect(a)
    tap = FrameTap(engine)
    b.connect(tap)

    offer = await a.generate_offer(audio=False, video=True)
    sections = media_sections(offer)
    assert [(s.kind, s.direction) for s in sections] == [("audio", "sendonly"), ("video", "sendrecv")]
    assert all(LOOPBACK in c for s in sections for c in s.candidates)
    assert "s=Kurento Media Server" in offer
    answer = await b.process_offer(offer)
    assert [(s.kind, s.direction) for s in media_sections(answer)] == [
        ("audio", "recvonly"),
        ("video", "sendrecv"),
    ]
    assert await a.process_answer(answer) == a.local_sdp
    with pytest.raises(KurentoError) as info:
        await a.process_answer(answer)
    assert info.value.code == 40210
    assert a.remote_sdp == answer and b.remote_sdp == offer

    video = await tap.wait_frames("video", 10)
    audio = await tap.wait_frames("audio", 10)
    assert video[-1].width == 320 and audio[-1].sample_rate == 48000
    await b_log.wait(
        "MediaFlowInStateChanged", lambda d: d["state"] == "FLOWING" and d["mediaType"] == "VIDEO"
    )
    await a_log.wait(
        "MediaFlowOutStateChanged", lambda d: d["state"] == "FLOWING" and d["mediaType"] == "AUDIO"
    )
    await a_log.wait("NewCandidatePairSelected")

    await b.release()
    assert b.pc.connectionState == "closed" and b.released
    assert all(hub._task is None for hub in b.outputs.values())
    assert all(switch.readyState == "ended" for switch in b.inputs.values())
    assert b not in engine.nodes and tap.sources["video"] is None


async def test_release_disconnects_neighbours(engine: MediaEngine) -> None:
    source, passthrough = TrackSource(engine), PassThroughNode(engine)
    sinks = [PassThroughNode(engine) for _ in range(3)]
    source.connect(passthrough)
    for sink in sinks:
        passthrough.connect(sink, "VIDEO")
    assert len(passthrough.outputs["video"].sinks) == 3
    passthrough.disconnect(sinks[0], "AUDIO")  # not connected for audio: nothing changes
    assert sinks[0].sources["video"] is passthrough
    await passthrough.release()
    await passthrough.release()
    assert source.sinks["video"] == [] and all(s.sources["video"] is None for s in sinks)
    assert passthrough.outputs["video"].sinks == []
    await asyncio.sleep(0)
    assert passthrough not in engine.nodes


async def test_shared_encoder_keyframes_and_overflow(engine: MediaEngine) -> None:
    """A shared VP8 encoder starts every subscriber on a keyframe, makes one when asked (PLI), and a
    subscriber whose queue overflows restarts from a keyframe instead of decoding garbage."""
    source = TrackSource(engine)
    source.feed("video", ConstantVideoTrack(90, fps=20))
    node = WebRtcNode(engine)  # only used as the owner of the send track (its caps bound the bitrate)
    node.set_bandwidth(max_send=300)
    track = node.video_send
    track.mode = "packets"
    encoder = engine.video_encoder(source.outputs["video"])
    track.follow(encoder)
    assert encoder.bitrate == 300_000  # the subscriber's maxVideoSendBandwidth bounds the shared encoder

    first = await asyncio.wait_for(track.recv(), 10)
    assert first.is_keyframe and first.time_base is not None
    packets = [await asyncio.wait_for(track.recv(), 10) for _ in range(10)]
    assert not any(p.is_keyframe for p in packets)  # the GOP is long: no keyframe unless asked
    assert [p.pts for p in packets] == sorted(p.pts for p in packets)
    track.request_keyframe()
    asked = [await asyncio.wait_for(track.recv(), 10) for _ in range(40)]
    assert any(p.is_keyframe for p in asked)

    # Overflow: nobody reads; the queue is dropped and the next packet delivered is a keyframe.
    limit = engine.params.shared_packet_queue
    deadline = asyncio.get_running_loop().time() + 30
    while encoder.frames_encoded < len(packets) + len(asked) + limit + 5:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)
    after = await asyncio.wait_for(track.recv(), 10)
    assert after.is_keyframe
    await node.release()
    assert engine.video_encoders == {}  # the last subscriber left: the encoder is closed


def test_fast_audio_level_matches_aiortc() -> None:
    """The numpy audio level the engine installs gives aiortc's own values (silence, noise, clipping)."""
    rng = np.random.default_rng(7)
    for amplitude in (0, 1, 30, 1000, 12000, 32767):
        for layout, channels in (("mono", 1), ("stereo", 2)):
            data = rng.integers(-amplitude, amplitude + 1, (1, 960 * channels)).astype(np.int16)
            frame = AudioFrame.from_ndarray(data, format="s16", layout=layout)
            frame.sample_rate = 48000
            assert audio_level_dbov(frame) == AIORTC_AUDIO_LEVEL(frame), (amplitude, layout)
    MediaEngine(LOOPBACK)
    assert aiortc.rtp.compute_audio_level_dbov is audio_level_dbov  # what every sender now calls


@pytest.mark.media
async def test_close_frees_tasks_threads_and_sockets(tmp_path: object) -> None:
    """After the engine closes, no task, recorder thread or UDP socket of the media graph is left."""
    import threading

    import psutil

    def media_tasks() -> set[asyncio.Task[object]]:
        return {t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()}

    def udp_sockets() -> int:
        return sum(1 for c in psutil.Process().net_connections(kind="udp"))

    baseline_tasks, baseline_udp = media_tasks(), udp_sockets()
    engine = MediaEngine(LOOPBACK)
    a, b = WebRtcNode(engine), WebRtcNode(engine)
    source = TrackSource(engine)
    source.feed("audio", ConstantAudioTrack(1000))
    source.feed("video", ConstantVideoTrack(100))
    source.connect(a)
    passthrough = PassThroughNode(engine)
    b.connect(passthrough)
    tap = FrameTap(engine)
    passthrough.connect(tap)
    recorder = RecorderNode(engine, (tmp_path / "r.webm").as_uri(), "WEBM")  # type: ignore[operator]
    passthrough.connect(recorder)
    await recorder.record()
    await a.process_answer(await b.process_offer(await a.generate_offer()))
    await tap.wait_frames("video", 10)
    assert udp_sockets() > baseline_udp
    assert any(t.name == "minikms-recorder" for t in threading.enumerate())

    await engine.close()

    def freed() -> bool:
        recorder_alive = any(t.name == "minikms-recorder" for t in threading.enumerate())
        return media_tasks() <= baseline_tasks and not recorder_alive and udp_sockets() == baseline_udp

    unwound = asyncio.get_running_loop().time() + 5  # cancelled aiortc tasks take a few loop turns to end
    while not freed() and asyncio.get_running_loop().time() < unwound:
        await asyncio.sleep(0.01)
    assert engine.nodes == set() and engine.video_encoders == {}
    assert media_tasks() <= baseline_tasks, media_tasks() - baseline_tasks
    assert not any(t.name == "minikms-recorder" for t in threading.enumerate())
    assert udp_sockets() == baseline_udp
