"""The signaling service's state and the helpers every handler uses: sending to participants (through
:class:`server.rpc.peers.Peers`), the session's media (through :class:`server.media.hosting.SessionMedias`), and
the permission checks of :mod:`server.core.permissions`.

The handlers (:mod:`.room`, :mod:`.publishing`, :mod:`.subscribing`, :mod:`.signals`, :mod:`.filters`) are
mixins over :class:`PeerBindings`; :class:`server.rpc.service.SignalingService` puts them together with the
dispatcher.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from server.core.manager import SessionManager
from server.core.participants import Participant
from server.core.sessions import Session
from server.media.bandwidth import Bandwidth
from server.media.hosting import RecordingHooks, SessionMedias
from server.media.session import MediaError, MediaSession
from server.rpc import protocol as p
from server.rpc.connections import RpcConnection, RpcRegistry, broadcast
from server.rpc.peers import Peers
from server.rpc.replies import answered_error

log = logging.getLogger(__name__)

LEAVE_CLOSE_CODE = 1000

SERVER_STOPPING_CLOSE_CODE = 1001


@dataclass(frozen=True, slots=True)
class SignalingConfig:
    version: str
    bandwidth: Bandwidth = field(default_factory=Bandwidth)
    max_ice_candidates: int = 500
    max_ice_candidate_size: int = 1024


Handler = Callable[[RpcConnection, p.Request], Awaitable[Any]]


class PeerBindings:
    """State shared by the handlers (set by :class:`server.rpc.service.SignalingService`) and their helpers."""

    manager: SessionManager
    medias: SessionMedias
    peers: Peers
    registry: RpcRegistry
    config: SignalingConfig
    recording: RecordingHooks
    on_outcome: Callable[[str, int | None], None]

    def rpc_of(self, session_id: str, connection_id: str) -> RpcConnection | None:
        return self.peers.rpc_of(session_id, connection_id)

    async def send_to(self, session_id: str, connection_ids: list[str], message: dict[str, Any]) -> None:
        await self.peers.send_to(session_id, connection_ids, message)

    def bound(self, session_id: str, connection_ids: list[str]) -> list[RpcConnection]:
        """The JSON-RPC sessions of these participants right now (a snapshot taken without awaiting)."""
        return self.peers.bound(session_id, connection_ids)

    @staticmethod
    async def send_to_bound(conns: list[RpcConnection], message: dict[str, Any]) -> None:
        await broadcast(conns, message)

    def spawn(self, coro: Awaitable[Any]) -> None:
        self.peers.spawn(coro)

    @staticmethod
    def _others(session: Session, connection_id: str) -> list[str]:
        return [cid for cid in session.participants if cid != connection_id]

    # ================================================================ helpers

    def _participant(self, conn: RpcConnection) -> tuple[Session, Participant]:
        """The sanity check of every method but joinRoom: a ghost gets no answer at all."""
        session = self.manager.get_session(conn.session_id or "")
        participant = session.participants.get(conn.connection_id or "") if session is not None else None
        if session is None or participant is None:
            log.warning(
                "participant %s of %s is not in its session any more", conn.connection_id, conn.session_id
            )
            raise p.NoResponse()
        return session, participant

    def _media(self, session: Session) -> MediaSession:
        """The session's media (made on first use)."""
        return self.medias.ensure(session)

    def media_of(self, session: Session) -> MediaSession:
        """The session's media (made on first use)."""
        return self.medias.ensure(session)

    def stream_info(self, participant: Participant) -> p.StreamInfo | None:
        return self._stream_info(participant)

    def _bandwidth(self, participant: Participant) -> Bandwidth:
        return self.config.bandwidth.with_overrides(participant.token.kurento_options)

    @staticmethod
    def _stream_info(participant: Participant) -> p.StreamInfo | None:
        pub = participant.publisher
        if pub is None:
            return None
        mo = pub.media_options
        return p.StreamInfo(
            id=pub.stream_id,
            created_at=pub.created_at,
            has_audio=mo.has_audio,
            has_video=mo.has_video,
            audio_active=mo.audio_active,
            video_active=mo.video_active,
            type_of_video=mo.type_of_video,
            frame_rate=mo.frame_rate,
            video_dimensions=mo.video_dimensions if mo.video_dimensions != "" else None,
            filter=mo.filter,
        )

    @staticmethod
    def _media_error(exc: MediaError) -> p.RpcError:
        return answered_error(exc.code, exc.message)

    def _bind(self, conn: RpcConnection, session: Session, participant: Participant) -> None:
        self.peers.bind(conn, session, participant)

    def _unbind(self, session_id: str, connection_id: str) -> RpcConnection | None:
        return self.peers.unbind(session_id, connection_id)
