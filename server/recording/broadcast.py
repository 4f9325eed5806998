"""Broadcast (Pro 2.26+): a session's COMPOSED view streamed live to an RTMP URL.

The same pipeline as a COMPOSED recording (:mod:`.local`: the layout page joined as the hidden RECORDER,
Xvfb + PulseAudio + Chromium + ffmpeg) with ffmpeg writing FLV to ``broadcastUrl`` instead of an mp4. One
broadcast per session; it ends on ``/broadcast/stop``, when the session closes, or when ffmpeg exits (the
RTMP peer went away). The session's ``broadcasting`` flag is true while it runs; the bus gets
``broadcastStarted``/``broadcastStopped`` (webhook events of 2.26+).

The layout page joins with the RECORDER connection id, so a session cannot be broadcast and recorded COMPOSED
(video) at the same time here: each refuses while the other runs (409).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from server.core.enums import EndReason
from server.core.events import Event, EventBus, SessionDestroyed
from server.core.events_232 import BroadcastStarted, BroadcastStopped
from server.core.sessions import Session
from server.recording.composed import layout_url
from server.recording.local import CaptureSpec, LocalCapture
from server.recording.model import Recording, RecordingProperties
from server.settings import Settings

log = logging.getLogger(__name__)

STOP_TIMEOUT_SECONDS = 10.0
WATCH_INTERVAL = 0.5
URL_SCHEMES = ("rtmp://", "rtmps://")
MAX_URL_LENGTH = 2048


def acceptable_broadcast_url(url: str) -> bool:
    """An ``rtmp://`` or ``rtmps://`` URL with a host, no spaces or control characters."""
    if len(url) > MAX_URL_LENGTH or not url.startswith(URL_SCHEMES):
        return False
    rest = url.split("://", 1)[1]
    return bool(rest) and not rest.startswith("/") and all(33 <= ord(c) < 127 for c in url)


class BroadcastError(Exception):
    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind = kind  # "conflict" (409) or "failed" (500)
        self.message = message


@dataclass(slots=True)
class _Broadcast:
    session_id: str
    url: str
    capture: LocalCapture
    started_at: int
    watcher: asyncio.Task[None] | None = None
    stopping: bool = field(default=False)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class BroadcastManager:
    def __init__(
        self,
        settings: Settings,
        public_url: str,
        bus: EventBus,
        evict_recorder: Callable[[str], Awaitable[None]],
        session_of: Callable[[str], Session | None],
    ) -> None:
        self.settings = settings
        self.public_url = public_url
        self.bus = bus
        self.evict_recorder = evict_recorder
        self.session_of = session_of
        self._running: dict[str, _Broadcast] = {}
        self._unsubscribe: Callable[[], None] | None = None

    def active(self, session_id: str) -> bool:
        return session_id in self._running

    async def start_component(self) -> None:
        self._unsubscribe = self.bus.subscribe(self._on_event, "broadcasts")

    async def stop_component(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for session_id in list(self._running):
            await self.stop(session_id, EndReason.OPENVIDU_SERVER_STOPPED)

    async def _on_event(self, event: Event) -> None:
        if isinstance(event, SessionDestroyed) and event.session_id in self._running:
            await self.stop(event.session_id, event.reason or EndReason.SESSION_CLOSED_BY_SERVER, evict=False)

    async def start(self, session: Session, url: str, props: RecordingProperties) -> None:
        """Start streaming; raises BroadcastError("conflict"|"failed")."""
        if session.session_id in self._running or session.broadcasting:
            raise BroadcastError("conflict")
        width, height = (int(v) for v in props.resolution.split("x"))
        view = Recording.new(session.session_id, session.session_id, 0, props)
        spec = CaptureSpec(
            url=layout_url(self.settings, self.public_url, view),
            width=width,
            height=height,
            audio=props.has_audio,
            output=Path("/dev/null"),
            frame_rate=props.frame_rate or 25,
            stream_url=url,
        )
        capture = LocalCapture(spec)
        entry = _Broadcast(session.session_id, url, capture, now_ms())
        self._running[session.session_id] = entry
        session.broadcasting = True
        try:
            await capture.start(self.settings.openvidu_recording_composed_start_timeout)
        except (RuntimeError, OSError) as exc:
            self._running.pop(session.session_id, None)
            session.broadcasting = False
            with contextlib.suppress(Exception):
                await self.evict_recorder(session.session_id)
            raise BroadcastError("failed", f"the broadcast did not start: {exc}") from exc
        entry.watcher = asyncio.ensure_future(self._watch(entry))
        self.bus.publish(BroadcastStarted(session.session_id, entry.started_at, url))
        log.info("broadcast of session %s to %s started", session.session_id, _redacted(url))

    async def _watch(self, entry: _Broadcast) -> None:
        """ffmpeg ending by itself (the RTMP server closed) ends the broadcast."""
        ffmpeg = entry.capture.ffmpeg
        if ffmpeg is None:
            return
        await ffmpeg.wait()
        if not entry.stopping and self._running.get(entry.session_id) is entry:
            log.warning("broadcast of %s ended by itself: %s", entry.session_id, entry.capture.log_tail(500))
            await self.stop(entry.session_id, EndReason.RECORDING_STOPPED_BY_SERVER)

    async def stop(
        self,
        session_id: str,
        reason: EndReason = EndReason.RECORDING_STOPPED_BY_SERVER,
        *,
        evict: bool = True,
    ) -> bool:
        entry = self._running.pop(session_id, None)
        if entry is None:
            return False
        entry.stopping = True
        session = self.session_of(session_id)
        if session is not None:
            session.broadcasting = False
        try:
            await entry.capture.stop(STOP_TIMEOUT_SECONDS)
        finally:
            await entry.capture.kill()
            if entry.watcher is not None and entry.watcher is not asyncio.current_task():
                entry.watcher.cancel()
        if evict and session is not None and not session.closing:
            try:
                await self.evict_recorder(session_id)
            except Exception:
                log.exception("evicting the broadcast page of %s", session_id)
        self.bus.publish(BroadcastStopped(session_id, now_ms(), entry.url, reason.value))
        log.info("broadcast of session %s stopped (%s)", session_id, reason.value)
        return True


def _redacted(url: str) -> str:
    """The URL without its stream key (the last path segment) for the log."""
    head, _, _key = url.rpartition("/")
    return head + "/…" if head.count("/") >= 3 else url
