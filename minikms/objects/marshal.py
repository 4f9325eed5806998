"""Kurento value types: parameter declarations and unmarshalling of JSON params (section 1.10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from minikms.protocol import MARSHALL_ERROR, UNEXPECTED_ERROR, KurentoError

if TYPE_CHECKING:
    from minikms.objects.base import MediaObject

ENUMS: dict[str, tuple[str, ...]] = {
    "MediaType": ("AUDIO", "DATA", "VIDEO"),
    "MediaProfileSpecType": (
        "WEBM",
        "MKV",
        "MP4",
        "WEBM_VIDEO_ONLY",
        "WEBM_AUDIO_ONLY",
        "MKV_VIDEO_ONLY",
        "MKV_AUDIO_ONLY",
        "MP4_VIDEO_ONLY",
        "MP4_AUDIO_ONLY",
        "JPEG_VIDEO_ONLY",
        "KURENTO_SPLIT_RECORDER",
        "FLV",
    ),
    "FilterType": ("AUDIO", "AUTODETECT", "VIDEO"),
    "CertificateKeyType": ("RSA", "ECDSA"),
    "DSCPValue": (
        "NO_VALUE",
        "NO_DSCP",
        "AUDIO_VERYLOW",
        "AUDIO_LOW",
        "AUDIO_MEDIUM",
        "AUDIO_HIGH",
        "VIDEO_VERYLOW",
        "VIDEO_LOW",
        "VIDEO_MEDIUM",
        "VIDEO_HIGH",
        "DATA_VERYLOW",
        "DATA_LOW",
        "DATA_MEDIUM",
        "DATA_HIGH",
        "CHROME_HIGH",
        "CHROME_MEDIUM",
        "CHROME_LOW",
        "CHROME_VERYLOW",
        "CS0",
        "CS1",
        "CS2",
        "CS3",
        "CS4",
        "CS5",
        "CS6",
        "CS7",
        "AF11",
        "AF12",
        "AF13",
        "AF21",
        "AF22",
        "AF23",
        "AF31",
        "AF32",
        "AF33",
        "AF41",
        "AF42",
        "AF43",
        "EF",
        "VOICEADMIT",
        "LE",
    ),
    "GstreamerDotDetails": (
        "SHOW_MEDIA_TYPE",
        "SHOW_CAPS_DETAILS",
        "SHOW_NON_DEFAULT_PARAMS",
        "SHOW_STATES",
        "SHOW_FULL_PARAMS",
        "SHOW_ALL",
        "SHOW_VERBOSE",
    ),
    "UriEndpointState": ("STOP", "START", "PAUSE"),
    "MediaState": ("DISCONNECTED", "CONNECTED"),
    "ConnectionState": ("DISCONNECTED", "CONNECTED"),
    "MediaFlowState": ("FLOWING", "NOT_FLOWING"),
    "MediaTranscodingState": ("TRANSCODING", "NOT_TRANSCODING"),
    "IceComponentState": ("DISCONNECTED", "GATHERING", "CONNECTING", "CONNECTED", "READY", "FAILED"),
    "ServerType": ("KMS", "KCS"),
}

# Struct name -> its fields (name, type, required).
STRUCTS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "IceCandidate": (
        ("candidate", "String", True),
        ("sdpMid", "String", True),
        ("sdpMLineIndex", "int", True),
    ),
    "OfferOptions": (("offerToReceiveAudio", "boolean", False), ("offerToReceiveVideo", "boolean", False)),
    "RembParams": (
        ("packetsRecvIntervalTop", "int", False),
        ("exponentialFactor", "float", False),
        ("linealFactorMin", "int", False),
        ("linealFactorGrade", "float", False),
        ("decrementFactor", "float", False),
        ("thresholdFactor", "float", False),
        ("upLosses", "int", False),
        ("rembOnConnect", "int", False),
    ),
    "Fraction": (("numerator", "int", True), ("denominator", "int", True)),
    "AudioCaps": (("codec", "String", True), ("bitrate", "int", True)),
    "VideoCaps": (("codec", "String", True), ("framerate", "Fraction", True)),
    "SDES": (("key", "String", False), ("keyBase64", "String", False), ("crypto", "String", False)),
}

# Kurento class names usable as parameter types (object references by id).
REFERENCE_TYPES: frozenset[str] = frozenset({"MediaObject", "MediaElement", "MediaPipeline", "Hub"})

PRIMITIVES: frozenset[str] = frozenset({"String", "int", "int64", "boolean", "float", "double"})

_TYPE_WORDS = {
    "String": "string",
    "int": "integer",
    "int64": "int64",
    "boolean": "boolean",
    "float": "double",
    "double": "double",
}


@dataclass(frozen=True)
class Param:
    """A constructor or method parameter as the kmd declares it."""

    name: str
    type: str
    required: bool = True
    default: Any = None


def _should_be(name: str, type_name: str) -> KurentoError:
    word = _TYPE_WORDS.get(type_name, "object")
    article = "an" if word[0] in "aeiou" else "a"
    return KurentoError(MARSHALL_ERROR, f"'{name}' parameter should be {article} {word}")


class Resolver(Protocol):
    """What unmarshalling needs from the server: object lookup by id for reference params."""

    def lookup(self, object_id: str) -> MediaObject: ...


def unmarshal(name: str, type_name: str, value: Any, resolver: Resolver) -> Any:
    """Python value of one JSON param; KurentoError(40001/40101/40003) as KMS would raise."""
    if type_name.endswith("[]"):
        if not isinstance(value, list):
            raise KurentoError(MARSHALL_ERROR, f"'{name}' parameter should be a list")
        return [unmarshal(name, type_name[:-2], item, resolver) for item in value]
    if type_name == "String":
        if not isinstance(value, str):
            raise _should_be(name, type_name)
        return value
    if type_name == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _should_be(name, type_name)
        return value
    if type_name == "int64":
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _should_be(name, type_name)
        return value
    if type_name == "boolean":
        if not isinstance(value, bool):
            raise _should_be(name, type_name)
        return value
    if type_name in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _should_be(name, type_name)
        return float(value)
    if type_name in ENUMS:
        if not isinstance(value, str) or value not in ENUMS[type_name]:
            raise KurentoError(MARSHALL_ERROR, f"Invalid value for '{type_name}'")
        return value
    if type_name in STRUCTS:
        return _unmarshal_struct(name, type_name, value, resolver)
    if type_name in REFERENCE_TYPES or type_name[:1].isupper():
        if not isinstance(value, str):
            raise KurentoError(MARSHALL_ERROR, f"'{name}' parameter should be a string")
        target = resolver.lookup(value)
        if type_name not in target.type_names():
            raise KurentoError(MARSHALL_ERROR, f"'{name}' parameter should be a {type_name}")
        return target
    return value


def _unmarshal_struct(name: str, type_name: str, value: Any, resolver: Resolver) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise KurentoError(MARSHALL_ERROR, f"'{name}' parameter should be a object")
    declared = value.get("__type__")
    if declared is not None and declared != type_name:
        raise KurentoError(UNEXPECTED_ERROR, f"Unknown type '{declared}'")
    result: dict[str, Any] = {}
    for field, field_type, required in STRUCTS[type_name]:
        if field not in value or value[field] is None:
            if required:
                raise KurentoError(MARSHALL_ERROR, f"'{field}' parameter is required")
            continue
        result[field] = unmarshal(field, field_type, value[field], resolver)
    return result


def unmarshal_params(
    params: tuple[Param, ...],
    given: dict[str, Any] | None,
    resolver: Resolver,
    container: str,
) -> list[Any]:
    """Values of ``params`` in order from the JSON object ``given`` (defaults for missing optionals).

    ``container`` names the JSON member for the missing-object message ('constructorParams' or
    'operationParams').
    """
    if given is None:
        if any(p.required for p in params):
            raise KurentoError(MARSHALL_ERROR, f"'{container}' is required")
        given = {}
    if not isinstance(given, dict):
        raise KurentoError(MARSHALL_ERROR, f"'{container}' should be an object")
    values: list[Any] = []
    for param in params:
        if param.name not in given or given[param.name] is None:
            if param.required:
                raise KurentoError(MARSHALL_ERROR, f"'{param.name}' parameter is required")
            values.append(param.default)
            continue
        values.append(unmarshal(param.name, param.type, given[param.name], resolver))
    return values
