"""The one error vocabulary of OpenVidu: its error codes and the exception that carries one.

Signaling answers these codes (``server.rpc``), the core refuses joins with them (``JoinError``) and the media
layer reports failures with them (``MediaError``): all three are :class:`OpenViduError`.
"""

from __future__ import annotations

from enum import IntEnum


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


class OpenViduError(Exception):
    """An error with an OpenVidu code (``OpenViduException``): what the client is answered."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = int(code)
        self.message = message
