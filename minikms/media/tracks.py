"""The media graph's plumbing: fan-out hubs, switchable input tracks and flow meters.

Every node has, per media kind, one ``InputSwitch`` (a MediaStreamTrack its consumer reads: an aiortc
sender, a recorder, a mixer) and one ``FrameHub`` (which reads the node's output track once and hands
each frame to the InputSwitch of every connected sink). Connecting A to B attaches B's switch to A's
hub; replacing B's source moves the switch to another hub. A switch with no source simply waits, so a
subscriber connected before the publisher has media starts getting frames when they arrive.

Frames are shared, never copied, between consumers (as aiortc's MediaRelay does): consumers must not
mutate them except the way every aiortc encoder does (see recorder.py for the time-base rule).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.frame import Frame
from av.packet import Packet

log = logging.getLogger(__name__)


class FlowMeter:
    """Remembers when a frame last passed; reports FLOWING / NOT_FLOWING transitions on ``tick``."""

    def __init__(self) -> None:
        self.frames = 0
        self.last: float | None = None
        self.flowing = False

    def hit(self) -> None:
        self.frames += 1
        self.last = time.monotonic()

    def tick(self, now: float, idle_timeout: float) -> bool | None:
        """The new state if it changed since the previous tick, else None."""
        flowing = self.last is not None and now - self.last < idle_timeout
        if flowing != self.flowing:
            self.flowing = flowing
            return flowing
        return None


class InputSwitch(MediaStreamTrack):
    """A track fed by whichever hub it is attached to; waits while there is none."""

    def __init__(self, kind: str, max_frames: int) -> None:
        super().__init__()
        self.kind = kind
        self._frames: deque[Frame | Packet[Any]] = deque(maxlen=max_frames)
        self._ready = asyncio.Event()
        self.pushed = FlowMeter()
        self.pulled = FlowMeter()
        self.hub: FrameHub | None = None

    def push(self, frame: Frame | Packet[Any]) -> None:
        self.pushed.hit()
        self._frames.append(frame)
        self._ready.set()

    def clear(self) -> None:
        self._frames.clear()
        self._ready.clear()

    async def recv(self) -> Frame | Packet[Any]:
        while not self._frames:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        if self.readyState != "live":
            raise MediaStreamError
        frame = self._frames.popleft()
        self.pulled.hit()
        return frame

    def stop(self) -> None:
        super().stop()
        self._frames.clear()
        self._ready.set()


class QueueTrack(MediaStreamTrack):
    """A track whose frames are put by Python code (the mixer's outputs)."""

    def __init__(self, kind: str, max_frames: int) -> None:
        super().__init__()
        self.kind = kind
        self._frames: deque[Frame] = deque(maxlen=max_frames)
        self._ready = asyncio.Event()

    def put(self, frame: Frame) -> None:
        self._frames.append(frame)
        self._ready.set()

    async def recv(self) -> Frame:
        while not self._frames:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()

    def stop(self) -> None:
        super().stop()
        self._ready.set()


class FrameHub:
    """Reads one source track and hands every frame to the attached InputSwitches."""

    def __init__(self, kind: str, on_frame: Callable[[], None] | None = None) -> None:
        self.kind = kind
        self.source: MediaStreamTrack | None = None
        self.sinks: list[InputSwitch] = []
        self.delivered = FlowMeter()
        self.received = FlowMeter()
        self._on_frame = on_frame
        self._task: asyncio.Task[None] | None = None

    def set_source(self, track: MediaStreamTrack | None) -> None:
        if track is self.source:
            return
        self._cancel()
        self.source = track
        if track is not None:
            self._task = asyncio.get_running_loop().create_task(self._read(track))

    def attach(self, sink: InputSwitch) -> None:
        if sink.hub is self:
            return
        if sink.hub is not None:
            sink.hub.detach(sink)
        sink.clear()
        sink.hub = self
        self.sinks.append(sink)

    def detach(self, sink: InputSwitch) -> None:
        if sink in self.sinks:
            self.sinks.remove(sink)
        if sink.hub is self:
            sink.hub = None
            sink.clear()

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                self.received.hit()
                if self._on_frame is not None:
                    self._on_frame()
                if self.sinks:
                    self.delivered.hit()
                    for sink in self.sinks:
                        sink.push(frame)
        except MediaStreamError:
            pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("hub %s: source track failed", self.kind)

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def close(self) -> None:
        task = self._task
        self._cancel()
        for sink in list(self.sinks):
            self.detach(sink)
        self.source = None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
