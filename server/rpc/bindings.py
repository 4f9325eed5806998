"""The signaling service's state and its peer bindings: which JSON-RPC session each participant has, sending to
participants, the session's media, and the permission checks every handler uses.

The handlers (:mod:`.room`, :mod:`.publishing`, :mod:`.subscribing`, :mod:`.signals`, :mod:`.filters`,
:mod:`.media_events`) are mixins over :class:`PeerBindings`; :class:`server.rpc.service.SignalingService`
puts them together with the dispatcher.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from server.core.enums import EndReason, OpenViduRole
from server.core.events_232 import FilterEventDispatched
from server.core.manager import SessionManager
from server.core.participants import Participant
from server.core.sessions import Session
from server.media.bandwidth import Bandwidth
from server.media.endpoint import Candidate
from server.media.picker import MediaServerPicker
from server.media.session import MediaError, MediaListener, MediaSession, MediaTimeouts
from server.rpc import protocol as p
from server.rpc.connections import RpcConnection, RpcRegistry, broadcast
from server.rpc.replies import answered_error

log = logging.getLogger(__name__)

LEAVE_CLOSE_CODE = 1000


EVICT_CLOSE_CODE = 1000


SERVER_STOPPING_CLOSE_CODE = 1001


@dataclass(frozen=True, slots=True)
class SignalingConfig:
    version: str
    bandwidth: Bandwidth = field(default_factory=Bandwidth)
    media_timeouts: MediaTimeouts = field(default_factory=MediaTimeouts)
    recording_notification: str = "publisher_moderator"
    max_ice_candidates: int = 500
    max_ice_candidate_size: int = 1024


Handler = Callable[[RpcConnection, p.Request], Awaitable[Any]]

MediaFactory = Callable[[str, MediaServerPicker, MediaListener, MediaTimeouts], MediaSession]
"""Makes a session's media (``MediaSession`` itself; a fake in the handlers' unit tests)."""


class RecordingHooks(Protocol):
    """What the recording module is told by signaling (server.recording.manager.RecordingManager)."""

    async def stream_published(self, session: Session, participant: Participant) -> None: ...

    async def stream_unpublishing(self, session: Session, participant: Participant) -> None: ...

    async def recorder_subscribed(self, session: Session) -> None: ...

    async def session_closing(self, session: Session, reason: EndReason) -> None: ...

    async def media_lost(self, session: Session) -> None: ...


class _SessionMediaListener:
    """Turns one session's media events into notifications."""

    def __init__(self, service: PeerBindings, session_id: str) -> None:
        self.service = service
        self.session_id = session_id

    def ice_candidate(
        self, recipient_id: str, sender_id: str, endpoint_name: str, candidate: Candidate
    ) -> None:
        message = p.ice_candidate(
            sender_id, endpoint_name, candidate.sdp_m_line_index, candidate.sdp_mid, candidate.candidate
        )
        self.service.send_later(self.session_id, [recipient_id], message)

    def media_error(
        self, recipient_ids: list[str] | None, error_type: str, description: str, code: int
    ) -> None:
        session = self.service.manager.get_session(self.session_id)
        if session is None:
            return
        ids = list(session.participants) if recipient_ids is None else recipient_ids
        self.service.send_later(self.session_id, ids, p.media_error(error_type, description, code))

    def filter_event(
        self,
        recipient_ids: list[str],
        publisher_id: str,
        stream_id: str,
        filter_type: str,
        event_type: str,
        data: str,
    ) -> None:
        message = p.filter_event_dispatched(publisher_id, stream_id, filter_type, event_type, data)
        self.service.send_later(self.session_id, recipient_ids, message)
        manager = self.service.manager
        manager.bus.publish(
            FilterEventDispatched(
                self.session_id, manager.clock(), publisher_id, stream_id, filter_type, event_type, data
            )
        )


class PeerBindings:
    """State shared by the handlers (set by :class:`server.rpc.service.SignalingService`) and the peer bindings."""

    manager: SessionManager
    picker: MediaServerPicker
    registry: RpcRegistry
    config: SignalingConfig
    media_factory: MediaFactory
    # (sessionId, connectionId) -> the participant's JSON-RPC session
    _rpc: dict[tuple[str, str], RpcConnection]
    _insecure: set[tuple[str, str]]
    _tasks: set[asyncio.Task[Any]]
    on_outcome: Callable[[str, int | None], None]
    recording: RecordingHooks | None

    def rpc_of(self, session_id: str, connection_id: str) -> RpcConnection | None:
        return self._rpc.get((session_id, connection_id))

    async def send_to(self, session_id: str, connection_ids: list[str], message: dict[str, Any]) -> None:
        await broadcast(self.bound(session_id, connection_ids), message)

    def bound(self, session_id: str, connection_ids: list[str]) -> list[RpcConnection]:
        """The JSON-RPC sessions of these participants right now (a snapshot taken without awaiting)."""
        found = (self._rpc.get((session_id, cid)) for cid in connection_ids)
        return [conn for conn in found if conn is not None]

    @staticmethod
    async def send_to_bound(conns: list[RpcConnection], message: dict[str, Any]) -> None:
        await broadcast(conns, message)

    def send_later(self, session_id: str, connection_ids: list[str], message: dict[str, Any]) -> None:
        """Send from synchronous callbacks (media events)."""
        self.spawn(self.send_to(session_id, connection_ids, message))

    def spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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
        media = session.media
        if not isinstance(media, MediaSession):
            media = self.media_factory(
                session.session_id,
                self.picker,
                _SessionMediaListener(self, session.session_id),
                self.config.media_timeouts,
            )
            session.media = media
        return media

    def media_of(self, session: Session) -> MediaSession:
        """The session's media (made on first use)."""
        return self._media(session)

    def stream_info(self, participant: Participant) -> p.StreamInfo | None:
        return self._stream_info(participant)

    def _bandwidth(self, participant: Participant) -> Bandwidth:
        return self.config.bandwidth.with_overrides(participant.token.kurento_options)

    def _is_insecure(self, participant: Participant) -> bool:
        return (participant.session_id, participant.connection_id) in self._insecure

    def _can_publish(self, participant: Participant) -> bool:
        return participant.role in (OpenViduRole.PUBLISHER, OpenViduRole.MODERATOR) or self._is_insecure(
            participant
        )

    def _is_moderator(self, participant: Participant) -> bool:
        return participant.role is OpenViduRole.MODERATOR or self._is_insecure(participant)

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
        conn.session_id = session.session_id
        conn.connection_id = participant.connection_id
        self._rpc[(session.session_id, participant.connection_id)] = conn

    def _unbind(self, session_id: str, connection_id: str) -> RpcConnection | None:
        self._insecure.discard((session_id, connection_id))
        return self._rpc.pop((session_id, connection_id), None)
