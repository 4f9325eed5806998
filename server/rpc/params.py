"""Typed parameters of every OpenVidu client method (spec §2), read with Gson-like coercions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import wirejson
from server.core.errors import ErrorCode
from server.rpc.errors import RpcError, missing_param
from server.rpc.framing import (
    dumps,
)


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
            return wirejson.as_int(self.raw[key])
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
            return wirejson.as_int(self.raw[key])
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
