"""The media of every session, and the media side of the core's lifecycle (the core ``SessionBackend``).

:class:`SessionMedias` makes a session's ``MediaSession`` on first use and keeps it on ``Session.media`` (which
the core sees only as :class:`server.core.sessions.SessionMedia`); it is the one place that narrows that seam
back to a ``MediaSession``. :class:`MediaBackend` is what the ``SessionManager`` calls before it drops a
participant, a stream or a session: it releases the media, tells recording, and has the signaling layer tell the
peers, through the narrow :class:`PeerNotifier` it is given at construction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from server.core.enums import EndReason
from server.core.participants import Participant
from server.core.sessions import Session
from server.media.picker import MediaServerPicker
from server.media.session import MediaListener, MediaSession, MediaTimeouts

MediaFactory = Callable[[str, MediaServerPicker, MediaListener, MediaTimeouts], MediaSession]
"""Makes a session's media (``MediaSession`` itself; a fake in the handlers' unit tests)."""


class PeerNotifier(Protocol):
    """What the media side asks of the signaling layer: telling the participants (``server.rpc.peers.Peers``)."""

    def media_listener(self, session: Session) -> MediaListener:
        """Where the media events of this session go (ICE candidates, media errors, filter events)."""
        ...

    async def participant_evicted(
        self, session: Session, participant: Participant, reason: EndReason
    ) -> None:
        """``participantLeft`` to the others and ``participantEvicted`` to everyone; its socket closed."""
        ...

    async def stream_unpublished(
        self, session: Session, owner: Participant, reason: EndReason, *, notify_owner: bool
    ) -> None:
        """``participantUnpublished`` to the others (and to the owner if ``notify_owner``)."""
        ...


class RecordingHooks(Protocol):
    """What recording is told of the media (``server.recording.manager.RecordingManager``)."""

    async def stream_published(self, session: Session, participant: Participant) -> None: ...

    async def stream_unpublishing(self, session: Session, participant: Participant) -> None: ...

    async def recorder_subscribed(self, session: Session) -> None: ...

    async def session_closing(self, session: Session, reason: EndReason) -> None: ...

    async def media_lost(self, session: Session) -> None: ...


class NoRecording:
    """Recording hooks of a server without recording (and of unit tests)."""

    async def stream_published(self, session: Session, participant: Participant) -> None:
        return None

    async def stream_unpublishing(self, session: Session, participant: Participant) -> None:
        return None

    async def recorder_subscribed(self, session: Session) -> None:
        return None

    async def session_closing(self, session: Session, reason: EndReason) -> None:
        return None

    async def media_lost(self, session: Session) -> None:
        return None


class SessionMedias:
    """The ``MediaSession`` of each session: made on first use, released with its participants and streams."""

    def __init__(
        self,
        picker: MediaServerPicker,
        peers: PeerNotifier,
        recording: RecordingHooks,
        timeouts: MediaTimeouts | None = None,
        factory: MediaFactory = MediaSession,
    ) -> None:
        self.picker = picker
        self.peers = peers
        self.recording = recording
        self.timeouts = timeouts or MediaTimeouts()
        self.factory = factory

    @staticmethod
    def of(session: Session) -> MediaSession | None:
        """The session's media if it has one (the core's ``Session.media`` narrowed to what this layer made)."""
        media = session.media
        return media if isinstance(media, MediaSession) else None

    def ensure(self, session: Session) -> MediaSession:
        """The session's media, made (not started) on first use."""
        media = self.of(session)
        if media is None:
            media = self.factory(
                session.session_id, self.picker, self.peers.media_listener(session), self.timeouts
            )
            session.media = media
        return media

    async def release_participant(self, session: Session, participant: Participant) -> None:
        """Recording stops taking the participant's stream; its endpoints are released."""
        if participant.publisher is not None:
            await self.recording.stream_unpublishing(session, participant)
        media = self.of(session)
        if media is not None:
            await media.remove_participant(participant.connection_id)

    async def release_stream(self, session: Session, owner: Participant) -> None:
        """Recording stops taking the stream; its publisher endpoint and its subscriptions are released."""
        if owner.publisher is not None:
            await self.recording.stream_unpublishing(session, owner)
        media = self.of(session)
        if media is not None:
            await media.unpublish(owner.connection_id)

    async def close(self, session: Session, reason: EndReason) -> None:
        """Recording is told the session closes; its pipeline is released (remotely if still reachable)."""
        await self.recording.session_closing(session, reason)
        media = self.of(session)
        session.media = None
        if media is not None:
            conn = media.connection
            await media.close(remote=conn is not None and conn.connected)


class MediaBackend:
    """The core's ``SessionBackend``: the media and peer side effects of REST operations and session closing."""

    def __init__(self, medias: SessionMedias, peers: PeerNotifier) -> None:
        self.medias = medias
        self.peers = peers

    async def evict_participant(self, session: Session, participant: Participant, reason: EndReason) -> None:
        await self.medias.release_participant(session, participant)
        await self.peers.participant_evicted(session, participant, reason)

    async def unpublish_stream(self, session: Session, participant: Participant, reason: EndReason) -> None:
        await self.medias.release_stream(session, participant)
        await self.peers.stream_unpublished(session, participant, reason, notify_owner=True)

    async def close_session(self, session: Session, reason: EndReason) -> None:
        await self.medias.close(session, reason)
