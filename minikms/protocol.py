"""Kurento JSON-RPC 2.0 framing, sans I/O: parse requests, build replies, errors and notifications.

Everything here works on Python values and strings; the transport does the socket work.
KMS writes compact JSON with alphabetically sorted keys, and so do we.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import wirejson

JSONRPC_VERSION = "2.0"

# JSON-RPC level codes (kurento-protocol.md section 2.1).
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000

# KMS codes (section 2.2) and the symbolic names KMS puts in data.type.
MARSHALL_ERROR = 40001
UNEXPECTED_ERROR = 40003
CONNECT_ERROR = 40004
UNSUPPORTED_MEDIA_TYPE = 40005
NOT_IMPLEMENTED = 40006
INVALID_SESSION = 40007
MALFORMED_TRANSACTION = 40008
NOT_ENOUGH_RESOURCES = 40009
MEDIA_OBJECT_TYPE_NOT_FOUND = 40100
MEDIA_OBJECT_NOT_FOUND = 40101
MEDIA_OBJECT_CONSTRUCTOR_NOT_FOUND = 40104
MEDIA_OBJECT_METHOD_NOT_FOUND = 40105
MEDIA_OBJECT_EVENT_NOT_SUPPORTED = 40106
MEDIA_OBJECT_ILLEGAL_PARAM_ERROR = 40107
MEDIA_OBJECT_NOT_AVAILABLE = 40108
MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT = 40109
MEDIA_OBJECT_TAG_KEY_NOT_FOUND = 40110
MEDIA_OBJECT_OPERATION_NOT_SUPPORTED = 40111
SDP_CREATE_ERROR = 40200
SDP_PARSE_ERROR = 40201
SDP_END_POINT_NO_LOCAL_SDP_ERROR = 40202
SDP_END_POINT_NO_REMOTE_SDP_ERROR = 40203
SDP_END_POINT_GENERATE_OFFER_ERROR = 40204
SDP_END_POINT_PROCESS_OFFER_ERROR = 40205
SDP_END_POINT_PROCESS_ANSWER_ERROR = 40206
SDP_CONFIGURATION_ERROR = 40207
SDP_END_POINT_ALREADY_NEGOTIATED = 40208
SDP_END_POINT_NOT_OFFER_GENERATED = 40209
SDP_END_POINT_ANSWER_ALREADY_PROCCESED = 40210
SDP_END_POINT_CANNOT_CREATE_SESSON = 40211
HTTP_END_POINT_REGISTRATION_ERROR = 40300
ICE_GATHER_CANDIDATES_ERROR = 40400
ICE_ADD_CANDIDATE_ERROR = 40401
KMD_NOT_FOUND = 40500
URI_PATH_FILE_NOT_FOUND = 40600
PLAYER_SEEK_FAIL = 40700

KMS_ERROR_TYPES: dict[int, str] = {
    MARSHALL_ERROR: "MARSHALL_ERROR",
    UNEXPECTED_ERROR: "UNEXPECTED_ERROR",
    CONNECT_ERROR: "CONNECT_ERROR",
    UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    INVALID_SESSION: "INVALID_SESSION",
    MALFORMED_TRANSACTION: "MALFORMED_TRANSACTION",
    NOT_ENOUGH_RESOURCES: "NOT_ENOUGH_RESOURCES",
    MEDIA_OBJECT_TYPE_NOT_FOUND: "MEDIA_OBJECT_TYPE_NOT_FOUND",
    MEDIA_OBJECT_NOT_FOUND: "MEDIA_OBJECT_NOT_FOUND",
    MEDIA_OBJECT_CONSTRUCTOR_NOT_FOUND: "MEDIA_OBJECT_CONSTRUCTOR_NOT_FOUND",
    MEDIA_OBJECT_METHOD_NOT_FOUND: "MEDIA_OBJECT_METHOD_NOT_FOUND",
    MEDIA_OBJECT_EVENT_NOT_SUPPORTED: "MEDIA_OBJECT_EVENT_NOT_SUPPORTED",
    MEDIA_OBJECT_ILLEGAL_PARAM_ERROR: "MEDIA_OBJECT_ILLEGAL_PARAM_ERROR",
    MEDIA_OBJECT_NOT_AVAILABLE: "MEDIA_OBJECT_NOT_AVAILABLE",
    MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT: "MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT",
    MEDIA_OBJECT_TAG_KEY_NOT_FOUND: "MEDIA_OBJECT_TAG_KEY_NOT_FOUND",
    MEDIA_OBJECT_OPERATION_NOT_SUPPORTED: "MEDIA_OBJECT_OPERATION_NOT_SUPPORTED",
    SDP_CREATE_ERROR: "SDP_CREATE_ERROR",
    SDP_PARSE_ERROR: "SDP_PARSE_ERROR",
    SDP_END_POINT_NO_LOCAL_SDP_ERROR: "SDP_END_POINT_NO_LOCAL_SDP_ERROR",
    SDP_END_POINT_NO_REMOTE_SDP_ERROR: "SDP_END_POINT_NO_REMOTE_SDP_ERROR",
    SDP_END_POINT_GENERATE_OFFER_ERROR: "SDP_END_POINT_GENERATE_OFFER_ERROR",
    SDP_END_POINT_PROCESS_OFFER_ERROR: "SDP_END_POINT_PROCESS_OFFER_ERROR",
    SDP_END_POINT_PROCESS_ANSWER_ERROR: "SDP_END_POINT_PROCESS_ANSWER_ERROR",
    SDP_CONFIGURATION_ERROR: "SDP_CONFIGURATION_ERROR",
    SDP_END_POINT_ALREADY_NEGOTIATED: "SDP_END_POINT_ALREADY_NEGOTIATED",
    SDP_END_POINT_NOT_OFFER_GENERATED: "SDP_END_POINT_NOT_OFFER_GENERATED",
    SDP_END_POINT_ANSWER_ALREADY_PROCCESED: "SDP_END_POINT_ANSWER_ALREADY_PROCCESED",
    SDP_END_POINT_CANNOT_CREATE_SESSON: "SDP_END_POINT_CANNOT_CREATE_SESSON",
    HTTP_END_POINT_REGISTRATION_ERROR: "HTTP_END_POINT_REGISTRATION_ERROR",
    ICE_GATHER_CANDIDATES_ERROR: "ICE_GATHER_CANDIDATES_ERROR",
    ICE_ADD_CANDIDATE_ERROR: "ICE_ADD_CANDIDATE_ERROR",
    URI_PATH_FILE_NOT_FOUND: "URI_PATH_FILE_NOT_FOUND",
    PLAYER_SEEK_FAIL: "PLAYER_SEEK_FAIL",
}


def kms_error_type(code: int) -> str:
    """``data.type`` for a KMS error code; codes outside KMS's switch are ``UNDEFINED``."""
    return KMS_ERROR_TYPES.get(code, "UNDEFINED")


