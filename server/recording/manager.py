"""RecordingManager: ids, statuses, metadata files, events, notifications, autostop and ALWAYS mode.

Media-agnostic: a ``RecorderFactory`` makes the recorder of each output mode. The signaling layer calls the
hooks (:class:`RecordingHooks`) when streams are published or unpublished, when the hidden RECORDER subscribes,
when a session closes and when its media server is lost. The REST layers (2.11 ``/api/recordings`` and later
ones) call ``start``/``stop``/``get``/``list``/``delete``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from server.core.clock import now_ms
from server.core.enums import EndReason, MediaMode, OutputMode, RecordingMode, final_reason
from server.core.events import (
    Event,
    EventBus,
    ParticipantLeft,
    RecordingStarted,
    RecordingStatusChanged,
    RecordingStopped,
)
from server.core.manager import SessionManager
from server.core.participants import Participant
from server.core.sessions import Session
from server.recording.model import Recording, RecordingProperties, Status, from_232
from server.recording.recorder import Recorder, RecorderError, StreamSource
from server.recording.store import RecordingStore

log = logging.getLogger(__name__)


ID_SEPARATOR_232 = "~"
"""``<sessionId>~1``: the id of a second recording of a session in 2.16+ (2.11: ``<sessionId>-1``)."""


class Notifier(Protocol):
    """recordingStarted / recordingStopped to the session's participants (roles of the notification setting)."""

    async def recording_started(self, session_id: str, recording_id: str, name: str) -> None: ...

    async def recording_stopped(self, session_id: str, recording_id: str, name: str, reason: str) -> None: ...


class NoNotifier:
    async def recording_started(self, session_id: str, recording_id: str, name: str) -> None:
        return None

    async def recording_stopped(self, session_id: str, recording_id: str, name: str, reason: str) -> None:
        return None


RecorderFactory = Callable[[Recording, Session], Recorder]


