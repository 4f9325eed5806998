"""The events that exist since OpenVidu 2.16 (webhook ``signalSent``, ``filterEventDispatched``) and in Pro 2.32
(``mediaNodeStatusChanged``, ``nodeCrashed``, ``nodeRecovered``), on the same bus as the 2.10/2.11 events.

They are not in the 2.10/2.11 CDR (``CDR_ONLY_211`` keeps the CDR file as 2.11 wrote it); the webhook sends them
when ``openvidu.webhook.events`` lists them. Node events carry no session (``sessionId`` is left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from server.core.events import Event

EVENT_NAMES_232: tuple[str, ...] = (
    "filterEventDispatched",
    "signalSent",
    "mediaNodeStatusChanged",
    "nodeCrashed",
    "nodeRecovered",
    "broadcastStarted",
    "broadcastStopped",
)


@dataclass(frozen=True, slots=True)
class SignalSent(Event):
    name: ClassVar[str] = "signalSent"
    from_id: str | None
    to: tuple[str, ...]
    signal_type: str | None
    data: str | None

    def properties(self) -> dict[str, Any]:
        props = Event.properties(self)
        props.update({"from": self.from_id, "to": list(self.to), "type": self.signal_type, "data": self.data})
        return props


@dataclass(frozen=True, slots=True)
class FilterEventDispatched(Event):
    name: ClassVar[str] = "filterEventDispatched"
    connection_id: str
    stream_id: str
    filter_type: str
    event_type: str
    data: str

    def properties(self) -> dict[str, Any]:
        props = Event.properties(self)
        props.update(
            participantId=self.connection_id,
            connectionId=self.connection_id,
            streamId=self.stream_id,
            filterType=self.filter_type,
            eventType=self.event_type,
            data=self.data,
        )
        return props


@dataclass(frozen=True, slots=True)
class NodeEvent(Event):
    """A media node event: ``timestamp, id, environmentId, ip, uri`` (+ the subclass' keys)."""

    node_id: str
    environment_id: str | None
    ip: str
    uri: str

    def properties(self) -> dict[str, Any]:
        return {
            "timestamp": self.timestamp,
            "id": self.node_id,
            "environmentId": self.environment_id,
            "ip": self.ip,
            "uri": self.uri,
        }


@dataclass(frozen=True, slots=True)
class MediaNodeStatusChanged(NodeEvent):
    name: ClassVar[str] = "mediaNodeStatusChanged"
    new_status: str = ""
    old_status: str | None = None

    def properties(self) -> dict[str, Any]:
        props = NodeEvent.properties(self)
        props.update(newStatus=self.new_status, oldStatus=self.old_status)
        return props


@dataclass(frozen=True, slots=True)
class NodeCrashed(NodeEvent):
    name: ClassVar[str] = "nodeCrashed"
    session_ids: tuple[str, ...] = ()
    time_of_disconnection: int = 0

    def properties(self) -> dict[str, Any]:
        props = NodeEvent.properties(self)
        props.update(
            nodeRole="medianode",
            sessionIds=list(self.session_ids),
            recordingIds=[],
            broadcasts=[],
            timeOfDisconnection=self.time_of_disconnection,
        )
        return props


@dataclass(frozen=True, slots=True)
class NodeRecovered(NodeEvent):
    name: ClassVar[str] = "nodeRecovered"

    def properties(self) -> dict[str, Any]:
        props = NodeEvent.properties(self)
        props["nodeRole"] = "medianode"
        return props


@dataclass(frozen=True, slots=True)
class BroadcastStarted(Event):
    """Pro 2.26+: a session's COMPOSED view started streaming to ``broadcastUrl``."""

    name: ClassVar[str] = "broadcastStarted"
    broadcast_url: str

    def properties(self) -> dict[str, Any]:
        props = Event.properties(self)
        props["broadcastUrl"] = self.broadcast_url
        return props


@dataclass(frozen=True, slots=True)
class BroadcastStopped(Event):
    name: ClassVar[str] = "broadcastStopped"
    broadcast_url: str
    reason: str

    def properties(self) -> dict[str, Any]:
        props = Event.properties(self)
        props.update(broadcastUrl=self.broadcast_url, reason=self.reason)
        return props
