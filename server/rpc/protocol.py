"""OpenVidu browser signaling, sans-I/O: JSON-RPC 2.0 framing, request parameters, notifications.

Everything here turns text into typed values and back; nothing does I/O. The framing follows what
openvidu-browser's kurento-jsonrpc client expects (spec/openvidu-signaling.md §1.3, §6.4):

* every outgoing message carries ``"jsonrpc": "2.0"``;
* request ids may be 0 (presence, not truthiness, distinguishes requests from notifications);
* responses sent for an OpenVidu method get the JSON-RPC session id (the participant's private id)
  injected as ``sessionId`` (inside an object result, or wrapping a non-object result as ``value``);
* ping responses and notifications carry no ``sessionId``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import wirejson

JSONRPC_VERSION = "2.0"
METADATA_SEPARATOR = "%/%"
# Interval a first ping without "interval" is assumed to announce (Kurento PingWatchdogManager).
DEFAULT_PING_INTERVAL_MS = 20000
VERSION_HINT = "CHECK THAT 'openvidu-server' AND 'openvidu-browser' SHARE THE SAME VERSION NUMBER"


class ErrorCode(IntEnum):
    """OpenViduException.Code values plus the two Kurento JSON-RPC layer codes."""

    UNCAUGHT = -1
    USER_GENERIC = 10
    USER_NOT_FOUND = 102
    USER_CLOSED = 103
    EXISTING_USER_IN_ROOM = 104
    USER_NOT_STREAMING = 105
    USER_ALREADY_STREAMING = 106
    ROOM_GENERIC = 201
    ROOM_NOT_FOUND = 202
    ROOM_CLOSED = 203
    ROOM_CANNOT_BE_CREATED = 204
    MEDIA_GENERIC = 301
    MEDIA_SDP = 302
    MEDIA_ENDPOINT = 303
    MEDIA_WEBRTC_ENDPOINT = 304
    USER_UNAUTHORIZED = 401
    ROLE_NOT_FOUND = 402
    SESSIONID_CANNOT_BE_CREATED = 403
    TOKEN_CANNOT_BE_CREATED = 404
    EXISTING_FILTER_ALREADY_APPLIED = 405
    FILTER_NOT_APPLIED = 406
    FILTER_EVENT_LISTENER_NOT_FOUND = 407
    USER_METADATA_FORMAT_INVALID = 500
    SIGNAL_FORMAT_INVALID = 600
    SIGNAL_TO_INVALID = 601
    SIGNAL_MESSAGE_INVALID = 602
    TRANSPORT_REQUEST = 801
    TRANSPORT_RESPONSE = 802
    TRANSPORT = 803
    WRONG_OPENVIDU_EDITION = 997
    GENERIC = 999
    RECONNECTION = 40007


class RpcError(Exception):
    """An error answered to a request.

    Exceptions thrown to Kurento's handler (OpenViduException as ``{code, message}``; any other exception as
    ``{code: -1, message: "<java class>:<text>", data: <stack trace>}``) are answered by
    ``JsonRpcHandlerManager``'s catch-all straight through the response sender, so without ``sessionId``.
    ``inject_session_id`` marks the errors the original answers through its transaction
    (``RpcNotificationService.sendErrorResponse``), which Kurento gives the injected ``sessionId``.
    """

    def __init__(self, code: int, message: str, data: Any = None, *, inject_session_id: bool = False) -> None:
        super().__init__(message)
        self.code = int(code)
        self.message = message
        self.data = data
        self.inject_session_id = inject_session_id


class NoResponse(Exception):
    """The original server never answers this request (the client times out); see spec §4."""


def missing_param(method: str, key: str) -> RpcError:
    text = f"Request element '{key}' is missing in method '{method}'. {VERSION_HINT}"
    return RpcError(
        ErrorCode.UNCAUGHT,
        f"java.lang.RuntimeException:{text}",
        data=f"java.lang.RuntimeException: {text}",
    )


# ---------------------------------------------------------------------------------------------------------
# Framing


@dataclass
class Request:
    """An incoming request (``has_id``) or notification from the browser."""

    method: str
    params: dict[str, Any]
    id: Any = None
    has_id: bool = False
    # The ``sessionId`` member Kurento strips from params (only ``connect`` uses it).
    rpc_session_id: str | None = None


INVALID_REQUEST_CODE = -32600
INVALID_REQUEST_MESSAGE = "Invalid JSON-RPC request"


class FrameError(ValueError):
    """Text that is not an acceptable JSON-RPC request. When its ``id`` could still be read (``has_id``) the
    request is answered with :func:`frame_error_message`; otherwise it is logged and dropped."""

    def __init__(self, reason: str, req_id: Any = None, has_id: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.req_id = req_id
        self.has_id = has_id


def _readable_id(text: str | bytes) -> tuple[Any, bool]:
    """The ``id`` of a refused frame, if a lenient parse finds a usable one (an integer or clean string)."""
    try:
        msg = json.loads(text)
    except (ValueError, RecursionError):
        return None, False
    if not isinstance(msg, dict):
        return None, False
    req_id = msg.get("id")
    if isinstance(req_id, bool) or req_id is None:
        return None, False
    if isinstance(req_id, int) and wirejson.INT_MIN <= req_id <= wirejson.INT_MAX:
        return req_id, True
    if isinstance(req_id, str) and wirejson.encodable(req_id) and len(req_id) <= 256:
        return req_id, True
    return None, False


def parse_frame(text: str | bytes, max_depth: int = wirejson.DEFAULT_MAX_DEPTH) -> Request:
    """One browser frame, strictly (no lone surrogates, NaN/Infinity, numbers out of range, deep nesting)."""
    try:
        msg = wirejson.loads(text, max_depth)
    except wirejson.WireJsonError as exc:
        if exc.reason.startswith("not JSON"):
            raise FrameError(str(exc)) from None
        req_id, has_id = _readable_id(text)
        raise FrameError(str(exc), req_id, has_id) from None
    if not isinstance(msg, dict):
        raise FrameError("not a JSON object")
    method = msg.get("method")
    if not isinstance(method, str):
        raise FrameError("no method")
    params = msg.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise FrameError("params is not an object")
    params = dict(params)
    rpc_session_id = params.pop("sessionId", None)
    return Request(
        method=method,
        params=params,
        id=msg.get("id"),
        has_id="id" in msg and msg["id"] is not None,
        rpc_session_id=rpc_session_id if isinstance(rpc_session_id, str) else None,
    )


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def frame_error_message(exc: FrameError) -> dict[str, Any]:
    """The answer to a refused frame whose id is known: JSON-RPC's invalid-request error naming the reason."""
    body = {"code": INVALID_REQUEST_CODE, "message": f"{INVALID_REQUEST_MESSAGE}: {exc.reason}"}
    return {"jsonrpc": JSONRPC_VERSION, "id": exc.req_id, "error": body}


