"""OpenVidu signaling error vocabulary: the error codes, the error answer, and the methods never answered."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

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
