"""Request bodies of ``/openvidu/api`` parsed as 2.32 does (``SessionProperties.fromJson``,
``ConnectionProperties.fromJson``, ``RecordingProperties.fromJson``), with the same error texts.

Each parser raises :class:`InvalidParams` with the message the original puts in its 400 body.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from server.api.tokens import parse_kurento_options
from server.core.enums import MediaMode, OpenViduRole, OutputMode, RecordingLayout, RecordingMode
from server.core.sessions import RecordingDefaults, SessionProperties
from server.core.tokens import IceServer, KurentoOptions

VIDEO_CODECS = ("MEDIA_SERVER_PREFERRED", "NONE", "VP8", "VP9", "H264")
OUTPUT_MODES = ("COMPOSED", "INDIVIDUAL", "COMPOSED_QUICK_START")
RECORDING_LAYOUTS = (
    "BEST_FIT",
    "PICTURE_IN_PICTURE",
    "VERTICAL_PRESENTATION",
    "HORIZONTAL_PRESENTATION",
    "CUSTOM",
)
CONNECTION_TYPES = ("WEBRTC", "IPCAM")
RTSP_SCHEMES = ("file", "rtsp", "rtsps", "http", "https")
_CUSTOM_SESSION_ID = re.compile(r"[a-zA-Z0-9_-]+")
_RECORDING_NAME = re.compile(r"[a-zA-Z0-9_\-~]+")
_RESOLUTION = re.compile(r"(\d+)x(\d+)")
_JAVA_TYPES = {
    str: "java.lang.String",
    bool: "java.lang.Boolean",
    int: "java.lang.Integer",
    float: "java.lang.Double",
}


class InvalidParams(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _java_type(value: object) -> str:
    if isinstance(value, dict):
        return "com.google.gson.internal.LinkedTreeMap"
    if isinstance(value, list):
        return "java.util.ArrayList"
    return _JAVA_TYPES.get(type(value), "java.lang.Object")


def _cast_error(value: object, target: str) -> str:
    """The text of Java's ``ClassCastException`` for ``(Target) value``."""
    source = _java_type(value)
    return (
        f"class {source} cannot be cast to class {target} ({source} and {target} are in module java.base "
        f"of loader 'bootstrap')"
    )


def _opt(params: dict[str, Any], key: str, kind: type, target: str, prefix: str) -> Any:
    value = params.get(key)
    if value is None:
        return None
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise InvalidParams(prefix + _cast_error(value, target))
    return value


def _string(params: dict[str, Any], key: str, prefix: str = "Type error in some parameter: ") -> str | None:
    value: str | None = _opt(params, key, str, "java.lang.String", prefix)
    return value


def _boolean(params: dict[str, Any], key: str, prefix: str = "Type error in some parameter: ") -> bool | None:
    value: bool | None = _opt(params, key, bool, "java.lang.Boolean", prefix)
    return value


def _number(params: dict[str, Any], key: str, prefix: str = "Type error in some parameter: ") -> float | None:
    value: float | None = _opt(params, key, float, "java.lang.Number", prefix)
    return value


def media_node_of(params: dict[str, Any]) -> str | None:
    """``SessionProperties.getMediaNodeProperty``: ``{"id": "<node>"}``."""
    raw = params.get("mediaNode")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidParams("Error in parameter 'mediaNode'. It is not a valid JSON object")
    if "id" not in raw:
        raise InvalidParams("Error in parameter 'mediaNode'. Property 'id' not found")
    if not isinstance(raw["id"], str):
        raise InvalidParams("Type error in parameter 'mediaNode.id': not a String")
    node: str = raw["id"]
    return node


