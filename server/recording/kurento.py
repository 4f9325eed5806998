"""INDIVIDUAL and COMPOSED audio-only recorders: Kurento objects in the session's pipeline (spec §5, §9.4, §9.5).

They work on any Kurento-protocol media server (KMS 6.x/7.x, minikms) through :mod:`kms_client`'s typed objects,
attached to the publishers' PassThrough elements that :class:`server.media.session.MediaSession` builds.
Times come from Kurento's ``Recording``/``Stopped`` events (``timestampMillis``), as the original.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kms_client.errors import KmsError
from kms_client.events import Recording as RecordingEvent
from kms_client.events import Stopped
from kms_client.objects import (
    Composite,
    HubPort,
    MediaElement,
    MediaObject,
    MediaPipeline,
    PassThrough,
    RecorderEndpoint,
)
from server.core.clock import now_ms
from server.media.session import MediaSession
from server.media.timeouts import MediaTimeouts
from server.recording.model import Recording, Status
from server.recording.recorder import RecorderError, StreamSource
from server.recording.store import STREAM_PREFIX, chmod_tree, write_json_atomic
from server.recording.zipper import finish_individual

log = logging.getLogger(__name__)


def profile_for(source: StreamSource, want_audio: bool, want_video: bool) -> tuple[str, bool, bool] | None:
    """(MediaProfileSpecType, audio, video) for a stream, or None when it has nothing the recording wants."""
    audio = source.has_audio and want_audio
    video = source.has_video and want_video
    if audio and video:
        return "WEBM", True, True
    if audio:
        return "WEBM_AUDIO_ONLY", True, False
    if video:
        return "WEBM_VIDEO_ONLY", False, True
    return None


class _Media:
    """The session's pipeline, as Kurento objects."""

    def __init__(self, media: MediaSession | None) -> None:
        pipeline = media.pipeline if media is not None else None
        if media is None or pipeline is None:
            raise RecorderError("the session has no media pipeline")
        self.session_media: MediaSession = media
        self.pipeline: MediaPipeline = pipeline
        self.timeouts: MediaTimeouts = media.timeouts

    def passthrough(self, connection_id: str) -> PassThrough | None:
        publisher = self.session_media.publishers.get(connection_id)
        return publisher.passthrough if publisher is not None else None

    @property
    def alive(self) -> bool:
        return self.pipeline.connection.connected and not self.session_media.closed


async def _connect(source: PassThrough, sink: MediaElement, audio: bool, video: bool, timeout: float) -> None:
    if audio and video:
        await source.connect(sink, timeout=timeout)
    elif audio:
        await source.connect(sink, "AUDIO", timeout=timeout)
    else:
        await source.connect(sink, "VIDEO", timeout=timeout)


async def _release(element: MediaObject, timeout: float) -> None:
    with contextlib.suppress(KmsError, Exception):
        await element.release(timeout=timeout)