def result_message(req_id: Any, result: Any, session_id: str | None = None) -> dict[str, Any]:
    """A response; with ``session_id`` the Kurento sessionId injection is applied."""
    if session_id is not None:
        if isinstance(result, dict):
            result = {**result, "sessionId": session_id}
        else:
            result = {"value": result, "sessionId": session_id}
    return {"jsonrpc": JSONRPC_VERSION, "id": req_id, "result": result}


def error_message(req_id: Any, error: RpcError, session_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.data is not None:
        body["data"] = error.data
    if error.inject_session_id and session_id is not None:
        body["sessionId"] = session_id
    return {"jsonrpc": JSONRPC_VERSION, "id": req_id, "error": body}


def notification_message(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": JSONRPC_VERSION, "method": method, "params": params}


PONG: dict[str, Any] = {"value": "pong"}
RECONNECTION_SUCCESSFUL = "reconnection successful"


def reconnection_error() -> RpcError:
    return RpcError(ErrorCode.RECONNECTION, "reconnection error")


# ---------------------------------------------------------------------------------------------------------
# Parameter access with Gson-like coercions (getAsString / getAsBoolean / getAsInt)


def _present(params: dict[str, Any], key: str) -> bool:
    return key in params and params[key] is not None


def _as_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    # Gson getAsString on an object/array throws; treat as its JSON text.
    return dumps(value) if isinstance(value, dict) else json.dumps(value)


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    if isinstance(value, int | float):
        return value != 0
    return False


def _as_int(value: Any) -> int:
    number: int
    if isinstance(value, bool):
        raise ValueError("boolean is not a number")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("not a finite number")
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if len(text) > 20:
            raise ValueError("number out of range")
        number = int(text)
    if not wirejson.INT_MIN <= number <= wirejson.INT_MAX:
        raise ValueError("number out of range")
    return number


class Params:
    """Typed access to one request's params, raising the original server's errors."""

    def __init__(self, method: str, params: dict[str, Any]) -> None:
        self.method = method
        self.raw = params

    def has(self, key: str) -> bool:
        return _present(self.raw, key)

    def string(self, key: str) -> str:
        if not self.has(key):
            raise missing_param(self.method, key)
        return _as_string(self.raw[key])

    def opt_string(self, key: str, default: str | None = None) -> str | None:
        return _as_string(self.raw[key]) if self.has(key) else default

    def boolean(self, key: str) -> bool:
        if not self.has(key):
            raise missing_param(self.method, key)
        return _as_bool(self.raw[key])

    def opt_boolean(self, key: str, default: bool | None = None) -> bool | None:
        return _as_bool(self.raw[key]) if self.has(key) else default

    def integer(self, key: str) -> int:
        if not self.has(key):
            raise missing_param(self.method, key)
        try:
            return _as_int(self.raw[key])
        except ValueError:
            text = f'For input string: "{_as_string(self.raw[key])}"'
            raise RpcError(
                ErrorCode.UNCAUGHT,
                f"java.lang.NumberFormatException:{text}",
                data=f"java.lang.NumberFormatException: {text}",
            ) from None

    def opt_integer(self, key: str, default: int | None = None) -> int | None:
        if not self.has(key):
            return default
        try:
            return _as_int(self.raw[key])
        except ValueError:
            return default

    def element(self, key: str) -> Any:
        if not self.has(key):
            raise missing_param(self.method, key)
        return self.raw[key]


# ---------------------------------------------------------------------------------------------------------
# Typed parameters of every client method (spec §2)


@dataclass
class JoinRoomParams:
    session: str
    token: str
    secret: str
    platform: str
    metadata: str
    recorder: bool = False
    sdk_version: str | None = None
    stt: bool = False

    @classmethod
    def parse(cls, p: Params) -> JoinRoomParams:
        session = p.string("session")
        token = p.string("token")
        secret = p.string("secret")
        platform = p.string("platform")
        return cls(
            session=session,
            token=token,
            secret=secret,
            platform=platform,
            metadata=p.opt_string("metadata", "") or "",
            recorder=bool(p.opt_boolean("recorder", False)),
            sdk_version=p.opt_string("sdkVersion"),
            stt=bool(p.opt_boolean("stt", False)),
        )


@dataclass
class FilterSpec:
    """A filter as the client describes it: type plus options object."""

    type: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class PublishVideoParams:
    sdp_offer: str
    do_loopback: bool
    has_audio: bool
    has_video: bool
    audio_active: bool
    video_active: bool
    type_of_video: str | None
    frame_rate: int | None
    video_dimensions: str | None
    filter: FilterSpec | None

    @classmethod
    def parse(cls, p: Params) -> PublishVideoParams:
        sdp_offer = p.string("sdpOffer")
        has_audio = p.boolean("hasAudio")
        has_video = p.boolean("hasVideo")
        do_loopback = p.boolean("doLoopback")
        audio_active = p.opt_boolean("audioActive", has_audio)
        video_active = p.opt_boolean("videoActive", has_video)
        type_of_video = p.opt_string("typeOfVideo")
        frame_rate = p.opt_integer("frameRate")
        video_dimensions = p.opt_string("videoDimensions")
        filt: FilterSpec | None = None
        raw_filter = p.raw.get("filter")
        if isinstance(raw_filter, dict) and isinstance(raw_filter.get("type"), str):
            options = raw_filter.get("options")
            if isinstance(options, str):
                try:
                    options = wirejson.loads(options)
                except ValueError:
                    options = {}
            filt = FilterSpec(raw_filter["type"], options if isinstance(options, dict) else {})
        return cls(
            sdp_offer=sdp_offer,
            do_loopback=do_loopback,
            has_audio=has_audio,
            has_video=has_video,
            audio_active=bool(audio_active),
            video_active=bool(video_active),
            type_of_video=type_of_video,
            frame_rate=frame_rate,
            video_dimensions=video_dimensions,
            filter=filt,
        )


@dataclass
class ReceiveVideoFromParams:
    sender: str
    sdp_offer: str | None
    sdp_answer: str | None

    @classmethod
    def parse(cls, p: Params) -> ReceiveVideoFromParams:
        sender = p.string("sender")
        offer = p.opt_string("sdpOffer")
        answer = p.opt_string("sdpAnswer")
        if offer is None and answer is None:
            raise missing_param(p.method, "sdpOffer")
        return cls(sender=sender, sdp_offer=offer, sdp_answer=answer)


@dataclass
class PrepareReceiveVideoFromParams:
    sender: str
    reconnect: bool

    @classmethod
    def parse(cls, p: Params) -> PrepareReceiveVideoFromParams:
        return cls(sender=p.string("sender"), reconnect=bool(p.opt_boolean("reconnect", False)))


@dataclass
class SenderParams:
    """unsubscribeFromVideo: ``sender`` is the publisher's connectionId."""

    sender: str

    @classmethod
    def parse(cls, p: Params) -> SenderParams:
        return cls(sender=p.string("sender"))


@dataclass
class OnIceCandidateParams:
    endpoint_name: str
    candidate: str
    sdp_mid: str
    sdp_m_line_index: int

    @classmethod
    def parse(cls, p: Params) -> OnIceCandidateParams:
        endpoint_name = p.string("endpointName")
        candidate = p.string("candidate")
        sdp_mid = p.string("sdpMid")
        index = p.integer("sdpMLineIndex")
        return cls(endpoint_name, candidate, sdp_mid, index)


@dataclass
class SignalMessage:
    """The JSON object inside ``sendMessage.message``."""

    to: list[str] | None
    data: str
    type: str


@dataclass
class SendMessageParams:
    message: str

    @classmethod
    def parse(cls, p: Params) -> SendMessageParams:
        return cls(message=p.string("message"))

    def signal(self) -> SignalMessage:
        """Decode the inner message (SessionManager.sendMessage, SessionEventsHandler.onSendMessage): error 600
        when it is not a JSON object or ``to`` is not an array, 601 for a null ``to`` element."""
        format_error = RpcError(
            ErrorCode.SIGNAL_FORMAT_INVALID,
            f"Provided signal object '{self.message}' has not a valid JSON format",
        )
        try:
            obj = wirejson.loads(self.message)  # the inner JSON is input too: strict like the frame
        except ValueError:
            obj = None
        if not isinstance(obj, dict):
            raise format_error
        to_raw = obj.get("to")
        to: list[str] | None = None
        if to_raw is not None:
            if not isinstance(to_raw, list):
                raise format_error  # getAsJsonArray's IllegalStateException, caught as a format error
            to = []
            for item in to_raw:
                if item is None:
                    raise RpcError(ErrorCode.SIGNAL_TO_INVALID, 'Signal "to" field invalid format: null')
                to.append(_as_string(item))
        data = obj.get("data")
        data_text = "" if data is None else (data if isinstance(data, str) else _as_string(data))
        sig_type = obj.get("type")
        type_text = "signal" if sig_type is None else _as_string(sig_type)
        return SignalMessage(to=to, data=data_text, type=type_text)


@dataclass
class StreamPropertyChangedParams:
    stream_id: str
    property: str
    new_value: Any
    reason: str

    @classmethod
    def parse(cls, p: Params) -> StreamPropertyChangedParams:
        return cls(
            stream_id=p.string("streamId"),
            property=p.string("property"),
            new_value=p.element("newValue"),
            reason=p.string("reason"),
        )


@dataclass
class ConnectionIdParams:
    connection_id: str

    @classmethod
    def parse(cls, p: Params) -> ConnectionIdParams:
        return cls(connection_id=p.string("connectionId"))


@dataclass
class StreamIdParams:
    stream_id: str

    @classmethod
    def parse(cls, p: Params) -> StreamIdParams:
        return cls(stream_id=p.string("streamId"))


def _json_object_param(p: Params, key: str, code: int, what: str) -> dict[str, Any]:
    text = p.string(key)
    try:
        value = wirejson.loads(text)  # the inner JSON is input too: strict like the frame
    except wirejson.WireJsonError as exc:
        reason = exc.reason.removeprefix("not JSON: ")
        raise RpcError(code, f"'{what}' parameter is not a JSON object: {reason}") from None
    if not isinstance(value, dict):
        raise RpcError(code, f"'{what}' parameter is not a JSON object: {text}")
    return value


@dataclass
class ApplyFilterParams:
    stream_id: str
    type: str
    options: dict[str, Any]

    @classmethod
    def parse(cls, p: Params) -> ApplyFilterParams:
        filter_type = p.string("type")
        stream_id = p.string("streamId")
        options = _json_object_param(p, "options", ErrorCode.FILTER_NOT_APPLIED, "options")
        return cls(stream_id=stream_id, type=filter_type, options=options)


@dataclass
class ExecFilterMethodParams:
    stream_id: str
    method: str
    params: dict[str, Any]

    @classmethod
    def parse(cls, p: Params) -> ExecFilterMethodParams:
        stream_id = p.string("streamId")
        method = p.string("method")
        params = _json_object_param(p, "params", ErrorCode.FILTER_NOT_APPLIED, "params")
        return cls(stream_id=stream_id, method=method, params=params)


@dataclass
class FilterEventListenerParams:
    stream_id: str
    event_type: str

    @classmethod
    def parse(cls, p: Params) -> FilterEventListenerParams:
        return cls(stream_id=p.string("streamId"), event_type=p.string("eventType"))


@dataclass
class ReconnectStreamParams:
    stream: str
    sdp_offer: str | None
    sdp_string: str | None
    forcibly_reconnect: bool

    @classmethod
    def parse(cls, p: Params) -> ReconnectStreamParams:
        stream = p.string("stream")
        offer = p.opt_string("sdpOffer")
        sdp_string = p.opt_string("sdpString")
        if offer is None and sdp_string is None:
            raise missing_param(p.method, "sdpOffer")
        return cls(stream, offer, sdp_string, bool(p.opt_boolean("forciblyReconnect", False)))

    @property
    def sdp(self) -> str:
        return self.sdp_offer if self.sdp_offer is not None else (self.sdp_string or "")


@dataclass
class VideoDataParams:
    """All four are mandatory (2.32 ``RpcHandler.updateVideoData``)."""

    height: int
    width: int
    video_active: bool
    audio_active: bool

    @classmethod
    def parse(cls, p: Params) -> VideoDataParams:
        return cls(
            height=p.integer("height"),
            width=p.integer("width"),
            video_active=p.boolean("videoActive"),
            audio_active=p.boolean("audioActive"),
        )


@dataclass
class PingParams:
    interval_ms: int | None

    @classmethod
    def parse(cls, p: Params) -> PingParams:
        return cls(interval_ms=p.opt_integer("interval"))


# ---------------------------------------------------------------------------------------------------------
# Notifications (spec §3), each built in exactly one place


def full_metadata(client_data: str, server_data: str) -> str:
    """Client and server data joined with ``%/%`` when both are non-empty, else whichever is set."""
    if client_data and server_data:
        return f"{client_data}{METADATA_SEPARATOR}{server_data}"
    return client_data or server_data or ""


@dataclass
class StreamInfo:
    """What other participants learn about a published stream (joinRoom value / participantPublished)."""

    id: str
    created_at: int
    has_audio: bool
    has_video: bool
    audio_active: bool
    video_active: bool
    type_of_video: str | None
    frame_rate: int | None
    video_dimensions: str | None
    filter: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "createdAt": self.created_at,
            "hasAudio": self.has_audio,
            "hasVideo": self.has_video,
            "audioActive": self.audio_active,
            "videoActive": self.video_active,
        }
        if self.type_of_video is not None:
            out["typeOfVideo"] = self.type_of_video
        if self.frame_rate is not None:
            out["frameRate"] = self.frame_rate
        if self.video_dimensions is not None:
            out["videoDimensions"] = self.video_dimensions
        out["filter"] = self.filter
        return out


@dataclass
class PeerInfo:
    """One entry of the joinRoom ``value`` array."""

    id: str
    created_at: int
    metadata: str
    stream: StreamInfo | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "createdAt": self.created_at, "metadata": self.metadata}
        if self.stream is not None:
            out["streams"] = [self.stream.to_json()]
        return out


