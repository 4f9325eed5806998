"""CompositeNode and HubPortNode: Kurento's Composite mixer and its ports.

Every HubPort's input is mixed: each port's audio output is the sum of every *other* port's audio (as
KMS's audio mixer does, so a participant does not hear itself), and its video output is a grid of all
ports' latest pictures. Audio ticks every 20 ms on a fixed schedule; the video grid is built at a low
rate in a worker thread, and only while some port's video output has a sink.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from fractions import Fraction
from typing import Any

import av
import numpy as np
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

from .node import KINDS, MediaEngine, MediaNode
from .tracks import QueueTrack

log = logging.getLogger(__name__)

CHANNELS = 2
VIDEO_CLOCK = 90000
BLACK_Y, BLACK_UV = 16, 128


class HubPortNode(MediaNode):
    """A port of a CompositeNode: what is connected into it is mixed; its output is the mix."""

    def __init__(self, engine: MediaEngine, hub: CompositeNode) -> None:
        super().__init__(engine)
        self.hub = hub
        self.mixed: dict[str, QueueTrack] = {
            "audio": QueueTrack("audio", self.params.audio_queue_frames),
            "video": QueueTrack("video", self.params.video_queue_frames),
        }
        for kind in KINDS:
            self.outputs[kind].set_source(self.mixed[kind])
        self.audio = np.zeros((0, CHANNELS), dtype=np.int16)
        self.audio_last = 0.0
        self.video: VideoFrame | None = None
        self.video_last = 0.0
        self._resampler: Any = None
        hub.add_port(self)

    def take_audio(self, samples: int, now: float, max_age: float) -> np.ndarray[Any, Any]:
        """The next ``samples`` stereo samples of this port's input (zeros where there are none)."""
        if now - self.audio_last > max_age or len(self.audio) == 0:
            self.audio = self.audio[:0]
            return np.zeros((samples, CHANNELS), dtype=np.int32)
        chunk = self.audio[:samples].astype(np.int32)
        self.audio = self.audio[samples:]
        if len(chunk) < samples:
            chunk = np.concatenate([chunk, np.zeros((samples - len(chunk), CHANNELS), dtype=np.int32)])
        return chunk

    def add_audio(self, frame: AudioFrame, rate: int, max_delay: float) -> None:
        if self._resampler is None:
            self._resampler = av.AudioResampler(format="s16", layout="stereo", rate=rate)
        private = AudioFrame.from_ndarray(
            frame.to_ndarray(), format=frame.format.name, layout=frame.layout.name
        )
        private.sample_rate = frame.sample_rate
        private.pts = None
        parts = [f.to_ndarray().reshape(-1, CHANNELS) for f in self._resampler.resample(private)]
        if parts:
            self.audio = np.concatenate([self.audio, *parts])
            limit = int(max_delay * rate)
            if len(self.audio) > limit:
                self.audio = self.audio[-limit:]
        self.audio_last = time.monotonic()

    async def close_media(self) -> None:
        for track in self.mixed.values():
            track.stop()
        await self.hub.remove_port(self)