def recording_properties(params: dict[str, Any], defaults: RecordingDefaults | None) -> RecordingDefaults:
    """``RecordingProperties.fromJson(params, defaults)`` of 2.32, checks in its order. Raises
    :class:`InvalidParams`; ``status`` 422 for its ``IllegalStateException`` cases (both tracks off, resolution,
    frameRate, shmSize), 400 for the others."""
    base = defaults or RecordingDefaults()
    name = _string(params, "name")
    has_audio = _boolean(params, "hasAudio")
    has_video = _boolean(params, "hasVideo")
    output = _string(params, "outputMode")
    layout = _string(params, "recordingLayout")
    resolution = _string(params, "resolution")
    frame_rate = _number(params, "frameRate")
    shm_size = _number(params, "shmSize")
    custom_layout = _string(params, "customLayout")
    ignore_failed = _boolean(params, "ignoreFailedStreams")
    if name and not _RECORDING_NAME.fullmatch(name):
        raise InvalidParams("Parameter 'name' is wrong. Must be an alphanumeric string [a-zA-Z0-9_-~]+")
    final_audio = base.has_audio if has_audio is None else has_audio
    final_video = base.has_video if has_video is None else has_video
    if not final_audio and not final_video:
        raise InvalidParams('Cannot start a recording with both "hasAudio" and "hasVideo" set to false', 422)
    final_output = base.output_mode
    if output is not None:
        if output not in OUTPUT_MODES:
            raise InvalidParams("Type error in parameter 'outputMode'")
        final_output = output
        # COMPOSED and COMPOSED_QUICK_START follow the session's default between the two
        if defaults is not None and base.output_mode == "COMPOSED_QUICK_START" and output == "COMPOSED":
            final_output = "COMPOSED_QUICK_START"
        elif defaults is not None and base.output_mode == "COMPOSED" and output == "COMPOSED_QUICK_START":
            final_output = "COMPOSED"
    final = RecordingDefaults(
        name=name or base.name, has_audio=final_audio, has_video=final_video, output_mode=final_output
    )
    if final_output in ("COMPOSED", "COMPOSED_QUICK_START"):
        if layout is not None and layout not in RECORDING_LAYOUTS:
            raise InvalidParams("Type error in parameter 'recordingLayout'")
        if resolution is not None:
            match = _RESOLUTION.fullmatch(resolution)
            if not match or not all(100 <= int(v) <= 1999 for v in match.groups()):
                raise InvalidParams(
                    "Wrong 'resolution' parameter. Acceptable values from 100 to 1999 for both width and height",
                    422,
                )
        if frame_rate is not None and not 1 <= int(frame_rate) <= 120:
            raise InvalidParams(
                "Wrong 'frameRate' parameter. Acceptable values are within range [1,120]", 422
            )
        if shm_size is not None and int(shm_size) < 134217728:
            raise InvalidParams("Wrong 'shmSize' parameter. Must be 134217728 (128 MB) minimum", 422)
        final_layout = layout or base.recording_layout
        if final_video:
            final = replace(
                final,
                recording_layout=final_layout,
                resolution=resolution or base.resolution,
                frame_rate=int(frame_rate) if frame_rate is not None else base.frame_rate,
                shm_size=int(shm_size) if shm_size is not None else base.shm_size,
                custom_layout=(custom_layout if custom_layout is not None else base.custom_layout)
                if final_layout == "CUSTOM"
                else "",
            )
        final = replace(final, media_node=base.media_node or _media_node_loose(params))
    elif final_output == "INDIVIDUAL":
        final = replace(
            final,
            ignore_failed_streams=ignore_failed if ignore_failed is not None else base.ignore_failed_streams,
        )
    return final


def _media_node_loose(params: dict[str, Any]) -> str | None:
    """``mediaNode`` of a recording start: ``{"id": ...}`` or, 2.32 also takes it, a plain string."""
    raw = params.get("mediaNode")
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw or None
    if not isinstance(raw, dict):
        raise InvalidParams("Wrong 'mediaNode' parameter. Wrong type")
    node = media_node_of(params)
    return node or None


def session_properties(params: dict[str, Any] | None) -> SessionProperties:
    """``SessionRestController.getSessionPropertiesFromParams``."""
    if params is None:
        return SessionProperties()
    media_mode = _string(params, "mediaMode")
    recording_mode = _string(params, "recordingMode")
    custom_session_id = _string(params, "customSessionId")
    codec = _string(params, "forcedVideoCodec")
    allow_transcoding = _boolean(params, "allowTranscoding")
    if codec is not None and codec not in VIDEO_CODECS:
        raise InvalidParams(
            "Some parameter is not valid. Invalid value for parameter 'forcedVideoCodec': "
            f"No enum constant io.openvidu.java.client.VideoCodec.{codec}"
        )
    prefix = "Some parameter is not valid. "
    try:
        rec_mode = RecordingMode(recording_mode) if recording_mode is not None else RecordingMode.MANUAL
    except ValueError:
        raise InvalidParams(
            f"{prefix}No enum constant io.openvidu.java.client.RecordingMode.{recording_mode}"
        ) from None
    try:
        med_mode = MediaMode(media_mode) if media_mode is not None else MediaMode.ROUTED
    except ValueError:
        raise InvalidParams(
            f"{prefix}No enum constant io.openvidu.java.client.MediaMode.{media_mode}"
        ) from None
    if custom_session_id and not _CUSTOM_SESSION_ID.fullmatch(custom_session_id):
        raise InvalidParams(
            f"{prefix}Parameter 'customSessionId' is wrong. Must be an alphanumeric string [a-zA-Z0-9_-]"
        )
    defaults: RecordingDefaults | None = None
    raw_defaults = params.get("defaultRecordingProperties")
    if raw_defaults is not None:
        if not isinstance(raw_defaults, dict):
            raise InvalidParams(
                f"{prefix}Error in parameter 'defaultRecordingProperties'. It is not a valid JSON object"
            )
        try:
            defaults = recording_properties(raw_defaults, None)
        except InvalidParams as exc:
            raise InvalidParams(
                f"{prefix}Parameter 'defaultRecordingProperties' is not valid: {exc.message}"
            ) from None
    try:
        media_node = media_node_of(params)
    except InvalidParams as exc:
        raise InvalidParams(prefix + exc.message) from None
    recording = defaults or RecordingDefaults()
    return SessionProperties(
        media_mode=med_mode,
        recording_mode=rec_mode,
        # the 2.11 view of the same defaults (2.11 has no COMPOSED_QUICK_START)
        default_output_mode=OutputMode.INDIVIDUAL
        if recording.output_mode == "INDIVIDUAL"
        else OutputMode.COMPOSED,
        default_recording_layout=RecordingLayout(recording.recording_layout),
        default_custom_layout=recording.custom_layout,
        custom_session_id=custom_session_id or "",
        forced_video_codec=codec,
        allow_transcoding=allow_transcoding,
        default_recording=recording,
        media_node=media_node,
    )