@dataclass
class JoinRoomResult:
    """The superset result understood by 2.10 and 2.32 clients (spec §6.2 item 3)."""

    id: str
    created_at: int
    metadata: str
    peers: list[PeerInfo]
    session: str
    role: str
    version: str
    record: bool = True
    final_user_id: str = ""
    custom_ice_servers: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "createdAt": self.created_at,
            "metadata": self.metadata,
            "value": [peer.to_json() for peer in self.peers],
            "session": self.session,
            "role": self.role,
            "version": self.version,
            "mediaServer": "kurento",
            "videoSimulcast": False,
            "finalUserId": self.final_user_id,
            "record": self.record,
            "customIceServers": self.custom_ice_servers,
        }


def participant_joined(connection_id: str, created_at: int, metadata: str) -> dict[str, Any]:
    return notification_message(
        "participantJoined", {"id": connection_id, "createdAt": created_at, "metadata": metadata}
    )


def participant_left(connection_id: str, reason: str) -> dict[str, Any]:
    return notification_message("participantLeft", {"connectionId": connection_id, "reason": reason})


def participant_published(connection_id: str, stream: StreamInfo) -> dict[str, Any]:
    return notification_message("participantPublished", {"id": connection_id, "streams": [stream.to_json()]})


def participant_unpublished(connection_id: str, reason: str) -> dict[str, Any]:
    return notification_message("participantUnpublished", {"connectionId": connection_id, "reason": reason})


