"""Kurento complex types ("structs") as dataclasses.

On the wire a struct is a JSON object carrying two extra keys, ``"__module__"`` (``kurento``)
and ``"__type__"`` (the type name), plus its fields in camelCase. :meth:`Struct.to_wire` adds
them; :meth:`Struct.from_wire` accepts objects with or without them. Field spellings that
changed between KMS 6.x and 7.x (``streamID`` vs ``streamId``) are accepted both ways.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Self

KURENTO_MODULE = "kurento"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True, slots=True)
class Struct:
    """Base class of the Kurento complex types.

    Subclasses may override ``WIRE_NAMES`` (python attribute -> wire key) where the camelCase
    rule does not fit, and ``ALIASES`` (alternative wire key -> python attribute) for old
    spellings accepted on input.
    """

    MODULE: ClassVar[str] = KURENTO_MODULE
    WIRE_NAMES: ClassVar[dict[str, str]] = {}
    ALIASES: ClassVar[dict[str, str]] = {}

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__

    @classmethod
    def _wire_name(cls, attr: str) -> str:
        return cls.WIRE_NAMES.get(attr) or _camel(attr)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object sent to the media server (optional fields left unset are omitted)."""
        out: dict[str, Any] = {"__module__": self.MODULE, "__type__": self.type_name()}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[self._wire_name(f.name)] = to_wire_value(value)
        return out

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Self:
        """Build the struct from a JSON object; unknown keys are ignored."""
        by_wire = {cls._wire_name(f.name): f.name for f in dataclasses.fields(cls)}
        by_wire.update(cls.ALIASES)
        kwargs: dict[str, Any] = {}
        for key, value in obj.items():
            attr = by_wire.get(key)
            if attr is not None and attr not in kwargs:
                kwargs[attr] = value
        for f in dataclasses.fields(cls):
            if (
                f.name not in kwargs
                and f.default is dataclasses.MISSING
                and (f.default_factory is dataclasses.MISSING)
            ):
                kwargs[f.name] = None
        return cls(**kwargs)


def to_wire_value(value: Any) -> Any:
    """Recursively encode structs and enums inside a JSON-compatible value."""
    if isinstance(value, Struct):
        return value.to_wire()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: to_wire_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire_value(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class IceCandidate(Struct):
    candidate: str
    sdp_mid: str
    sdp_m_line_index: int

    WIRE_NAMES: ClassVar[dict[str, str]] = {"sdp_m_line_index": "sdpMLineIndex"}


@dataclass(frozen=True, slots=True)
class IceCandidatePair(Struct):
    stream_id: str
    component_id: int
    local_candidate: str
    remote_candidate: str

    ALIASES: ClassVar[dict[str, str]] = {"streamID": "stream_id", "componentID": "component_id"}


@dataclass(frozen=True, slots=True)
class IceConnection(Struct):
    stream_id: str
    component_id: int
    state: str


@dataclass(frozen=True, slots=True)
class Tag(Struct):
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class ModuleInfo(Struct):
    name: str
    version: str
    generation_time: str
    factories: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ServerInfo(Struct):
    version: str
    type: str
    capabilities: list[str] = field(default_factory=list)
    modules: list[ModuleInfo] = field(default_factory=list)

    @property
    def major(self) -> int:
        """Major version number (``6`` or ``7``); 0 when unparseable."""
        return version_tuple(self.version)[0]


@dataclass(frozen=True, slots=True)
class ElementConnectionData(Struct):
    source: str
    sink: str
    type: str
    source_description: str
    sink_description: str


@dataclass(frozen=True, slots=True)
class OfferOptions(Struct):
    offer_to_receive_audio: bool | None = None
    offer_to_receive_video: bool | None = None


@dataclass(frozen=True, slots=True)
class RembParams(Struct):
    packets_to_drop: int | None = None
    exponential_factor: float | None = None
    linear_level: int | None = None
    decrement_factor: float | None = None
    threshold_factor: float | None = None
    up_losses: int | None = None
    remb_on_connect: int | None = None


STRUCT_TYPES: dict[str, type[Struct]] = {
    cls.__name__: cls
    for cls in (
        IceCandidate,
        IceCandidatePair,
        IceConnection,
        Tag,
        ModuleInfo,
        ServerInfo,
        ElementConnectionData,
        OfferOptions,
        RembParams,
    )
}


def from_wire_value(value: Any) -> Any:
    """Recursively decode a value from the media server.

    Objects whose ``__type__`` is a known struct become that dataclass; other objects lose
    the ``__module__``/``__type__`` keys and stay dicts (e.g. stats entries).
    """
    if isinstance(value, dict):
        decoded = {k: from_wire_value(v) for k, v in value.items() if k not in ("__module__", "__type__")}
        type_name = value.get("__type__")
        if isinstance(type_name, str):
            cls = STRUCT_TYPES.get(type_name)
            if cls is not None:
                return cls.from_wire(decoded)
        return decoded
    if isinstance(value, list):
        return [from_wire_value(v) for v in value]
    return value


def version_tuple(version: str) -> tuple[int, int, int]:
    """``"6.18.0"`` -> ``(6, 18, 0)``; non-numeric parts count as 0."""
    parts: list[int] = []
    for chunk in version.split(".")[:3]:
        digits = ""
        for ch in chunk:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits) if digits else 0)
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]
