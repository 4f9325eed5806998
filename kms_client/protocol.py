"""Kurento JSON-RPC 2.0 messages, without any I/O.

Builds the requests a client sends (``connect``, ``ping``, ``create``, ``invoke``,
``subscribe``, ``unsubscribe``, ``release``, ``describe``, ``transaction``) and parses what a
media server sends back: replies, error replies and ``onEvent`` notifications. The connection
layer (``connection.py``) only moves the resulting strings over a socket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import wirejson

from .errors import KmsProtocolError, KurentoRpcError, error_from_wire
from .structs import to_wire_value

JSONRPC_VERSION = "2.0"
SERVER_MANAGER_ID = "manager_ServerManager"
EVENT_METHOD = "onEvent"

RequestId = int | str

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_loads = wirejson.loads


@dataclass(frozen=True, slots=True)
class Request:
    """A client request. ``params`` already carries ``sessionId`` when the session has one."""

    id: RequestId
    method: str
    params: dict[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"jsonrpc": JSONRPC_VERSION, "id": self.id, "method": self.method}
        if self.params is not None:
            out["params"] = self.params
        return out

    def encode(self) -> str:
        """The request's text; raises ``KmsProtocolError`` (before anything is sent) for a value JSON or UTF-8
        cannot carry (a lone surrogate, NaN/Infinity), so a bad value fails its request, never the link."""
        try:
            text = _dumps(self.to_wire())
        except ValueError as exc:
            raise KmsProtocolError(f"{self.method} request cannot be sent: {exc}") from None
        if not wirejson.encodable(text):
            raise KmsProtocolError(f"{self.method} request cannot be sent: a lone surrogate in a text value")
        return text


@dataclass(frozen=True, slots=True)
class Response:
    """A successful reply; ``result`` is the raw ``result`` member (object or null)."""

    id: RequestId | None
    result: Any

    @property
    def value(self) -> Any:
        """``result.value``; ``None`` for void operations (absent or null on the wire)."""
        if isinstance(self.result, dict):
            return self.result.get("value")
        return None

    @property
    def session_id(self) -> str | None:
        if isinstance(self.result, dict):
            sid = self.result.get("sessionId")
            if isinstance(sid, str):
                return sid
        return None


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    """An error reply (never carries a sessionId)."""

    id: RequestId | None
    code: int
    message: str
    data: Any = None

    def to_exception(self) -> KurentoRpcError:
        return error_from_wire(self.code, self.message, self.data)


@dataclass(frozen=True, slots=True)
class EventNotification:
    """An ``onEvent`` notification: ``object_id`` is the subscribed object, ``type`` the wire
    event name, ``data`` the raw event payload (``source``, ``timestampMillis``...)."""

    object_id: str
    type: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ServerRequest:
    """Any other request from the server (KMS sends none; parsed to be ignored safely)."""

    id: RequestId | None
    method: str
    params: Any


Message = Response | ErrorResponse | EventNotification | ServerRequest


def parse_message(text: str | bytes) -> Message:
    """Parse one text frame from the media server."""
    try:
        obj = _loads(text)
    except wirejson.WireJsonError as exc:
        raise KmsProtocolError(f"invalid JSON from media server: {exc}", _readable_id(text)) from None
    if not isinstance(obj, dict):
        raise KmsProtocolError("JSON-RPC message is not an object")
    return parse_object(obj)


def _readable_id(text: str | bytes) -> RequestId | None:
    """The id of a refused reply, from a lenient parse, so that its request fails at once (not by timeout)."""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    msg_id = obj.get("id") if isinstance(obj, dict) else None
    if isinstance(msg_id, int) and not isinstance(msg_id, bool):
        return msg_id
    if isinstance(msg_id, str) and wirejson.encodable(msg_id):
        return msg_id
    return None


def parse_object(obj: dict[str, Any]) -> Message:
    """Parse one already-decoded JSON-RPC object."""
    method = obj.get("method")
    if method is not None:
        params = obj.get("params")
        if method == EVENT_METHOD:
            value = params.get("value") if isinstance(params, dict) else None
            if not isinstance(value, dict):
                raise KmsProtocolError("onEvent without params.value")
            object_id = value.get("object")
            event_type = value.get("type")
            data = value.get("data")
            if not isinstance(object_id, str) or not isinstance(event_type, str):
                raise KmsProtocolError("onEvent without object or type")
            if data is None:
                data = {}
            if not isinstance(data, dict):
                raise KmsProtocolError("onEvent data is not an object")
            return EventNotification(object_id, event_type, data)
        if not isinstance(method, str):
            raise KmsProtocolError("method is not a string")
        return ServerRequest(_parse_id(obj.get("id")), method, params)
    msg_id = _parse_id(obj.get("id"))
    if "error" in obj:
        err = obj["error"]
        if not isinstance(err, dict):
            raise KmsProtocolError("error member is not an object")
        code = err.get("code")
        if not isinstance(code, int) or isinstance(code, bool):
            raise KmsProtocolError("error code is not an integer")
        message = err.get("message")
        return ErrorResponse(msg_id, code, message if isinstance(message, str) else "", err.get("data"))
    if "result" in obj:
        return Response(msg_id, obj["result"])
    raise KmsProtocolError("message is neither a request, a result nor an error")


def _parse_id(raw: Any) -> RequestId | None:
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    raise KmsProtocolError(f"invalid id {raw!r}")


# --- request builders -----------------------------------------------------------------------


def _with_session(params: dict[str, Any], session_id: str | None) -> dict[str, Any]:
    if session_id is not None:
        params["sessionId"] = session_id
    return params


def connect_request(request_id: RequestId, session_id: str | None = None) -> Request:
    """``connect``: no params for a new session, ``{sessionId}`` to resume one."""
    if session_id is None:
        return Request(request_id, "connect")
    return Request(request_id, "connect", {"sessionId": session_id})


def ping_request(request_id: RequestId, session_id: str | None, interval_ms: int | None = None) -> Request:
    params: dict[str, Any] = {}
    if interval_ms is not None:
        params["interval"] = interval_ms
    return Request(request_id, "ping", _with_session(params, session_id))


def create_request(
    request_id: RequestId,
    session_id: str | None,
    type_name: str,
    constructor_params: dict[str, Any] | None = None,
    properties: dict[str, Any] | None = None,
) -> Request:
    params: dict[str, Any] = {
        "type": type_name,
        "constructorParams": to_wire_value(constructor_params or {}),
        "properties": to_wire_value(properties or {}),
    }
    return Request(request_id, "create", _with_session(params, session_id))


def invoke_request(
    request_id: RequestId,
    session_id: str | None,
    object_id: str,
    operation: str,
    operation_params: dict[str, Any] | None = None,
) -> Request:
    params: dict[str, Any] = {"object": object_id, "operation": operation}
    if operation_params:
        params["operationParams"] = to_wire_value(operation_params)
    return Request(request_id, "invoke", _with_session(params, session_id))


def subscribe_request(
    request_id: RequestId, session_id: str | None, object_id: str, event_type: str
) -> Request:
    params: dict[str, Any] = {"object": object_id, "type": event_type}
    return Request(request_id, "subscribe", _with_session(params, session_id))


def unsubscribe_request(
    request_id: RequestId, session_id: str | None, object_id: str, subscription_id: str
) -> Request:
    params: dict[str, Any] = {"object": object_id, "subscription": subscription_id}
    return Request(request_id, "unsubscribe", _with_session(params, session_id))


def release_request(request_id: RequestId, session_id: str | None, object_id: str) -> Request:
    return Request(request_id, "release", _with_session({"object": object_id}, session_id))


def describe_request(request_id: RequestId, session_id: str | None, object_id: str) -> Request:
    return Request(request_id, "describe", _with_session({"object": object_id}, session_id))


def transaction_request(
    request_id: RequestId, session_id: str | None, operations: list[tuple[str, dict[str, Any]]]
) -> Request:
    """``transaction``: ``operations`` are ``(method, params)`` pairs; inner ids are 0..n-1 and
    a param ``"newref:<k>"`` refers to the value returned by operation ``k``."""
    ops = [
        Request(i, method, to_wire_value(params)).to_wire() for i, (method, params) in enumerate(operations)
    ]
    return Request(request_id, "transaction", _with_session({"operations": ops}, session_id))


def parse_transaction_results(value: Any) -> list[Response | ErrorResponse]:
    """Inner responses of a ``transaction`` reply, in operation order."""
    if not isinstance(value, list):
        raise KmsProtocolError("transaction value is not an array")
    out: list[Response | ErrorResponse] = []
    for item in value:
        if not isinstance(item, dict):
            raise KmsProtocolError("transaction response is not an object")
        parsed = parse_object(item)
        if not isinstance(parsed, Response | ErrorResponse):
            raise KmsProtocolError("transaction response is not a reply")
        out.append(parsed)
    return out
