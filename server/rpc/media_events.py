"""Media server events: a reset media server (its sessions' media are rebuilt) and a lost one (its sessions
close with ``mediaServerDisconnect``)."""

from __future__ import annotations

import logging

from server.core.enums import EndReason
from server.media.session import MediaError, MediaSession
from server.rpc import protocol as p
from server.rpc.bindings import PeerBindings

log = logging.getLogger(__name__)


class MediaServerEvents(PeerBindings):
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
            old = session.media
            if not isinstance(old, MediaSession) or old.server_id != server_id or session.closing:
                continue
            if self.recording is not None:
                await self.recording.media_lost(session)
            session.media = None
            await old.close(remote=False)
            for owner in list(session.participants.values()):
                if owner.publisher is None:
                    continue
                if not owner.recorder:
                    note = p.participant_unpublished(owner.connection_id, reason)
                    await self.send_to(session.session_id, list(session.participants), note)
                self.manager.unpublish(owner, reason)
            for participant in session.participants.values():
                for stream_id in list(participant.subscribers):
                    self.manager.unsubscribe(participant, stream_id, reason)
            fresh = self._media(session)
            try:
                await fresh.start()
            except MediaError as exc:
                log.warning("session %s cannot get a new pipeline: %s", session.session_id, exc.message)
                await fresh.close(remote=False)
                await self.manager.close_session(session.session_id, reason)
                continue
            session.media_server_id = fresh.server_id

    async def media_server_lost(self, server_id: str) -> None:
        """A media server died: close every session it hosted with ``mediaServerDisconnect``."""
        for session in self.manager.sessions():
            media = session.media
            if isinstance(media, MediaSession) and media.server_id == server_id:
                if self.recording is not None:
                    await self.recording.media_lost(session)
                await media.close(remote=False)
                await self.manager.close_session(session.session_id, EndReason.MEDIA_SERVER_DISCONNECT)
