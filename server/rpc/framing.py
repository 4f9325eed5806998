"""JSON-RPC 2.0 framing of OpenVidu signaling, sans-I/O: parsing frames, building answers and notifications."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import wirejson
from server.core.errors import ErrorCode
from server.rpc.errors import RpcError

JSONRPC_VERSION = "2.0"
# Interval a first ping without "interval" is assumed to announce (Kurento PingWatchdogManager).
DEFAULT_PING_INTERVAL_MS = 20000


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
