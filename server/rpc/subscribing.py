"""Subscribing handlers: ``receiveVideoFrom``, ``prepareReceiveVideoFrom``, ``unsubscribeFromVideo``,
``onIceCandidate``, ``reconnectStream``."""

from __future__ import annotations

import logging
from typing import Any

from server.core.enums import EndReason
from server.core.ids import connection_id_of_stream
from server.core.participants import Participant
from server.core.sessions import Session
from server.media.endpoint import Candidate
from server.media.session import MediaError
from server.rpc import protocol as p
from server.rpc.bindings import PeerBindings
from server.rpc.connections import RpcConnection
from server.rpc.replies import answered_error, not_streaming

log = logging.getLogger(__name__)


class SubscribingHandlers(PeerBindings):
    # ================================================================ subscribing

    @staticmethod
    def _sender_of(session: Session, stream_id: str) -> Participant:
        """The publisher a subscriber names by streamId (KurentoSessionManager.subscribe's checks and texts,
        answered through the transaction, so with the injected sessionId)."""
        sender = connection_id_of_stream(stream_id)
        owner = session.participants.get(sender)
        if owner is None:
            raise answered_error(
                p.ErrorCode.USER_NOT_FOUND, f"User '{sender} not found in session '{session.session_id}'"
            )
        if owner.publisher is None:
            raise not_streaming(session, sender)
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
            raise answered_error(p.ErrorCode.USER_NOT_STREAMING, "Can loopback only when publishing media")
        if params.sdp_offer is None:
            raise answered_error(
                p.ErrorCode.MEDIA_SDP, "Server-generated subscriber offers are not supported"
            )
        media = self._media(session)
        await media.wait_published(owner.connection_id)
        if owner.publisher is None or owner.publisher.stream_id != params.sender:
            raise not_streaming(session, owner.connection_id)
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
            if participant.recorder:
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
        media = self.medias.of(session)
        if media is not None:
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
                raise not_streaming(session, owner.connection_id)
            if params.sdp_offer is None:
                raise answered_error(
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
