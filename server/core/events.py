"""Session events (spec §8.2) and the one async event bus that feeds every sink.

Sinks (CDR file, webhook, RPC notifications, stats) subscribe a handler. Each subscriber has its own queue and
task, so a slow sink (a webhook) never delays another one, and each sink sees the events in publish order.
``publish`` never blocks and never fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from server.core.enums import EndReason
from server.core.participants import MediaOptions

log = logging.getLogger(__name__)

OUTBOUND = "OUTBOUND"
INBOUND = "INBOUND"


def duration_seconds(start_ms: int, end_ms: int) -> int:
    """Whole seconds between two epoch-ms instants (Java integer division)."""
    return max(0, end_ms - start_ms) // 1000


@dataclass(frozen=True, slots=True)
class Event:
    """Common keys of every event: ``sessionId`` and ``timestamp`` (epoch ms)."""

    name: ClassVar[str] = ""
    session_id: str
    timestamp: int

    def properties(self) -> dict[str, Any]:
        """The event's keys in the original order (CDR line ``{"<name>": properties}``)."""
        return {"sessionId": self.session_id, "timestamp": self.timestamp}


@dataclass(frozen=True, slots=True)
class EndEvent(Event):
    start_time: int
    reason: EndReason | None

    def properties(self) -> dict[str, Any]:
        props = Event.properties(self)
        props["startTime"] = self.start_time
        props["duration"] = duration_seconds(self.start_time, self.timestamp)
        if self.reason is not None:
            props["reason"] = self.reason.value
        return props


@dataclass(frozen=True, slots=True)
class SessionCreated(Event):
    name: ClassVar[str] = "sessionCreated"


@dataclass(frozen=True, slots=True)
class SessionDestroyed(EndEvent):
    name: ClassVar[str] = "sessionDestroyed"


@dataclass(frozen=True, slots=True)
class ParticipantJoined(Event):
    name: ClassVar[str] = "participantJoined"
    participant_id: str
    location: str
    platform: str

    def properties(self) -> dict[str, Any]:
        props = Event.properties(self)
        props.update(participantId=self.participant_id, location=self.location, platform=self.platform)
        return props


@dataclass(frozen=True, slots=True)
class ParticipantLeft(EndEvent):
    name: ClassVar[str] = "participantLeft"
    participant_id: str
    location: str
    platform: str

    def properties(self) -> dict[str, Any]:
        props = EndEvent.properties(self)
        props.update(participantId=self.participant_id, location=self.location, platform=self.platform)
        return props


def _webrtc_properties(
    stream_id: str, participant_id: str, connection: str, receiving_from: str | None, media: MediaOptions
) -> dict[str, Any]:
    props: dict[str, Any] = {"streamId": stream_id, "participantId": participant_id, "connection": connection}
    if receiving_from is not None:
        props["receivingFrom"] = receiving_from
    if media.has_video:
        props["videoSource"] = media.type_of_video
        props["videoFramerate"] = media.frame_rate
        props["videoDimensions"] = media.video_dimensions
    props["audioEnabled"] = media.has_audio
    props["videoEnabled"] = media.has_video
    return props


@dataclass(frozen=True, slots=True)
class WebrtcConnectionCreated(Event):
    name: ClassVar[str] = "webrtcConnectionCreated"
    stream_id: str
    participant_id: str
    connection: str
    receiving_from: str | None
    media_options: MediaOptions

    def properties(self) -> dict[str, Any]:
        props = Event.properties(self)
        props.update(
            _webrtc_properties(
                self.stream_id, self.participant_id, self.connection, self.receiving_from, self.media_options
            )
        )
        return props


