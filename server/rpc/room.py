"""Room handlers: ``joinRoom``, ``leaveRoom``, ``forceDisconnect`` and the network disconnect.

(The media side of the core's REST operations, the ``SessionBackend``, is :mod:`server.media.hosting`.)"""

from __future__ import annotations

import logging
import re
from typing import Any

from server.core.enums import EndReason
from server.core.manager import JoinError
from server.core.participants import Participant
from server.core.permissions import is_moderator
from server.core.sessions import Session
from server.core.tokens import ice_servers_json
from server.media.session import MediaError
from server.rpc import protocol as p
from server.rpc.bindings import LEAVE_CLOSE_CODE
from server.rpc.connections import RpcConnection, close_transport
from server.rpc.publishing import PublishingHandlers
from server.rpc.replies import AnswerThen, answered_error

log = logging.getLogger(__name__)

SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:[-+].*)?$")


class RoomHandlers(PublishingHandlers):
    # ================================================================ joinRoom / leaveRoom

    async def join_room(self, conn: RpcConnection, req: p.Request) -> Any:
        params = p.JoinRoomParams.parse(p.Params(req.method, req.params))
        if conn.joined:
            raise p.RpcError(
                p.ErrorCode.EXISTING_USER_IN_ROOM, "This connection has already joined a session"
            )
        try:
            session, participant = self.manager.join(
                params.session,
                params.token,
                params.platform,
                params.metadata,
                secret=params.secret,
                recorder=params.recorder,
            )
        except JoinError as exc:
            raise p.RpcError(exc.code, exc.message) from None
        media = self._media(session)
        try:
            await media.start()
        except MediaError as exc:
            await self.manager.leave(session.session_id, participant.connection_id, EndReason.DISCONNECT)
            raise self._media_error(exc) from None
        if participant.connection_id not in session.participants:  # evicted while the pipeline was made
            raise p.RpcError(
                p.ErrorCode.ROOM_CLOSED, f"Unable to join the session. Session {session.session_id} is closed"
            )
        # Binding, the snapshot of peers and the choice of who hears about us happen with no await between
        # them, so two simultaneous joiners see each other exactly once (in ``value`` or as participantJoined).
        self._bind(conn, session, participant)
        peers = [
            p.PeerInfo(other.connection_id, other.created_at, other.full_metadata, self._stream_info(other))
            for other in session.visible_participants()
            if other.connection_id != participant.connection_id
            and (
                self.rpc_of(session.session_id, other.connection_id) is not None
                or other.token.ipcam is not None
            )
        ]
        if not participant.recorder:
            note = p.participant_joined(
                participant.connection_id, participant.created_at, participant.full_metadata
            )
            await self.send_to_bound(
                self.bound(session.session_id, self._others(session, participant.connection_id)), note
            )
        version = params.sdk_version if params.sdk_version and SEMVER.match(params.sdk_version) else None
        result = p.JoinRoomResult(
            id=participant.connection_id,
            created_at=participant.created_at,
            metadata=participant.full_metadata,
            peers=peers,
            session=session.session_id,
            role=participant.role.value,
            version=version or self.config.version,
            record=participant.record,
            final_user_id=conn.private_id[:16].upper(),
            custom_ice_servers=ice_servers_json(participant.token.custom_ice_servers),
        )
        return result.to_json()

    async def leave_room(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        cid = participant.connection_id
        await self.medias.release_participant(session, participant)
        if not participant.recorder:  # the hidden RECORDER comes and goes unannounced
            await self.send_to(
                session.session_id, self._others(session, cid), p.participant_left(cid, EndReason.DISCONNECT)
            )
        self._unbind(session.session_id, cid)
        await self.manager.leave(session.session_id, cid, EndReason.DISCONNECT)

        async def close_socket() -> None:
            transport = conn.transport
            self.registry.remove(conn)
            await close_transport(transport, LEAVE_CLOSE_CODE, "leaveRoom")

        if participant.recorder:
            # onParticipantLeft returns before answering when the RECORDER leaves: no answer, socket closed.
            await close_socket()
            raise p.NoResponse()
        return AnswerThen({}, close_socket)

    # ================================================================ eviction (RPC, REST, network)

    async def evict(
        self,
        session: Session,
        participant: Participant,
        reason: EndReason,
        moderator: tuple[RpcConnection, p.Request] | None = None,
    ) -> None:
        """Release the participant's media, then the notices and the socket's close (``Peers.participant_evicted``).

        The caller then removes the participant from the manager's bookkeeping (or the manager does).
        """
        await self.medias.release_participant(session, participant)
        await self.peers.participant_evicted(session, participant, reason, moderator)

    async def network_disconnect(self, conn: RpcConnection) -> None:
        """The socket is gone for good (ping timeout, or no reconnection in time)."""
        self.registry.remove(conn)
        if conn.session_id is None or conn.connection_id is None:
            return
        session = self.manager.get_session(conn.session_id)
        participant = session.participants.get(conn.connection_id) if session is not None else None
        if session is None or participant is None:
            self._unbind(conn.session_id, conn.connection_id)
            return
        await self.evict(session, participant, EndReason.NETWORK_DISCONNECT)
        await self.manager.leave(session.session_id, participant.connection_id, EndReason.NETWORK_DISCONNECT)

    async def force_disconnect(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        if not is_moderator(participant):
            raise p.RpcError(
                p.ErrorCode.USER_UNAUTHORIZED,
                "Unable to force disconnect. The user does not have a valid token",
            )
        params = p.ConnectionIdParams.parse(p.Params(req.method, req.params))
        target = session.participants.get(params.connection_id)
        if target is None:
            raise answered_error(
                p.ErrorCode.USER_NOT_FOUND, "Connection not found when calling 'forceDisconnect'"
            )
        await self.evict(session, target, EndReason.FORCE_DISCONNECT_BY_USER, moderator=(conn, req))
        await self.manager.leave(session.session_id, target.connection_id, EndReason.FORCE_DISCONNECT_BY_USER)
        raise p.NoResponse()  # answered inside evict, in the original order
