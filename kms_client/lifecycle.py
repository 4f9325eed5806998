"""Connection lifecycle notices, told to listeners of a connection and of the pool.

A media server added while unreachable (``open(retry=True)``) reports :class:`Unreachable`
first and :class:`Connected` when it answers. Order for one outage: :class:`Disconnected` first, then either :class:`ReconnectedSame`
(same media server process, session and objects kept, subscriptions still deliver),
:class:`ReconnectedEmpty` (a restarted media server, or one that forgot the session: every
object is lost) or, once the reconnect window is over, :class:`Unreachable`. Reconnection
continues after :class:`Unreachable`, so it can be followed by either ``Reconnected*`` notice.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from .session_state import ResumeOutcome

log = logging.getLogger(__name__)


class ConnectionState(Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    UNREACHABLE = "unreachable"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class LifecycleEvent:
    """Base of the notices. ``uri`` names the media server, ``at`` is epoch milliseconds."""

    uri: str
    at: int


@dataclass(frozen=True, slots=True)
class Connected(LifecycleEvent):
    """First connection of a media server that was unreachable when it was added."""

    session_id: str
    server_id: str


@dataclass(frozen=True, slots=True)
class Disconnected(LifecycleEvent):
    reason: str


@dataclass(frozen=True, slots=True)
class ReconnectedSame(LifecycleEvent):
    session_id: str
    server_id: str


@dataclass(frozen=True, slots=True)
class ReconnectedEmpty(LifecycleEvent):
    """``restarted`` is True when the serverId changed (a new media server process)."""

    session_id: str
    server_id: str
    previous_server_id: str | None
    restarted: bool


@dataclass(frozen=True, slots=True)
class Unreachable(LifecycleEvent):
    disconnected_at: int


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """When to report a lost media server unreachable, and how long to wait between attempts (seconds);
    no clock of its own: the caller tells how long the outage has lasted."""

    window: float
    interval: float
    retry_interval: float

    def after_failure(self, state: ConnectionState, elapsed: float) -> tuple[ConnectionState, float]:
        """The state after a failed attempt ``elapsed`` seconds into an outage, and the delay before the next:
        RECONNECTING turns UNREACHABLE once the window is over; attempts then slow to ``retry_interval``."""
        if state is ConnectionState.RECONNECTING and elapsed >= self.window:
            state = ConnectionState.UNREACHABLE
        return state, self.interval if state is ConnectionState.RECONNECTING else self.retry_interval


def resumed_notice(
    outcome: ResumeOutcome,
    uri: str,
    at: int,
    session_id: str | None,
    server_id: str | None,
    previous_server_id: str | None,
) -> LifecycleEvent:
    """The notice for a connection that answers again: :class:`Connected` for a first session (the media
    server was unreachable when added), :class:`ReconnectedSame` or :class:`ReconnectedEmpty` (``restarted``
    when the ``serverId`` changed)."""
    session, server = session_id or "", server_id or ""
    if outcome is ResumeOutcome.NEW:
        return Connected(uri, at, session, server)
    if outcome is ResumeOutcome.SAME:
        return ReconnectedSame(uri, at, session, server)
    return ReconnectedEmpty(uri, at, session, server, previous_server_id, previous_server_id != server_id)


LifecycleListener = Callable[[LifecycleEvent], Awaitable[None] | None]


class Listeners:
    """The listeners of one connection's notices (sync or async callables). :meth:`notify` calls them and
    returns the awaitables the async ones gave back: the caller runs those (this class runs nothing)."""

    def __init__(self) -> None:
        self._listeners: list[LifecycleListener] = []

    def add(self, listener: LifecycleListener) -> None:
        self._listeners.append(listener)

    def remove(self, listener: LifecycleListener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def notify(self, event: LifecycleEvent) -> list[Awaitable[None]]:
        """Tell every listener (one that raises is logged and skipped)."""
        started: list[Awaitable[None]] = []
        for listener in list(self._listeners):
            try:
                result = listener(event)
            except Exception:
                log.exception("lifecycle listener failed on %s", event.uri)
                continue
            if inspect.isawaitable(result):
                started.append(result)
        return started
