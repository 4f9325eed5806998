"""Typed Kurento events and the KMS 6.x / 7.x event-name mapping.

Callers always use the canonical (7.x) names, through the event classes below
(``IceComponentStateChanged.NAME`` is ``"IceComponentStateChanged"``). The client subscribes
with the name the running server declares (:func:`wire_event_name`) and maps the names it
receives back (:func:`canonical_event_name`), so 6.x and 7.x servers look the same.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from .structs import STRUCT_TYPES, IceCandidate, IceCandidatePair, Tag, _camel, from_wire_value

# canonical (7.x) name -> name declared by every KMS 6.x from 6.5 up to 6.18 (6.18 accepts both)
_V6_NAMES: dict[str, str] = {
    "IceComponentStateChanged": "IceComponentStateChange",
    "DataChannelOpened": "DataChannelOpen",
    "DataChannelClosed": "DataChannelClose",
    "MediaFlowInStateChanged": "MediaFlowInStateChange",
    "MediaFlowOutStateChanged": "MediaFlowOutStateChange",
    "MediaTranscodingStateChanged": "MediaTranscodingStateChange",
}

# every historical alias -> canonical name
_CANONICAL: dict[str, str] = {v: k for k, v in _V6_NAMES.items()}
_CANONICAL.update(
    {
        "OnIceCandidate": "IceCandidateFound",
        "OnIceGatheringDone": "IceGatheringDone",
        "OnIceComponentStateChanged": "IceComponentStateChanged",
        "OnDataChannelOpened": "DataChannelOpened",
        "OnDataChannelClosed": "DataChannelClosed",
    }
)


def wire_event_name(canonical: str, server_major: int) -> str:
    """The event name to subscribe with on a server of that major version."""
    if server_major == 6:
        return _V6_NAMES.get(canonical, canonical)
    return canonical


def canonical_event_name(wire_name: str) -> str:
    """The canonical (7.x) name of an event name seen on the wire."""
    return _CANONICAL.get(wire_name, wire_name)


def _timestamp_millis(data: dict[str, Any]) -> int | None:
    raw = data.get("timestampMillis")
    if raw is not None:
        try:
            return int(raw)
        except (TypeError, ValueError):
            return None
    seconds = data.get("timestamp")  # KMS < 6.10 only sends seconds
    if seconds is not None:
        try:
            return int(float(seconds) * 1000)
        except (TypeError, ValueError):
            return None
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class KurentoEvent:
    """Fields common to every event (``RaiseBase``). ``raw`` keeps the wire ``data`` object."""

    NAME: ClassVar[str] = ""
    WIRE_NAMES: ClassVar[dict[str, str]] = {}

    source: str
    timestamp_millis: int | None
    tags: list[Tag] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.NAME

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Self:
        """Build the event from an ``onEvent`` ``data`` object."""
        kwargs: dict[str, Any] = {
            "source": data.get("source", ""),
            "timestamp_millis": _timestamp_millis(data),
            "tags": [t for t in from_wire_value(data.get("tags") or []) if isinstance(t, Tag)],
            "raw": data,
        }
        for f in dataclasses.fields(cls):
            if f.name in kwargs:
                continue
            key = cls.WIRE_NAMES.get(f.name) or _camel(f.name)
            kwargs[f.name] = _field_value(str(f.type), data.get(key))
        return cls(**kwargs)


def _field_value(type_name: str, raw: Any) -> Any:
    """A field as its declared type: ``str`` fields are strings ("" when absent), ``int`` fields
    integers (0 when absent or not a number), struct fields the struct even when the wire object
    lacks ``__type__``; other values are decoded as they come."""
    value = from_wire_value(raw)
    if type_name == "str":
        return value if isinstance(value, str) else "" if value is None else str(value)
    if type_name == "int":
        if isinstance(value, int):
            return int(value)
        try:
            return int(float(value)) if isinstance(value, float | str) else 0
        except (ValueError, OverflowError):
            return 0
    struct = STRUCT_TYPES.get(type_name)
    if struct is not None and isinstance(value, dict):
        return struct.from_wire(value)
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class GenericEvent(KurentoEvent):
    """An event type without a dedicated class (e.g. custom filter events); see ``raw``."""

    event_type: str = ""

    @property
    def name(self) -> str:
        return self.event_type


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorEvent(KurentoEvent):
    NAME: ClassVar[str] = "Error"
    WIRE_NAMES: ClassVar[dict[str, str]] = {"error_type": "type"}
    description: str
    error_code: int
    error_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectCreated(KurentoEvent):
    NAME: ClassVar[str] = "ObjectCreated"
    WIRE_NAMES: ClassVar[dict[str, str]] = {"object_id": "object"}
    object_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectDestroyed(KurentoEvent):
    NAME: ClassVar[str] = "ObjectDestroyed"
    object_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ElementConnected(KurentoEvent):
    NAME: ClassVar[str] = "ElementConnected"
    sink: str
    media_type: str
    source_media_description: str
    sink_media_description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ElementDisconnected(KurentoEvent):
    NAME: ClassVar[str] = "ElementDisconnected"
    sink: str
    media_type: str
    source_media_description: str
    sink_media_description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaFlowInStateChanged(KurentoEvent):
    NAME: ClassVar[str] = "MediaFlowInStateChanged"
    state: str
    pad_name: str
    media_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaFlowOutStateChanged(KurentoEvent):
    NAME: ClassVar[str] = "MediaFlowOutStateChanged"
    state: str
    pad_name: str
    media_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaTranscodingStateChanged(KurentoEvent):
    NAME: ClassVar[str] = "MediaTranscodingStateChanged"
    state: str
    bin_name: str
    media_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaStateChanged(KurentoEvent):
    NAME: ClassVar[str] = "MediaStateChanged"
    old_state: str
    new_state: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionStateChanged(KurentoEvent):
    NAME: ClassVar[str] = "ConnectionStateChanged"
    old_state: str
    new_state: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaSessionStarted(KurentoEvent):
    NAME: ClassVar[str] = "MediaSessionStarted"


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaSessionTerminated(KurentoEvent):
    NAME: ClassVar[str] = "MediaSessionTerminated"


@dataclass(frozen=True, slots=True, kw_only=True)
class IceCandidateFound(KurentoEvent):
    NAME: ClassVar[str] = "IceCandidateFound"
    candidate: IceCandidate


@dataclass(frozen=True, slots=True, kw_only=True)
class IceGatheringDone(KurentoEvent):
    NAME: ClassVar[str] = "IceGatheringDone"


@dataclass(frozen=True, slots=True, kw_only=True)
class IceComponentStateChanged(KurentoEvent):
    NAME: ClassVar[str] = "IceComponentStateChanged"
    stream_id: int
    component_id: int
    state: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NewCandidatePairSelected(KurentoEvent):
    NAME: ClassVar[str] = "NewCandidatePairSelected"
    candidate_pair: IceCandidatePair


@dataclass(frozen=True, slots=True, kw_only=True)
class DataChannelOpened(KurentoEvent):
    NAME: ClassVar[str] = "DataChannelOpened"
    channel_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DataChannelClosed(KurentoEvent):
    NAME: ClassVar[str] = "DataChannelClosed"
    channel_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DtlsConnectionStateChange(KurentoEvent):
    NAME: ClassVar[str] = "DtlsConnectionStateChange"
    stream_id: str
    component_id: str
    connection_id: str
    state: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording(KurentoEvent):
    NAME: ClassVar[str] = "Recording"


@dataclass(frozen=True, slots=True, kw_only=True)
class Paused(KurentoEvent):
    NAME: ClassVar[str] = "Paused"


@dataclass(frozen=True, slots=True, kw_only=True)
class Stopped(KurentoEvent):
    NAME: ClassVar[str] = "Stopped"


@dataclass(frozen=True, slots=True, kw_only=True)
class UriEndpointStateChanged(KurentoEvent):
    NAME: ClassVar[str] = "UriEndpointStateChanged"
    state: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EndOfStream(KurentoEvent):
    NAME: ClassVar[str] = "EndOfStream"


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeFound(KurentoEvent):
    NAME: ClassVar[str] = "CodeFound"
    code_type: str
    value: str


EVENT_TYPES: dict[str, type[KurentoEvent]] = {
    cls.NAME: cls
    for cls in (
        ErrorEvent,
        ObjectCreated,
        ObjectDestroyed,
        ElementConnected,
        ElementDisconnected,
        MediaFlowInStateChanged,
        MediaFlowOutStateChanged,
        MediaTranscodingStateChanged,
        MediaStateChanged,
        ConnectionStateChanged,
        MediaSessionStarted,
        MediaSessionTerminated,
        IceCandidateFound,
        IceGatheringDone,
        IceComponentStateChanged,
        NewCandidatePairSelected,
        DataChannelOpened,
        DataChannelClosed,
        DtlsConnectionStateChange,
        Recording,
        Paused,
        Stopped,
        UriEndpointStateChanged,
        EndOfStream,
        CodeFound,
    )
}


def parse_event(canonical_name: str, data: dict[str, Any]) -> KurentoEvent:
    """Typed event for a canonical name (a :class:`GenericEvent` for unknown names)."""
    cls = EVENT_TYPES.get(canonical_name)
    if cls is None:
        generic = GenericEvent.from_data(data)
        return dataclasses.replace(generic, event_type=canonical_name, raw=data)
    return cls.from_data(data)