@dataclass(frozen=True, slots=True)
class WebrtcConnectionDestroyed(EndEvent):
    name: ClassVar[str] = "webrtcConnectionDestroyed"
    stream_id: str
    participant_id: str
    connection: str
    receiving_from: str | None
    media_options: MediaOptions

    def properties(self) -> dict[str, Any]:
        props = EndEvent.properties(self)
        props.update(
            _webrtc_properties(
                self.stream_id, self.participant_id, self.connection, self.receiving_from, self.media_options
            )
        )
        return props


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """The recording keys of recording events (filled by the recording module)."""

    id: str
    name: str
    output_mode: str
    resolution: str | None
    recording_layout: str | None
    custom_layout: str | None
    has_audio: bool
    has_video: bool
    size: int
    duration: float
    status: str

    def properties(self) -> dict[str, Any]:
        props: dict[str, Any] = {"id": self.id, "name": self.name, "outputMode": self.output_mode}
        if self.resolution is not None:
            props["resolution"] = self.resolution
        if self.recording_layout is not None:
            props["recordingLayout"] = self.recording_layout
        if self.custom_layout is not None:
            props["customLayout"] = self.custom_layout
        props.update(hasAudio=self.has_audio, hasVideo=self.has_video, size=self.size)
        return props


@dataclass(frozen=True, slots=True)
class RecordingStarted(Event):
    name: ClassVar[str] = "recordingStarted"
    recording: RecordingInfo

    def properties(self) -> dict[str, Any]:
        props = Event.properties(self)
        props.update(self.recording.properties())
        props["duration"] = float(self.recording.duration)
        return props


@dataclass(frozen=True, slots=True)
class RecordingStopped(EndEvent):
    name: ClassVar[str] = "recordingStopped"
    recording: RecordingInfo

    def properties(self) -> dict[str, Any]:
        props = EndEvent.properties(self)
        props["duration"] = float(self.recording.duration)
        props.update(self.recording.properties())
        return props


@dataclass(frozen=True, slots=True)
class RecordingStatusChanged(EndEvent):
    name: ClassVar[str] = "recordingStatusChanged"
    recording: RecordingInfo

    def properties(self) -> dict[str, Any]:
        props = EndEvent.properties(self)
        props["duration"] = float(self.recording.duration)
        props.update(self.recording.properties())
        props["status"] = self.recording.status
        return props


Handler = Callable[[Event], Awaitable[None] | None]


class _Subscription:
    def __init__(self, handler: Handler, name: str) -> None:
        self.handler = handler
        self.name = name
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                if event is None:
                    return
                result = self.handler(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("event sink %s failed on %s", self.name, type(event).__name__)
            finally:
                self.queue.task_done()


class EventBus:
    """Fan-out of events to subscribers; start() inside the running loop, stop() drains and ends the tasks."""

    def __init__(self) -> None:
        self._subscriptions: list[_Subscription] = []
        self._running = False

    def subscribe(self, handler: Handler, name: str = "") -> Callable[[], None]:
        """Register ``handler``; returns a function that unsubscribes it."""
        sub = _Subscription(handler, name or getattr(handler, "__qualname__", repr(handler)))
        self._subscriptions.append(sub)
        if self._running:
            sub.task = asyncio.get_running_loop().create_task(sub.run())

        def unsubscribe() -> None:
            if sub in self._subscriptions:
                self._subscriptions.remove(sub)
                sub.queue.put_nowait(None)

        return unsubscribe

    def backlog(self, name: str) -> int:
        """Events queued for the subscriber named ``name`` and not handled yet (0 if there is none)."""
        return sum(sub.queue.qsize() for sub in self._subscriptions if sub.name == name)

    def publish(self, event: Event) -> None:
        for sub in self._subscriptions:
            sub.queue.put_nowait(event)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._running = True
        for sub in self._subscriptions:
            if sub.task is None:
                sub.task = loop.create_task(sub.run())

    async def drain(self) -> None:
        """Wait until every subscriber has handled every event published so far."""
        for sub in list(self._subscriptions):
            await sub.queue.join()

    async def stop(self, timeout: float) -> None:
        """Deliver what is queued (up to ``timeout`` seconds), then end the subscriber tasks."""
        self._running = False
        tasks = []
        for sub in self._subscriptions:
            sub.queue.put_nowait(None)
            if sub.task is not None:
                tasks.append(sub.task)
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for sub in self._subscriptions:
            sub.task = None
