"""The participants' JSON-RPC sessions and what is sent to them outside a request: the peer side of the
signaling layer.

:class:`Peers` knows which JSON-RPC session each participant has (bound at ``joinRoom``), sends to participants,
and is the :class:`server.media.hosting.PeerNotifier` of the media side (media events, evictions, unpublished
streams) and the notifier of recording (``recordingStarted``/``recordingStopped``). It is built before the
media side and the signaling service, which both are handed it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from server.core.enums import EndReason, OpenViduRole
from server.core.events_232 import FilterEventDispatched
from server.core.manager import SessionManager
from server.core.participants import Participant
from server.core.sessions import Session
from server.media.endpoint import Candidate
from server.media.session import MediaListener
from server.rpc import protocol as p
from server.rpc.connections import RpcConnection, RpcRegistry, broadcast, close_transport

log = logging.getLogger(__name__)

EVICT_CLOSE_CODE = 1000

RECORDING_NOTIFICATION_ROLES: dict[str, frozenset[OpenViduRole]] = {
    "none": frozenset(),
    "moderator": frozenset({OpenViduRole.MODERATOR}),
    "publisher_moderator": frozenset({OpenViduRole.PUBLISHER, OpenViduRole.MODERATOR}),
    "all": frozenset({OpenViduRole.SUBSCRIBER, OpenViduRole.PUBLISHER, OpenViduRole.MODERATOR}),
}
"""Who is told of recordings, by ``openvidu.recording.notification``."""


class _SessionMediaListener:
    """Turns one session's media events into notifications."""

    def __init__(self, peers: Peers, session_id: str) -> None:
        self.peers = peers
        self.session_id = session_id

    def ice_candidate(
        self, recipient_id: str, sender_id: str, endpoint_name: str, candidate: Candidate
    ) -> None:
        message = p.ice_candidate(
            sender_id, endpoint_name, candidate.sdp_m_line_index, candidate.sdp_mid, candidate.candidate
        )
        self.peers.send_later(self.session_id, [recipient_id], message)

    def media_error(
        self, recipient_ids: list[str] | None, error_type: str, description: str, code: int
    ) -> None:
        session = self.peers.manager.get_session(self.session_id)
        if session is None:
            return
        ids = list(session.participants) if recipient_ids is None else recipient_ids
        self.peers.send_later(self.session_id, ids, p.media_error(error_type, description, code))

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
        self.peers.send_later(self.session_id, recipient_ids, message)
        manager = self.peers.manager
        manager.bus.publish(
            FilterEventDispatched(
                self.session_id, manager.clock(), publisher_id, stream_id, filter_type, event_type, data
            )
        )


class Peers:
    """The JSON-RPC session of each participant, and sending to participants."""

    def __init__(
        self,
        manager: SessionManager,
        registry: RpcRegistry,
        recording_notification: str = "publisher_moderator",
    ) -> None:
        self.manager = manager
        self.registry = registry
        self.recording_roles = RECORDING_NOTIFICATION_ROLES.get(
            recording_notification, RECORDING_NOTIFICATION_ROLES["publisher_moderator"]
        )
        # (sessionId, connectionId) -> the participant's JSON-RPC session
        self._rpc: dict[tuple[str, str], RpcConnection] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # ================================================================ bindings

    def rpc_of(self, session_id: str, connection_id: str) -> RpcConnection | None:
        return self._rpc.get((session_id, connection_id))

    def bind(self, conn: RpcConnection, session: Session, participant: Participant) -> None:
        conn.session_id = session.session_id
        conn.connection_id = participant.connection_id
        self._rpc[(session.session_id, participant.connection_id)] = conn

    def unbind(self, session_id: str, connection_id: str) -> RpcConnection | None:
        return self._rpc.pop((session_id, connection_id), None)

    # ================================================================ sending

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

    def cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    # ================================================================ the media side's notifier

    def media_listener(self, session: Session) -> MediaListener:
        return _SessionMediaListener(self, session.session_id)

    async def participant_evicted(
        self,
        session: Session,
        participant: Participant,
        reason: EndReason,
        moderator: tuple[RpcConnection, p.Request] | None = None,
    ) -> None:
        """participantLeft to the others, the moderator's answer, participantEvicted to everyone, close its socket.

        The hidden RECORDER is evicted silently: nobody, itself included, gets participantLeft or
        participantEvicted about it (SessionEventsHandler.onParticipantLeft/onForceDisconnect).
        """
        cid = participant.connection_id
        everyone = [] if participant.recorder else list(session.participants)
        await self.send_to(
            session.session_id, [c for c in everyone if c != cid], p.participant_left(cid, reason)
        )
        if moderator is not None:
            mod_conn, mod_req = moderator
            await mod_conn.send(p.result_message(mod_req.id, {}, mod_conn.private_id))
        await self.send_to(session.session_id, everyone, p.participant_evicted(cid, reason))
        conn = self.unbind(session.session_id, cid)
        if conn is not None:
            transport = conn.transport
            self.registry.remove(conn)
            await close_transport(transport, EVICT_CLOSE_CODE, str(reason))

    async def stream_unpublished(
        self, session: Session, owner: Participant, reason: EndReason, *, notify_owner: bool
    ) -> None:
        cid = owner.connection_id
        recipients = (
            list(session.participants) if notify_owner else [c for c in session.participants if c != cid]
        )
        await self.send_to(session.session_id, recipients, p.participant_unpublished(cid, reason))

    # ================================================================ recording's notifier

    async def recording_started(self, session_id: str, recording_id: str, name: str) -> None:
        await self.notify_recording(session_id, p.recording_started(recording_id, name))

    async def recording_stopped(self, session_id: str, recording_id: str, name: str, reason: str) -> None:
        await self.notify_recording(session_id, p.recording_stopped(recording_id, name, reason))

    async def notify_recording(self, session_id: str, message: dict[str, Any]) -> None:
        """recordingStarted/recordingStopped to the roles named by ``openvidu.recording.notification``."""
        session = self.manager.get_session(session_id)
        if session is None:
            return
        ids = [
            pt.connection_id
            for pt in session.participants.values()
            if pt.role in self.recording_roles and not pt.recorder
        ]
        await self.send_to(session_id, ids, message)
