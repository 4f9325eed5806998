"""OpenVidu browser signaling, sans-I/O: JSON-RPC 2.0 framing, request parameters, notifications.

Everything here turns text into typed values and back; nothing does I/O. The framing follows what
openvidu-browser's kurento-jsonrpc client expects (spec/openvidu-signaling.md §1.3, §6.4):

* every outgoing message carries ``"jsonrpc": "2.0"``;
* request ids may be 0 (presence, not truthiness, distinguishes requests from notifications);
* responses sent for an OpenVidu method get the JSON-RPC session id (the participant's private id)
  injected as ``sessionId`` (inside an object result, or wrapping a non-object result as ``value``);
* ping responses and notifications carry no ``sessionId``.

The vocabulary lives in four modules, gathered here for the handlers (``from server.rpc import protocol as p``):
:mod:`.errors` (codes and error answers), :mod:`.framing` (frames and messages), :mod:`.params` (typed method
parameters) and :mod:`.notifications` (spec §3 messages).
"""

from __future__ import annotations

from server.core.errors import ErrorCode
from server.rpc.errors import (
    VERSION_HINT,
    NoResponse,
    RpcError,
    missing_param,
)
from server.rpc.framing import (
    DEFAULT_PING_INTERVAL_MS,
    INVALID_REQUEST_CODE,
    INVALID_REQUEST_MESSAGE,
    JSONRPC_VERSION,
    PONG,
    RECONNECTION_SUCCESSFUL,
    FrameError,
    Request,
    dumps,
    error_message,
    frame_error_message,
    notification_message,
    parse_frame,
    reconnection_error,
    result_message,
)
from server.rpc.notifications import (
    JoinRoomResult,
    PeerInfo,
    StreamInfo,
    filter_change_value,
    filter_event_dispatched,
    ice_candidate,
    media_error,
    participant_evicted,
    participant_joined,
    participant_left,
    participant_published,
    participant_unpublished,
    recording_started,
    recording_stopped,
    reserialize_property_value,
    signal,
    stream_property_changed,
)
from server.rpc.params import (
    ApplyFilterParams,
    ConnectionIdParams,
    ExecFilterMethodParams,
    FilterEventListenerParams,
    FilterSpec,
    JoinRoomParams,
    OnIceCandidateParams,
    Params,
    PingParams,
    PrepareReceiveVideoFromParams,
    PublishVideoParams,
    ReceiveVideoFromParams,
    ReconnectStreamParams,
    SenderParams,
    SendMessageParams,
    SignalMessage,
    StreamIdParams,
    StreamPropertyChangedParams,
    VideoDataParams,
)

__all__ = [
    "DEFAULT_PING_INTERVAL_MS",
    "INVALID_REQUEST_CODE",
    "INVALID_REQUEST_MESSAGE",
    "JSONRPC_VERSION",
    "PONG",
    "RECONNECTION_SUCCESSFUL",
    "VERSION_HINT",
    "ApplyFilterParams",
    "ConnectionIdParams",
    "ErrorCode",
    "ExecFilterMethodParams",
    "FilterEventListenerParams",
    "FilterSpec",
    "FrameError",
    "JoinRoomParams",
    "JoinRoomResult",
    "NoResponse",
    "OnIceCandidateParams",
    "Params",
    "PeerInfo",
    "PingParams",
    "PrepareReceiveVideoFromParams",
    "PublishVideoParams",
    "ReceiveVideoFromParams",
    "ReconnectStreamParams",
    "Request",
    "RpcError",
    "SendMessageParams",
    "SenderParams",
    "SignalMessage",
    "StreamIdParams",
    "StreamInfo",
    "StreamPropertyChangedParams",
    "VideoDataParams",
    "dumps",
    "error_message",
    "filter_change_value",
    "filter_event_dispatched",
    "frame_error_message",
    "ice_candidate",
    "media_error",
    "missing_param",
    "notification_message",
    "parse_frame",
    "participant_evicted",
    "participant_joined",
    "participant_left",
    "participant_published",
    "participant_unpublished",
    "reconnection_error",
    "recording_started",
    "recording_stopped",
    "reserialize_property_value",
    "result_message",
    "signal",
    "stream_property_changed",
]