@dataclass(slots=True)
class _StreamRecording:
    source: StreamSource
    endpoint: RecorderEndpoint
    path: Path
    has_audio: bool
    has_video: bool
    start_time: int = 0
    end_time: int = 0
    size: int = 0
    ok: bool = True

    def to_json(self) -> dict[str, Any]:
        """``.stream.<streamId>`` (RecorderEndpointWrapper#toJson)."""
        doc: dict[str, Any] = {
            "connectionId": self.source.connection_id,
            "streamId": self.source.stream_id,
            "clientData": self.source.client_data,
            "serverData": self.source.server_data,
            "startTime": self.start_time,
            "endTime": self.end_time,
            "duration": max(0, self.end_time - self.start_time),
            "size": self.size,
            "hasAudio": self.has_audio,
            "hasVideo": self.has_video,
        }
        if self.has_video:
            doc["typeOfVideo"] = self.source.type_of_video
        return doc


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class IndividualRecorder:
    """One RecorderEndpoint per published stream, ``<streamId>.webm``; zipped with ``<name>.json`` at the end."""

    def __init__(
        self, recording: Recording, media: MediaSession | None, folder: Path, event_timeout: float
    ) -> None:
        self.recording = recording
        self.media = _Media(media)
        self.folder = folder
        self.event_timeout = event_timeout
        self.streams: dict[str, _StreamRecording] = {}
        self.finished: list[_StreamRecording] = []
        self._lost_at: int | None = None
        self._lock = asyncio.Lock()

    async def start(self, sources: list[StreamSource]) -> None:
        results = await asyncio.gather(*(self._start_stream(s) for s in sources), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            for stream in list(self.streams.values()):
                await _release(stream.endpoint, self.media.timeouts.release)
            self.streams.clear()
            raise RecorderError(f"Couldn't initialize some RecorderEndpoint: {errors[0]}")

    async def _start_stream(self, source: StreamSource) -> None:
        chosen = profile_for(source, self.recording.properties.has_audio, self.recording.properties.has_video)
        if chosen is None:
            log.error(
                "stream %s has no track the recording %s wants: skipped", source.stream_id, self.recording.id
            )
            return
        profile, audio, video = chosen
        passthrough = self.media.passthrough(source.connection_id)
        if passthrough is None:
            return
        path = self.folder / f"{source.stream_id}.webm"
        t = self.media.timeouts
        endpoint = await self.media.pipeline.create_recorder_endpoint(
            path.as_uri(), media_profile=profile, timeout=t.element
        )
        stream = _StreamRecording(source, endpoint, path, audio, video)
        self.streams[source.connection_id] = stream
        try:
            waiter = await endpoint.expect(RecordingEvent, timeout=t.call)
            await _connect(passthrough, endpoint, audio, video, t.call)
            await endpoint.record(timeout=t.call)
            event = await waiter.wait(self.event_timeout)
        except (KmsError, TimeoutError) as exc:
            self.streams.pop(source.connection_id, None)
            await _release(endpoint, t.release)
            raise RecorderError(f"RecorderEndpoint of {source.stream_id} did not start: {exc!r}") from exc
        stream.start_time = event.timestamp_millis or now_ms()

    async def add_stream(self, source: StreamSource) -> None:
        if source.connection_id in self.streams or self._lost_at is not None:
            return
        try:
            await self._start_stream(source)
        except RecorderError as exc:
            log.error("recording %s: %s", self.recording.id, exc.message)

    async def remove_stream(self, connection_id: str) -> None:
        stream = self.streams.pop(connection_id, None)
        if stream is not None:
            await self._stop_stream(stream)

    def media_lost(self) -> None:
        if self._lost_at is None:
            self._lost_at = now_ms()

    async def _stop_stream(self, stream: _StreamRecording) -> None:
        if self._lost_at is None and self.media.alive:
            try:
                waiter = await stream.endpoint.expect(Stopped, timeout=self.media.timeouts.call)
                await stream.endpoint.stop(timeout=self.media.timeouts.call)
                event = await waiter.wait(self.event_timeout)
                stream.end_time = event.timestamp_millis or now_ms()
            except (KmsError, TimeoutError) as exc:
                log.error("recorder of %s did not stop: %r", stream.source.stream_id, exc)
                stream.end_time = now_ms()
                stream.ok = False
            await _release(stream.endpoint, self.media.timeouts.release)
        else:
            stream.end_time = self._lost_at or now_ms()
            stream.ok = False
        stream.size = await asyncio.to_thread(_file_size, stream.path)
        await asyncio.to_thread(
            write_json_atomic, self.folder / f"{STREAM_PREFIX}{stream.source.stream_id}", stream.to_json()
        )
        self.finished.append(stream)

    async def stop(self) -> None:
        streams = list(self.streams.values())
        self.streams.clear()
        await asyncio.gather(*(self._stop_stream(s) for s in streams))
        rec = self.recording
        ok = self._lost_at is None and all(s.ok for s in self.finished)
        size, duration = await asyncio.to_thread(finish_individual, rec, self.folder, self.finished)
        rec.size, rec.duration = size, duration
        rec.status = Status.READY if ok else Status.FAILED
        await asyncio.to_thread(chmod_tree, self.folder)


class AudioCompositeRecorder:
    """COMPOSED audio-only: a Composite, a HubPort per publisher, one HubPort into a WEBM_AUDIO_ONLY recorder."""

    def __init__(
        self, recording: Recording, media: MediaSession | None, folder: Path, event_timeout: float
    ) -> None:
        self.recording = recording
        self.media = _Media(media)
        self.folder = folder
        self.event_timeout = event_timeout
        self.path = folder / f"{recording.name}.webm"
        self.composite: Composite | None = None
        self.endpoint: RecorderEndpoint | None = None
        self.out_port: HubPort | None = None
        self.ports: dict[str, HubPort] = {}
        self.recording_since: int | None = None
        self._lost_at: int | None = None

    async def start(self, sources: list[StreamSource]) -> None:
        try:
            t = self.media.timeouts
            self.composite = await self.media.pipeline.create_composite(timeout=t.element)
            self.out_port = await self.composite.create_hub_port(timeout=t.element)
            self.endpoint = await self.media.pipeline.create_recorder_endpoint(
                self.path.as_uri(), media_profile="WEBM_AUDIO_ONLY", timeout=t.element
            )
            await self.out_port.connect(self.endpoint, "AUDIO", timeout=t.call)
            for source in sources:
                await self._join(source)
        except (KmsError, RecorderError) as exc:
            await self._release_all()
            raise RecorderError(f"Couldn't initialize RecorderEndpoint of Composite: {exc}") from exc

    async def _join(self, source: StreamSource) -> None:
        if not source.has_audio or self.composite is None or source.connection_id in self.ports:
            return
        passthrough = self.media.passthrough(source.connection_id)
        if passthrough is None:
            return
        t = self.media.timeouts
        port = await self.composite.create_hub_port(timeout=t.element)
        self.ports[source.connection_id] = port
        await passthrough.connect(port, "AUDIO", timeout=t.call)
        if self.recording_since is None:
            await self._record()

    async def _record(self) -> None:
        assert self.endpoint is not None
        waiter = await self.endpoint.expect(RecordingEvent, timeout=self.media.timeouts.call)
        await self.endpoint.record(timeout=self.media.timeouts.call)
        try:
            event = await waiter.wait(self.event_timeout)
        except TimeoutError:
            raise RecorderError("no Recording event") from None
        self.recording_since = event.timestamp_millis or now_ms()

    async def add_stream(self, source: StreamSource) -> None:
        if self._lost_at is not None:
            return
        try:
            await self._join(source)
        except (KmsError, RecorderError) as exc:
            log.error("recording %s: stream %s not mixed: %s", self.recording.id, source.stream_id, exc)

    async def remove_stream(self, connection_id: str) -> None:
        port = self.ports.pop(connection_id, None)
        if port is not None and self._lost_at is None:
            await _release(port, self.media.timeouts.release)

    def media_lost(self) -> None:
        if self._lost_at is None:
            self._lost_at = now_ms()

    async def stop(self) -> None:
        rec = self.recording
        ok = self.recording_since is not None and self._lost_at is None and self.media.alive
        end = self._lost_at or now_ms()
        if ok and self.endpoint is not None:
            try:
                waiter = await self.endpoint.expect(Stopped, timeout=self.media.timeouts.call)
                await self.endpoint.stop(timeout=self.media.timeouts.call)
                event = await waiter.wait(self.event_timeout)
                end = event.timestamp_millis or now_ms()
            except (KmsError, TimeoutError) as exc:
                log.error("recording %s did not stop: %r", rec.id, exc)
                ok = False
        if self._lost_at is None:
            await self._release_all()
        rec.size = await asyncio.to_thread(_file_size, self.path)
        if self.recording_since is not None:
            rec.duration = max(0, end - self.recording_since) / 1000
        rec.status = Status.READY if ok and rec.size > 0 else Status.FAILED
        await asyncio.to_thread(chmod_tree, self.folder)

    async def _release_all(self) -> None:
        for element in [*self.ports.values(), self.out_port, self.endpoint, self.composite]:
            if element is not None:
                await _release(element, self.media.timeouts.release)
        self.ports.clear()
