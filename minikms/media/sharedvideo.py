"""Encode each relayed video source once for all its VP8 subscribers.

aiortc gives every RTCRtpSender its own encoder, so relaying one publisher to N subscribers costs N
VP8 encodes (about 10-25 % of a core each). A sender also accepts pre-encoded ``av.Packet``s (its
encoder's ``pack`` path), so a ``SharedVideoEncoder`` per output hub encodes private copies of the
frames once and hands the same packets to every subscribed ``VideoSendTrack``. Keyframes are made when
a subscriber joins, when one reports loss (PLI/FIR) and when a queue overflows, at most once per
``keyframe_min_interval``. Senders that negotiated another codec (H.264), or whose endpoint has send
bandwidth caps of its own, keep encoding frames themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import time
from collections import deque
from fractions import Fraction
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.video.frame import VideoFrame

from .params import MediaParams
from .tracks import FlowMeter, FrameHub, InputSwitch

log = logging.getLogger(__name__)

CLOCK = Fraction(1, 90000)
VP8_MIME = "video/vp8"


class SharedVideoEncoder:
    """One VP8 encoder reading one hub; its packets go to every subscribed VideoSendTrack."""

    def __init__(self, hub: FrameHub, params: MediaParams, on_idle: Any) -> None:
        self.hub = hub
        self.params = params
        self.bitrate = params.shared_video_bitrate
        self.subscribers: list[VideoSendTrack] = []
        self.switch = InputSwitch("video", params.video_queue_frames)
        hub.attach(self.switch)
        self.frames_encoded = 0
        self._on_idle = on_idle
        self._codec: Any = None
        self._size: tuple[int, int] | None = None
        self._want_keyframe = True
        self._last_keyframe = 0.0
        self._last_pts = -1
        self._task = asyncio.get_running_loop().create_task(self._run())

    def subscribe(self, track: VideoSendTrack) -> None:
        if track not in self.subscribers:
            self.subscribers.append(track)
            self.update_bitrate()
            self.request_keyframe()

    def unsubscribe(self, track: VideoSendTrack) -> None:
        if track in self.subscribers:
            self.subscribers.remove(track)
            self.update_bitrate()
        if not self.subscribers:
            self._on_idle(self)

    def request_keyframe(self) -> None:
        self._want_keyframe = True

    def update_bitrate(self) -> None:
        """The default target, within every subscriber's send caps (kbps; 0 = none), as KMS bounds it."""
        target = self.params.shared_video_bitrate
        highs = [t.node.max_send_kbps * 1000 for t in self.subscribers if t.node.max_send_kbps]
        lows = [t.node.min_send_kbps * 1000 for t in self.subscribers if t.node.min_send_kbps]
        if highs:
            target = min(target, min(highs))
        if lows:
            target = max(target, max(lows))
        self.bitrate = target

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                frame = await self.switch.recv()
                if not self.subscribers or not isinstance(frame, VideoFrame):
                    continue
                now = time.monotonic()
                keyframe = (
                    self._want_keyframe and now - self._last_keyframe >= self.params.keyframe_min_interval
                )
                if keyframe:
                    self._want_keyframe = False
                    self._last_keyframe = now
                pts = max(int(now / CLOCK), self._last_pts + 1)
                self._last_pts = pts
                try:
                    packets = await loop.run_in_executor(None, self._encode, frame, pts, keyframe)
                except (av.FFmpegError, ValueError) as exc:
                    # One bad frame must not freeze every subscriber: start over with a new codec.
                    log.warning("shared video encoder: %s; reopening the codec", exc)
                    self._codec = None
                    self._want_keyframe = True
                    continue
                self.frames_encoded += 1
                for packet in packets:
                    for track in list(self.subscribers):
                        track.put_packet(packet)
        except (asyncio.CancelledError, MediaStreamError):
            pass
        except Exception:
            log.exception("shared video encoder stopped")

    def _encode(self, frame: VideoFrame, pts: int, keyframe: bool) -> list[Any]:
        """Runs in a worker thread: encodes a private copy (shared frames are never mutated)."""
        width, height = frame.width - frame.width % 2, frame.height - frame.height % 2
        if (width, height) != self._size or (
            self._codec is not None and self._codec.bit_rate != self.bitrate
        ):
            self._codec = None
        if frame.format.name != "yuv420p" or (width, height) != (frame.width, frame.height):
            own = frame.reformat(width=width, height=height, format="yuv420p")
        else:
            own = VideoFrame.from_ndarray(frame.to_ndarray(), format="yuv420p")
        if self._codec is None:
            self._codec = self._open(width, height)
            self._size = (width, height)
            keyframe = True
        own.pts = pts
        own.time_base = CLOCK
        if keyframe:
            own.pict_type = av.video.frame.PictureType.I
        packets = list(self._codec.encode(own))
        for packet in packets:
            packet.time_base = CLOCK
        return packets

    def _open(self, width: int, height: int) -> Any:
        codec = av.CodecContext.create("libvpx", "w")
        codec.width, codec.height = width, height
        codec.bit_rate = self.bitrate
        codec.pix_fmt = "yuv420p"
        codec.time_base = CLOCK
        codec.gop_size = self.params.shared_video_gop
        codec.qmin, codec.qmax = 2, 56
        codec.options = {
            "bufsize": str(self.bitrate),
            "cpu-used": "-6",
            "deadline": "realtime",
            "lag-in-frames": "0",
            "minrate": str(self.bitrate),
            "maxrate": str(self.bitrate),
            "noise-sensitivity": "4",
            "overshoot-pct": "15",
            "partitions": "0",
            "static-thresh": "1",
            "undershoot-pct": "100",
        }
        codec.thread_count = 2 if width * height > 640 * 480 and multiprocessing.cpu_count() > 2 else 1
        return codec

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self.hub.detach(self.switch)
        self.switch.stop()
        self.subscribers.clear()
        self._codec = None