class StartError(Exception):
    """``start`` refused or failed; ``kind`` tells the REST layer which answer to give."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind = kind
        self.message = message


class StopOutcome(Enum):
    STOPPED = "stopped"
    STARTING = "starting"  # 406
    NOT_FOUND = "not_found"  # 404
    NOT_RECORDED = "not_recorded"  # 409


class DeleteOutcome(Enum):
    DELETED = "deleted"
    ACTIVE = "active"  # 409
    NOT_FOUND = "not_found"  # 404


@dataclass(slots=True)
class _Active:
    recording: Recording
    recorder: Recorder | None = None
    starting: bool = True
    started: asyncio.Event = field(default_factory=asyncio.Event)
    announced: bool = False


@dataclass(frozen=True, slots=True)
class RecordingConfig:
    path: str
    autostop_timeout: float
    enabled: bool = True


class RecordingManager:
    def __init__(
        self,
        config: RecordingConfig,
        sessions: SessionManager,
        bus: EventBus,
        factory: RecorderFactory,
        notifier: Notifier | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.config = config
        self.store = RecordingStore(config.path)
        self.sessions = sessions
        self.bus = bus
        self.factory = factory
        self.notifier: Notifier = notifier or NoNotifier()
        self.clock = clock
        self._active: dict[str, _Active] = {}  # recordingId -> active recording
        self._by_session: dict[str, str] = {}  # sessionId -> recordingId
        self._autostop: dict[str, asyncio.Task[None]] = {}
        self._manually_stopped: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unsubscribe: Callable[[], None] | None = None

    # ================================================================ lifecycle of the manager

    async def start_component(self) -> None:
        self._unsubscribe = self.bus.subscribe(self._on_event, "recording-autostop")

    async def stop_component(self) -> None:
        """After the sessions were closed (which stopped their recordings): stop what is left."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        for recording_id in list(self._active):
            await self._stop(recording_id, EndReason.OPENVIDU_SERVER_STOPPED, notify=False)
        for task in list(self._autostop.values()) + list(self._tasks):
            task.cancel()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ================================================================ queries

    def active(self, recording_id: str) -> Recording | None:
        entry = self._active.get(recording_id)
        return entry.recording if entry is not None else None

    def of_session(self, session_id: str) -> Recording | None:
        recording_id = self._by_session.get(session_id)
        return self.active(recording_id) if recording_id is not None else None

    def _overlay(self, document: dict[str, Any]) -> dict[str, Any]:
        entry = self._active.get(str(document.get("id")))
        if entry is not None and entry.starting:
            document = dict(document, status=Status.STARTING.value)
        return document

    def get(self, recording_id: str) -> dict[str, Any] | None:
        """The stored Recording JSON (``starting`` while its start is running), or None."""
        document = self.store.read(recording_id)
        return self._overlay(document) if document is not None else None

    def list(self) -> list[dict[str, Any]]:
        return [self._overlay(document) for document in self.store.read_all()]

    def delete(self, recording_id: str) -> DeleteOutcome:
        if recording_id in self._active:
            return DeleteOutcome.ACTIVE
        return DeleteOutcome.DELETED if self.store.delete(recording_id) else DeleteOutcome.NOT_FOUND

    # ================================================================ start

    async def start(self, session: Session, props: RecordingProperties, id_separator: str = "-") -> Recording:
        """Start recording ``session``. Raises StartError("conflict") if it is already recorded,
        StartError("failed", message) if the recorder cannot start (the recording is then ``failed``).
        ``id_separator``: ``-`` of 2.11 (``<sessionId>-1``) or ``~`` of 2.16+ (``<sessionId>~1``)."""
        if session.session_id in self._by_session or session.recording:
            raise StartError("conflict")
        if props.composed_video and session.broadcasting:
            raise StartError("conflict")  # the broadcast's layout page holds the RECORDER slot
        taken = set(self._active)
        recording_id = self.store.free_id(session.session_id, taken, id_separator)
        recording = Recording.new(recording_id, session.session_id, self.clock(), props)
        entry = _Active(recording)
        self._active[recording_id] = entry
        self._by_session[session.session_id] = recording_id
        session.recording = True
        try:
            await asyncio.to_thread(self._prepare_folder, recording)
            recorder = self.factory(recording, session)
            entry.recorder = recorder
            sources = [
                s
                for s in (StreamSource.of(p) for p in session.participants.values())
                if s is not None and _recorded(recording, s)
            ]
            await recorder.start(sources)
        except (RecorderError, OSError) as exc:
            message = exc.message if isinstance(exc, RecorderError) else str(exc)
            log.error(
                "recording %s of session %s failed to start: %s", recording_id, session.session_id, message
            )
            recording.status = Status.FAILED
            self._forget(recording)
            with contextlib.suppress(OSError):
                await asyncio.to_thread(self.store.write, recording_id, recording.stored_json())
            entry.started.set()
            raise StartError("failed", message) from exc
        entry.starting = False
        entry.started.set()
        self._publish_started(recording)
        if not props.composed_video:
            entry.announced = True
            await self.notifier.recording_started(session.session_id, recording.id, recording.name)
        if not _publishers(session):
            self._start_autostop(session.session_id)
        log.info("recording %s of session %s started (%s)", recording.id, session.session_id, props)
        return recording

    def _prepare_folder(self, recording: Recording) -> None:
        folder = self.store.folder_of(recording.id)
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            folder.chmod(0o777)
        self.store.write(recording.id, recording.stored_json())

    def _publish_started(self, recording: Recording) -> None:
        info = recording.info()
        self.bus.publish(RecordingStarted(recording.session_id, self.clock(), info))
        self.bus.publish(
            RecordingStatusChanged(
                recording.session_id, recording.created_at, recording.created_at, None, info
            )
        )

    def _forget(self, recording: Recording) -> None:
        self._active.pop(recording.id, None)
        if self._by_session.get(recording.session_id) == recording.id:
            del self._by_session[recording.session_id]
        session = self.sessions.get_session(recording.session_id)
        if session is not None:
            session.recording = False

    # ================================================================ stop

    async def stop(
        self, recording_id: str, reason: EndReason = EndReason.RECORDING_STOPPED_BY_SERVER
    ) -> tuple[StopOutcome, Recording | None]:
        """The REST stop: 406 while starting, 404 unknown, 409 session not recorded; else the final Recording."""
        entry = self._active.get(recording_id)
        if entry is None:
            return StopOutcome.NOT_FOUND, None
        if entry.starting:
            return StopOutcome.STARTING, None
        session_id = entry.recording.session_id
        if self._by_session.get(session_id) != recording_id:
            return StopOutcome.NOT_RECORDED, None
        self._manually_stopped.add(session_id)
        recording = await self._stop(recording_id, reason, notify=True)
        session = self.sessions.get_session(session_id)
        if (
            session is not None
            and session.active
            and not session.closing
            and not session.visible_participants()
        ):
            await self.sessions.close_session(session_id, reason)
        return StopOutcome.STOPPED, recording

    async def _stop(self, recording_id: str, reason: EndReason, *, notify: bool) -> Recording | None:
        entry = self._active.get(recording_id)
        if entry is None:
            return None
        if entry.starting:
            await entry.started.wait()
            if recording_id not in self._active:
                return entry.recording
        recording = entry.recording
        self._active.pop(recording_id, None)  # a second stop finds nothing
        self._cancel_autostop(recording.session_id)
        recording.status = Status.STOPPED
        stopped_at = self.clock()
        info = recording.info()
        self.bus.publish(
            RecordingStopped(recording.session_id, stopped_at, recording.created_at, reason, info)
        )
        self.bus.publish(
            RecordingStatusChanged(recording.session_id, stopped_at, recording.created_at, reason, info)
        )
        with contextlib.suppress(OSError):
            await asyncio.to_thread(self.store.write, recording.id, recording.stored_json())
        try:
            if entry.recorder is not None:
                await entry.recorder.stop()
        except Exception:
            log.exception("recording %s failed to finish", recording.id)
            recording.status = Status.FAILED
        if recording.status is Status.STOPPED:
            recording.status = Status.READY
        self._forget(recording)
        with contextlib.suppress(OSError):
            await asyncio.to_thread(self.store.write, recording.id, recording.stored_json())
        self.bus.publish(
            RecordingStatusChanged(
                recording.session_id, self.clock(), recording.created_at, reason, recording.info()
            )
        )
        session = self.sessions.get_session(recording.session_id)
        if notify and session is not None and not session.closing:
            await self.notifier.recording_stopped(
                recording.session_id, recording.id, recording.name, reason.value
            )
        log.info("recording %s %s (%s)", recording.id, recording.status.value, reason.value)
        return recording

    # ================================================================ hooks of the signaling layer

    async def stream_published(self, session: Session, participant: Participant) -> None:
        """After a publisher's media is up: ALWAYS-mode start, autostop abort, join a running recording."""
        others = [p for p in _publishers(session) if p is not participant]
        recording = self.of_session(session.session_id)
        if not others:
            mode = session.properties.recording_mode
            if mode is RecordingMode.MANUAL:
                self._cancel_autostop(session.session_id)
            elif (
                self.config.enabled
                and recording is None
                and session.session_id not in self._manually_stopped
                and session.properties.media_mode is MediaMode.ROUTED
            ):
                self._spawn(self._start_always(session))
        source = StreamSource.of(participant)
        entry = self._active.get(recording.id) if recording is not None else None
        if (
            source is not None
            and entry is not None
            and entry.recorder is not None
            and not entry.starting
            and _recorded(entry.recording, source)
        ):
            await entry.recorder.add_stream(source)

    async def _start_always(self, session: Session) -> None:
        props = session.properties
        # a session made through /openvidu/api records with its 2.32 defaultRecordingProperties
        start_props = (
            from_232(props.default_recording)
            if props.default_recording is not None
            else RecordingProperties(
                output_mode=props.default_output_mode,
                recording_layout=props.default_recording_layout,
                custom_layout=props.default_custom_layout,
            )
        )
        separator = "-" if props.default_recording is None else ID_SEPARATOR_232
        try:
            await self.start(session, start_props, separator)
        except StartError as exc:
            log.warning(
                "automatic recording of %s not started: %s", session.session_id, exc.message or exc.kind
            )

    async def stream_unpublishing(self, session: Session, participant: Participant) -> None:
        """Before a publisher's media is released: its recorder (INDIVIDUAL) or hub port (audio) goes."""
        recording = self.of_session(session.session_id)
        entry = self._active.get(recording.id) if recording is not None else None
        if entry is not None and entry.recorder is not None and not entry.starting:
            await entry.recorder.remove_stream(participant.connection_id)

    async def recorder_subscribed(self, session: Session) -> None:
        """The RECORDER's first subscription: ``recordingStarted`` of a COMPOSED video recording. Never waits
        (the RECORDER's own answer must not be delayed): a start still running announces when it is done."""
        recording = self.of_session(session.session_id)
        entry = self._active.get(recording.id) if recording is not None else None
        if entry is None or entry.announced:
            return
        entry.announced = True
        if entry.starting:
            self._spawn(self._announce_when_started(session.session_id, entry))
        else:
            await self.notifier.recording_started(
                session.session_id, entry.recording.id, entry.recording.name
            )

    async def _announce_when_started(self, session_id: str, entry: _Active) -> None:
        await entry.started.wait()
        if entry.recording.id in self._active:
            await self.notifier.recording_started(session_id, entry.recording.id, entry.recording.name)

    async def session_closing(self, session: Session, reason: EndReason) -> None:
        """The session is being closed (everyone evicted): stop its recording with the final reason."""
        self._cancel_autostop(session.session_id)
        self._manually_stopped.discard(session.session_id)
        recording_id = self._by_session.get(session.session_id)
        if recording_id is not None:
            await self._stop(recording_id, final_reason(reason), notify=False)

    async def media_lost(self, session: Session) -> None:
        """The session's media server is gone: its recording stops with ``mediaServerDisconnect`` (failed)."""
        recording_id = self._by_session.get(session.session_id)
        entry = self._active.get(recording_id) if recording_id is not None else None
        if entry is None:
            return
        if entry.recorder is not None:
            entry.recorder.media_lost()
        await self._stop(entry.recording.id, EndReason.MEDIA_SERVER_DISCONNECT, notify=True)

    # ================================================================ autostop

    async def _on_event(self, event: Event) -> None:
        if not isinstance(event, ParticipantLeft) or event.reason is EndReason.SESSION_CLOSED_BY_SERVER:
            return
        session = self.sessions.get_session(event.session_id)
        if session is None or session.closing or session.session_id not in self._by_session:
            return
        if not session.visible_participants():
            self._start_autostop(session.session_id)

    def _start_autostop(self, session_id: str) -> None:
        if session_id in self._autostop:
            return
        task = asyncio.ensure_future(self._autostop_after(session_id))
        self._autostop[session_id] = task

    def _cancel_autostop(self, session_id: str) -> None:
        task = self._autostop.pop(session_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _autostop_after(self, session_id: str) -> None:
        await asyncio.sleep(self.config.autostop_timeout)
        if self._autostop.get(session_id) is asyncio.current_task():
            del self._autostop[session_id]
        session = self.sessions.get_session(session_id)
        recording_id = self._by_session.get(session_id)
        if session is None or recording_id is None:
            return
        log.info("recording %s: automatic stop after %s s", recording_id, self.config.autostop_timeout)
        if not session.visible_participants():
            await self.sessions.close_session(session_id, EndReason.AUTOMATIC_STOP)
        else:
            await self._stop(recording_id, EndReason.AUTOMATIC_STOP, notify=True)


def _recorded(recording: Recording, source: StreamSource) -> bool:
    """A connection made with ``record: false`` is left out of an INDIVIDUAL recording (2.16+)."""
    return source.record or recording.output_mode is not OutputMode.INDIVIDUAL


def _publishers(session: Session) -> list[Participant]:
    return [p for p in session.participants.values() if p.publisher is not None and not p.recorder]
