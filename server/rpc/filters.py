"""Filter handlers: ``applyFilter``, ``execFilterMethod``, ``removeFilter`` and the filter event listeners."""

from __future__ import annotations

import logging
from typing import Any

from server.core.ids import connection_id_of_stream
from server.core.participants import Participant
from server.core.permissions import is_moderator
from server.core.sessions import Session
from server.media.session import MediaError
from server.rpc import protocol as p
from server.rpc.bindings import PeerBindings
from server.rpc.connections import RpcConnection
from server.rpc.replies import listener_error

log = logging.getLogger(__name__)


class FilterHandlers(PeerBindings):
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
        media = self.medias.of(session)
        publisher = media.publishers.get(owner.connection_id) if media is not None else None
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
        if not (is_moderator(participant) or is_owner):
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
        if not (is_moderator(participant) or allowed):
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
            raise listener_error(exc) from None
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
            raise listener_error(exc) from None
        return {}