class JsonRpcError(Exception):
    """An error reply. ``data_type`` None means no ``data`` member (JSON-RPC level errors)."""

    def __init__(self, code: int, message: str, data_type: str | None = None, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data_type = data_type
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        elif self.data_type is not None:
            error["data"] = {"type": self.data_type}
        return error


class KurentoError(JsonRpcError):
    """A KMS-level error (``KurentoException``): always carries ``data.type``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message, kms_error_type(code))


class NoReply(Exception):
    """The frame cannot be answered at all (unparseable JSON: KMS sends nothing)."""


def invalid_request() -> JsonRpcError:
    return JsonRpcError(INVALID_REQUEST, "Invalid JSON-RPC request.")


def method_not_found() -> JsonRpcError:
    return JsonRpcError(METHOD_NOT_FOUND, "Method not found.")


def params_required() -> JsonRpcError:
    return JsonRpcError(INVALID_PARAMS, "'params' is required", "INVALID_PARAMS")


def param_required(name: str) -> JsonRpcError:
    return JsonRpcError(SERVER_ERROR, f"'{name}' parameter is required")


def param_wrong_type(name: str, type_name: str) -> JsonRpcError:
    return JsonRpcError(
        SERVER_ERROR, f"'{name}' parameter should be a{'n' if type_name[0] in 'aeiou' else ''} {type_name}"
    )


@dataclass
class Request:
    """One JSON-RPC request or notification (``has_id`` False)."""

    method: str
    params: dict[str, Any] | None
    id: int | str | float | None = None
    has_id: bool = True

    def to_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {"jsonrpc": JSONRPC_VERSION, "method": self.method}
        if self.has_id:
            message["id"] = self.id
        if self.params is not None:
            message["params"] = self.params
        return message


def dumps(message: Any) -> str:
    """Compact JSON with sorted keys, as jsoncpp's FastWriter over its sorted maps. A non-finite float (a
    statistic divided by zero) is written as null, as jsoncpp does, never as the non-JSON ``NaN``."""
    try:
        return json.dumps(
            message, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError:
        return json.dumps(_finite(message), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


class RefusedFrame(Exception):
    """JSON that the boundary refuses (lone surrogate, NaN/Infinity, number out of range, deep nesting):
    answered with an invalid-params error (``request_id`` when readable), never reaching a method."""

    def __init__(self, reason: str, request_id: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request_id = request_id


def decode_frame(frame: str | bytes) -> Any:
    """JSON value of a text or binary frame; NoReply when it is not JSON, RefusedFrame when refused."""
    try:
        return wirejson.loads(frame)
    except wirejson.WireJsonError as exc:
        if exc.reason.startswith("not"):
            raise NoReply(str(exc)) from None
        raise RefusedFrame(str(exc), _readable_id(frame)) from None


def _readable_id(frame: str | bytes) -> Any:
    try:
        message = json.loads(frame)
    except (ValueError, RecursionError):
        return None
    request_id = message.get("id") if isinstance(message, dict) else None
    if isinstance(request_id, int) and not isinstance(request_id, bool):
        return request_id if wirejson.INT_MIN <= request_id <= wirejson.INT_MAX else None
    if isinstance(request_id, str) and wirejson.encodable(request_id):
        return request_id
    return None


def refused_params(reason: str) -> JsonRpcError:
    return JsonRpcError(INVALID_PARAMS, f"Invalid params: {reason}", "INVALID_PARAMS")


def parse_request(message: Any) -> Request:
    """Validate the envelope like ``JsonRpcHandler``; JsonRpcError(-32600) on violations."""
    if not isinstance(message, dict):
        raise invalid_request()
    if message.get("jsonrpc") != JSONRPC_VERSION:
        raise invalid_request()
    method = message.get("method")
    if not isinstance(method, str):
        raise invalid_request()
    has_id = "id" in message
    request_id = message.get("id")
    if has_id and request_id is not None and (isinstance(request_id, (dict, list, bool))):
        raise invalid_request()
    params = message.get("params")
    if params is not None and not isinstance(params, dict):
        # KMS reads members off params; a non-object behaves like a missing params.
        params = None
    return Request(method=method, params=params, id=request_id, has_id=has_id)


def success(request_id: Any, result: Any) -> dict[str, Any]:
    return {"id": request_id, "jsonrpc": JSONRPC_VERSION, "result": result}


def failure(request_id: Any, error: JsonRpcError) -> dict[str, Any]:
    return {"error": error.to_json(), "id": request_id, "jsonrpc": JSONRPC_VERSION}


def notification_result_error(result: Any) -> dict[str, Any]:
    """Reply KMS gives when a notification (no id) produced a result."""
    error = JsonRpcError(SERVER_ERROR, "Ignoring response because of a notification request", data=result)
    return failure(None, error)


def notification(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": JSONRPC_VERSION, "method": method, "params": params}


def on_event(object_id: str, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The ``onEvent`` notification envelope (section 4.1)."""
    return notification("onEvent", {"value": {"data": data, "object": object_id, "type": event_type}})