def participant_evicted(connection_id: str, reason: str) -> dict[str, Any]:
    return notification_message("participantEvicted", {"connectionId": connection_id, "reason": reason})


def ice_candidate(
    sender_connection_id: str, endpoint_name: str, sdp_m_line_index: int, sdp_mid: str, candidate: str
) -> dict[str, Any]:
    return notification_message(
        "iceCandidate",
        {
            "senderConnectionId": sender_connection_id,
            "endpointName": endpoint_name,
            "sdpMLineIndex": sdp_m_line_index,
            "sdpMid": sdp_mid,
            "candidate": candidate,
        },
    )


def signal(data: str, from_connection_id: str | None, signal_type: str) -> dict[str, Any]:
    params: dict[str, Any] = {"data": data}
    if from_connection_id is not None:
        params["from"] = from_connection_id
    params["type"] = signal_type
    return notification_message("sendMessage", params)


def reserialize_property_value(new_value: Any) -> str:
    """What the server relays as ``newValue``: the JSON text of the received element (spec §3).

    ``true`` becomes ``"true"``; a videoDimensions string becomes a JSON-encoded string of a JSON string;
    a track object becomes its JSON text.
    """
    return json.dumps(new_value, ensure_ascii=False, separators=(",", ":"))


def stream_property_changed(
    connection_id: str, stream_id: str, prop: str, new_value: Any, reason: str
) -> dict[str, Any]:
    """``new_value`` is sent as is: pass ``reserialize_property_value(x)`` for client-sent values,
    or a dict for ``filter`` changes."""
    return notification_message(
        "streamPropertyChanged",
        {
            "connectionId": connection_id,
            "streamId": stream_id,
            "property": prop,
            "newValue": new_value,
            "reason": reason,
        },
    )


