"""Connection lifecycle notices, told to listeners of a connection and of the pool.

A media server added while unreachable (``open(retry=True)``) reports :class:`Unreachable`
first and :class:`Connected` when it answers. Order for one outage: :class:`Disconnected` first, then either :class:`ReconnectedSame`
(same media server process, session and objects kept, subscriptions still deliver),
:class:`ReconnectedEmpty` (a restarted media server, or one that forgot the session: every
object is lost) or, once the reconnect window is over, :class:`Unreachable`. Reconnection
continues after :class:`Unreachable`, so it can be followed by either ``Reconnected*`` notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


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
