"""The signaling service: every client method of spec/openvidu-signaling.md §2, and the media side effects of
REST operations (it is the core ``SessionBackend``).

Handlers are thin: they parse params (protocol.py), ask ``SessionManager`` for the bookkeeping, ask the
session's ``MediaSession`` for Kurento work, and send the §3 notifications. A handler returns the result
object (the endpoint adds ``sessionId`` and sends it), raises ``RpcError`` for an error answer, or raises
``NoResponse`` where the original server never answers.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from server.core.enums import EndReason, OpenViduRole
from server.core.events_232 import FilterEventDispatched, SignalSent
from server.core.ids import connection_id_of_stream
from server.core.manager import JoinError, SessionManager
from server.core.participants import MediaOptions, Participant
from server.core.sessions import Session
from server.core.tokens import ice_servers_json
from server.media.bandwidth import Bandwidth
from server.media.endpoint import Candidate
from server.media.picker import MediaServerPicker
from server.media.session import MediaError, MediaSession, MediaTimeouts
from server.rpc import protocol as p
from server.rpc.connections import RpcConnection, RpcRegistry, broadcast, close_transport

log = logging.getLogger(__name__)

SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:[-+].*)?$")
LEAVE_CLOSE_CODE = 1000
EVICT_CLOSE_CODE = 1000
SERVER_STOPPING_CLOSE_CODE = 1001
RECORDING_NOTIFICATION_ROLES: dict[str, frozenset[OpenViduRole]] = {
    "none": frozenset(),
    "moderator": frozenset({OpenViduRole.MODERATOR}),
    "publisher_moderator": frozenset({OpenViduRole.PUBLISHER, OpenViduRole.MODERATOR}),
    "all": frozenset({OpenViduRole.SUBSCRIBER, OpenViduRole.PUBLISHER, OpenViduRole.MODERATOR}),
}


@dataclass(frozen=True, slots=True)
class SignalingConfig:
    version: str
    bandwidth: Bandwidth = field(default_factory=Bandwidth)
    media_timeouts: MediaTimeouts = field(default_factory=MediaTimeouts)
    recording_notification: str = "publisher_moderator"
    max_ice_candidates: int = 500
    max_ice_candidate_size: int = 1024


Handler = Callable[[RpcConnection, p.Request], Awaitable[Any]]


class RecordingHooks(Protocol):
    """What the recording module is told by signaling (server.recording.manager.RecordingManager)."""

    async def stream_published(self, session: Session, participant: Participant) -> None: ...

    async def stream_unpublishing(self, session: Session, participant: Participant) -> None: ...

    async def recorder_subscribed(self, session: Session) -> None: ...

    async def session_closing(self, session: Session, reason: EndReason) -> None: ...

    async def media_lost(self, session: Session) -> None: ...


class _SessionMediaListener:
    """Turns one session's media events into notifications."""

    def __init__(self, service: SignalingService, session_id: str) -> None:
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


