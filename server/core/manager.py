"""SessionManager: the lifecycle of sessions, tokens, participants and streams (spec §10), media-agnostic.

REST handlers call ``create_session``/``new_token``/``close_session``/``evict_connection``/``unpublish_stream``.
The signaling layer calls ``join``/``leave``/``publish``/``unpublish``/``subscribe``/``unsubscribe``.
Side effects that need media or websockets (notifying browsers, releasing endpoints, closing sockets) go through
a ``SessionBackend`` given at construction (the media side's, see ``server.media.hosting``); the default does
nothing, so REST works alone.
The manager keeps the bookkeeping and publishes the events.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from typing import Protocol

from server.core.clock import now_ms
from server.core.connections import ConnectionsMixin
from server.core.connections import SessionNotFound as SessionNotFound
from server.core.enums import EndReason, OpenViduRole, final_reason
from server.core.errors import ErrorCode, OpenViduError
from server.core.events import (
    INBOUND,
    OUTBOUND,
    EventBus,
    ParticipantJoined,
    ParticipantLeft,
    SessionCreated,
    SessionDestroyed,
    WebrtcConnectionCreated,
    WebrtcConnectionDestroyed,
)
from server.core.ids import (
    is_232_id,
    new_connection_id,
    new_connection_id_232,
    new_session_id,
    new_session_id_232,
    new_stream_id,
    new_stream_id_232,
)
from server.core.participants import (
    RECORDER_CONNECTION_ID,
    MediaOptions,
    Participant,
    Publisher,
    Subscriber,
)
from server.core.sessions import INSECURE_SESSION_PROPERTIES, Session, SessionProperties
from server.core.stamps import tick
from server.core.tokens import KurentoOptions, Token, new_token


class Outcome(Enum):
    """Result of a REST eviction/unpublish: the statuses 204/404/400 of spec §3.5/§3.6."""

    DONE = "done"
    NOT_FOUND = "not_found"  # session exists (maybe not joined) but no such connection/stream
    NO_SESSION = "no_session"


class SessionConflict(Exception):
    """``customSessionId`` already in use."""


class JoinError(OpenViduError):
    """A join refused; ``code`` is the OpenVidu JSON-RPC error code (spec signaling §4)."""


UNAUTHORIZED_JOIN_MESSAGE = "Unable to join room. The user is not authorized"


class SessionBackend(Protocol):
    """Side effects of lifecycle operations, implemented by the media side (``server.media.hosting``).

    Each method is awaited *before* the manager updates its bookkeeping, so the backend still sees the
    participant/stream/session it is asked to tear down.
    """

    async def evict_participant(
        self, session: Session, participant: Participant, reason: EndReason
    ) -> None: ...

    async def unpublish_stream(
        self, session: Session, participant: Participant, reason: EndReason
    ) -> None: ...

    async def close_session(self, session: Session, reason: EndReason) -> None: ...


class NoBackend:
    """The default backend: no media, no websockets."""

    async def evict_participant(self, session: Session, participant: Participant, reason: EndReason) -> None:
        return None

    async def unpublish_stream(self, session: Session, participant: Participant, reason: EndReason) -> None:
        return None

    async def close_session(self, session: Session, reason: EndReason) -> None:
        return None


class LateBackend:
    """A backend made after the manager, the one cycle of the construction graph made explicit.

    The media side's backend needs parts that need the manager (placement reads its sessions, recording evicts
    through it), so :mod:`server.assembly` hands the manager this link at construction and binds the backend
    once, before the server starts. Until then it behaves as :class:`NoBackend`.
    """

    def __init__(self) -> None:
        self._target: SessionBackend = NoBackend()
        self._bound = False

    def bind(self, target: SessionBackend) -> None:
        if self._bound:
            raise RuntimeError("the session backend is already bound")
        self._target = target
        self._bound = True

    async def evict_participant(self, session: Session, participant: Participant, reason: EndReason) -> None:
        await self._target.evict_participant(session, participant, reason)

    async def unpublish_stream(self, session: Session, participant: Participant, reason: EndReason) -> None:
        await self._target.unpublish_stream(session, participant, reason)

    async def close_session(self, session: Session, reason: EndReason) -> None:
        await self._target.close_session(session, reason)


@dataclass(frozen=True, slots=True)
class ManagerConfig:
    ws_url: str
    version: str
    secret: str


class SessionManager(ConnectionsMixin):
    def __init__(
        self,
        config: ManagerConfig,
        bus: EventBus,
        clock: Callable[[], int] = now_ms,
        backend: SessionBackend | None = None,
    ) -> None:
        self.config = config
        self.bus = bus
        self.clock = clock
        self.backend: SessionBackend = backend if backend is not None else NoBackend()
        self._sessions: dict[str, Session] = {}

    def _ws_url(self) -> str:
        return self.config.ws_url

    # ----- REST side -------------------------------------------------------------------------------------

    def create_session(self, properties: SessionProperties, ids_232: bool = False) -> Session:
        """Initialize a session ("not active" until the first join). Raises ``SessionConflict``.

        ``ids_232``: made through ``/openvidu/api``, so a generated id has the 2.16+ shape (``ses_...``).
        """
        if properties.custom_session_id:
            session_id = properties.custom_session_id
            if session_id in self._sessions:
                raise SessionConflict(session_id)
        else:
            generate = new_session_id_232 if ids_232 else new_session_id
            session_id = generate()
            while session_id in self._sessions:
                session_id = generate()
        session = Session(session_id, properties, self.clock())
        self._sessions[session_id] = session
        return session

    def get_session(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    def new_token(
        self, session_id: str, role: OpenViduRole, data: str, kurento_options: KurentoOptions | None
    ) -> Token:
        session = self._sessions.get(session_id)
        if session is None or session.closing:
            raise SessionNotFound(session_id)
        now = self.clock()
        token = new_token(
            self.config.ws_url, session_id, role, data, kurento_options, self.config.version, now
        )
        while token.token in session.tokens:
            token = new_token(
                self.config.ws_url, session_id, role, data, kurento_options, self.config.version, now
            )
        session.tokens[token.token] = token
        session.touch()
        return token

    async def close_session(self, session_id: str, reason: EndReason) -> bool:
        """Evict everyone, release media, emit ``sessionDestroyed`` (if it was active) and forget the session."""
        session = self._sessions.get(session_id)
        if session is None or session.closing:
            return False
        session.closing = True
        try:
            for participant in list(session.participants.values()):
                await self.backend.evict_participant(session, participant, reason)
                self._remove_participant(session, participant, reason)
            await self.backend.close_session(session, reason)
        finally:
            self._forget(session, reason)
        return True

    async def close_all(self, reason: EndReason) -> None:
        for session_id in list(self._sessions):
            await self.close_session(session_id, reason)

    async def evict_connection(self, session_id: str, connection_id: str, reason: EndReason) -> Outcome:
        session = self._sessions.get(session_id)
        if session is None:
            return Outcome.NO_SESSION
        participant = session.participants.get(connection_id)
        # The hidden RECORDER is found by its public id too (2.11 Session#getParticipantByPublicId).
        if participant is None or session.closing:
            return Outcome.NOT_FOUND
        await self.backend.evict_participant(session, participant, reason)
        await self.leave(session_id, connection_id, reason)
        return Outcome.DONE

    async def unpublish_stream(self, session_id: str, stream_id: str, reason: EndReason) -> Outcome:
        session = self._sessions.get(session_id)
        if session is None:
            return Outcome.NO_SESSION
        participant = session.find_stream(stream_id)
        if participant is None or session.closing:
            return Outcome.NOT_FOUND
        await self.backend.unpublish_stream(session, participant, reason)
        self.unpublish(participant, reason)
        return Outcome.DONE

    # ----- signaling side --------------------------------------------------------------------------------

    def join(
        self,
        session_id: str,
        token: str,
        platform: str,
        client_data: str,
        secret: str = "",
        recorder: bool = False,
    ) -> tuple[Session, Participant]:
        """Admit a participant: consume its token (single use) or accept the server secret (insecure join)."""
        insecure = bool(secret) and hmac.compare_digest(
            secret.encode("utf-8", "surrogatepass"), self.config.secret.encode("utf-8", "surrogatepass")
        )
        session = self._sessions.get(session_id)
        if session is None and insecure:
            session = self.create_session(replace(INSECURE_SESSION_PROPERTIES, custom_session_id=session_id))
        if session is None:
            raise JoinError(ErrorCode.USER_UNAUTHORIZED, UNAUTHORIZED_JOIN_MESSAGE)
        if session.closing:
            raise JoinError(ErrorCode.ROOM_CLOSED, f"'{session_id}' is trying to be closed")
        if insecure:
            used = new_token(
                self.config.ws_url, session_id, OpenViduRole.PUBLISHER, "", None, self.config.version
            )
        else:
            found = session.tokens.pop(token, None)
            if found is None:
                raise JoinError(ErrorCode.USER_UNAUTHORIZED, UNAUTHORIZED_JOIN_MESSAGE)
            used = found
        generate = new_connection_id_232 if is_232_id(session.session_id) else new_connection_id
        if recorder and insecure:
            connection_id = RECORDER_CONNECTION_ID
        elif not insecure and used.connection_id and used.connection_id not in session.participants:
            connection_id = used.connection_id  # the pending connection turns active with its own id
        else:
            connection_id = generate()
            while connection_id in session.participants:
                connection_id = generate()
        now = self.clock()
        if not session.active:
            session.active = True
            self.bus.publish(SessionCreated(session.session_id, session.created_at))
        participant = Participant(
            connection_id=connection_id,
            session_id=session.session_id,
            created_at=now,
            token=used,
            platform=platform,
            client_data=client_data,
            recorder=recorder and insecure,
            insecure=insecure,
        )
        session.participants[connection_id] = participant
        session.touch()
        if not participant.recorder:
            self.bus.publish(
                ParticipantJoined(session.session_id, now, connection_id, participant.location, platform)
            )
        return session, participant

    async def leave(self, session_id: str, connection_id: str, reason: EndReason) -> Participant | None:
        """Remove a participant (its streams first); close the session if nobody is left and it is not recording.

        The caller (signaling layer) has already released the participant's media.
        """
        session = self._sessions.get(session_id)
        if session is None:
            return None
        participant = session.participants.get(connection_id)
        if participant is None:
            return None
        self._remove_participant(session, participant, reason)
        if not session.closing and not session.visible_participants() and not session.recording:
            final = final_reason(reason)
            session.closing = True
            try:
                for remaining in list(session.participants.values()):
                    await self.backend.evict_participant(session, remaining, final)
                    self._remove_participant(session, remaining, final)
                await self.backend.close_session(session, final)
            finally:
                self._forget(session, final)
        return participant

    def publish(self, participant: Participant, media_options: MediaOptions) -> Publisher:
        """Register the participant's stream (``webrtcConnectionCreated`` OUTBOUND)."""
        make = new_stream_id_232 if is_232_id(participant.connection_id) else new_stream_id
        stream_id = make(
            participant.connection_id, media_options.type_of_video if media_options.has_video else None
        )
        publisher = Publisher(stream_id, self.clock(), media_options)
        participant.publisher = publisher
        if not participant.recorder:
            self.bus.publish(
                WebrtcConnectionCreated(
                    participant.session_id,
                    publisher.created_at,
                    stream_id,
                    participant.connection_id,
                    OUTBOUND,
                    None,
                    media_options,
                )
            )
        return publisher

    def unpublish(self, participant: Participant, reason: EndReason) -> Publisher | None:
        """Drop the participant's stream and every subscription to it (``webrtcConnectionDestroyed`` events)."""
        publisher = participant.publisher
        if publisher is None:
            return None
        session = self._sessions.get(participant.session_id)
        if session is not None:
            for other in session.participants.values():
                if publisher.stream_id in other.subscribers:
                    self.unsubscribe(other, publisher.stream_id, reason)
        participant.publisher = None
        if not participant.recorder:
            self.bus.publish(
                WebrtcConnectionDestroyed(
                    participant.session_id,
                    self.clock(),
                    publisher.created_at,
                    reason,
                    publisher.stream_id,
                    participant.connection_id,
                    OUTBOUND,
                    None,
                    publisher.media_options,
                )
            )
        return publisher

    def subscribe(self, participant: Participant, stream_id: str) -> Subscriber:
        """Register a subscription (``webrtcConnectionCreated`` INBOUND). Raises ``KeyError`` for an unknown stream."""
        session = self._sessions.get(participant.session_id)
        owner = session.find_stream(stream_id) if session is not None else None
        if owner is None or owner.publisher is None:
            raise KeyError(stream_id)
        subscriber = Subscriber(stream_id, self.clock())
        participant.subscribers[stream_id] = subscriber
        participant.touch()
        if not participant.recorder:
            self.bus.publish(
                WebrtcConnectionCreated(
                    participant.session_id,
                    subscriber.created_at,
                    stream_id,
                    participant.connection_id,
                    INBOUND,
                    owner.connection_id,
                    owner.publisher.media_options,
                )
            )
        return subscriber

    def unsubscribe(self, participant: Participant, stream_id: str, reason: EndReason) -> Subscriber | None:
        subscriber = participant.subscribers.pop(stream_id, None)
        if subscriber is None:
            return None
        participant.touch()
        session = self._sessions.get(participant.session_id)
        owner = session.find_stream(stream_id) if session is not None else None
        if not participant.recorder and owner is not None and owner.publisher is not None:
            self.bus.publish(
                WebrtcConnectionDestroyed(
                    participant.session_id,
                    self.clock(),
                    subscriber.created_at,
                    reason,
                    stream_id,
                    participant.connection_id,
                    INBOUND,
                    owner.connection_id,
                    owner.publisher.media_options,
                )
            )
        return subscriber

    # ----- internals -------------------------------------------------------------------------------------

    def _remove_participant(self, session: Session, participant: Participant, reason: EndReason) -> None:
        for stream_id in list(participant.subscribers):
            self.unsubscribe(participant, stream_id, reason)
        self.unpublish(participant, reason)
        session.participants.pop(participant.connection_id, None)
        session.touch()
        if not participant.recorder:
            self.bus.publish(
                ParticipantLeft(
                    session.session_id,
                    self.clock(),
                    participant.created_at,
                    reason,
                    participant.connection_id,
                    participant.location,
                    participant.platform,
                )
            )

    def _forget(self, session: Session, reason: EndReason) -> None:
        if self._sessions.get(session.session_id) is session:
            del self._sessions[session.session_id]
            tick()  # the list of sessions changed
        if session.active:
            self.bus.publish(SessionDestroyed(session.session_id, self.clock(), session.created_at, reason))
