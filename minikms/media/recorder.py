"""RecorderNode: the media side of a Kurento RecorderEndpoint (``file://`` URIs)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from urllib.parse import unquote, urlparse

from minikms.protocol import MEDIA_OBJECT_ILLEGAL_PARAM_ERROR, KurentoError

from .node import KINDS, MediaEngine, MediaNode
from .recording import Arrival, RecordingWriter, WriterResult, WriterSettings, profile_spec

log = logging.getLogger(__name__)

# KMS reports recorder failures with GStreamer's GstResourceError codes.
GST_RESOURCE_ERROR_FAILED = 1
GST_RESOURCE_ERROR_CODES = {
    "RESOURCE_ERROR_OPEN": 6,  # OPEN_WRITE
    "RESOURCE_ERROR_WRITE": 10,
    "RESOURCE_ERROR_NO_SPACE_LEFT": 14,
}


def file_path(uri: str) -> str | None:
    """The local path of a ``file://`` URI (None for any other scheme)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return unquote(parsed.path)


class RecorderNode(MediaNode):
    """Records its inputs; state STOP → START ⇄ PAUSE → STOP, with Kurento's events."""

    def __init__(
        self, engine: MediaEngine, uri: str, profile: str = "WEBM", stop_on_eos: bool = False
    ) -> None:
        spec = profile_spec(profile)
        if spec is None:
            raise KurentoError(MEDIA_OBJECT_ILLEGAL_PARAM_ERROR, f"Unsupported media profile {profile}")
        super().__init__(engine)
        self.uri = uri
        self.profile = profile.upper()
        self.spec = spec
        self.stop_on_eos = stop_on_eos
        self.state = "STOP"
        self.last_result: WriterResult | None = None
        self._writer: RecordingWriter | None = None
        self._done: asyncio.Future[WriterResult] | None = None
        self._readers: list[asyncio.Task[None]] = []
        self._end_task: asyncio.Task[None] | None = None
        self._started_at = 0.0
        self._paused_at: float | None = None
        self._paused_total = 0.0
        self._epoch = 0

    def _kinds(self) -> list[str]:
        kinds = []
        if self.spec.audio_codec is not None:
            kinds.append("audio")
        if self.spec.video_codec is not None:
            kinds.append("video")
        return kinds

    def media_time(self, now: float) -> float:
        paused = self._paused_total + (now - self._paused_at if self._paused_at is not None else 0.0)
        return now - self._started_at - paused

    async def record(self) -> None:
        if self.released or self.state == "START":
            return
        if self.state == "PAUSE":
            if self._paused_at is not None:
                self._paused_total += time.monotonic() - self._paused_at
                self._paused_at = None
            self._epoch += 1
            self._set_state("START", "Recording")
            return
        if self._done is not None and not self._done.done():
            await self._done  # a previous stop is still finalising
        path = file_path(self.uri)
        if path is None:
            self._error("RESOURCE_ERROR_OPEN", f"Unsupported URI {self.uri}: only file:// is supported")
            return
        try:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "wb"):
                pass
        except OSError as exc:
            self._error("RESOURCE_ERROR_OPEN", f"Cannot open {path}: {exc}")
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[WriterResult] = loop.create_future()

        def finished(result: WriterResult) -> None:
            def settle() -> None:
                if not done.done():
                    done.set_result(result)

            loop.call_soon_threadsafe(settle)

        params = self.params
        writer = RecordingWriter(
            path,
            self.spec,
            WriterSettings(
                video_wait=params.recorder_video_wait,
                queue_frames=params.recorder_queue_frames,
                audio_gap=params.recorder_audio_gap,
                audio_resync=params.recorder_audio_resync,
                audio_max_lead=params.recorder_audio_max_lead,
            ),
            finished,
        )
        self._writer, self._done = writer, done
        self._started_at = time.monotonic()
        self._paused_at = None
        self._paused_total = 0.0
        for kind in KINDS:
            self.inputs[kind].clear()
        writer.start()
        self._readers = [loop.create_task(self._read(kind, writer)) for kind in self._kinds()]
        self._end_task = loop.create_task(self._report_end(done))
        self._set_state("START", "Recording")

    async def _read(self, kind: str, writer: RecordingWriter) -> None:
        switch = self.inputs[kind]
        with contextlib.suppress(Exception):
            while True:
                frame = await switch.recv()
                if self.state == "START":
                    pts, time_base = frame.pts, frame.time_base
                    source_time = (
                        float(pts * time_base) if pts is not None and time_base is not None else None
                    )
                    writer.put(
                        Arrival(kind, frame, self.media_time(time.monotonic()), source_time, self._epoch)
                    )

    async def _report_end(self, done: asyncio.Future[WriterResult]) -> None:
        result = await done
        self.last_result = result
        if result.error is not None:
            # The file is lost or cut short: say so, and the recording is over.
            self._error(result.error_type, result.error)
            if self.state != "STOP":
                await self.stop()
        if not self.released:
            self.emit("Stopped", {})
            self.emit("UriEndpointStateChanged", {"state": "STOP"})

    async def pause(self) -> None:
        if self.state != "START":
            return
        self._paused_at = time.monotonic()
        self._set_state("PAUSE", "Paused")

    async def stop(self) -> None:
        """Stop recording; the file is finalised in the background, then ``Stopped`` is emitted."""
        if self.state == "STOP":
            return
        self.state = "STOP"
        for task in self._readers:
            task.cancel()
        self._readers = []
        if self._writer is not None:
            self._writer.finish()
            self._writer = None

    async def stop_and_wait(self) -> None:
        await self.stop()
        if self._done is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._done), self.params.recorder_finalise_timeout)

    def _set_state(self, state: str, event: str) -> None:
        self.state = state
        self.emit(event, {})
        self.emit("UriEndpointStateChanged", {"state": state})

    def _error(self, type_: str, description: str) -> None:
        log.warning("recorder %s: %s", self.uri, description)
        code = GST_RESOURCE_ERROR_CODES.get(type_, GST_RESOURCE_ERROR_FAILED)
        self.emit("Error", {"description": description, "errorCode": code, "type": type_})

    async def close_media(self) -> None:
        await self.stop_and_wait()
