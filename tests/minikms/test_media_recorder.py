"""RecorderNode tests: files that ffprobe reads with the right streams and duration.

The synthetic tests feed aiortc's generated tracks (no network); the Chromium test records a real
WebRTC publisher through a PassThrough, as OpenVidu does. Run the latter inside a loopback-only netns:
  unshare -n sh -c 'ip link set lo up && python3 -m pytest tests/minikms/test_media_recorder.py -q'
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from minikms.media import MediaEngine, PassThroughNode, RecorderNode, WebRtcNode
from minikms.protocol import KurentoError
from tests.minikms.media_helpers import (
    ConstantAudioTrack,
    EventLog,
    TrackSource,
    decodes_cleanly,
    ffprobe,
    open_peer_page,
)
from tests.support.browser import Browser, StaticServer

LOOPBACK = "127.0.0.1"
DURATION_TOLERANCE = 0.10
SYNTHETIC_SECONDS = 2.0
BROWSER_SECONDS = 4.0
BROWSER_RUNS = 3


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    eng = MediaEngine(LOOPBACK)
    yield eng
    await eng.close()


def assert_duration(actual: float, expected: float) -> None:
    assert abs(actual - expected) <= DURATION_TOLERANCE * expected, (
        f"duration {actual} s, expected {expected} s"
    )


@pytest.mark.parametrize(
    ("profile", "suffix", "kinds", "codecs"),
    [
        ("WEBM", "webm", {"audio", "video"}, {"audio": "opus", "video": "vp8"}),
        ("MP4", "mp4", {"audio", "video"}, {"audio": "aac", "video": "h264"}),
        ("WEBM_AUDIO_ONLY", "webm", {"audio"}, {"audio": "opus"}),
        ("WEBM_VIDEO_ONLY", "webm", {"video"}, {"video": "vp8"}),
    ],
)
async def test_profiles_with_audio_arriving_before_video(
    engine: MediaEngine, tmp_path: Path, profile: str, suffix: str, kinds: set[str], codecs: dict[str, str]
) -> None:
    """Audio flows first and video joins later (the trap that lost video in aiortc's MediaRecorder)."""
    path = tmp_path / f"rec.{suffix}"
    source = TrackSource(engine)
    recorder = RecorderNode(engine, path.as_uri(), profile)
    log = EventLog().attach(recorder)
    source.connect(recorder)
    source.feed("audio", AudioStreamTrack())
    await recorder.record()
    started = time.monotonic()
    assert recorder.state == "START"
    await asyncio.sleep(SYNTHETIC_SECONDS / 4)
    source.feed("video", VideoStreamTrack())
    await asyncio.sleep(SYNTHETIC_SECONDS * 3 / 4)
    recorded = time.monotonic() - started  # the machine may be slower than the nominal sleeps
    await recorder.stop_and_wait()
    await log.wait("Stopped")
    assert log.names()[:2] == ["Recording", "UriEndpointStateChanged"]
    assert {"state": "STOP"} in log.named("UriEndpointStateChanged")

    probe = ffprobe(path)
    assert set(probe.streams) == kinds
    for kind in kinds:
        assert probe.streams[kind]["codec_name"] == codecs[kind]
        assert int(probe.streams[kind]["nb_read_packets"]) > 0
    if "video" in kinds:
        assert (probe.streams["video"]["width"], probe.streams["video"]["height"]) == (640, 480)
    assert_duration(probe.duration, recorded)
    assert decodes_cleanly(path) == ""
    await recorder.release()
    await source.release()


@pytest.mark.parametrize(
    ("stall", "drop", "expected_audio"),
    [(0.5, 0.0, SYNTHETIC_SECONDS + 0.5), (0.0, 0.5, SYNTHETIC_SECONDS)],
    ids=["late-audio-stays-contiguous", "lost-audio-leaves-a-gap"],
)
async def test_audio_timing_follows_the_source(
    engine: MediaEngine, tmp_path: Path, stall: float, drop: float, expected_audio: float
) -> None:
    """Audio delivered late (a stall then a burst) is not stretched; audio that never came leaves a gap.

    Recording lasts SYNTHETIC_SECONDS + 0.5 s in both cases; the stalled source delivers all of it late,
    the dropping source loses 0.5 s of it."""
    path = tmp_path / "timing.webm"
    source = TrackSource(engine)
    source.feed("audio", ConstantAudioTrack(1000, stall_at=0.5, stall=stall, drop_at=0.5, drop=drop))
    recorder = RecorderNode(engine, path.as_uri(), "WEBM_AUDIO_ONLY")
    source.connect(recorder)
    await recorder.record()
    started = time.monotonic()
    await asyncio.sleep(SYNTHETIC_SECONDS + 0.5)
    recorded = time.monotonic() - started
    await recorder.stop_and_wait()
    probe = ffprobe(path)
    assert_duration(probe.duration, recorded)
    packets_seconds = int(probe.streams["audio"]["nb_read_packets"]) * 0.02
    assert_duration(packets_seconds, expected_audio)
    await recorder.release()


async def test_pause_excludes_time_and_emits_events(engine: MediaEngine, tmp_path: Path) -> None:
    path = tmp_path / "paused.webm"
    source = TrackSource(engine)
    source.feed("audio", AudioStreamTrack())
    source.feed("video", VideoStreamTrack())
    recorder = RecorderNode(engine, path.as_uri(), "WEBM")
    log = EventLog().attach(recorder)
    source.connect(recorder)
    await recorder.record()
    started = time.monotonic()
    await asyncio.sleep(1.0)
    await recorder.pause()
    first_part = time.monotonic() - started
    assert recorder.state == "PAUSE"
    await asyncio.sleep(1.0)
    await recorder.record()
    resumed = time.monotonic()
    await asyncio.sleep(1.0)
    recorded = first_part + time.monotonic() - resumed
    await recorder.stop_and_wait()
    await log.wait("Stopped")
    assert [n for n in log.names() if n in ("Recording", "Paused", "Stopped")] == [
        "Recording",
        "Paused",
        "Recording",
        "Stopped",
    ]
    assert [d["state"] for d in log.named("UriEndpointStateChanged")] == ["START", "PAUSE", "START", "STOP"]
    probe = ffprobe(path)
    assert set(probe.streams) == {"audio", "video"}
    assert_duration(probe.duration, recorded)
    await recorder.release()


async def test_release_while_recording_finalises_the_file(engine: MediaEngine, tmp_path: Path) -> None:
    path = tmp_path / "released.webm"
    source = TrackSource(engine)
    source.feed("audio", AudioStreamTrack())
    source.feed("video", VideoStreamTrack())
    recorder = RecorderNode(engine, path.as_uri(), "WEBM")
    source.connect(recorder)
    await recorder.record()
    started = time.monotonic()
    await asyncio.sleep(1.0)
    recorded = time.monotonic() - started
    await recorder.release()
    assert recorder.last_result is not None and recorder.last_result.error is None
    probe = ffprobe(path)
    assert set(probe.streams) == {"audio", "video"}
    assert_duration(probe.duration, recorded)


async def test_bad_uri_and_profile(engine: MediaEngine, tmp_path: Path) -> None:
    with pytest.raises(KurentoError) as info:
        RecorderNode(engine, (tmp_path / "x.webm").as_uri(), "JPEG_VIDEO_ONLY")
    assert info.value.code == 40107
    recorder = RecorderNode(engine, "http://127.0.0.1:1/upload.webm", "WEBM")
    log = EventLog().attach(recorder)
    await recorder.record()
    error = await log.wait("Error")
    assert error["type"] == "RESOURCE_ERROR_OPEN" and isinstance(error["errorCode"], int)


@pytest.fixture(scope="module")
def server() -> Iterator[StaticServer]:
    with StaticServer() as srv:
        yield srv


@pytest.mark.media
@pytest.mark.e2e
async def test_record_browser_publisher_repeatedly(
    engine: MediaEngine, browser: Browser, server: StaticServer, tmp_path: Path
) -> None:
    page = open_peer_page(browser, server)
    pub = WebRtcNode(engine)
    offer = await page.publish("pub")
    await page.answer("pub", await pub.process_offer(offer["sdp"]))
    passthrough = PassThroughNode(engine)
    pub.connect(passthrough)
    pub_log = EventLog().attach(pub)
    await pub_log.wait(
        "MediaFlowInStateChanged", lambda d: d["state"] == "FLOWING" and d["mediaType"] == "VIDEO"
    )

    for run in range(BROWSER_RUNS):
        path = tmp_path / f"browser-{run}.webm"
        recorder = RecorderNode(engine, path.as_uri(), "WEBM")
        log = EventLog().attach(recorder)
        # As OpenVidu does: one connect per media type.
        passthrough.connect(recorder, "AUDIO")
        passthrough.connect(recorder, "VIDEO")
        await recorder.record()
        started = time.monotonic()
        await asyncio.sleep(BROWSER_SECONDS)
        recorded = time.monotonic() - started  # finalising the file after stop is not recording time
        await recorder.stop_and_wait()
        await log.wait("Stopped")
        await recorder.release()

        probe = ffprobe(path)
        assert set(probe.streams) == {"audio", "video"}, f"run {run}: {probe.streams}"
        assert int(probe.streams["video"]["nb_read_packets"]) > 0
        assert int(probe.streams["audio"]["nb_read_packets"]) > 0
        assert probe.streams["video"]["width"] > 0
        assert_duration(probe.duration, recorded)
        assert decodes_cleanly(path) == ""
    await page.close("pub")


async def test_write_failure_is_an_error_event_and_ends_the_recording(engine: MediaEngine) -> None:
    source = TrackSource(engine)
    source.feed("audio", AudioStreamTrack())
    source.feed("video", VideoStreamTrack())
    recorder = RecorderNode(engine, "file:///dev/full", "WEBM")  # every write fails with ENOSPC
    log = EventLog().attach(recorder)
    source.connect(recorder)
    await recorder.record()
    await asyncio.sleep(1.0)
    await recorder.stop_and_wait()
    error = await log.wait("Error")
    assert error["type"] == "RESOURCE_ERROR_NO_SPACE_LEFT" and error["errorCode"] == 14
    assert "No space left" in error["description"]
    await log.wait("Stopped")
    assert recorder.state == "STOP"