class VideoSendTrack(MediaStreamTrack):
    """The video track a WebRtcNode's sender reads: shared VP8 packets when possible, else frames."""

    kind = "video"

    def __init__(self, node: Any, frames: InputSwitch, max_packets: int) -> None:
        super().__init__()
        self.node = node
        self.frames = frames
        self.pulled = FlowMeter()
        self.encoder: SharedVideoEncoder | None = None
        self.mode: str | None = None  # "packets" or "frames", fixed at the first read after negotiation
        self._packets: deque[Any] = deque()
        self._max_packets = max_packets
        self._ready = asyncio.Event()
        self._waiting_keyframe = True

    # -- fed by the shared encoder ---------------------------------------------------------------------

    def put_packet(self, packet: Any) -> None:
        if self._waiting_keyframe:
            if not packet.is_keyframe:
                return
            self._waiting_keyframe = False
        if len(self._packets) >= self._max_packets:
            # Dropping encoded video breaks decoding until the next keyframe: restart from one.
            self._packets.clear()
            self._waiting_keyframe = True
            if self.encoder is not None:
                self.encoder.request_keyframe()
            return
        self._packets.append(packet)
        self._ready.set()

    def follow(self, encoder: SharedVideoEncoder | None) -> None:
        if encoder is self.encoder:
            return
        if self.encoder is not None:
            self.encoder.unsubscribe(self)
        self.encoder = encoder
        self._packets.clear()
        self._waiting_keyframe = True
        if encoder is not None:
            encoder.subscribe(self)
        self._ready.set()

    def request_keyframe(self) -> None:
        if self.encoder is not None:
            self.encoder.request_keyframe()

    # -- read by the aiortc sender -----------------------------------------------------------------------

    async def recv(self) -> Any:
        if self.mode is None:
            self.mode = self.node.choose_video_mode()
        if self.mode == "frames":
            frame = await self.frames.recv()
            self.pulled.hit()
            return frame
        while not self._packets:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        self.pulled.hit()
        return self._packets.popleft()

    def stop(self) -> None:
        super().stop()
        self.follow(None)
        self._ready.set()