def filter_change_value(stream_filter: dict[str, Any]) -> dict[str, Any]:
    """``newValue`` of a ``filter`` streamPropertyChanged (SessionEventsHandler.onFilterChanged): ``{type,
    options}`` plus ``lastExecMethod`` only once a method was executed; ``{}`` after removal. (The stream JSON of
    joinRoom/REST, KurentoFilter.toJson, always carries ``lastExecMethod``, ``{}`` when none.)"""
    if not stream_filter:
        return {}
    value: dict[str, Any] = {"type": stream_filter.get("type"), "options": stream_filter.get("options", {})}
    last = stream_filter.get("lastExecMethod")
    if last:
        value["lastExecMethod"] = last
    return value


def recording_started(recording_id: str, name: str) -> dict[str, Any]:
    return notification_message("recordingStarted", {"id": recording_id, "name": name})


def recording_stopped(recording_id: str, name: str, reason: str) -> dict[str, Any]:
    return notification_message("recordingStopped", {"id": recording_id, "name": name, "reason": reason})


def filter_event_dispatched(
    connection_id: str, stream_id: str, filter_type: str, event_type: str, data: str
) -> dict[str, Any]:
    return notification_message(
        "filterEventDispatched",
        {
            "connectionId": connection_id,
            "streamId": stream_id,
            "filterType": filter_type,
            "eventType": event_type,
            "data": data,
        },
    )


def media_error(error_type: str, description: str, err_code: int) -> dict[str, Any]:
    return notification_message("mediaError", {"error": f"{error_type}: {description}(errCode={err_code})"})
