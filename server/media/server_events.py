"""Media server events: a reset media server (its sessions' media are rebuilt) and a lost one (its sessions
close with ``mediaServerDisconnect``).

:meth:`MediaServerEvents.on_pool_notice` listens to the Kurento pool: a media server still unreachable after
the reconnect window (``Unreachable``) is lost; one that came back as a new process (``ReconnectedEmpty``) is
reset. REST (a media node removed) reports a loss through :meth:`MediaServerEvents.media_server_lost`.
"""

from __future__ import annotations

import logging

from kms_client.lifecycle import LifecycleEvent, ReconnectedEmpty, Unreachable
from kms_client.pool import MediaServer
from server.core.enums import EndReason
from server.core.manager import SessionManager
from server.media.hosting import PeerNotifier, RecordingHooks, SessionMedias
from server.media.session import MediaError

log = logging.getLogger(__name__)


class MediaServerEvents:
    """Resets and losses of media servers, applied to the sessions they host."""

    def __init__(
        self, manager: SessionManager, medias: SessionMedias, peers: PeerNotifier, recording: RecordingHooks
    ) -> None:
        self.manager = manager
        self.medias = medias
        self.peers = peers
        self.recording = recording

    async def on_pool_notice(self, server: MediaServer, notice: LifecycleEvent) -> None:
        """A listener of the Kurento pool's lifecycle notices."""
        if isinstance(notice, ReconnectedEmpty):
            log.warning("media server %s came back without its objects: resetting its sessions", server.id)
            await self.media_server_reset(server.id)
        elif isinstance(notice, Unreachable):
            log.warning("media server %s lost its sessions (%s)", server.id, type(notice).__name__)
            await self.media_server_lost(server.id)

    async def media_server_reset(self, server_id: str) -> None:
        """The media server came back as a new process (its objects are gone): reset its sessions in place, as
        OpenVidu 2.10/2.11 do on reconnecting to a different KMS instance (``KurentoSession.restartStatusInKurento``).

        Participants stay connected. Every stream is destroyed with ``mediaServerDisconnect``
        (``participantUnpublished`` to everyone, its owner included; ``webrtcConnectionDestroyed``), the old
        pipeline is dropped without remote calls and a fresh one is created, so users can publish again. A
        session whose new pipeline cannot be created is closed with ``mediaServerDisconnect``.
        """
        reason = EndReason.MEDIA_SERVER_DISCONNECT
        for session in self.manager.sessions():
            old = self.medias.of(session)
            if old is None or old.server_id != server_id or session.closing:
                continue
            await self.recording.media_lost(session)
            session.media = None
            await old.close(remote=False)
            for owner in list(session.participants.values()):
                if owner.publisher is None:
                    continue
                if not owner.recorder:
                    await self.peers.stream_unpublished(session, owner, reason, notify_owner=True)
                self.manager.unpublish(owner, reason)
            for participant in session.participants.values():
                for stream_id in list(participant.subscribers):
                    self.manager.unsubscribe(participant, stream_id, reason)
            fresh = self.medias.ensure(session)
            try:
                await fresh.start()
            except MediaError as exc:
                log.warning("session %s cannot get a new pipeline: %s", session.session_id, exc.message)
                await fresh.close(remote=False)
                await self.manager.close_session(session.session_id, reason)

    async def media_server_lost(self, server_id: str) -> None:
        """A media server died: close every session it hosted with ``mediaServerDisconnect``."""
        for session in self.manager.sessions():
            media = self.medias.of(session)
            if media is not None and media.server_id == server_id:
                await self.recording.media_lost(session)
                await media.close(remote=False)
                await self.manager.close_session(session.session_id, EndReason.MEDIA_SERVER_DISCONNECT)