class SignalingService:
    def __init__(
        self,
        manager: SessionManager,
        picker: MediaServerPicker,
        registry: RpcRegistry,
        config: SignalingConfig,
    ) -> None:
        self.manager = manager
        self.picker = picker
        self.registry = registry
        self.config = config
        # (sessionId, connectionId) -> the participant's JSON-RPC session
        self._rpc: dict[tuple[str, str], RpcConnection] = {}
        self._insecure: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        # Observability hook (server/observability/signaling.py): each handled request's method and error code (None: ok).
        self.on_outcome: Callable[[str, int | None], None] = _ignore_outcome
        self.recording: RecordingHooks | None = None
        self._handlers: dict[str, Handler] = {
            "joinRoom": self.join_room,
            "leaveRoom": self.leave_room,
            "publishVideo": self.publish_video,
            "unpublishVideo": self.unpublish_video,
            "receiveVideoFrom": self.receive_video_from,
            "prepareReceiveVideoFrom": self.prepare_receive_video_from,
            "unsubscribeFromVideo": self.unsubscribe_from_video,
            "onIceCandidate": self.on_ice_candidate,
            "sendMessage": self.send_message,
            "streamPropertyChanged": self.stream_property_changed,
            "forceDisconnect": self.force_disconnect,
            "forceUnpublish": self.force_unpublish,
            "applyFilter": self.apply_filter,
            "execFilterMethod": self.exec_filter_method,
            "removeFilter": self.remove_filter,
            "addFilterEventListener": self.add_filter_event_listener,
            "removeFilterEventListener": self.remove_filter_event_listener,
            "reconnectStream": self.reconnect_stream,
            "videoData": self.video_data,
            "echo": self.echo,
            "subscribeToSpeechToText": self.speech_to_text,
            "unsubscribeFromSpeechToText": self.speech_to_text,
        }

    # ================================================================ dispatch and sending

    async def handle(self, conn: RpcConnection, req: p.Request) -> None:
        """Run one OpenVidu method and answer it (or not, where the original does not)."""
        handler = self._handlers.get(req.method)
        method = req.method if handler is not None else UNKNOWN_METHOD  # a bounded label for on_outcome
        after: Callable[[], Awaitable[None]] | None = None
        try:
            # The "joinRoom first" check runs before the method is looked up: an unknown method sent before
            # joinRoom gets error 803; once joined it is logged and never answered (RpcHandler.handleRequest).
            if req.method != "joinRoom" and not conn.joined:
                raise p.RpcError(
                    p.ErrorCode.TRANSPORT,
                    f"No connection found for participant with privateId {conn.private_id}. "
                    "Method 'Session.connect()' must be the first operation called in any session",
                )
            if handler is None:
                log.error("Unrecognized request %s", req.method)
                self.on_outcome(method, None)
                return
            result = await handler(conn, req)
            if isinstance(result, _Then):
                after = result.then
                result = result.result
        except p.NoResponse:
            self.on_outcome(method, None)
            return
        except p.RpcError as err:
            self.on_outcome(method, err.code)
            if req.has_id:
                await conn.send(p.error_message(req.id, err, conn.private_id))
            return
        except Exception as exc:
            log.exception("%s failed", req.method)
            uncaught = p.RpcError(
                p.ErrorCode.UNCAUGHT,
                f"{type(exc).__name__}:{exc}",
                data=repr(exc),
            )
            self.on_outcome(method, uncaught.code)
            if req.has_id:
                await conn.send(p.error_message(req.id, uncaught, conn.private_id))
            return
        self.on_outcome(method, None)
        if req.has_id:
            await conn.send(p.result_message(req.id, result, conn.private_id))
        if after is not None:
            await after()

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
            media = MediaSession(
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
        return _answered_error(exc.code, exc.message)

    def _bind(self, conn: RpcConnection, session: Session, participant: Participant) -> None:
        conn.session_id = session.session_id
        conn.connection_id = participant.connection_id
        self._rpc[(session.session_id, participant.connection_id)] = conn

    def _unbind(self, session_id: str, connection_id: str) -> RpcConnection | None:
        self._insecure.discard((session_id, connection_id))
        return self._rpc.pop((session_id, connection_id), None)

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
        insecure = bool(params.secret) and participant.token.token != params.token
        if insecure:
            self._insecure.add((session.session_id, participant.connection_id))
        media = self._media(session)
        try:
            await media.start()
        except MediaError as exc:
            self._insecure.discard((session.session_id, participant.connection_id))
            await self.manager.leave(session.session_id, participant.connection_id, EndReason.DISCONNECT)
            raise self._media_error(exc) from None
        session.media_server_id = media.server_id
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
            and ((session.session_id, other.connection_id) in self._rpc or other.token.ipcam is not None)
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
        await self._release_media(session, participant)
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
        return _Then({}, close_socket)

    async def _release_media(self, session: Session, participant: Participant) -> None:
        if self.recording is not None and participant.publisher is not None:
            await self.recording.stream_unpublishing(session, participant)
        media = session.media
        if isinstance(media, MediaSession):
            await media.remove_participant(participant.connection_id)

    # ================================================================ eviction (RPC, REST, network)

    async def evict(
        self,
        session: Session,
        participant: Participant,
        reason: EndReason,
        moderator: tuple[RpcConnection, p.Request] | None = None,
    ) -> None:
        """participantLeft to the others, the moderator's answer, participantEvicted to everyone, close its socket.

        The hidden RECORDER is evicted silently: nobody, itself included, gets participantLeft or
        participantEvicted about it (SessionEventsHandler.onParticipantLeft/onForceDisconnect).
        The caller then removes the participant from the manager's bookkeeping (or the manager does).
        """
        cid = participant.connection_id
        everyone = [] if participant.recorder else list(session.participants)
        await self._release_media(session, participant)
        await self.send_to(
            session.session_id, [c for c in everyone if c != cid], p.participant_left(cid, reason)
        )
        if moderator is not None:
            mod_conn, mod_req = moderator
            await mod_conn.send(p.result_message(mod_req.id, {}, mod_conn.private_id))
        await self.send_to(session.session_id, everyone, p.participant_evicted(cid, reason))
        conn = self._unbind(session.session_id, cid)
        if conn is not None:
            transport = conn.transport
            self.registry.remove(conn)
            await close_transport(transport, EVICT_CLOSE_CODE, str(reason))

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

    # SessionBackend (called by the manager for REST operations and session closing)

    async def evict_participant(self, session: Session, participant: Participant, reason: EndReason) -> None:
        await self.evict(session, participant, reason)

    async def unpublish_stream(self, session: Session, participant: Participant, reason: EndReason) -> None:
        await self._unpublish_media(session, participant, reason, notify_owner=True)

    async def close_session(self, session: Session, reason: EndReason) -> None:
        if self.recording is not None:
            await self.recording.session_closing(session, reason)
        media = session.media
        session.media = None
        if isinstance(media, MediaSession):
            conn = media.connection
            await media.close(remote=conn is not None and conn.connected)

    # ================================================================ publishing

    async def publish_video(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        if not self._can_publish(participant):
            raise p.RpcError(
                p.ErrorCode.USER_UNAUTHORIZED, "Unable to publish video. The user does not have a valid token"
            )
        params = p.PublishVideoParams.parse(p.Params(req.method, req.params))
        if participant.publisher is not None:
            raise p.RpcError(
                p.ErrorCode.USER_ALREADY_STREAMING,
                f"Participant {participant.connection_id} is already streaming",
            )
        filter_type: str | None = None
        if params.filter is not None:
            options = participant.token.kurento_options
            allowed = options.allowed_filters if options is not None else ()
            if params.filter.type not in allowed:
                raise _answered_error(
                    p.ErrorCode.FILTER_NOT_APPLIED,
                    f"Error applying filter for publishing user {participant.connection_id}. "
                    f"The token has no permissions to apply filter {params.filter.type}",
                )
            filter_type = params.filter.type
        media_options = MediaOptions(
            has_audio=params.has_audio,
            audio_active=params.audio_active,
            has_video=params.has_video,
            video_active=params.video_active,
            type_of_video=(params.type_of_video or "CAMERA") if params.has_video else params.type_of_video,
            frame_rate=params.frame_rate,
            video_dimensions=params.video_dimensions or "",
        )
        media = self._media(session)
        publisher = self.manager.publish(participant, media_options)
        media.begin_publish(participant.connection_id)
        try:
            answer = await media.publish(
                participant.connection_id,
                publisher.stream_id,
                params.sdp_offer,
                bandwidth=self._bandwidth(participant),
                loopback=params.do_loopback,
                filter_type=filter_type,
                filter_options=params.filter.options if params.filter is not None else None,
            )
        except MediaError as exc:
            media.end_publish(participant.connection_id)
            if participant.publisher is publisher:
                self.manager.unpublish(participant, EndReason.UNPUBLISH)
            raise self._media_error(exc) from None
        media.end_publish(participant.connection_id)
        if participant.publisher is not publisher:  # unpublished or evicted meanwhile
            raise _answered_error(
                p.ErrorCode.USER_NOT_STREAMING, "Stream was unpublished while being negotiated"
            )
        element = media.publishers.get(participant.connection_id)
        if element is not None:
            publisher.endpoint = element.endpoint.stats
            if element.filter is not None:
                media_options.filter = element.filter.to_json()
        result = {"sdpAnswer": answer, "id": publisher.stream_id, "createdAt": publisher.created_at}

        async def announce() -> None:
            info = self._stream_info(participant)
            if info is not None and not participant.recorder:
                note = p.participant_published(participant.connection_id, info)
                await self.send_to(session.session_id, self._others(session, participant.connection_id), note)
            if self.recording is not None and participant.publisher is publisher:
                await self.recording.stream_published(session, participant)

        return _Then(result, announce)

    async def unpublish_video(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        if participant.publisher is None:
            raise _answered_error(
                p.ErrorCode.USER_NOT_STREAMING,
                f"Participant '{participant.connection_id}' is not streaming media",
            )
        await self._unpublish_media(session, participant, EndReason.UNPUBLISH, notify_owner=False)
        self.manager.unpublish(participant, EndReason.UNPUBLISH)
        return {}

    async def _unpublish_media(
        self, session: Session, owner: Participant, reason: EndReason, *, notify_owner: bool
    ) -> None:
        if self.recording is not None and owner.publisher is not None:
            await self.recording.stream_unpublishing(session, owner)
        media = session.media
        if isinstance(media, MediaSession):
            await media.unpublish(owner.connection_id)
        recipients = (
            list(session.participants) if notify_owner else self._others(session, owner.connection_id)
        )
        await self.send_to(
            session.session_id, recipients, p.participant_unpublished(owner.connection_id, reason)
        )

    async def force_unpublish(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        if not self._is_moderator(participant):
            raise p.RpcError(
                p.ErrorCode.USER_UNAUTHORIZED,
                "Unable to force unpublish. The user does not have a valid token",
            )
        params = p.StreamIdParams.parse(p.Params(req.method, req.params))
        owner = session.find_stream(params.stream_id)
        if owner is None:
            raise p.NoResponse()
        await conn.send(p.result_message(req.id, {}, conn.private_id))
        await self._unpublish_media(session, owner, EndReason.FORCE_UNPUBLISH_BY_USER, notify_owner=True)
        self.manager.unpublish(owner, EndReason.FORCE_UNPUBLISH_BY_USER)
        raise p.NoResponse()  # already answered

    async def force_disconnect(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        if not self._is_moderator(participant):
            raise p.RpcError(
                p.ErrorCode.USER_UNAUTHORIZED,
                "Unable to force disconnect. The user does not have a valid token",
            )
        params = p.ConnectionIdParams.parse(p.Params(req.method, req.params))
        target = session.participants.get(params.connection_id)
        if target is None:
            raise _answered_error(
                p.ErrorCode.USER_NOT_FOUND, "Connection not found when calling 'forceDisconnect'"
            )
        await self.evict(session, target, EndReason.FORCE_DISCONNECT_BY_USER, moderator=(conn, req))
        await self.manager.leave(session.session_id, target.connection_id, EndReason.FORCE_DISCONNECT_BY_USER)
        raise p.NoResponse()  # answered inside evict, in the original order

    # ================================================================ subscribing

    @staticmethod
    def _sender_of(session: Session, stream_id: str) -> Participant:
        """The publisher a subscriber names by streamId (KurentoSessionManager.subscribe's checks and texts,
        answered through the transaction, so with the injected sessionId)."""
        sender = connection_id_of_stream(stream_id)
        owner = session.participants.get(sender)
        if owner is None:
            raise _answered_error(
                p.ErrorCode.USER_NOT_FOUND, f"User '{sender} not found in session '{session.session_id}'"
            )
        if owner.publisher is None:
            raise _not_streaming(session, sender)
        return owner

    @staticmethod
    def _unknown_sender(session: Session, connection_id: str) -> p.RpcError:
        """unsubscribeFromVideo throws this one (no sessionId)."""
        return p.RpcError(
            p.ErrorCode.USER_NOT_FOUND, f"User {connection_id} not found in session {session.session_id}"
        )

    async def receive_video_from(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        params = p.ReceiveVideoFromParams.parse(p.Params(req.method, req.params))
        owner = self._sender_of(session, params.sender)
        if owner.connection_id == participant.connection_id:
            raise _answered_error(p.ErrorCode.USER_NOT_STREAMING, "Can loopback only when publishing media")
        if params.sdp_offer is None:
            raise _answered_error(
                p.ErrorCode.MEDIA_SDP, "Server-generated subscriber offers are not supported"
            )
        media = self._media(session)
        await media.wait_published(owner.connection_id)
        if owner.publisher is None or owner.publisher.stream_id != params.sender:
            raise _not_streaming(session, owner.connection_id)
        stream_id = owner.publisher.stream_id
        try:
            answer = await media.subscribe(
                participant.connection_id,
                owner.connection_id,
                params.sdp_offer,
                bandwidth=self._bandwidth(participant),
            )
        except MediaError as exc:
            raise self._media_error(exc) from None
        if participant.connection_id in session.participants and owner.publisher is not None:
            if stream_id in participant.subscribers:
                self.manager.unsubscribe(participant, stream_id, EndReason.UNSUBSCRIBE)
            subscriber = self.manager.subscribe(participant, stream_id)
            endpoint = media.endpoint_of(participant.connection_id, owner.connection_id)
            if endpoint is not None:
                subscriber.endpoint = endpoint.stats
            if participant.recorder and self.recording is not None:
                await self.recording.recorder_subscribed(session)
        return {"sdpAnswer": answer}

    async def prepare_receive_video_from(self, conn: RpcConnection, req: p.Request) -> Any:
        self._participant(conn)
        p.PrepareReceiveVideoFromParams.parse(p.Params(req.method, req.params))
        raise p.RpcError(p.ErrorCode.MEDIA_SDP, "Server-generated subscriber offers are not supported")

    async def unsubscribe_from_video(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        params = p.SenderParams.parse(p.Params(req.method, req.params))
        owner = session.participants.get(params.sender)
        if owner is None:
            raise self._unknown_sender(session, params.sender)
        media = session.media
        if isinstance(media, MediaSession):
            await media.unsubscribe(participant.connection_id, owner.connection_id)
        if owner.publisher is not None:
            self.manager.unsubscribe(participant, owner.publisher.stream_id, EndReason.UNSUBSCRIBE)
        return {}

    async def on_ice_candidate(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        params = p.OnIceCandidateParams.parse(p.Params(req.method, req.params))
        media = self._media(session)
        size = len(params.candidate) + len(params.sdp_mid) + len(params.endpoint_name)
        if size > self.config.max_ice_candidate_size:
            raise p.RpcError(
                p.ErrorCode.MEDIA_WEBRTC_ENDPOINT,
                f"ICE candidate refused: {size} characters, more than openvidu.rpc.max-ice-candidate-size "
                f"({self.config.max_ice_candidate_size})",
            )
        if media.candidates_held(participant.connection_id) >= self.config.max_ice_candidates:
            raise p.RpcError(
                p.ErrorCode.MEDIA_WEBRTC_ENDPOINT,
                "ICE candidate refused: the participant already sent openvidu.rpc.max-ice-candidates "
                f"({self.config.max_ice_candidates})",
            )
        candidate = Candidate(params.candidate, params.sdp_mid, params.sdp_m_line_index)
        await media.add_ice_candidate(participant.connection_id, params.endpoint_name, candidate)
        return {}

    async def reconnect_stream(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        params = p.ReconnectStreamParams.parse(p.Params(req.method, req.params))
        media = self._media(session)
        own = participant.publisher
        try:
            if own is not None and own.stream_id == params.stream:
                answer = await media.reconnect_publisher(
                    participant.connection_id, params.sdp, self._bandwidth(participant)
                )
                element = media.publishers.get(participant.connection_id)
                if element is not None:
                    own.endpoint = element.endpoint.stats
                return {"sdpAnswer": answer, "id": own.stream_id, "createdAt": own.created_at}
            owner = self._sender_of(session, params.stream)
            if owner.publisher is None or owner.publisher.stream_id != params.stream:
                raise _not_streaming(session, owner.connection_id)
            if params.sdp_offer is None:
                raise _answered_error(
                    p.ErrorCode.MEDIA_SDP, "Server-generated subscriber offers are not supported"
                )
            answer = await media.subscribe(
                participant.connection_id,
                owner.connection_id,
                params.sdp_offer,
                bandwidth=self._bandwidth(participant),
            )
        except MediaError as exc:
            raise self._media_error(exc) from None
        return {"sdpAnswer": answer}

    # ================================================================ signals and properties

    async def send_message(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        message = p.SendMessageParams.parse(p.Params(req.method, req.params)).signal()
        if message.to:
            for cid in message.to:
                if cid not in session.participants:
                    raise p.RpcError(
                        p.ErrorCode.SIGNAL_TO_INVALID,
                        f'Signal "to" field invalid format: Connection [{cid}] does not exist',
                    )
            recipients = list(dict.fromkeys(message.to))
        else:
            recipients = list(session.participants)
        note = p.signal(message.data, participant.connection_id, message.type)
        await self.send_to(session.session_id, recipients, note)
        self.manager.bus.publish(
            SignalSent(
                session.session_id,
                self.manager.clock(),
                participant.connection_id,
                tuple(recipients),
                message.type,
                message.data,
            )
        )
        return {}

    async def send_rest_signal(
        self, session_id: str, recipients: list[str], signal_type: str | None, data: str | None
    ) -> None:
        """A signal sent through ``POST /openvidu/api/signal``: no ``from``; ``data``/``type`` only when given."""
        params: dict[str, Any] = {}
        if data is not None:
            params["data"] = data
        if signal_type is not None:
            params["type"] = signal_type
        await self.send_to(session_id, recipients, p.notification_message("sendMessage", params))

    async def connection_property_changed(
        self, session_id: str, connection_id: str, changes: list[tuple[str, str]]
    ) -> None:
        """``PATCH .../connection`` of an active connection: one ``connectionPropertyChanged`` per property."""
        for prop, value in changes:
            note = p.notification_message("connectionPropertyChanged", {"property": prop, "newValue": value})
            await self.send_to(session_id, [connection_id], note)

    async def stream_property_changed(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        params = p.StreamPropertyChangedParams.parse(p.Params(req.method, req.params))
        publisher = participant.publisher
        if publisher is None:
            raise p.RpcError(
                p.ErrorCode.USER_NOT_STREAMING,
                f"Participant {participant.connection_id} is not streaming media",
            )
        options = publisher.media_options
        value = params.new_value
        if params.property == "audioActive":
            options.audio_active = value is True or (isinstance(value, str) and value.lower() == "true")
        elif params.property == "videoActive":
            options.video_active = value is True or (isinstance(value, str) and value.lower() == "true")
        elif params.property == "videoDimensions" and isinstance(value, str):
            options.video_dimensions = value
        note = p.stream_property_changed(
            participant.connection_id,
            publisher.stream_id,
            params.property,
            p.reserialize_property_value(value),
            params.reason,
        )
        await self.send_to(session.session_id, self._others(session, participant.connection_id), note)
        return {}

    async def video_data(self, conn: RpcConnection, req: p.Request) -> Any:
        self._participant(conn)
        p.VideoDataParams.parse(p.Params(req.method, req.params))
        return {}

    async def echo(self, conn: RpcConnection, req: p.Request) -> Any:
        self._participant(conn)
        return {}

    async def speech_to_text(self, conn: RpcConnection, req: p.Request) -> Any:
        """2.32 CE: ``connectionId`` (and ``lang`` to subscribe) are read, then error 997 is answered through
        the transaction (``onUnsubscribeToSpeechToText`` with the error)."""
        self._participant(conn)
        params = p.Params(req.method, req.params)
        params.string("connectionId")
        if req.method == "subscribeToSpeechToText":
            params.string("lang")
        raise _answered_error(
            p.ErrorCode.WRONG_OPENVIDU_EDITION, "Speech To Text requires OpenVidu Pro/Enterprise edition"
        )

    # ================================================================ filters

    def _filter_target(self, session: Session, participant: Participant, stream_id: str) -> Participant:
        """The stream owner for a filter method; the precondition errors KurentoSessionManager throws (to the
        handler's catch-all: no sessionId)."""
        owner = session.find_stream(stream_id)
        if owner is None:
            owner_id = connection_id_of_stream(stream_id)
            if owner_id in session.participants:
                raise p.RpcError(
                    p.ErrorCode.USER_NOT_STREAMING,
                    f"User '{owner_id} not streaming media in session '{session.session_id}'",
                )
            raise p.RpcError(
                p.ErrorCode.USER_NOT_FOUND,
                f"Owner of stream '{stream_id}' not found in session '{session.session_id}'",
            )
        return owner

    def _filter_state(self, session: Session, owner: Participant, *, applied: bool) -> None:
        """405 when a filter is already applied (``applied=False`` expected), 406 when none is (thrown)."""
        media = session.media
        publisher = media.publishers.get(owner.connection_id) if isinstance(media, MediaSession) else None
        has_filter = publisher is not None and publisher.filter is not None
        if has_filter and not applied:
            raise p.RpcError(
                p.ErrorCode.EXISTING_FILTER_ALREADY_APPLIED,
                f"User '{owner.connection_id} already has a filter applied in session '{session.session_id}'",
            )
        if applied and not has_filter:
            raise p.RpcError(
                p.ErrorCode.FILTER_NOT_APPLIED,
                f"User '{owner.connection_id} has no filter applied in session '{session.session_id}'",
            )

    def _owner_or_moderator(self, participant: Participant, stream_id: str, action: str) -> None:
        """RpcHandler checks the rights (moderator, or owner of ``stream_id``) before it looks the stream up:
        a user without them gets 401 even for a stream that does not exist."""
        own = participant.publisher
        is_owner = own is not None and own.stream_id == stream_id
        if not (self._is_moderator(participant) or is_owner):
            raise p.RpcError(
                p.ErrorCode.USER_UNAUTHORIZED, f"Unable to {action}. The user does not have a valid token"
            )

    async def _announce_filter(
        self, session: Session, actor: Participant, owner: Participant, reason: str
    ) -> None:
        publisher = owner.publisher
        if publisher is None:
            return
        note = p.stream_property_changed(
            owner.connection_id,
            publisher.stream_id,
            "filter",
            p.filter_change_value(publisher.media_options.filter),
            reason,
        )
        await self.send_to(session.session_id, self._others(session, actor.connection_id), note)

    async def apply_filter(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        params = p.Params(req.method, req.params)
        filter_type = params.string("type")
        stream_id = params.string("streamId")
        owner = session.find_stream(stream_id)
        allowed = False
        if owner is not None and owner.connection_id == participant.connection_id:
            options = participant.token.kurento_options
            allowed = options is not None and filter_type in options.allowed_filters
        if not (self._is_moderator(participant) or allowed):
            raise p.RpcError(
                p.ErrorCode.USER_UNAUTHORIZED, "Unable to apply filter. The user does not have a valid token"
            )
        parsed = p.ApplyFilterParams.parse(params)
        owner = self._filter_target(session, participant, stream_id)
        self._filter_state(session, owner, applied=False)
        try:
            element = await self._media(session).apply_filter(
                owner.connection_id, parsed.type, parsed.options
            )
        except MediaError as exc:
            raise self._media_error(exc) from None
        if owner.publisher is not None:
            owner.publisher.media_options.filter = element.to_json()
        await self._announce_filter(session, participant, owner, "applyFilter")
        return {}

    async def exec_filter_method(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        parsed = p.ExecFilterMethodParams.parse(p.Params(req.method, req.params))
        self._owner_or_moderator(participant, parsed.stream_id, "execute filter method")
        owner = self._filter_target(session, participant, parsed.stream_id)
        self._filter_state(session, owner, applied=True)
        try:
            element = await self._media(session).exec_filter_method(
                owner.connection_id, parsed.method, parsed.params
            )
        except MediaError as exc:
            raise self._media_error(exc) from None
        if owner.publisher is not None:
            owner.publisher.media_options.filter = element.to_json()
        await self._announce_filter(session, participant, owner, "execFilterMethod")
        return {}

    async def remove_filter(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        parsed = p.StreamIdParams.parse(p.Params(req.method, req.params))
        self._owner_or_moderator(participant, parsed.stream_id, "remove filter")
        owner = self._filter_target(session, participant, parsed.stream_id)
        self._filter_state(session, owner, applied=True)
        try:
            await self._media(session).remove_filter(owner.connection_id)
        except MediaError as exc:
            raise self._media_error(exc) from None
        if owner.publisher is not None:
            owner.publisher.media_options.filter = {}
        await self._announce_filter(session, participant, owner, "removeFilter")
        return {}

    async def add_filter_event_listener(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        parsed = p.FilterEventListenerParams.parse(p.Params(req.method, req.params))
        self._owner_or_moderator(participant, parsed.stream_id, "add filter event listener")
        owner = self._filter_target(session, participant, parsed.stream_id)
        try:
            await self._media(session).add_filter_listener(
                participant.connection_id, owner.connection_id, parsed.event_type
            )
        except MediaError as exc:
            raise _listener_error(exc) from None
        return {}

    async def remove_filter_event_listener(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        parsed = p.FilterEventListenerParams.parse(p.Params(req.method, req.params))
        self._owner_or_moderator(participant, parsed.stream_id, "remove filter event listener")
        owner = self._filter_target(session, participant, parsed.stream_id)
        try:
            await self._media(session).remove_filter_listener(
                participant.connection_id, owner.connection_id, parsed.event_type
            )
        except MediaError as exc:
            raise _listener_error(exc) from None
        return {}

    # ================================================================ recording notifications and lifecycle

    async def notify_recording(self, session_id: str, message: dict[str, Any]) -> None:
        """recordingStarted/recordingStopped to the roles named by ``openvidu.recording.notification``."""
        session = self.manager.get_session(session_id)
        if session is None:
            return
        roles = RECORDING_NOTIFICATION_ROLES.get(
            self.config.recording_notification, RECORDING_NOTIFICATION_ROLES["publisher_moderator"]
        )
        ids = [
            pt.connection_id for pt in session.participants.values() if pt.role in roles and not pt.recorder
        ]
        await self.send_to(session_id, ids, message)

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

    async def stop(self) -> None:
        """Close every JSON-RPC session (after the manager closed the sessions)."""
        for conn in self.registry.all():
            transport = conn.transport
            self.registry.remove(conn)
            await close_transport(transport, SERVER_STOPPING_CLOSE_CODE, "server stopping")
        for task in list(self._tasks):
            task.cancel()


UNKNOWN_METHOD = "unknown"
"""What ``on_outcome`` reports for a method this service does not handle."""


def _ignore_outcome(method: str, code: int | None) -> None:
    return None


@dataclass(slots=True)
class _Then:
    """A result followed by an action done after the answer was sent (notifications, closing the socket)."""

    result: Any
    then: Callable[[], Awaitable[None]]


def _answered_error(code: int, message: str) -> p.RpcError:
    """An error the original answers through its transaction (``RpcNotificationService.sendErrorResponse``):
    Kurento injects the JSON-RPC session id into the error object, unlike errors thrown to the handler."""
    return p.RpcError(code, message, inject_session_id=True)


def _not_streaming(session: Session, sender: str) -> p.RpcError:
    return _answered_error(
        p.ErrorCode.USER_NOT_STREAMING,
        f"User '{sender} not streaming media in session '{session.session_id}'",
    )


def _listener_error(exc: MediaError) -> p.RpcError:
    """add/removeFilterEventListener answer their errors with ``sendErrorResponse(..., new JsonObject(), e)``:
    the data is the text ``{}`` and the sessionId is injected."""
    return p.RpcError(exc.code, exc.message, data="{}", inject_session_id=True)
