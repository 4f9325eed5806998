"""Shared helpers of the minikms media tests: event capture, a Chromium peer page, ffprobe."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from aiortc.mediastreams import MediaStreamTrack
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

from minikms.media import MediaEngine, MediaNode
from tests.support.browser import Browser, Page, StaticServer

EVENT_TIMEOUT = 30.0
POLL_INTERVAL = 0.1
PAGE = "minikms_media.html"
# Small video keeps the two shared cores free for the other engineers' tests.
VIDEO_WIDTH = 320
VIDEO_HEIGHT = 240


@dataclass
class EventLog:
    """Records what a node emits (name, data) in order."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def attach(self, node: MediaNode) -> EventLog:
        node.emit = lambda name, data: self.events.append((name, data))
        return self

    def named(self, name: str) -> list[dict[str, Any]]:
        return [data for event, data in self.events if event == name]

    def names(self) -> list[str]:
        return [event for event, _ in self.events]

    async def wait(
        self,
        name: str,
        where: Callable[[dict[str, Any]], bool] = lambda d: True,
        timeout: float = EVENT_TIMEOUT,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for data in self.named(name):
                if where(data):
                    return data
            await asyncio.sleep(POLL_INTERVAL)
        raise AssertionError(f"no {name} event matching in {timeout} s; got {self.names()}")


def flow(state: str, kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda d: d.get("state") == state and d.get("mediaType") == kind


class PeerPage:
    """Async wrapper over a Chromium page that loads tests/e2e/pages/minikms_media.html."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def eval(self, expr: str, timeout: float = 60.0) -> Any:
        return await asyncio.to_thread(self.page.eval, expr, timeout)

    async def publish(self, peer: str, trickle: bool = False) -> dict[str, Any]:
        args = f"{json.dumps(peer)}, {json.dumps(trickle)}, {VIDEO_WIDTH}, {VIDEO_HEIGHT}"
        return dict(await self.eval(f"mk.publish({args})"))

    async def subscribe(self, peer: str, trickle: bool = False) -> dict[str, Any]:
        return dict(await self.eval(f"mk.subscribe({json.dumps(peer)}, {json.dumps(trickle)})"))

    async def answer(self, peer: str, sdp: str) -> None:
        await self.eval(f"mk.answer({json.dumps(peer)}, {json.dumps(sdp)})")

    async def add_candidate(self, peer: str, candidate: dict[str, Any]) -> None:
        await self.eval(f"mk.addCandidate({json.dumps(peer)}, {json.dumps(candidate)})")

    async def state(self, peer: str) -> dict[str, Any]:
        return dict(await self.eval(f"mk.state({json.dumps(peer)})"))

    async def rtp(self, peer: str) -> dict[str, Any]:
        return dict(await self.eval(f"mk.rtp({json.dumps(peer)})"))

    async def close(self, peer: str) -> None:
        await self.eval(f"mk.close({json.dumps(peer)})")

    async def wait_state(
        self, peer: str, check: Callable[[dict[str, Any]], bool], timeout: float = EVENT_TIMEOUT
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        state: dict[str, Any] = {}
        while time.monotonic() < deadline:
            state = await self.state(peer)
            if check(state):
                return state
            await asyncio.sleep(0.25)
        raise AssertionError(f"peer {peer} never reached the expected state; last {state}")

    async def wait_playing(
        self, peer: str, timeout: float = EVENT_TIMEOUT
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Wait for a decoded picture, then for currentTime to advance; returns (first, later) states."""
        first = await self.wait_state(peer, lambda s: s["width"] > 0 and s["time"] > 0, timeout)
        later = await self.wait_state(
            peer, lambda s: s["time"] > first["time"] + 1.0 and s["frames"] > first["frames"], timeout
        )
        return first, later


def open_peer_page(browser: Browser, server: StaticServer) -> PeerPage:
    return PeerPage(browser.open(f"{server.base_url}/{PAGE}"))


def strip_candidates(sdp: str) -> str:
    lines = [
        line for line in sdp.replace("\r\n", "\n").split("\n") if line and not line.startswith("a=candidate:")
    ]
    return "\r\n".join(lines) + "\r\n"


@dataclass
class Probe:
    duration: float
    streams: dict[str, dict[str, Any]]


def ffprobe(path: Path) -> Probe:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_packets",
            "-show_entries",
            "format=duration:stream=codec_type,codec_name,width,height,nb_read_packets",
            "-of",
            "json",
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    info = json.loads(out.stdout)
    streams = {s["codec_type"]: s for s in info.get("streams", [])}
    return Probe(duration=float(info["format"]["duration"]), streams=streams)


def decodes_cleanly(path: Path) -> str:
    """ffmpeg's full decode of the file: the error text ('' when clean)."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stderr.strip()


class TrackSource(MediaNode):
    """A test-only node whose outputs are fed by given aiortc tracks (e.g. aiortc's synthetic tracks)."""

    def feed(self, kind: str, track: MediaStreamTrack) -> None:
        self.outputs[kind].set_source(track)


class ConstantAudioTrack(MediaStreamTrack):
    """Stereo s16 48 kHz audio whose every sample is ``value``, paced in real time (20 ms frames)."""

    kind = "audio"
    SAMPLES = 960
    RATE = 48000

    def __init__(
        self,
        value: int,
        stall_at: float | None = None,
        stall: float = 0.0,
        drop_at: float | None = None,
        drop: float = 0.0,
    ) -> None:
        """``stall``: at ``stall_at`` s, deliver nothing for ``stall`` s, then the backlog at once
        (contiguous timestamps, like a stalled pipeline). ``drop``: at ``drop_at`` s, skip ``drop`` s of
        audio (a timestamp jump, like lost packets)."""
        super().__init__()
        self.value = value
        self._pts = 0
        self._start: float | None = None
        self._stall_at, self._stall = stall_at, stall
        self._drop_at, self._drop = drop_at, drop

    async def recv(self) -> AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        if self._stall_at is not None and self._pts >= self._stall_at * self.RATE:
            self._stall_at = None
            await asyncio.sleep(self._stall)
        if self._drop_at is not None and self._pts >= self._drop_at * self.RATE:
            self._drop_at = None
            self._pts += int(self._drop * self.RATE)
        wait = self._start + self._pts / self.RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        data = np.full((1, self.SAMPLES * 2), self.value, dtype=np.int16)
        frame = AudioFrame.from_ndarray(data, format="s16", layout="stereo")
        frame.sample_rate = self.RATE
        frame.pts = self._pts
        frame.time_base = Fraction(1, self.RATE)
        self._pts += self.SAMPLES
        return frame


class ConstantVideoTrack(MediaStreamTrack):
    """A uniform yuv420p picture (luma ``y``) at ``fps``, paced in real time."""

    kind = "video"

    def __init__(self, y: int, width: int = 320, height: int = 240, fps: int = 15) -> None:
        super().__init__()
        self.y, self.width, self.height, self.fps = y, width, height, fps
        self._count = 0
        self._start: float | None = None

    async def recv(self) -> VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._count / self.fps - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        data = np.full((self.height * 3 // 2, self.width), 128, dtype=np.uint8)
        data[: self.height] = self.y
        frame = VideoFrame.from_ndarray(data, format="yuv420p")
        frame.pts = self._count * (90000 // self.fps)
        frame.time_base = Fraction(1, 90000)
        self._count += 1
        return frame


class FrameTap(MediaNode):
    """A test-only sink that keeps the frames reaching its inputs."""

    def __init__(self, engine: MediaEngine) -> None:
        super().__init__(engine)
        self.frames: dict[str, list[Any]] = {"audio": [], "video": []}
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._drain(kind)) for kind in ("audio", "video")]

    async def _drain(self, kind: str) -> None:
        with contextlib.suppress(Exception):
            while True:
                self.frames[kind].append(await self.inputs[kind].recv())

    async def wait_frames(self, kind: str, count: int, timeout: float = EVENT_TIMEOUT) -> list[Any]:
        deadline = time.monotonic() + timeout
        start = len(self.frames[kind])
        while time.monotonic() < deadline:
            if len(self.frames[kind]) - start >= count:
                return self.frames[kind][start:]
            await asyncio.sleep(POLL_INTERVAL)
        raise AssertionError(f"only {len(self.frames[kind]) - start} {kind} frames in {timeout} s")

    async def close_media(self) -> None:
        for task in self._tasks:
            task.cancel()
