"""The recorder's writer thread: encode and mux frames into a file without touching the event loop.

Two traps lose video silently with aiortc's MediaRecorder (media-e2e-feasibility.md §4); both are
avoided here:
- audio muxed before the first video frame makes PyAV refuse the video size later: the writer holds
  audio until the first video frame arrives (or a timeout passes), then creates *all* streams with the
  real video size before muxing anything;
- frames are shared with every other consumer and PyAV's ``encode`` rewrites a frame's pts/time_base
  in place: the writer encodes private copies and stamps them with its own clock (recording time,
  pauses excluded), never the shared frame's timestamps.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

log = logging.getLogger(__name__)

VIDEO_TIME_BASE = Fraction(1, 90000)
# The frame rate the video stream declares; frames are spaced at least 1/rate apart, so that readers
# that round timestamps to the declared rate (ffmpeg does) never see two frames in one slot.
VIDEO_RATE = 30
VIDEO_MIN_SPACING = int(1 / (VIDEO_RATE * VIDEO_TIME_BASE))


@dataclass(frozen=True)
class ProfileSpec:
    container: str
    video_codec: str | None
    audio_codec: str | None
    audio_format: str
    audio_frame_size: int
    video_options: tuple[tuple[str, str], ...]


_VP8_OPTIONS: tuple[tuple[str, str], ...] = (
    ("deadline", "realtime"),
    ("cpu-used", "8"),
    ("lag-in-frames", "0"),
)
_H264_OPTIONS: tuple[tuple[str, str], ...] = (("preset", "ultrafast"), ("tune", "zerolatency"))


def profile_spec(profile: str) -> ProfileSpec | None:
    """Container and codecs for a Kurento MediaProfileSpecType, or None if not supported."""
    upper = profile.upper()
    if upper.startswith("WEBM") or upper.startswith("MKV"):
        container = "webm" if upper.startswith("WEBM") else "matroska"
        video, audio, fmt, size, opts = "libvpx", "libopus", "s16", 960, _VP8_OPTIONS
    elif upper.startswith("MP4"):
        container, video, audio, fmt, size, opts = "mp4", "libx264", "aac", "fltp", 1024, _H264_OPTIONS
    else:
        return None
    base = upper.split("_", 1)[0]
    suffix = upper[len(base) :]
    if suffix not in ("", "_VIDEO_ONLY", "_AUDIO_ONLY"):
        return None
    return ProfileSpec(
        container=container,
        video_codec=None if suffix == "_AUDIO_ONLY" else video,
        audio_codec=None if suffix == "_VIDEO_ONLY" else audio,
        audio_format=fmt,
        audio_frame_size=size,
        video_options=opts,
    )


@dataclass
class WriterSettings:
    video_wait: float
    queue_frames: int
    audio_gap: float
    audio_resync: float
    audio_max_lead: float
    audio_rate: int = 48000
    video_bitrate: int = 1_000_000
    audio_bitrate: int = 64_000


@dataclass(frozen=True)
class Arrival:
    """One frame handed to the writer, with the times it is placed by.

    ``media_time``: recording time of arrival (pauses excluded). ``source_time``: the frame's own
    timestamp in seconds, read on arrival (None if it has none). ``epoch`` changes on every resume, so
    that the jump in source time across a pause is not taken for lost media.
    """

    kind: str
    frame: Any
    media_time: float
    source_time: float | None
    epoch: int


@dataclass
class WriterResult:
    video_frames: int = 0
    audio_frames: int = 0
    error: str | None = None
    error_type: str = "RESOURCE_ERROR_WRITE"


_STOP = object()
# Source audio timestamps this close (seconds) to the previous frame's end count as contiguous.
AUDIO_TIMESTAMP_TOLERANCE = 0.001
# How long ``finish`` waits for room in a full queue before dropping the oldest frame.
FINISH_PUT_TIMEOUT = 0.1


class RecordingWriter:
    """A worker thread that owns the output container and its encoders."""

    def __init__(
        self,
        path: str,
        spec: ProfileSpec,
        settings: WriterSettings,
        on_done: Callable[[WriterResult], None],
    ) -> None:
        self.path = path
        self.spec = spec
        self.settings = settings
        self._on_done = on_done
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=settings.queue_frames)
        self.result = WriterResult()
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="minikms-recorder", daemon=True)
        self._container: Any = None
        self._video: Any = None
        self._audio: Any = None
        self._size: tuple[int, int] | None = None
        self._last_video_pts = -VIDEO_MIN_SPACING
        self._audio_samples = 0
        self._audio_epoch = -1
        self._source_end: float | None = None
        self._resampler: Any = None
        self._fifo: Any = None

    def start(self) -> None:
        self._thread.start()

    def put(self, item: Arrival) -> None:
        """Called on the event loop: hand a (shared) frame and its times to the thread."""
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def finish(self) -> None:
        while True:
            try:
                self._queue.put(_STOP, timeout=FINISH_PUT_TIMEOUT)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self._queue.get_nowait()

    # -- thread ------------------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            held: list[Arrival] = []
            stopped = self._wait_for_video(held)
            self._open()
            for item in held:
                self._write(item)
            held.clear()
            while not stopped:
                item = self._queue.get()
                if item is _STOP:
                    break
                self._write(item)
            self._close()
        except Exception as exc:
            log.exception("recorder writer failed for %s", self.path)
            self.result.error = str(exc)
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                self.result.error_type = "RESOURCE_ERROR_NO_SPACE_LEFT"
            self._abort()
        finally:
            self._on_done(self.result)

    def _wait_for_video(self, held: list[Arrival]) -> bool:
        """Hold items until the first video frame (when the profile has video). True if stopped meanwhile."""
        if self.spec.video_codec is None:
            return False
        deadline = time.monotonic() + self.settings.video_wait
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                return False
            if item is _STOP:
                return True
            held.append(item)
            if item.kind == "video":
                self._size = (item.frame.width, item.frame.height)
                return False

    def _open(self) -> None:
        self._container = av.open(self.path, mode="w", format=self.spec.container)
        want_video = self.spec.video_codec is not None and self._size is not None
        if want_video and self._size is not None:
            width, height = self._size
            stream = self._container.add_stream(self.spec.video_codec, rate=VIDEO_RATE)
            stream.width = width - width % 2
            stream.height = height - height % 2
            stream.pix_fmt = "yuv420p"
            stream.bit_rate = self.settings.video_bitrate
            stream.codec_context.time_base = VIDEO_TIME_BASE
            stream.codec_context.options = dict(self.spec.video_options)
            self._video = stream
        if self.spec.audio_codec is not None:
            rate = self.settings.audio_rate
            stream = self._container.add_stream(self.spec.audio_codec, rate=rate)
            stream.layout = "stereo"
            stream.format = self.spec.audio_format
            stream.bit_rate = self.settings.audio_bitrate
            stream.codec_context.time_base = Fraction(1, rate)
            self._audio = stream
            self._resampler = av.AudioResampler(format=self.spec.audio_format, layout="stereo", rate=rate)
            self._fifo = av.AudioFifo()

    def _write(self, item: Arrival) -> None:
        if item.kind == "video" and self._video is not None:
            self._write_video(item.frame, item.media_time)
        elif item.kind == "audio" and self._audio is not None:
            self._write_audio(item)

    def _private_video(self, frame: VideoFrame) -> VideoFrame:
        width, height = self._video.width, self._video.height
        if frame.width != width or frame.height != height or frame.format.name != "yuv420p":
            return frame.reformat(width=width, height=height, format="yuv420p")
        return VideoFrame.from_ndarray(frame.to_ndarray(), format="yuv420p")

    def _write_video(self, frame: VideoFrame, media_time: float) -> None:
        # Arrival jitter can bunch frames; late ones are pushed back and the stream catches up on the next.
        pts = max(int(media_time / VIDEO_TIME_BASE), self._last_video_pts + VIDEO_MIN_SPACING)
        own = self._private_video(frame)
        own.pts = pts
        own.time_base = VIDEO_TIME_BASE
        self._last_video_pts = pts
        for packet in self._video.encode(own):
            self._container.mux(packet)
        self.result.video_frames += 1

    def _audio_position(self, item: Arrival) -> bool:
        """Place the next audio samples; False when the frame must be dropped.

        Audio stays contiguous while the source's own timestamps are: audio that merely arrives late
        (a stalled event loop, a burst after jitter) must not open holes that make the file longer
        than the recording. A jump in source timestamps (lost packets) leaves a gap of that length; the
        first frame, a resume after a pause (new epoch), a source without timestamps or a discontinuity
        (new source) anchor on the arrival time. Arrival time also bounds drift both ways.
        """
        rate = self.settings.audio_rate
        expected = int(item.media_time * rate)
        limit = int(self.settings.audio_resync * rate)
        gap = 0.0
        continuous = (
            item.epoch == self._audio_epoch and item.source_time is not None and self._source_end is not None
        )
        if continuous and item.source_time is not None and self._source_end is not None:
            gap = item.source_time - self._source_end
            continuous = -AUDIO_TIMESTAMP_TOLERANCE <= gap <= self.settings.audio_resync
        self._audio_epoch = item.epoch
        self._source_end = (
            item.source_time + item.frame.samples / item.frame.sample_rate
            if item.source_time is not None
            else None
        )
        if not continuous:
            self._skip_audio_to(max(expected, self._audio_samples))
        elif gap > self.settings.audio_gap:
            self._skip_audio_to(self._audio_samples + int(gap * rate))
        if expected - self._audio_samples > limit:
            self._skip_audio_to(expected)  # far behind real time (source clock slower): catch up
        # Ahead of real time (a backlog flushed, a source faster than real time): drop.
        return self._audio_samples - expected <= int(self.settings.audio_max_lead * rate)

    def _skip_audio_to(self, samples: int) -> None:
        self._fifo = av.AudioFifo()
        self._audio_samples = samples

    def _write_audio(self, item: Arrival) -> None:
        frame = item.frame
        rate = self.settings.audio_rate
        if not self._audio_position(item):
            return
        own = AudioFrame.from_ndarray(frame.to_ndarray(), format=frame.format.name, layout=frame.layout.name)
        own.sample_rate = frame.sample_rate
        own.pts = None
        for converted in self._resampler.resample(own):
            converted.pts = None
            self._fifo.write(converted)
        size = self.spec.audio_frame_size
        while self._fifo.samples >= size:
            chunk = self._fifo.read(size)
            chunk.pts = self._audio_samples
            chunk.time_base = Fraction(1, rate)
            self._audio_samples += size
            for packet in self._audio.encode(chunk):
                self._container.mux(packet)
            self.result.audio_frames += 1

    def _close(self) -> None:
        if self._container is None:
            return
        for stream in (self._video, self._audio):
            if stream is not None:
                try:
                    for packet in stream.encode(None):
                        self._container.mux(packet)
                except Exception:
                    log.exception("flushing %s encoder", stream.type)
        self._container.close()
        self._container = None

    def _abort(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except Exception:
                log.exception("closing %s after an error", self.path)
            self._container = None
