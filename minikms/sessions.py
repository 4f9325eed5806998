"""Kurento sessions: ids, socket binding, liveness for garbage collection, subscriptions and the
20 s duplicate-request cache (kurento-protocol.md sections 1.4-1.6, 1.11)."""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class Peer(Protocol):
    """A client socket as the session layer sees it."""

    session_id: str | None

    def send(self, message: dict[str, Any]) -> None: ...


@dataclass
class Session:
    id: str
    in_use: bool = True


def new_session_id() -> str:
    return str(uuid.uuid4())


class SessionTable:
    """Known sessions and which socket each one is bound to."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self.bound: dict[str, Peer] = {}

    # -- liveness -------------------------------------------------------------------------------
    def touch(self, session_id: str) -> Session:
        """The session (created if new), marked in use."""
        session = self.sessions.get(session_id)
        if session is None:
            session = self.sessions[session_id] = Session(session_id)
        session.in_use = True
        return session

    def known(self, session_id: str) -> bool:
        return session_id in self.sessions

    def keep_bound_alive(self) -> None:
        """What KMS's transport does every gc_period/4: a bound socket keeps its session alive."""
        for session_id in self.bound:
            session = self.sessions.get(session_id)
            if session is not None:
                session.in_use = True

    def collect(self) -> list[Session]:
        """One GC pass: clear live flags; return (and forget) the sessions already found idle."""
        expired = []
        for session in list(self.sessions.values()):
            if session.in_use:
                session.in_use = False
            elif session.id not in self.bound:
                expired.append(session)
                del self.sessions[session.id]
        return expired

    def forget(self, session_id: str) -> Session | None:
        return self.sessions.pop(session_id, None)

    # -- socket binding ------------------------------------------------------------------------
    def bind(self, peer: Peer, session_id: str) -> None:
        """One session per socket and one socket per session; the newest binding wins."""
        if peer.session_id == session_id and self.bound.get(session_id) is peer:
            return
        if peer.session_id is not None and self.bound.get(peer.session_id) is peer:
            del self.bound[peer.session_id]
        previous = self.bound.get(session_id)
        if previous is not None and previous is not peer:
            previous.session_id = None
        self.bound[session_id] = peer
        peer.session_id = session_id

    def unbind(self, peer: Peer) -> None:
        if peer.session_id is not None and self.bound.get(peer.session_id) is peer:
            del self.bound[peer.session_id]
        peer.session_id = None

    def peer_of(self, session_id: str) -> Peer | None:
        return self.bound.get(session_id)


class Subscriptions:
    """Event handlers per (session, object, event name); many subscription ids share one handler.

    Indexed by object then event, so delivering an event and dropping a released object's handlers
    do not scan every subscription of the server.
    """

    def __init__(self) -> None:
        self.by_id: dict[str, tuple[str, str, str]] = {}
        self.by_object: dict[str, dict[str, dict[str, set[str]]]] = {}

    def add(self, session_id: str, object_id: str, event: str) -> str:
        sub_id = str(uuid.uuid4())
        self.by_id[sub_id] = (session_id, object_id, event)
        events = self.by_object.setdefault(object_id, {})
        events.setdefault(event, {}).setdefault(session_id, set()).add(sub_id)
        return sub_id

    def remove(self, sub_id: str) -> None:
        key = self.by_id.pop(sub_id, None)
        if key is None:
            return
        session_id, object_id, event = key
        events = self.by_object.get(object_id, {})
        sessions = events.get(event, {})
        ids = sessions.get(session_id)
        if ids is None:
            return
        ids.discard(sub_id)
        if not ids:
            del sessions[session_id]
            if not sessions:
                del events[event]
                if not events:
                    del self.by_object[object_id]

    def drop_object(self, object_id: str) -> None:
        for sessions in self.by_object.pop(object_id, {}).values():
            for ids in sessions.values():
                for sub_id in ids:
                    self.by_id.pop(sub_id, None)

    def drop_session(self, session_id: str) -> None:
        for sub_id in [s for s, key in self.by_id.items() if key[0] == session_id]:
            self.remove(sub_id)

    def sessions_for(self, object_id: str, event: str) -> list[str]:
        return list(self.by_object.get(object_id, {}).get(event, {}))


class RequestCache:
    """Replies remembered per (sessionId, request id) for ``ttl`` seconds, as KMS's RequestCache."""

    def __init__(self, ttl: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.monotonic = monotonic
        self.entries: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        # (deadline, key) in insertion order: with one ttl, also deadline order.
        self.deadlines: deque[tuple[float, tuple[str, str]]] = deque()

    @staticmethod
    def _key(session_id: str, request_id: Any) -> tuple[str, str]:
        # 1 and "1" are different ids; keep the JSON type in the key.
        return session_id, f"{type(request_id).__name__}:{request_id!r}"

    def get(self, session_id: str, request_id: Any) -> dict[str, Any] | None:
        self._expire()
        entry = self.entries.get(self._key(session_id, request_id))
        return entry[1] if entry is not None else None

    def put(self, session_id: str, request_id: Any, reply: dict[str, Any]) -> None:
        key = self._key(session_id, request_id)
        deadline = self.monotonic() + self.ttl
        self.entries[key] = (deadline, reply)
        self.deadlines.append((deadline, key))

    def _expire(self) -> None:
        now = self.monotonic()
        while self.deadlines and self.deadlines[0][0] <= now:
            deadline, key = self.deadlines.popleft()
            entry = self.entries.get(key)
            if entry is not None and entry[0] == deadline:
                del self.entries[key]
