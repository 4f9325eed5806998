"""CompositeNode / HubPortNode: each port hears the others (not itself) and sees everyone in a grid."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest

from minikms.media import CompositeNode, HubPortNode, MediaEngine, RecorderNode
from tests.minikms.media_helpers import (
    ConstantAudioTrack,
    ConstantVideoTrack,
    EventLog,
    FrameTap,
    TrackSource,
    ffprobe,
)

LEVELS = (1000, 2000, 4000)
FRAMES_TO_CHECK = 25


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    eng = MediaEngine("127.0.0.1")
    yield eng
    await eng.close()


async def test_audio_mix_excludes_own_input(engine: MediaEngine) -> None:
    composite = CompositeNode(engine)
    ports, taps, logs = [], [], []
    for level in LEVELS:
        source = TrackSource(engine)
        source.feed("audio", ConstantAudioTrack(level))
        port = HubPortNode(engine, composite)
        logs.append(EventLog().attach(port))
        source.connect(port, "AUDIO")
        tap = FrameTap(engine)
        port.connect(tap, "AUDIO")
        ports.append(port)
        taps.append(tap)
    total = sum(LEVELS)
    for level, tap in zip(LEVELS, taps, strict=True):
        frames = await tap.wait_frames("audio", FRAMES_TO_CHECK)
        # The last frames are in steady state: every sample is the sum of the other ports.
        samples = np.concatenate([f.to_ndarray().ravel() for f in frames[-15:]])
        assert frames[-1].sample_rate == 48000 and frames[-1].layout.name == "stereo"
        assert int(np.median(samples)) == total - level
    await logs[0].wait(
        "MediaFlowInStateChanged", lambda d: d["state"] == "FLOWING" and d["mediaType"] == "AUDIO"
    )
    await logs[0].wait(
        "MediaFlowOutStateChanged", lambda d: d["state"] == "FLOWING" and d["mediaType"] == "AUDIO"
    )

    # A released port no longer contributes.
    await ports[2].release()
    assert ports[2] not in composite.ports
    frames = await taps[0].wait_frames("audio", FRAMES_TO_CHECK)
    assert int(np.median(np.concatenate([f.to_ndarray().ravel() for f in frames[-10:]]))) == LEVELS[1]
    await composite.release()
    assert all(p.released for p in ports)


async def test_video_grid_and_composed_recording(engine: MediaEngine, tmp_path: object) -> None:
    composite = CompositeNode(engine, width=320, height=240, framerate=10)
    for luma in (40, 200):
        source = TrackSource(engine)
        source.feed("video", ConstantVideoTrack(luma))
        source.feed("audio", ConstantAudioTrack(500))
        source.connect(HubPortNode(engine, composite))
    out_port = HubPortNode(engine, composite)
    tap = FrameTap(engine)
    out_port.connect(tap, "VIDEO")
    frames = await tap.wait_frames("video", 5)
    picture = frames[-1].to_ndarray()
    assert (frames[-1].width, frames[-1].height) == (320, 240)
    # Two inputs: side by side, left and right halves carry each input's luma.
    assert abs(int(picture[120, 80]) - 40) <= 2 and abs(int(picture[120, 240]) - 200) <= 2

    path = tmp_path / "composed.webm"  # type: ignore[operator]
    recorder = RecorderNode(engine, path.as_uri(), "WEBM")
    out_port.connect(recorder)
    await recorder.record()
    await tap.wait_frames("video", 20)
    await recorder.stop_and_wait()
    probe = ffprobe(path)
    assert set(probe.streams) == {"audio", "video"}
    assert (probe.streams["video"]["width"], probe.streams["video"]["height"]) == (320, 240)
    assert probe.duration > 1.0
