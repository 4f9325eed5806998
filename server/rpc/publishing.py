"""Publishing handlers: ``publishVideo``, ``unpublishVideo``, ``forceUnpublish``, ``streamPropertyChanged``."""

from __future__ import annotations

import logging
from typing import Any

from server.core.enums import EndReason
from server.core.participants import MediaOptions, Participant
from server.core.permissions import can_publish, is_moderator
from server.core.sessions import Session
from server.media.session import MediaError
from server.rpc import protocol as p
from server.rpc.bindings import PeerBindings
from server.rpc.connections import RpcConnection
from server.rpc.replies import AnswerThen, answered_error

log = logging.getLogger(__name__)


class PublishingHandlers(PeerBindings):
    # ================================================================ publishing

    async def publish_video(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        if not can_publish(participant):
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
                raise answered_error(
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
            raise answered_error(
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
            if participant.publisher is publisher:
                await self.recording.stream_published(session, participant)

        return AnswerThen(result, announce)

    async def unpublish_video(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        if participant.publisher is None:
            raise answered_error(
                p.ErrorCode.USER_NOT_STREAMING,
                f"Participant '{participant.connection_id}' is not streaming media",
            )
        await self._unpublish_media(session, participant, EndReason.UNPUBLISH, notify_owner=False)
        self.manager.unpublish(participant, EndReason.UNPUBLISH)
        return {}

    async def _unpublish_media(
        self, session: Session, owner: Participant, reason: EndReason, *, notify_owner: bool
    ) -> None:
        await self.medias.release_stream(session, owner)
        await self.peers.stream_unpublished(session, owner, reason, notify_owner=notify_owner)

    async def force_unpublish(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        if not is_moderator(participant):
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
