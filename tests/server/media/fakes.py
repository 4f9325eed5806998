"""Small fakes for the media side's unit tests: a media session without a media server, the peers and the
recording hooks, each recording what it is asked in one shared log so that tests can check the order."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from server.core.enums import EndReason
from server.core.events import EventBus
from server.core.manager import LateBackend, ManagerConfig, SessionManager
from server.core.participants import Participant
from server.core.sessions import Session
from server.media.hosting import MediaBackend, MediaFactory, SessionMedias
from server.media.picker import FirstConnectedPicker
from server.media.session import MediaError, MediaListener, MediaSession, MediaTimeouts

Log = list[tuple[Any, ...]]
BUS_STOP_TIMEOUT = 5.0


class NullListener:
    def ice_candidate(self, recipient_id: str, sender_id: str, endpoint_name: str, candidate: Any) -> None:
        return None

    def media_error(
        self, recipient_ids: list[str] | None, error_type: str, description: str, code: int
    ) -> None:
        return None

    def filter_event(
        self,
        recipient_ids: list[str],
        publisher_id: str,
        stream_id: str,
        filter_type: str,
        event_type: str,
        data: str,
    ) -> None:
        return None


class FakePeers:
    """The signaling layer's ``PeerNotifier``: what would be sent, logged."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.listeners: list[str] = []

    def media_listener(self, session: Session) -> MediaListener:
        self.listeners.append(session.session_id)
        return NullListener()

    async def participant_evicted(
        self, session: Session, participant: Participant, reason: EndReason
    ) -> None:
        self.log.append(("evicted", participant.connection_id, reason))

    async def stream_unpublished(
        self, session: Session, owner: Participant, reason: EndReason, *, notify_owner: bool
    ) -> None:
        self.log.append(("unpublished", owner.connection_id, reason, notify_owner))


class FakeRecording:
    def __init__(self, log: Log) -> None:
        self.log = log

    async def stream_published(self, session: Session, participant: Participant) -> None:
        self.log.append(("recording.published", participant.connection_id))

    async def stream_unpublishing(self, session: Session, participant: Participant) -> None:
        self.log.append(("recording.unpublishing", participant.connection_id))

    async def recorder_subscribed(self, session: Session) -> None:
        self.log.append(("recording.recorder_subscribed", session.session_id))

    async def session_closing(self, session: Session, reason: EndReason) -> None:
        self.log.append(("recording.closing", session.session_id, reason))

    async def media_lost(self, session: Session) -> None:
        self.log.append(("recording.media_lost", session.session_id))


class FakeMedia(MediaSession):
    """A session's media hosted on a made-up server; ``start`` fails if the factory says so."""

    def __init__(
        self,
        session_id: str,
        picker: Any,
        listener: MediaListener,
        timeouts: MediaTimeouts | None,
        log: Log,
        host: str,
        fail_start: bool,
    ) -> None:
        super().__init__(session_id, picker, listener, timeouts)
        self.log = log
        self.host = host
        self.fail_start = fail_start
        self.started = False

    @property
    def server_id(self) -> str | None:
        return self.host if self.started else None

    async def start(self) -> None:
        self.log.append(("media.start", self.session_id, self.host))
        if self.fail_start:
            raise MediaError(204, "no pipeline")
        self.started = True

    async def remove_participant(self, connection_id: str) -> None:
        self.log.append(("media.remove_participant", connection_id))

    async def unpublish(self, connection_id: str) -> list[str]:
        self.log.append(("media.unpublish", connection_id))
        return []

    async def close(self, *, remote: bool = True) -> None:
        self.log.append(("media.close", self.session_id, self.host, remote))
        self.closed = True


class FakeMediaFactory:
    """Makes ``FakeMedia`` on ``host`` (changed by tests to move new pipelines elsewhere)."""

    def __init__(self, log: Log, host: str = "kms_a") -> None:
        self.log = log
        self.host = host
        self.fail_start = False
        self.made: list[FakeMedia] = []

    def __call__(
        self, session_id: str, picker: Any, listener: MediaListener, timeouts: MediaTimeouts
    ) -> MediaSession:
        media = FakeMedia(session_id, picker, listener, timeouts, self.log, self.host, self.fail_start)
        self.made.append(media)
        return media


def _factory_type_check(factory: FakeMediaFactory) -> MediaFactory:
    return factory


@dataclass
class MediaSide:
    """A core with the media side bound to it as its backend, over the fakes above (one shared log)."""

    manager: SessionManager
    medias: SessionMedias
    factory: FakeMediaFactory
    peers: FakePeers
    recording: FakeRecording
    log: Log


@contextlib.asynccontextmanager
async def media_side() -> AsyncIterator[MediaSide]:
    bus = EventBus()
    await bus.start()
    log: Log = []
    backend = LateBackend()
    manager = SessionManager(ManagerConfig("wss://localhost:4443", "2.11.0", "s"), bus, backend=backend)
    factory = FakeMediaFactory(log)
    peers = FakePeers(log)
    recording = FakeRecording(log)
    medias = SessionMedias(FirstConnectedPicker(list), peers, recording, factory=factory)
    backend.bind(MediaBackend(medias, peers))
    try:
        yield MediaSide(manager, medias, factory, peers, recording, log)
    finally:
        await bus.stop(BUS_STOP_TIMEOUT)