class ConnectionSpec:
    """What ``POST .../connection`` asked for (``ConnectionProperties``)."""

    def __init__(
        self,
        kind: str,
        data: str,
        record: bool,
        role: OpenViduRole,
        kurento_options: KurentoOptions | None,
        ice_servers: tuple[IceServer, ...],
        rtsp_uri: str | None = None,
        adaptative_bitrate: bool = True,
        only_play_with_subscribers: bool = True,
        network_cache: int = 2000,
    ) -> None:
        self.kind = kind
        self.data = data
        self.record = record
        self.role = role
        self.kurento_options = kurento_options
        self.ice_servers = ice_servers
        self.rtsp_uri = rtsp_uri
        self.adaptative_bitrate = adaptative_bitrate
        self.only_play_with_subscribers = only_play_with_subscribers
        self.network_cache = network_cache


def _ice_servers(raw: object) -> tuple[IceServer, ...]:
    if not isinstance(raw, list):
        raise InvalidParams("Error in parameter 'customIceServersJson'. It is not a valid JSON object")
    servers: list[IceServer] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise InvalidParams(
                "Type error in some parameter of 'customIceServers': Not a JSON Object or no url"
            )
        for key in ("username", "credential", "staticAuthSecret"):
            if key in item and not isinstance(item[key], str):
                raise InvalidParams(
                    f"Type error in some parameter of 'customIceServers': {key} is not a string"
                )
        servers.append(
            IceServer(item["url"], item.get("username"), item.get("credential"), item.get("staticAuthSecret"))
        )
    return tuple(servers)


def connection_properties(params: dict[str, Any] | None) -> ConnectionSpec:
    """``ConnectionProperties.fromJson``."""
    params = params or {}
    kind = _string(params, "type") or "WEBRTC"
    data = _string(params, "data")
    if kind not in CONNECTION_TYPES:
        raise InvalidParams(f"Parameter 'type' {kind} is not defined")
    role = OpenViduRole.PUBLISHER
    options: KurentoOptions | None = None
    servers: tuple[IceServer, ...] = ()
    spec_extra: dict[str, Any] = {}
    if kind == "WEBRTC":
        role_text = _string(params, "role", "Type error in parameter 'role': ")
        if role_text is not None:
            try:
                role = OpenViduRole(role_text)
            except ValueError:
                raise InvalidParams(f"Parameter role {role_text} is not defined") from None
        raw_options = params.get("kurentoOptions")
        if raw_options is not None:
            if not isinstance(raw_options, dict):
                raise InvalidParams("Error in parameter 'kurentoOptions'. It is not a valid JSON object")
            try:
                options = parse_kurento_options(raw_options)
            except (TypeError, ValueError) as exc:
                raise InvalidParams(f"Type error in some parameter of 'kurentoOptions': {exc}") from None
        if params.get("customIceServers") is not None:
            servers = _ice_servers(params["customIceServers"])
    else:
        rtsp_uri = _string(params, "rtspUri")
        adaptative = _boolean(params, "adaptativeBitrate")
        only_with_subscribers = _boolean(params, "onlyPlayWithSubscribers")
        network_cache = _number(params, "networkCache")
        if rtsp_uri is not None:
            scheme = rtsp_uri.split(":", 1)[0] if ":" in rtsp_uri else None
            if scheme not in RTSP_SCHEMES:
                raise InvalidParams(
                    "Error in parameter 'rtspUri': RTSP URI does not contain a valid protocol "
                    "[file, rtsp, rtsps, http, https]"
                )
        spec_extra = {
            "rtsp_uri": rtsp_uri,
            "adaptative_bitrate": True if adaptative is None else adaptative,
            "only_play_with_subscribers": True if only_with_subscribers is None else only_with_subscribers,
            "network_cache": 2000 if network_cache is None else int(network_cache),
        }
    record = _boolean(params, "record", "Type error in parameter 'record': ")
    return ConnectionSpec(
        kind, data or "", True if record is None else record, role, options, servers, **spec_extra
    )