class CompositeNode(MediaNode):
    """The mixer hub. Not itself connectable; media goes through its HubPortNodes."""

    def __init__(
        self,
        engine: MediaEngine,
        width: int | None = None,
        height: int | None = None,
        framerate: int | None = None,
    ) -> None:
        super().__init__(engine)
        self.width = (width or self.params.mixer_video_width) // 2 * 2
        self.height = (height or self.params.mixer_video_height) // 4 * 4
        self.framerate = framerate or self.params.mixer_video_fps
        self.ports: list[HubPortNode] = []
        self._readers: dict[HubPortNode, list[asyncio.Task[None]]] = {}
        self._audio_task: asyncio.Task[None] | None = None
        self._video_task: asyncio.Task[None] | None = None
        self.audio_ticks = 0
        self.video_ticks = 0

    def add_port(self, port: HubPortNode) -> None:
        self.ports.append(port)
        loop = asyncio.get_running_loop()
        self._readers[port] = [
            loop.create_task(self._read_audio(port)),
            loop.create_task(self._read_video(port)),
        ]
        if self._audio_task is None:
            self._audio_task = loop.create_task(self._mix_audio())
            self._video_task = loop.create_task(self._mix_video())

    async def remove_port(self, port: HubPortNode) -> None:
        if port in self.ports:
            self.ports.remove(port)
        for task in self._readers.pop(port, []):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _read_audio(self, port: HubPortNode) -> None:
        rate, delay = self.params.mixer_audio_rate, self.params.mixer_input_max_delay
        with contextlib.suppress(Exception):
            while True:
                frame = await port.inputs["audio"].recv()
                if isinstance(frame, AudioFrame):
                    port.add_audio(frame, rate, delay)

    async def _read_video(self, port: HubPortNode) -> None:
        with contextlib.suppress(Exception):
            while True:
                frame = await port.inputs["video"].recv()
                if isinstance(frame, VideoFrame):
                    port.video = frame
                    port.video_last = time.monotonic()

    async def _mix_audio(self) -> None:
        params = self.params
        rate, ptime = params.mixer_audio_rate, params.mixer_audio_ptime
        samples = int(rate * ptime)
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        pts = 0
        try:
            while True:
                next_tick += ptime
                await asyncio.sleep(max(0.0, next_tick - loop.time()))
                now = time.monotonic()
                active = [p for p in self.ports if now - p.audio_last < params.flow_idle_timeout]
                if not active:
                    continue
                chunks = {p: p.take_audio(samples, now, params.flow_idle_timeout) for p in self.ports}
                total = sum(chunks.values(), np.zeros((samples, CHANNELS), dtype=np.int32))
                for port in self.ports:
                    if not port.outputs["audio"].sinks:
                        continue
                    mixed = np.clip(total - chunks[port], -32768, 32767).astype(np.int16)
                    frame = AudioFrame.from_ndarray(mixed.reshape(1, -1), format="s16", layout="stereo")
                    frame.sample_rate = rate
                    frame.pts = pts
                    frame.time_base = Fraction(1, rate)
                    port.mixed["audio"].put(frame)
                pts += samples
                self.audio_ticks += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("audio mixer stopped")

    async def _mix_video(self) -> None:
        params = self.params
        interval = 1.0 / self.framerate
        step = VIDEO_CLOCK // self.framerate
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        pts = 0
        try:
            while True:
                next_tick += interval
                await asyncio.sleep(max(0.0, next_tick - loop.time()))
                listeners = [p for p in self.ports if p.outputs["video"].sinks]
                now = time.monotonic()
                pictures = [
                    p.video
                    for p in self.ports
                    if p.video is not None and now - p.video_last < params.flow_idle_timeout
                ]
                if not listeners or not pictures:
                    continue
                frame = await asyncio.to_thread(self.grid, pictures)
                frame.pts = pts
                frame.time_base = Fraction(1, VIDEO_CLOCK)
                pts += step
                for port in listeners:
                    port.mixed["video"].put(frame)
                self.video_ticks += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("video mixer stopped")

    def grid(self, pictures: list[VideoFrame]) -> VideoFrame:
        """All pictures scaled into a near-square grid on a black canvas (yuv420p)."""
        cols = math.ceil(math.sqrt(len(pictures)))
        rows = math.ceil(len(pictures) / cols)
        tile_w = self.width // cols // 2 * 2
        tile_h = self.height // rows // 2 * 2
        y = np.full((self.height, self.width), BLACK_Y, dtype=np.uint8)
        u = np.full((self.height // 2, self.width // 2), BLACK_UV, dtype=np.uint8)
        v = np.full((self.height // 2, self.width // 2), BLACK_UV, dtype=np.uint8)
        for index, picture in enumerate(pictures):
            row, col = divmod(index, cols)
            tile = picture.reformat(width=tile_w, height=tile_h, format="yuv420p").to_ndarray()
            x0, y0 = col * tile_w, row * tile_h
            y[y0 : y0 + tile_h, x0 : x0 + tile_w] = tile[:tile_h]
            chroma = tile[tile_h:].reshape(2, tile_h // 2, tile_w // 2)
            u[y0 // 2 : (y0 + tile_h) // 2, x0 // 2 : (x0 + tile_w) // 2] = chroma[0]
            v[y0 // 2 : (y0 + tile_h) // 2, x0 // 2 : (x0 + tile_w) // 2] = chroma[1]
        canvas = np.concatenate([y, u.reshape(-1, self.width), v.reshape(-1, self.width)])
        return VideoFrame.from_ndarray(canvas, format="yuv420p")

    async def close_media(self) -> None:
        for port in list(self.ports):
            await port.release()
        for task in (self._audio_task, self._video_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._audio_task = self._video_task = None
