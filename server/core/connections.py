"""The connections of 2.16+ kept by the session manager: pending connections (``tok_`` tokens that carry their
``con_`` id), their ``role``/``record`` changes, and IP cameras (participants without a socket).

A mixin of :class:`server.core.manager.SessionManager`, apart so that the manager module stays small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from server.core.enums import EndReason, OpenViduRole
from server.core.events import EventBus, ParticipantJoined, SessionCreated
from server.core.participants import UNKNOWN_LOCATION, Participant
from server.core.sessions import Session
from server.core.tokens import IceServer, IpcamOptions, KurentoOptions, Token, new_token_232


class SessionNotFound(Exception):
    pass


class ConnectionsMixin:
    _sessions: dict[str, Session]
    bus: EventBus
    clock: Callable[[], int]

    def _ws_url(self) -> str:
        raise NotImplementedError

    def _remove_participant(self, session: Session, participant: Participant, reason: EndReason) -> None:
        raise NotImplementedError

    def new_connection(
        self,
        session_id: str,
        role: OpenViduRole,
        data: str,
        kurento_options: KurentoOptions | None,
        record: bool = True,
        custom_ice_servers: tuple[IceServer, ...] = (),
    ) -> Token:
        """A 2.16+ pending connection: a ``tok_`` token that carries its ``con_`` id (``POST .../connection``)."""
        session = self._sessions.get(session_id)
        if session is None or session.closing:
            raise SessionNotFound(session_id)
        while True:
            token = new_token_232(
                self._ws_url(),
                session_id,
                role,
                data,
                kurento_options,
                created_at=self.clock(),
                record=record,
                custom_ice_servers=custom_ice_servers,
            )
            if token.token not in session.tokens and token.connection_id not in session.participants:
                break
        session.tokens[token.token] = token
        session.touch()
        return token

    def discard_pending(self, session_id: str, connection_id: str) -> bool:
        """Invalidate the unused token of a pending connection (``DELETE .../connection/<id>`` of 2.16+)."""
        session = self._sessions.get(session_id)
        if session is None:
            return False
        token = session.pending_token(connection_id)
        if token is None:
            return False
        del session.tokens[token.token]
        session.touch()
        return True

    def update_connection(
        self, session_id: str, connection_id: str, role: OpenViduRole | None, record: bool | None
    ) -> Participant | Token | None:
        """Change ``role``/``record`` of an active or pending connection (``PATCH`` of 2.16+ Pro).

        Returns the updated participant or pending token; None if neither exists.
        """
        session = self._sessions.get(session_id)
        if session is None:
            return None
        changes: dict[str, object] = {}
        if role is not None:
            changes["role"] = role
        if record is not None:
            changes["record"] = record
        participant = session.participants.get(connection_id)
        if participant is not None and not participant.recorder:
            participant.token = replace(participant.token, **changes)  # type: ignore[arg-type]
            return participant
        token = session.pending_token(connection_id)
        if token is None:
            return None
        updated = replace(token, **changes)  # type: ignore[arg-type]
        session.tokens[token.token] = updated
        session.touch()
        return updated

    def join_ipcam(
        self,
        session_id: str,
        connection_id: str,
        options: IpcamOptions,
        data: str,
        record: bool,
        ip: str | None,
    ) -> tuple[Session, Participant]:
        """Admit an IP camera (``POST .../connection`` with type IPCAM): a participant without a socket whose
        stream a PlayerEndpoint publishes. Raises ``SessionNotFound``."""
        session = self._sessions.get(session_id)
        if session is None or session.closing:
            raise SessionNotFound(session_id)
        now = self.clock()
        token = Token(
            "", session_id, OpenViduRole.PUBLISHER, data, None, "", connection_id=connection_id,
            created_at=now, record=record, ipcam=options,
        )  # fmt: skip
        if not session.active:
            session.active = True
            self.bus.publish(SessionCreated(session.session_id, session.created_at))
        location = ip or UNKNOWN_LOCATION
        participant = Participant(
            connection_id, session_id, now, token, "IPCAM", "", location=location, ip=ip
        )
        session.participants[connection_id] = participant
        session.touch()
        self.bus.publish(ParticipantJoined(session_id, now, connection_id, participant.location, "IPCAM"))
        return session, participant

    def drop_ipcam(self, session_id: str, connection_id: str, reason: EndReason) -> None:
        """Remove a camera that could not play; the session stays (the application made it)."""
        session = self._sessions.get(session_id)
        participant = session.participants.get(connection_id) if session is not None else None
        if session is not None and participant is not None:
            self._remove_participant(session, participant, reason)
